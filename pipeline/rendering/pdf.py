"""HTML of one document → PDF bytes (WeasyPrint, in `pipeline.rendering.weasyprint_layout`)."""

from __future__ import annotations

from pathlib import Path


def render_pdf(html: str, templates: Path) -> bytes:
    """Lay out `html` and return the PDF (PDF/A-3b), or raise RenderError if anything was amiss:
    a warning WeasyPrint logs, a resource outside the templates folder, a layout that fails."""
    # Imported here, not at the top: WeasyPrint is most of a command's start-up, and most
    # commands (validate, plan, status, a run whose copies are all sent) lay nothing out.
    from pipeline.rendering.weasyprint_layout import lay_out

    return lay_out(html, templates)

"""HTML of one document → PDF bytes (WeasyPrint, in `pipeline.rendering.weasyprint_layout`)."""

from __future__ import annotations

from pathlib import Path

# Where each element with an id was placed, per page: its border box (left, top, right, bottom)
# in CSS px from the page's top-left corner.
Box = tuple[float, float, float, float]
Anchors = tuple[dict[str, Box], ...]


def render_pdf(html: str, templates: Path, *, tagged: bool = True) -> bytes:
    """Lay out `html` and return the PDF (PDF/A-3a, tagged for screen readers; PDF/A-3b if not
    `tagged`: a stamp, drawn onto a copy as an artifact), or raise RenderError if anything was
    amiss: a warning WeasyPrint logs, a resource outside the templates folder, a layout that fails."""
    # Imported here, not at the top: WeasyPrint is most of a command's start-up, and most
    # commands (validate, plan, status, a run whose copies are all sent) lay nothing out.
    from pipeline.rendering.weasyprint_layout import lay_out

    return lay_out(html, templates, tagged=tagged)


def render_pdf_anchored(
    html: str, templates: Path, *, tagged: bool = True
) -> tuple[bytes, Anchors]:
    """As `render_pdf`, with each page's anchors: the box, in CSS px, of every element with an id."""
    from pipeline.rendering.weasyprint_layout import lay_out_anchored

    return lay_out_anchored(html, templates, tagged=tagged)

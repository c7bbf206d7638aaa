"""A laid-out PDF and one recipient's marks → that recipient's PDF: marks stamped on every page, metadata trimmed.

Marks that differ only by recipient (whose copy it is; for an authorised copy, for whom it was made,
on whose authority, and that it may not be passed on: spec §4 rule 5) go on by overlay, so a view
shared by several recipients is laid out once (~4 ms a stamp against ~230 ms a layout).
Metadata is cut to an allow-list: the title and the authority as author.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

import pikepdf

from pipeline.errors import RenderError
from pipeline.rendering.pdf import render_pdf

_ALLOWED_INFO = ("/Title", "/Author")
_ALLOWED_XMP = (
    "{http://purl.org/dc/elements/1.1/}title",
    "{http://purl.org/dc/elements/1.1/}creator",
    "{http://www.aiim.org/pdfa/ns/id/}part",
    "{http://www.aiim.org/pdfa/ns/id/}conformance",
)
FONTS_CSS = "_fonts.css"
_STAMP_CSS = """
@page { size: A4; margin: 0; }
html { font-size: 7.5pt; line-height: 1.3; color: #000; }
.stamp { position: absolute; left: 22mm; right: 20mm; bottom: 17mm;
         border-top: 0.5pt solid #666; padding-top: 1.5pt; }
p { margin: 0; }
"""
# The envelope's mark (whose envelope a page goes in) sits below the copy's own marks and the page
# numbers, inside every printer's and Notify's printable area (>= 15 mm from the sides, >= 5 mm
# from the foot), so the post room and the envelope check can read it on every page.
_ENVELOPE_STAMP_CSS = """
@page { size: A4; margin: 0; }
html { font-size: 7.5pt; line-height: 1.2; color: #000; }
.stamp { position: absolute; left: 22mm; right: 20mm; bottom: 6mm; }
p { margin: 0; }
"""


def _stamp_html(marks_html: str, fonts_css: str, css: str = _STAMP_CSS) -> str:
    body = marks_html  # already escaped: it comes from an autoescaping template
    return (
        '<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>stamp</title>'
        f"<style>{fonts_css}{css}</style></head>"
        f'<body><div class="stamp">{body}</div></body></html>'
    )


@lru_cache(maxsize=256)
def stamp_pdf(marks_html: str, templates: Path) -> bytes:
    """A one-page transparent PDF carrying the marks at the foot of the page (cached per text).

    `marks_html` is an escaped fragment from the `_marks.html` template."""
    # The marks name the reader, in whatever script their name is written: the documents' fonts.
    fonts_css = (templates / FONTS_CSS).read_text(encoding="utf-8")
    return render_pdf(_stamp_html(marks_html, fonts_css), templates)


@lru_cache(maxsize=256)
def _envelope_stamp_pdf(mark_html: str, templates: Path) -> bytes:
    fonts_css = (templates / FONTS_CSS).read_text(encoding="utf-8")
    return render_pdf(_stamp_html(mark_html, fonts_css, _ENVELOPE_STAMP_CSS), templates)


def stamp_envelope_mark(pdf_bytes: bytes, mark_html: str, templates: Path) -> bytes:
    """Every page of an envelope's part marked with whose envelope it goes in (an escaped
    fragment), on top of the marks it already carries; metadata trimmed as for a copy."""
    try:
        with (
            pikepdf.open(io.BytesIO(pdf_bytes)) as pdf,
            pikepdf.open(io.BytesIO(_envelope_stamp_pdf(mark_html, templates))) as stamp,
        ):
            _overlay(pdf, stamp.pages[0], pikepdf.Name("/CpcEnvelope"))
            return _save(pdf)
    except pikepdf.PikepdfError as exc:
        raise RenderError(f"an envelope's page could not be marked (pikepdf: {exc})") from exc


def finish_pdf(laid_out: bytes, marks_html: str, templates: Path) -> bytes:
    """Stamp the marks on every page (if any) and trim metadata; the same input gives the same bytes."""
    try:
        return _finish(laid_out, marks_html, templates)
    except pikepdf.PikepdfError as exc:
        # pikepdf's error, wrapped where it enters: the laid-out PDF could not be reopened.
        raise RenderError(f"the laid-out PDF could not be finished (pikepdf: {exc})") from exc


def _finish(laid_out: bytes, marks_html: str, templates: Path) -> bytes:
    with pikepdf.open(io.BytesIO(laid_out)) as pdf:
        if marks_html.strip():
            with pikepdf.open(io.BytesIO(stamp_pdf(marks_html, templates))) as stamp:
                _overlay(pdf, stamp.pages[0])
                return _save(pdf)
        return _save(pdf)


_COPY_MARKS = pikepdf.Name("/CpcMarks")


def _overlay(pdf: pikepdf.Pdf, stamp_page: pikepdf.Page, name: pikepdf.Name = _COPY_MARKS) -> None:
    # By hand rather than Page.add_overlay, which names the resource at random and so would
    # make each run's bytes differ. Both pages are A4 from the same renderer, so no scaling.
    form = pdf.copy_foreign(stamp_page.as_form_xobject())
    for page in pdf.pages:
        # Its own resource name: a second stamp (the envelope's) must not replace the copy's marks.
        page.add_resource(form, pikepdf.Name.XObject, name)
        page.contents_add(pdf.make_stream(b"q\n"), prepend=True)
        page.contents_add(pdf.make_stream(b"Q\nq " + bytes(name) + b" Do Q\n"), prepend=False)


def _save(pdf: pikepdf.Pdf) -> bytes:
    for key in list(pdf.docinfo.keys()):
        if key not in _ALLOWED_INFO:
            del pdf.docinfo[key]
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        for key in list(meta.keys()):
            if key not in _ALLOWED_XMP:
                del meta[key]
    out = io.BytesIO()
    # A fixed /ID derived from the content keeps re-runs byte-identical (nothing rewritten).
    pdf.save(out, deterministic_id=True, compress_streams=True)
    return out.getvalue()

"""A laid-out PDF and one recipient's marks → that recipient's PDF: marks stamped on every page, metadata trimmed.

Marks that differ only by recipient (whose copy it is; for an authorised copy, for whom it was made,
on whose authority, and that it may not be passed on: spec §4 rule 5) go on by overlay, so a view
shared by several recipients is laid out once (~4 ms a stamp against ~230 ms a layout).
Metadata is cut to an allow-list: the title and the authority as author.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path

import pikepdf

from pipeline.errors import RenderError
from pipeline.rendering.pdf import render_pdf
from pipeline.rendering.pdf_graft import without_marked_content

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
.large { font-size: 16pt; line-height: 1.2; }  /* room left by _style.css's @page large */
"""
# The envelope's mark (whose envelope a page goes in) sits below the copy's own marks and the page
# numbers, inside every printer's and Notify's printable area (>= 15 mm from the sides, >= 5 mm
# from the foot), so the post room and the envelope check can read it on every page.
_ENVELOPE_STAMP_CSS = """
@page { size: A4; margin: 0; }
html { font-size: 7.5pt; line-height: 1.2; color: #000; }
body { margin: 0; }
.sheet { position: relative; height: 296mm; break-after: page; }
.sheet:last-child { break-after: auto; }
.stamp { position: absolute; left: 22mm; right: 20mm; bottom: 5mm; }
p { margin: 0; }
"""


def _page_html(css: str, body: str) -> str:
    """A stamp's page: `body` is escaped already (from the autoescaping templates)."""
    return (
        '<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>stamp</title>'
        f"<style>{css}</style></head><body>{body}</body></html>"
    )


@lru_cache(maxsize=256)
def stamp_pdf(marks_html: str, templates: Path, large_print: bool = False) -> bytes:
    """A one-page transparent PDF carrying the marks at the foot of the page (cached per text),
    in large print at the body's large size: the reader reads whose copy it is too.

    `marks_html` is an escaped fragment from the `_marks.html` template."""
    # The marks name the reader, in whatever script their name is written: the documents' fonts.
    fonts_css = (templates / FONTS_CSS).read_text(encoding="utf-8")
    size = " large" if large_print else ""
    return render_pdf(
        _page_html(fonts_css + _STAMP_CSS, f'<div class="stamp{size}">{marks_html}</div>'),
        templates,
        tagged=False,  # drawn onto the copy as an artifact: see overlay_pages
    )


class EnvelopeStamper:
    """Every distinct envelope mark of a batch laid out at once, one page each (one layout for
    the batch: ~150 ms a layout would be most of a batch's time), then put on parts' pages.
    A context manager: the laid-out marks stay open while parts are stamped."""

    def __init__(self, marks_html: Iterable[str], templates: Path) -> None:
        self.marks = sorted(set(marks_html))  # escaped fragments, from an autoescaping template
        fonts_css = (templates / FONTS_CSS).read_text(encoding="utf-8")
        body = "".join(f'<div class="sheet"><div class="stamp">{m}</div></div>' for m in self.marks)
        laid_out = render_pdf(
            _page_html(fonts_css + _ENVELOPE_STAMP_CSS, body), templates, tagged=False
        )
        self._stamps = pikepdf.open(io.BytesIO(laid_out))
        if len(self._stamps.pages) != len(self.marks):
            # A mark that ran onto a second page would put the next envelope's mark on this one.
            self._stamps.close()
            raise RenderError("the envelope marks did not lay out one to a page")
        self._page = {mark: i for i, mark in enumerate(self.marks)}

    def __enter__(self) -> EnvelopeStamper:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stamps.close()

    def stamp(self, pdf_bytes: bytes, mark_html: str) -> bytes:
        """Every page of an envelope's part marked with whose envelope it goes in, on top of
        the marks it already carries; metadata trimmed as for a copy."""
        try:
            with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
                stamp = self._stamps.pages[self._page[mark_html]]
                _overlay(pdf, stamp, pikepdf.Name("/CpcEnvelope"))
                return save_trimmed(pdf)
        except pikepdf.PikepdfError as exc:
            raise RenderError(f"an envelope's page could not be marked (pikepdf: {exc})") from exc


def finish_pdf(
    laid_out: bytes, marks_html: str, templates: Path, *, large_print: bool = False
) -> bytes:
    """Stamp the marks on every page (if any; at the large size for a large-print copy) and trim
    metadata; the same input gives the same bytes."""
    try:
        return _finish(laid_out, marks_html, templates, large_print)
    except pikepdf.PikepdfError as exc:
        # pikepdf's error, wrapped where it enters: the laid-out PDF could not be reopened.
        raise RenderError(f"the laid-out PDF could not be finished (pikepdf: {exc})") from exc


def _finish(laid_out: bytes, marks_html: str, templates: Path, large_print: bool) -> bytes:
    with pikepdf.open(io.BytesIO(laid_out)) as pdf:
        if marks_html.strip():
            stamp_bytes = stamp_pdf(marks_html, templates, large_print)
            with pikepdf.open(io.BytesIO(stamp_bytes)) as stamp:
                _overlay(pdf, stamp.pages[0])
                return save_trimmed(pdf)
        return save_trimmed(pdf)


_COPY_MARKS = pikepdf.Name("/CpcMarks")


def _overlay(pdf: pikepdf.Pdf, stamp_page: pikepdf.Page, name: pikepdf.Name = _COPY_MARKS) -> None:
    overlay_pages(pdf, lambda _number: stamp_page, name)


def overlay_pages(
    pdf: pikepdf.Pdf,
    stamp_for: Callable[[int], pikepdf.Page | None],
    name: pikepdf.Name = _COPY_MARKS,
    *,
    under: bool = False,
) -> None:
    """Draw `stamp_for(n)` over page n (0-based; None: leave the page as it is), or `under`
    it: before the page's own content, so that it reads first.

    The stamp is drawn as an `/Artifact`, any marked content in it taken out: a tagged stamp's
    marked-content ids would collide with the page's own (a screen reader would read the stamp
    as the page's first elements, or drop them). An artifact is what a tagged reader skips: the
    copy's marks repeat on every page (whose copy it is, spec §4 rule 5), and the envelope mark
    is for the post room. A letter's window and salutation are not drawn here but tagged, in
    reading order (letter_stamp, pdf_graft)."""
    # By hand rather than Page.add_overlay, which names the resource at random and so would
    # make each run's bytes differ. Both pages are A4 from the same renderer, so no scaling.
    # Pages may share one /Resources dictionary (WeasyPrint's do): each distinct stamp gets its
    # own name (/CpcMarks, /CpcMarks1, ...), or the last page's stamp would show on every page.
    forms: dict[tuple[int, int], tuple[pikepdf.Name, pikepdf.Object]] = {}
    for number, page in enumerate(pdf.pages):
        stamp = stamp_for(number)
        if stamp is None:
            continue
        key = stamp.obj.objgen
        if key not in forms:
            own = pikepdf.Name(str(name) + (str(len(forms)) if forms else ""))
            form = pdf.copy_foreign(stamp.as_form_xobject())
            without_marked_content(pdf, form)  # a tagged stamp's ids mean nothing in an artifact
            forms[key] = own, form
        own, form = forms[key]
        page.add_resource(form, pikepdf.Name.XObject, own)
        draw = b"/Artifact BMC q " + bytes(own) + b" Do Q EMC\n"
        if under:
            page.contents_add(pdf.make_stream(draw), prepend=True)
        else:
            page.contents_add(pdf.make_stream(b"q\n"), prepend=True)
            page.contents_add(pdf.make_stream(b"Q\n" + draw), prepend=False)


def save_trimmed(pdf: pikepdf.Pdf) -> bytes:
    """The PDF's bytes with its metadata cut to the allow-list and a /ID from its content."""
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

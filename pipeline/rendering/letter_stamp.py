"""Shared layouts and each reader's parts → each reader's PDF: the parts stamped over the pages as text.

Readers of one view read one document but for their own address, salutation and marks. The view is
laid out once with room left for those (the window empty, the salutation line blank: the letter
template's `stamp` mode); each reader's parts are laid out, one A4 sheet each, in one layout a
reader (letters/_stamps.html), and drawn over the shared pages as selectable text. A letter's
layout costs ~230 ms, a reader's sheets ~20-40 ms.

A reader's parts must print exactly as a whole layout would have printed them. A line of the
address that runs out of the window, or a salutation that takes more than the one line left for
it, does not fit: `Stamps.fits` says so, and the caller lays that reader's copy out whole instead.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import lxml.html
import pikepdf
from markupsafe import Markup

from pipeline.errors import RenderError
from pipeline.redaction.facts import AddressBlock
from pipeline.rendering.docx_blocks import collapsed
from pipeline.rendering.html import Composer
from pipeline.rendering.pdf import Anchors, Box, render_pdf_anchored
from pipeline.rendering.pdf_graft import graft, without_marked_content
from pipeline.rendering.pdf_marks import overlay_pages, save_trimmed

STAMPS_TEMPLATE = "letters/_stamps.html"
WINDOW_TEMPLATE = "letters/_window.html"
SALUTATION_ANCHOR = "salutation"  # the id letters/_base.html gives the salutation's paragraph
_PX_PER_MM = 96 / 25.4
# The window's right edge, from _page_one.css (left 26 mm, width 92 mm): a line ending past it
# runs out of the window.
WINDOW_RIGHT_PX = (26 + 92) * _PX_PER_MM
_SAME = 0.01  # px: boxes this close are the same line
READER_PARTS = pikepdf.Name("/CpcReader")


@dataclass(frozen=True, slots=True)
class StampSheet:
    """One reader's parts of one kind: a letter's page-1 parts (`addressee` set: the window and
    the salutation, in the box the layout left for it), drawn under the page so that they read
    first, or their marks, drawn over every page after its own words (spec §4 rule 5)."""

    large_print: bool
    marks: str = ""  # escaped HTML from the autoescaping _marks.html template; "" for none
    addressee: AddressBlock | None = None
    salutation_box: Box | None = None

    @classmethod
    def page_one(cls, large_print: bool, addressee: AddressBlock, box: Box) -> StampSheet:
        return cls(large_print, "", addressee, box)


def salutation_box(anchors: Anchors) -> Box | None:
    """Where a layout left the salutation's line on page 1, or None (nothing to stamp into)."""
    return anchors[0].get(SALUTATION_ANCHOR) if anchors else None


class Stamps:
    """Each reader's sheets laid out, one layout a reader, kept open while their pages are
    stamped. A context manager.

    One layout a reader, never one for the batch: a layout's fonts are subset to the characters
    of everything in it, and a stamped page carries the fonts of the layout its stamp came from,
    so a batch's fonts would carry (as glyphs and their Unicode map) the characters of every
    other reader's address. A reader whose sheets cannot be laid out (a character no font draws)
    fits nowhere: their copies are laid out whole, and everyone else's are stamped."""

    def __init__(self, composer: Composer, readers: Mapping[str, Sequence[StampSheet]]) -> None:
        self._stamps: dict[str, _ReaderStamps] = {}
        self._failed: set[str] = set()
        for reader, sheets in readers.items():
            if not sheets:
                continue
            try:
                self._stamps[reader] = _ReaderStamps(composer, sheets)
            except RenderError:
                self._failed.add(reader)

    @property
    def layouts(self) -> int:
        return len(self._stamps) + len(self._failed)

    def __enter__(self) -> Stamps:
        return self

    def __exit__(self, *_exc: object) -> None:
        for stamps in self._stamps.values():
            stamps.close()

    def fits(self, reader: str, sheet: StampSheet) -> bool:
        """The reader's sheet prints as a whole layout would print it."""
        return reader in self._stamps and self._stamps[reader].fits[sheet]

    def usable(self, reader: str) -> bool:
        """Their sheets were laid out (or they have none to lay out)."""
        return reader not in self._failed

    def stamp(
        self, reader: str, laid_out: bytes, parts: StampSheet | None, marks: StampSheet | None
    ) -> bytes:
        """`laid_out` with the reader's page-1 `parts` on page 1 and their `marks` on every
        page (None: nothing), metadata trimmed as for every copy; the same input gives the
        same bytes."""
        own = self._stamps.get(reader)
        assert own is not None or (parts is None and marks is None)
        try:
            with pikepdf.open(io.BytesIO(laid_out)) as pdf:
                if parts is not None and own is not None:
                    own.draw_parts(pdf, parts)
                if marks is not None and own is not None:
                    on_all = own.page(marks)
                    overlay_pages(pdf, lambda _n: on_all)
                return save_trimmed(pdf)
        except pikepdf.PikepdfError as exc:
            raise RenderError(f"a copy's page could not be stamped (pikepdf: {exc})") from exc


class _ReaderStamps:
    """One reader's distinct sheets, laid out together, one A4 page each."""

    def __init__(self, composer: Composer, sheets: Sequence[StampSheet]) -> None:
        self.sheets = list(dict.fromkeys(sheets))
        for sheet in self.sheets:
            if sheet.addressee is not None and sheet.salutation_box is None:
                raise RenderError("a letter's page-1 stamp needs the box left for its salutation")
        # Marks are escaped already (they come from the autoescaping _marks.html template):
        # Markup keeps the stamps template from escaping them twice.
        html = composer.environment.get_template(STAMPS_TEMPLATE).render(
            sheets=[dataclasses.replace(s, marks=Markup(s.marks)) for s in self.sheets]
        )
        # Tagged: a letter's page-1 parts go into its structure tree (pdf_graft); the marks are
        # drawn as artifacts, their marked content taken out (pdf_marks.overlay_pages).
        laid_out, anchors = render_pdf_anchored(html, composer.templates)
        if len(anchors) != len(self.sheets):
            # A sheet that ran onto a second page would put its next sheet on the wrong page.
            raise RenderError("the stamps did not lay out one to a page")
        self.fits = {s: _fits(s, anchors[i], i) for i, s in enumerate(self.sheets)}
        self._index = {sheet: i for i, sheet in enumerate(self.sheets)}
        try:
            self._pdf = pikepdf.open(io.BytesIO(laid_out))
        except pikepdf.PikepdfError as exc:
            raise RenderError(f"the stamps could not be read back (pikepdf: {exc})") from exc

    def page(self, sheet: StampSheet) -> pikepdf.Page:
        return self._pdf.pages[self._index[sheet]]

    def draw_parts(self, pdf: pikepdf.Pdf, parts: StampSheet) -> None:
        """The window's lines and the salutation drawn on page 1 before its own content, so
        that text read off the page (a copy-paste, the leak check) meets them first, and put in
        the structure tree where the letter left room for them, so that a screen reader hears
        whom the letter is to, after the sender and after the title; as an artifact if the
        letter's tree is not of the shape the letter template gives it."""
        index = self._index[parts]
        form = pdf.copy_foreign(self._pdf.pages[index].as_form_xobject())
        grafted = graft(pdf, self._pdf, index, form)
        if not grafted:
            without_marked_content(pdf, form)
        first = pdf.pages[0]
        first.add_resource(form, pikepdf.Name.XObject, READER_PARTS)
        draw = b"q " + bytes(READER_PARTS) + b" Do Q\n"
        first.contents_add(
            pdf.make_stream(draw if grafted else b"/Artifact BMC " + draw + b"EMC\n"),
            prepend=True,
        )

    def close(self) -> None:
        self._pdf.close()


def _fits(sheet: StampSheet, anchors: dict[str, Box], index: int) -> bool:
    if sheet.addressee is None:
        return True  # marks only: they wrap as they need, as on a whole layout
    line_ends = [box for name, box in anchors.items() if name.startswith(f"w{index}-")]
    if any(box[0] > WINDOW_RIGHT_PX + _SAME for box in line_ends):
        return False
    stamped, left = anchors.get(f"s{index}"), sheet.salutation_box
    assert left is not None
    # One line, as the layout left: a longer salutation would have pushed the letter down.
    return stamped is not None and abs((stamped[3] - stamped[1]) - (left[3] - left[1])) < _SAME


def reader_words(composer: Composer, addressee: AddressBlock) -> tuple[tuple[str, ...], str]:
    """The lines the window prints for `addressee` and the salutation, as plain text read as a
    whole rendering of the HTML reads them (spacing collapsed, empty lines left out): from the
    same macros that print them (letters/_window.html), for the DOCX's copy of them."""
    module = composer.environment.get_template(WINDOW_TEMPLATE).module
    window = lxml.html.fragment_fromstring(str(module.window(addressee)), create_parent="div")  # type: ignore[attr-defined]
    lines = tuple(line for p in window.iter("p") if (line := collapsed(p.text_content())))
    salutation = lxml.html.fragment_fromstring(
        f"<p>{module.salutation(addressee.name)}</p>"  # type: ignore[attr-defined]
    ).text_content()
    return lines, collapsed(salutation) or ""

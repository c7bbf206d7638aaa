"""A PDF's bytes → what its pages and its objects say: page text (joined across page breaks, with and without page furniture) and every string in its structure.

The PDF half of `pipeline.checking.leak_check`; files embedded in the PDF are handed back to it as
bytes, to be read as what they are.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence

import pikepdf
import pypdfium2
import pypdfium2.raw as pdfium_c

from pipeline.checking.xml_text import xml_pieces
from pipeline.comparison import BOUNDARY, normalise

# Where, for text joined over page breaks (a withheld string split by one). A string found on a
# single page is reported there only, not again here.
ACROSS_PAGES = "text across pages"

# In extraction order, the last line of one page's body and the first of the next are kept apart
# by page furniture: WeasyPrint writes list bullets and margin boxes (running header, footer, page
# number) after the body, and the recipient marks are overlaid last of all. So pages are also
# joined without the lines that look like furniture (no letters; or, at a page's end or start,
# the same as at a neighbouring page's end or start, at most _FURNITURE_LINES of them), and, for
# furniture that looks like neither (a footnote), with up to _MARGIN_LINES lines left off the end
# of one page and the start of the next.
_MARGIN_LINES = 4
_FURNITURE_LINES = 10
_DIGITS = re.compile(r"\d+")

# Joins values that must not run into each other (attribute values, separate strings): it survives
# `normalise`, and no withheld string contains it, so no match can span two values.
_BOUNDARY = BOUNDARY


def page_texts(data: bytes) -> list[str]:
    """Each page's text as a printer prints it (annotations' appearances flattened in)."""
    document = pypdfium2.PdfDocument(data)
    try:
        return [_one_page_text(document, index) for index in range(len(document))]
    finally:
        document.close()


def page_text(data: bytes) -> list[tuple[str, str]]:
    texts = page_texts(data)
    pieces = [(f"page {number} text", text) for number, text in enumerate(texts, start=1)]
    return [*pieces, *((ACROSS_PAGES, text) for text in _joined_pages(texts))]


def _one_page_text(document: pypdfium2.PdfDocument, index: int) -> str:
    # Text drawn by an annotation's appearance (a form field's shown value, a stamp, a free-text
    # note) is not page content until flattened; pdfium asks for the page to be loaded again after.
    page = document[index]
    flattened = pdfium_c.FPDFPage_Flatten(page, pdfium_c.FLAT_NORMALDISPLAY)
    if flattened == pdfium_c.FLATTEN_SUCCESS:
        page.close()
        page = document[index]
    try:
        textpage = page.get_textpage()
        try:
            # get_text_range covers every character, including any placed outside the page box.
            return textpage.get_text_range()
        finally:
            textpage.close()
    finally:
        page.close()


def _joined_pages(texts: Sequence[str]) -> list[str]:
    """Page texts joined over each page break, and all of them, to find what a page break splits.

    Each both as extracted and without furniture; over each break, also with up to _MARGIN_LINES
    lines left off the end of the page before and the start of the page after."""
    if len(texts) < 2:
        return []
    pages = [text.splitlines() for text in texts]
    joins: set[str] = set()
    for variant in (pages, _without_furniture(pages)):
        joins.add(_joined(variant))  # for a string that runs over three pages or more
        for before, after in itertools.pairwise(variant):
            for end, start in itertools.product(range(_MARGIN_LINES + 1), repeat=2):
                joins.add(_joined([before[: max(0, len(before) - end)], after[start:]]))
    return sorted(joins)


def _joined(pages: Sequence[Sequence[str]]) -> str:
    return "\n".join(line for lines in pages for line in lines)


def _without_furniture(pages: list[list[str]]) -> list[list[str]]:
    """Each page's lines less those with no letter (bullets, page numbers), then less the run at its end and at its start that a neighbouring page ends or starts with too (running header, footer, marks)."""
    keyed = [[(line, _line_key(line)) for line in lines] for lines in pages]
    lettered = [[(line, key) for line, key in page if _has_letter(key)] for page in keyed]
    keys = [[key for _, key in page] for page in lettered]
    kept = []
    for index, page in enumerate(lettered):
        neighbours = [keys[i] for i in (index - 1, index + 1) if 0 <= i < len(keys)]
        head = max(_common_run(keys[index], other) for other in neighbours)
        tail = max(_common_run(keys[index][::-1], other[::-1]) for other in neighbours)
        # Body text that repeats page after page must not be taken for furniture wholesale.
        head, tail = min(head, _FURNITURE_LINES), min(tail, _FURNITURE_LINES)
        kept.append([line for line, _ in page[head : max(head, len(page) - tail)]])
    return kept


def _has_letter(text: str) -> bool:
    return any(char.isalpha() for char in text)


def _line_key(line: str) -> str:
    # Numbers masked: "Page 2 of 4" and "Page 3 of 4" are the same furniture.
    return _DIGITS.sub("#", normalise(line))


def _common_run(first: Sequence[str], second: Sequence[str]) -> int:
    """How many items the two sequences start with in common."""
    count = 0
    for a, b in zip(first, second, strict=False):
        if a != b:
            break
        count += 1
    return count


def pdf_structure(pdf: pikepdf.Pdf) -> list[tuple[str, str]]:
    pieces: list[tuple[str, str]] = []
    for source in (_info, _xmp, _attachment_names, _annotations, _bookmarks, _form_fields):
        pieces.extend(source(pdf))
    given = {text for _, text in pieces}
    # The net under the named places: any string anywhere (named destinations, link URIs, actions,
    # keys nobody thought of), reported only if it was not already given above.
    pieces.extend((where, text) for where, text in _all_strings(pdf) if text not in given)
    return pieces


def _info(pdf: pikepdf.Pdf) -> Iterator[tuple[str, str]]:
    for key, value in pdf.docinfo.items():
        yield from ((f"PDF metadata {key}", text) for _, text in _strings(value))
    # A custom Info key is a name a reader's "document properties" shows too.
    yield "PDF metadata keys", _BOUNDARY.join(str(key) for key in pdf.docinfo)


def _xmp(pdf: pikepdf.Pdf) -> Iterator[tuple[str, str]]:
    # Read raw rather than through open_metadata(), which only shows the properties it models.
    root_metadata = pdf.Root.get("/Metadata")
    root_id = root_metadata.objgen if root_metadata is not None else None
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Stream) and obj.get("/Type") == pikepdf.Name.Metadata:
            label = (
                "PDF metadata XMP" if obj.objgen == root_id else f"XMP in object {obj.objgen[0]}"
            )
            yield from xml_pieces(label, obj.read_bytes())


def _attachment_names(pdf: pikepdf.Pdf) -> Iterator[tuple[str, str]]:
    for key, spec in pdf.attachments.items():
        name = spec.filename or key
        names = dict.fromkeys([key, spec.filename or ""])
        yield f"attachment {name} file name", _BOUNDARY.join(names)
        yield f"attachment {name} description", spec.description or ""


def embedded_files(pdf: pikepdf.Pdf) -> Iterator[tuple[str, bytes]]:
    """(label, bytes) of every file carried in the PDF: document attachments, file annotations."""
    for key, spec in pdf.attachments.items():
        for stream in _embedded_streams(spec.obj):
            yield f"attachment {spec.filename or key}", stream.read_bytes()
    for number, page in enumerate(pdf.pages, start=1):
        for annotation in page.obj.get("/Annots", pikepdf.Array()):
            if isinstance(annotation, pikepdf.Dictionary):
                for stream in _embedded_streams(annotation.get("/FS")):
                    yield f"page {number} annotation file", stream.read_bytes()


def _embedded_streams(spec: pikepdf.Object | None) -> list[pikepdf.Stream]:
    # A file specification may carry the file more than once (/F and /UF), not always the same.
    files = spec.get("/EF") if isinstance(spec, pikepdf.Dictionary) else None
    if not isinstance(files, pikepdf.Dictionary):
        return []
    streams = [stream for stream in files.values() if isinstance(stream, pikepdf.Stream)]
    return list({stream.objgen: stream for stream in streams}.values())


def _annotations(pdf: pikepdf.Pdf) -> Iterator[tuple[str, str]]:
    for number, page in enumerate(pdf.pages, start=1):
        for annotation in page.obj.get("/Annots", pikepdf.Array()):
            if isinstance(annotation, pikepdf.Dictionary):
                for key, text in _strings(annotation):
                    yield f"page {number} annotation {key}", text


def _bookmarks(pdf: pikepdf.Pdf) -> Iterator[tuple[str, str]]:
    with pdf.open_outline() as outline:
        pending = list(outline.root)
        while pending:
            item = pending.pop()
            yield "bookmark title", item.title or ""
            pending.extend(item.children)


def _form_fields(pdf: pikepdf.Pdf) -> Iterator[tuple[str, str]]:
    form = pdf.Root.get("/AcroForm")
    if not isinstance(form, pikepdf.Dictionary):
        return
    pending = list(form.get("/Fields", pikepdf.Array()))
    seen: set[tuple[int, int]] = set()
    while pending:
        field = pending.pop()
        # A malformed field tree can loop (a kid that is its own ancestor).
        if not isinstance(field, pikepdf.Dictionary) or field.objgen in seen:
            continue
        if field.is_indirect:
            seen.add(field.objgen)
        for key, text in _strings(field):
            yield f"form field {key}", text
        pending.extend(field.get("/Kids", pikepdf.Array()))


def _all_strings(pdf: pikepdf.Pdf) -> Iterator[tuple[str, str]]:
    for obj in pdf.objects:
        for key, text in _strings(obj):
            yield f"PDF object {obj.objgen[0]} {key}".rstrip(), text


def _strings(obj: pikepdf.Object, key: str = "") -> Iterator[tuple[str, str]]:
    """(key, text) of every string inside `obj`, not following references to other objects.

    Each indirect object is reached on its own by `_all_strings`; following references here would
    walk the whole file from every object (and loop on /Parent)."""
    if isinstance(obj, pikepdf.String):
        yield key, str(obj)
    elif isinstance(obj, pikepdf.Array):
        for item in obj:
            if not _is_reference(item):
                yield from _strings(item, key)
    elif isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
        for name, value in obj.items():
            if not _is_reference(value):
                yield from _strings(value, name)


def _is_reference(value: object) -> bool:
    # pikepdf hands numbers and booleans back as Python values, which are never references.
    return isinstance(value, pikepdf.Object) and value.is_indirect

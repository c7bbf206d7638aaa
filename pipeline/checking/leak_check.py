"""Rendered files and the strings withheld from their recipient → every place a withheld string can still be read.

Spec §4 rule 6: what is withheld must be absent from everything a person or a tool can extract from
the recipient's files. So each file is read back as a recipient's tools would read it — PDF page
text (annotations flattened in), metadata, XMP, attachments, annotations, bookmarks, form fields and
every other string object; every part of a DOCX zip; the file name — and each withheld string is
looked for in what was read. A leak holds that copy for a person to look at, so the matching errs on
the side of finding: both sides are put in one comparison form (`normalise`) that ignores case,
spacing, line breaks, hyphenation and invisible characters, and then tested as substrings. A
string split by a page break is looked for in the pages' text joined, with and without the page
furniture (bullets, running headers and footers, recipient marks) that extraction puts between
the two halves.

A `Leak` says which file, where in it and the index of the withheld string, never the string itself:
the reason is shown to administrators and must not repeat withheld content. For the same reason a
file name or a place label that itself carries withheld text is replaced by a neutral label.

Withheld strings shorter than `MIN_CHECKED_LENGTH` characters once normalised are not looked for
(they would match almost everywhere); `leak_report` lists them so the caller can decide.

Exceptions (under pipeline.errors.CpcError):
UnreadableFile     a file cannot be read as what its name or its bytes say it is, so nothing is proved
"""

from __future__ import annotations

import codecs
import html
import io
import itertools
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import pikepdf
import pypdfium2
import pypdfium2.raw as pdfium_c
from lxml import etree

from pipeline.comparison import BOUNDARY, match_form, normalise, pattern_forms
from pipeline.errors import UnreadableFile

MIN_CHECKED_LENGTH = 4

FILE_NAME = "file name"
CONTENT = "file content"  # where, in a file that is neither PDF nor DOCX
# Where, for text joined over page breaks (a withheld string split by one). A string found on a
# single page is reported there only, not again here.
ACROSS_PAGES = "text across pages"
_PAGE_TEXT = re.compile(r"page \d+ text")

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

# A file inside a file (a PDF attached to a PDF, an Office document embedded in a DOCX) is opened
# as what it is, this deep and no deeper; below that its bytes are read as text.
_MAX_DEPTH = 3

# What the readers raise on a damaged or unexpected file. zipfile: RuntimeError for an encrypted
# member, NotImplementedError for an unknown compression, zlib.error or EOFError for damaged data.
_READ_ERRORS = (
    pikepdf.PikepdfError,
    pypdfium2.PdfiumError,
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    NotImplementedError,
    RuntimeError,
)


@dataclass(frozen=True, slots=True)
class Leak:
    """One withheld string found in one place of one file; names neither the string nor any text of it."""

    file_name: str
    where: str
    withheld_index: int

    def __str__(self) -> str:
        return f"{self.file_name}: {self.where} carries withheld item {self.withheld_index}"


@dataclass(frozen=True, slots=True)
class LeakReport:
    """Every leak found, and the indexes of withheld strings too short to look for."""

    leaks: tuple[Leak, ...]
    skipped: tuple[int, ...]


# --- PDF ---------------------------------------------------------------------------------------


def extract_pdf(data: bytes) -> list[tuple[str, str]]:
    """Every (where, text) a reader or a tool can get out of a PDF.

    Page text (with annotation appearances flattened in), the text across pages, Info and XMP
    metadata, attachments (name, description, and content: an attached PDF or zip is opened in turn,
    anything else read as UTF-8 with replacement), annotations, bookmarks, form fields, then any
    other string object in the file not already given."""
    return _read_as("PDF", _pdf_pieces, data)


def _read_as(
    kind: str, reader: Callable[[bytes, int], list[tuple[str, str]]], data: bytes
) -> list[tuple[str, str]]:
    try:
        return reader(data, 0)
    except _READ_ERRORS as exc:
        raise UnreadableFile(f"not readable as {kind} ({type(exc).__name__})") from exc


def _pdf_pieces(data: bytes, depth: int) -> list[tuple[str, str]]:
    pieces = _page_text(data)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        pieces += _pdf_structure(pdf)
        for label, content in _embedded_files(pdf):
            pieces += _content_pieces(label, content, depth)
    return pieces


def _page_text(data: bytes) -> list[tuple[str, str]]:
    document = pypdfium2.PdfDocument(data)
    try:
        texts = [_one_page_text(document, index) for index in range(len(document))]
    finally:
        document.close()
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


def _pdf_structure(pdf: pikepdf.Pdf) -> list[tuple[str, str]]:
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
            yield from _xml_pieces(label, obj.read_bytes())


def _attachment_names(pdf: pikepdf.Pdf) -> Iterator[tuple[str, str]]:
    for key, spec in pdf.attachments.items():
        name = spec.filename or key
        names = dict.fromkeys([key, spec.filename or ""])
        yield f"attachment {name} file name", _BOUNDARY.join(names)
        yield f"attachment {name} description", spec.description or ""


def _embedded_files(pdf: pikepdf.Pdf) -> Iterator[tuple[str, bytes]]:
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


# --- DOCX --------------------------------------------------------------------------------------


def extract_docx(data: bytes) -> list[tuple[str, str]]:
    """Every (where, text) in a DOCX: each XML part's text and attribute values, and everything else.

    XML parts (document, headers, footers, footnotes, comments, docProps/core.xml, app.xml,
    custom.xml, relationships, ...) give their text with tags removed — runs joined, so a string
    split over runs is whole again — and, separately, their attribute values (alt text, names,
    link targets). Other parts give their name and their bytes as UTF-8 with replacement (picture
    metadata is plain text); an embedded Office document or PDF is opened in turn."""
    return _read_as("DOCX", _docx_pieces, data)


def _docx_pieces(data: bytes, depth: int) -> list[tuple[str, str]]:
    return _zip_pieces(data, prefix="", depth=depth)


def _zip_pieces(data: bytes, prefix: str, depth: int) -> list[tuple[str, str]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.infolist()
        pieces = [
            (f"{prefix}zip comment", _decoded(archive.comment)),
            (f"{prefix}part names", _BOUNDARY.join(member.filename for member in members)),
            (f"{prefix}part comments", _BOUNDARY.join(_decoded(m.comment) for m in members)),
        ]
        for member in members:
            if not member.is_dir():
                pieces += _part_pieces(f"{prefix}{member.filename}", archive.read(member), depth)
    return pieces


def _part_pieces(name: str, content: bytes, depth: int) -> list[tuple[str, str]]:
    if _decoded(content[:64]).lstrip("\ufeff \t\r\n").startswith("<"):
        return _xml_pieces(name, content)
    return _content_pieces(f"{name} content", content, depth)


def _content_pieces(label: str, content: bytes, depth: int) -> list[tuple[str, str]]:
    """The bytes of a file inside a file (or of an output file of another type), read as what they are."""
    if depth < _MAX_DEPTH:
        if content.startswith(b"%PDF-"):
            inner = _pdf_pieces(content, depth + 1)
            return [(f"{label} > {where}", text) for where, text in inner]
        if zipfile.is_zipfile(io.BytesIO(content)):
            return _zip_pieces(content, prefix=f"{label} > ", depth=depth + 1)
    return [(label, _decoded(content))]


_TAG = re.compile(rb"<[^>]*>")


def _xml_pieces(name: str, content: bytes) -> list[tuple[str, str]]:
    """The text of an XML document (text nodes joined in order, then comments) and its attribute values."""
    try:
        # A parser per call: an lxml parser object must not be shared between threads.
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True
        )
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError:
        # Unparsable: still read it, tags cut out for the text and kept for the attribute values.
        raw = _decoded(content)
        return [(name, html.unescape(_decoded(_TAG.sub(b"", content)))), (f"{name} raw", raw)]
    text = "".join(root.itertext())
    notes = [node.text or "" for node in root.iter(etree.Comment, etree.PI)]
    values = [value for element in root.iter() for value in element.attrib.values()]
    return [
        (name, _BOUNDARY.join([text, *notes])),
        (f"{name} attributes", _BOUNDARY.join(values)),
    ]


def _decoded(content: bytes) -> str:
    # UTF-8 unless a byte-order mark says UTF-16 (as Windows tools write text files).
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return content.decode("utf-16", errors="replace")
    return content.decode("utf-8", errors="replace")


# --- the check ---------------------------------------------------------------------------------


def check_no_leaks(files: Mapping[str, bytes], withheld: Sequence[str]) -> list[Leak]:
    """File name → bytes (.pdf, .docx, else UTF-8 text), and the strings withheld → every leak; empty means safe to send.

    Withheld strings shorter than MIN_CHECKED_LENGTH once normalised are not looked for; use
    `leak_report` to learn which."""
    return list(leak_report(files, withheld).leaks)


def leak_report(
    files: Mapping[str, bytes],
    withheld: Sequence[str],
    patterns: Sequence[re.Pattern[str]] = (),
) -> LeakReport:
    """As `check_no_leaks`, also giving the indexes of withheld strings too short to look for.

    `patterns`: forms of withheld contact details that count as a mention (spec §4 rule 4: a
    street's name without its number, in any spelling of its street word), searched for in the
    same text in its strict match form (`pattern_forms`), word by word; a hit is reported as withheld item
    `len(withheld) + i` for pattern `i`."""
    needles: list[tuple[int, str]] = []
    skipped: list[int] = []
    for index, text in enumerate(withheld):
        needle = normalise(text)
        if len(needle) >= MIN_CHECKED_LENGTH:
            needles.append((index, needle))
        else:
            skipped.append(index)
    numbered = [(len(withheld) + i, pattern) for i, pattern in enumerate(patterns)]
    leaks: list[Leak] = []
    for position, (name, data) in enumerate(files.items(), start=1):
        leaks.extend(_file_leaks(position, name, data, needles, numbered))
    return LeakReport(leaks=tuple(leaks), skipped=tuple(skipped))


def _extract(name: str, data: bytes) -> list[tuple[str, str]]:
    lowered = name.lower()
    if lowered.endswith(".pdf"):
        return extract_pdf(data)
    if lowered.endswith(".docx"):
        return extract_docx(data)
    # Any other name is read as text, unless its bytes are a PDF or a zip (a misnamed copy).
    return _read_as("text", lambda content, depth: _content_pieces(CONTENT, content, depth), data)


def _file_leaks(
    position: int,
    name: str,
    data: bytes,
    needles: Sequence[tuple[int, str]],
    patterns: Sequence[tuple[int, re.Pattern[str]]] = (),
) -> list[Leak]:
    file_label = _safe_label(
        name, f"file {position} (its name carries withheld text)", needles, patterns
    )
    try:
        pieces = [(FILE_NAME, name), *_extract(name, data)]
    except UnreadableFile as exc:
        raise UnreadableFile(f"{file_label}: {exc}") from exc
    found: dict[tuple[str, int], None] = {}  # (where, index), in order found, each once
    for number, (where, text) in enumerate(pieces):
        words = match_form(text)
        haystack = words.replace(" ", "")
        hits = [index for index, needle in needles if needle in haystack]
        if patterns:
            forms = pattern_forms(text)
            hits += [i for i, pattern in patterns if any(pattern.search(f) for f in forms)]
        if hits:
            label = _safe_label(
                where, f"item {number} (its label carries withheld text)", needles, patterns
            )
            found.update(dict.fromkeys((label, index) for index in hits))
    on_a_page = {index for where, index in found if _PAGE_TEXT.fullmatch(where)}
    return [
        Leak(file_name=file_label, where=where, withheld_index=index)
        for where, index in found
        if not (where == ACROSS_PAGES and index in on_a_page)
    ]


def _safe_label(
    label: str,
    neutral: str,
    needles: Sequence[tuple[int, str]],
    patterns: Sequence[tuple[int, re.Pattern[str]]] = (),
) -> str:
    """`label`, or `neutral` if the label itself carries a withheld string (an attachment's name, say)."""
    normalised = normalise(label)
    if any(needle in normalised for _, needle in needles):
        return neutral
    forms = pattern_forms(label) if patterns else ()
    return neutral if any(p.search(f) for _, p in patterns for f in forms) else label

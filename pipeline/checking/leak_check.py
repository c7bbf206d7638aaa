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

import functools
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pikepdf
import pypdfium2

from pipeline.checking.pdf_reading import (
    ACROSS_PAGES,
    embedded_files,
    page_text,
    pdf_structure,
)
from pipeline.checking.xml_text import decoded, xml_pieces
from pipeline.comparison import BOUNDARY, normalise, pattern_forms
from pipeline.errors import UnreadableFile

__all__ = ["ACROSS_PAGES", "CONTENT", "FILE_NAME", "MIN_CHECKED_LENGTH", "Leak", "LeakReport",
           "check_no_leaks", "extract_docx", "extract_pdf", "leak_report", "normalise"]

MIN_CHECKED_LENGTH = 4

FILE_NAME = "file name"
CONTENT = "file content"  # where, in a file that is neither PDF nor DOCX
_PAGE_TEXT = re.compile(r"page \d+ text")


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
    pieces = page_text(data)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        pieces += pdf_structure(pdf)
        for label, content in embedded_files(pdf):
            pieces += _content_pieces(label, content, depth)
    return pieces


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
            (f"{prefix}zip comment", decoded(archive.comment)),
            (f"{prefix}part names", _BOUNDARY.join(member.filename for member in members)),
            (f"{prefix}part comments", _BOUNDARY.join(decoded(m.comment) for m in members)),
        ]
        for member in members:
            if not member.is_dir():
                pieces += _part_pieces(f"{prefix}{member.filename}", archive.read(member), depth)
    return pieces


def _part_pieces(name: str, content: bytes, depth: int) -> list[tuple[str, str]]:
    if decoded(content[:64]).lstrip("\ufeff \t\r\n").startswith("<"):
        return xml_pieces(name, content)
    return _content_pieces(f"{name} content", content, depth)


def _content_pieces(label: str, content: bytes, depth: int) -> list[tuple[str, str]]:
    """The bytes of a file inside a file (or of an output file of another type), read as what they are."""
    if depth < _MAX_DEPTH:
        if content.startswith(b"%PDF-"):
            inner = _pdf_pieces(content, depth + 1)
            return [(f"{label} > {where}", text) for where, text in inner]
        if zipfile.is_zipfile(io.BytesIO(content)):
            return _zip_pieces(content, prefix=f"{label} > ", depth=depth + 1)
    return [(label, decoded(content))]


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
        haystack = _haystack(text)
        hits = [index for index, needle in needles if needle in haystack]
        if patterns:
            forms = _pattern_forms(text)
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


# Readers of one view share its layout, so most of the text the check reads in one copy it reads
# again in the next: each piece's comparison forms are worked out once (they do not depend on
# what is withheld from whom; the search does, and is done for every file). A conference's pieces
# number some hundreds; 512 kept bounds the memory (a page's text is a few kB).
@functools.lru_cache(maxsize=512)
def _haystack(text: str) -> str:
    return normalise(text)


@functools.lru_cache(maxsize=512)
def _pattern_forms(text: str) -> tuple[str, ...]:
    return pattern_forms(text)


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

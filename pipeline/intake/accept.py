"""Bytes of one dropped file → an Accepted export or amendment, or a RejectedFile saying why in plain words.

The checks run cheapest and plainest first, so that an administrator who dropped a PDF is told
"this is a PDF document", not "byte 11 is not UTF-8": empty, too large (before anything reads the
content), clearly not text (libmagic), not UTF-8, then the contract with every problem it finds.
No folders are touched here; `inbox` reads and moves the files.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

import magic

from pipeline.contract.amendment import Amendment
from pipeline.contract.export import Export
from pipeline.contract.load import load_document
from pipeline.contract.printable import CanPrint
from pipeline.errors import ContractError, RejectedFile
from pipeline.rendering.fonts import installed_fonts_can_print

DEFAULT_MAX_BYTES = 2 * 1024 * 1024  # the largest shipped example is 16 kB; 2 MiB is generous
SNIFF_BYTES = 8192  # libmagic decides from the head of a file; this is what it reads of one on disk


@dataclass(frozen=True, slots=True)
class AcceptedExport:
    """An export that passed every check: the validated model and the exact bytes it came from."""

    document: Export
    raw: bytes
    sha256: str  # hex digest of `raw`; the store's key for "have I seen these bytes before?"
    kind: Literal["export"] = "export"


@dataclass(frozen=True, slots=True)
class AcceptedAmendment:
    """An amendment that passed every check: the validated model and the exact bytes."""

    document: Amendment
    raw: bytes
    sha256: str
    kind: Literal["amendment"] = "amendment"


# A tagged union: `kind` tells the two apart, and a type checker narrows `document` by it.
Accepted = AcceptedExport | AcceptedAmendment


def read_document(
    raw: bytes,
    name: str,
    known_profiles: Collection[str],
    max_bytes: int = DEFAULT_MAX_BYTES,
    can_print: CanPrint = installed_fonts_can_print,
) -> Accepted:
    """Check the bytes of the file called `name`; return it accepted or raise RejectedFile.

    `can_print`: whether a character prints; by default, in the fonts installed here."""
    if not raw:
        raise RejectedFile("the file is empty")
    if len(raw) > max_bytes:
        # Said before anything parses the content: a huge file is refused without being read.
        raise RejectedFile(
            f"the file is larger than {_size_words(max_bytes)}, the most an export or "
            "amendment may be"
        )
    not_text = _not_text(raw[:SNIFF_BYTES])
    if not_text is not None:
        raise RejectedFile(f"the file is {not_text}, not a JSON export or amendment")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RejectedFile(
            f"the file is not UTF-8 text (byte {exc.start} cannot be read); save it again as UTF-8"
        ) from exc
    try:
        document = load_document(raw, known_profiles, name, can_print)
    except ContractError as exc:
        # The contract's message already lists every problem with its JSON path, one per line.
        raise RejectedFile(f"the file breaks the contract: {exc}") from exc
    digest = hashlib.sha256(raw).hexdigest()
    if isinstance(document, Export):
        return AcceptedExport(document, raw, digest)
    return AcceptedAmendment(document, raw, digest)


# Verdicts that are never text, whatever the file is called; anything else goes on to the UTF-8
# and contract checks, because libmagic's verdict for JSON differs between versions
# (application/json, text/plain, text/x-c, ...).
_BINARY_FAMILIES = {
    "image": "an image",
    "audio": "a sound recording",
    "video": "a video",
    "font": "a font",
    "model": "a 3D model",
}
_BINARY_TYPES = {
    "application/pdf": "a PDF document",
    "application/zip": "a ZIP archive (Word and Excel files are ZIP archives too)",
    "application/gzip": "a compressed archive",
    "application/x-gzip": "a compressed archive",
    "application/x-bzip2": "a compressed archive",
    "application/x-xz": "a compressed archive",
    "application/zstd": "a compressed archive",
    "application/x-7z-compressed": "a compressed archive",
    "application/x-rar": "a compressed archive",
    "application/vnd.rar": "a compressed archive",
    "application/x-tar": "an archive",
    "application/msword": "a Word document",
    "application/x-ole-storage": "an older Microsoft Office document",
    "application/CDFV2": "an older Microsoft Office document",
    "application/x-sqlite3": "a database file",
    "application/x-executable": "a program",
    "application/x-sharedlib": "a program",
    "application/x-pie-executable": "a program",
    "application/x-dosexec": "a program",
    "application/x-mach-binary": "a program",
}
_BINARY_PREFIXES = {
    "application/vnd.openxmlformats-officedocument.": "a Microsoft Office document",
    "application/vnd.ms-": "a Microsoft Office document",
    "application/vnd.oasis.opendocument.": "an OpenDocument file",
}


def _not_text(head: bytes) -> str | None:
    """What the file clearly is, in words, if it is clearly not text; None if it may be text."""
    try:
        mime = magic.from_buffer(head, mime=True)
    except magic.MagicException:
        # libmagic could not decide; the UTF-8 and contract checks still stand between the file
        # and the pipeline, so an undecided sniff refuses nothing.
        mime = ""
    family = mime.split("/", 1)[0]
    if family in _BINARY_FAMILIES:
        return _BINARY_FAMILIES[family]
    if mime in _BINARY_TYPES:
        return _BINARY_TYPES[mime]
    for prefix, words in _BINARY_PREFIXES.items():
        if mime.startswith(prefix):
            return words
    if b"\x00" in head and not mime.startswith("text/"):
        # JSON may not hold a NUL byte anywhere. Text with NULs (UTF-16, say) goes on to the
        # UTF-8 check, whose words fit it better.
        return "binary data"
    return None


def _size_words(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):g} MB"
    if size >= 1024:
        return f"{size / 1024:g} kB"
    return f"{size} bytes"

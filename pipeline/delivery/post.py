"""Posted letters' PDFs, in order → one print-ready batch PDF (each letter on fresh sheets) and the post room's CSV list.

An I/O edge in the sense that it handles rendered bytes only, never the export. Printed double-sided,
every letter starts on a new sheet: a letter with an odd number of pages is followed by one blank
page the size of its last page, so the post room never has to split a sheet between two envelopes.
The letters' own pages are copied whole (content, resources, annotations); nothing is removed. The
same letters and batch id always give the same bytes (no timestamps, /ID derived from the content).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass

import pikepdf

from pipeline.errors import PostBatchError


@dataclass(frozen=True, slots=True)
class PostedLetter:
    """One letter to post: whose copy of which document, the envelope's address, and the PDF."""

    conference: str
    document: str
    recipient_name: str
    address_lines: tuple[str, ...]
    postcode: str
    pdf: bytes


@dataclass(frozen=True, slots=True)
class PostBatch:
    """The batch PDF to print double-sided, the post room's list (CSV text), and its size."""

    pdf: bytes
    post_room_list_csv: str
    letters: int
    pages: int  # including the blank pages added so each letter starts on a new sheet
    sheets: int  # printed double-sided


CSV_HEADER = (
    "sequence",
    "batch",
    "conference",
    "document",
    "recipient",
    "address",
    "postcode",
    "first_page",
    "pages",
    "sheets",
)
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection); names and
# addresses come from an export, so such a cell is prefixed with an apostrophe to stay text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def build_batch(letters: Sequence[PostedLetter], batch_id: str) -> PostBatch:
    """Concatenate the letters' pages in the given order, each padded to an even page count.

    Raises ValueError for no letters (the caller never builds an empty batch) and PostBatchError
    if a letter's PDF cannot be read or has no pages.
    """
    if not letters:
        raise ValueError("a post batch needs at least one letter")
    rows: list[tuple[str | int, ...]] = []
    with ExitStack() as sources, pikepdf.new() as batch:
        # The letters stay open until the batch is saved: pikepdf copies a page's streams from
        # its source only when the batch is written.
        for sequence, letter in enumerate(letters, start=1):
            source = sources.enter_context(_open_letter(letter, sequence))
            first_page = len(batch.pages) + 1
            own_pages = len(source.pages)
            batch.pages.extend(source.pages)
            if own_pages % 2:
                _append_blank_like(batch, batch.pages[-1])
            rows.append(
                (
                    sequence,
                    batch_id,
                    letter.conference,
                    letter.document,
                    letter.recipient_name,
                    ", ".join(letter.address_lines),
                    letter.postcode,
                    first_page,
                    own_pages,
                    (own_pages + 1) // 2,
                )
            )
        pages = len(batch.pages)
        buffer = io.BytesIO()
        # deterministic_id: the /ID is a hash of the content instead of one made from the clock.
        batch.save(buffer, deterministic_id=True)
    return PostBatch(
        pdf=buffer.getvalue(),
        post_room_list_csv=_post_room_list(rows),
        letters=len(letters),
        pages=pages,
        sheets=pages // 2,
    )


def _open_letter(letter: PostedLetter, sequence: int) -> pikepdf.Pdf:
    # The error names the letter by its place, conference and document, never by the recipient.
    where = f"letter {sequence} ({letter.conference}, {letter.document})"
    try:
        source = pikepdf.open(io.BytesIO(letter.pdf))
    except pikepdf.PdfError as exc:
        raise PostBatchError(f"{where}: the PDF cannot be read") from exc
    if not source.pages:
        source.close()
        raise PostBatchError(f"{where}: the PDF has no pages")
    return source


def _append_blank_like(batch: pikepdf.Pdf, last: pikepdf.Page) -> None:
    # Same media box (and rotation) as the letter's last page, so the printer does not change
    # paper size or orientation for the back of the sheet.
    blank = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=pikepdf.Array(last.mediabox),
        Resources=pikepdf.Dictionary(),
        Contents=batch.make_stream(b""),
    )
    if "/Rotate" in last.obj:
        blank.Rotate = last.obj.Rotate
    batch.pages.append(pikepdf.Page(batch.make_indirect(blank)))


def _post_room_list(rows: Sequence[tuple[str | int, ...]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)  # RFC 4180: comma, double quotes, CRLF line ends
    writer.writerow(CSV_HEADER)
    writer.writerows(tuple(_as_text(cell) for cell in row) for row in rows)
    return out.getvalue()


def _as_text(cell: str | int) -> str | int:
    if isinstance(cell, str) and cell.startswith(_FORMULA_START):
        return "'" + cell
    return cell

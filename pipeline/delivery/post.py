"""A run's envelopes, in order → one print-ready batch PDF (sorted by envelope) and the post room's CSV list, one row per envelope.

An I/O edge in the sense that it handles rendered bytes only, never the export. Printed
double-sided, every envelope (and every part in it) starts on a new sheet: `envelopes.pack` pads
each part, so the post room never has to split a sheet between two envelopes. The envelopes' pages
are copied whole (content, resources, annotations); nothing is removed. The same envelopes and
batch id always give the same bytes (no timestamps, /ID derived from the content).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pikepdf

from pipeline.errors import PostBatchError

if TYPE_CHECKING:  # envelopes imports the channel, which imports this module
    from pipeline.delivery.envelopes import Envelope


@dataclass(frozen=True, slots=True)
class PostBatch:
    """The batch PDF to print double-sided, the post room's list (CSV text), and its size."""

    pdf: bytes
    post_room_list_csv: str
    envelopes: int
    pages: int  # including the blank pages that start each part on a new sheet
    sheets: int  # printed double-sided


CSV_HEADER = (
    "sequence",
    "batch",
    "envelope",
    "conference",
    "recipient",
    "address",
    "postcode",
    "first_page",
    "pages",
    "sheets",
    "enclosures",
    "inserts",
)
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection); names and
# addresses come from an export, so such a cell is prefixed with an apostrophe to stay text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def build_batch(
    envelopes: Sequence[Envelope], batch_id: str, names: Mapping[str, str]
) -> PostBatch:
    """Concatenate the envelopes' pages in the given order (each already on whole sheets).

    `names`: a document code → the words the post room's list uses for it. Raises ValueError for
    no envelopes (the caller never builds an empty batch) and PostBatchError if an envelope's PDF
    cannot be read or is not on whole sheets."""
    if not envelopes:
        raise ValueError("a post batch needs at least one envelope")
    rows: list[tuple[str | int, ...]] = []
    with ExitStack() as sources, pikepdf.new() as batch:
        # The envelopes stay open until the batch is saved: pikepdf copies a page's streams from
        # its source only when the batch is written.
        for sequence, envelope in enumerate(envelopes, start=1):
            source = sources.enter_context(_open_envelope(envelope, sequence))
            first_page = len(batch.pages) + 1
            batch.pages.extend(source.pages)
            rows.append(
                (
                    sequence,
                    batch_id,
                    envelope.reference,
                    envelope.conference,
                    envelope.destination.name,
                    ", ".join(envelope.destination.address_lines),
                    envelope.destination.postcode,
                    first_page,
                    envelope.pages,
                    envelope.sheets,
                    "; ".join(
                        _part_words(part.document, part.updated, names) for part in envelope.parts
                    ),
                    "; ".join(envelope.inserts),
                )
            )
        pages = len(batch.pages)
        buffer = io.BytesIO()
        # deterministic_id: the /ID is a hash of the content instead of one made from the clock.
        batch.save(buffer, deterministic_id=True)
    return PostBatch(
        pdf=buffer.getvalue(),
        post_room_list_csv=_post_room_list(rows),
        envelopes=len(envelopes),
        pages=pages,
        sheets=pages // 2,
    )


def _part_words(document: str, updated: bool, names: Mapping[str, str]) -> str:
    words = names.get(document, document.replace("_", " "))
    return f"{words} (updated)" if updated else words


def _open_envelope(envelope: Envelope, sequence: int) -> pikepdf.Pdf:
    # The error names the envelope by its place and reference, never by the recipient.
    where = f"envelope {sequence} ({envelope.reference}, {envelope.conference})"
    try:
        source = pikepdf.open(io.BytesIO(envelope.pdf))
    except pikepdf.PdfError as exc:
        raise PostBatchError(f"{where}: the PDF cannot be read") from exc
    if len(source.pages) != envelope.pages or len(source.pages) % 2:
        source.close()
        raise PostBatchError(f"{where}: the PDF is not the whole sheets its envelope says")
    return source


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

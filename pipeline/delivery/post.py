"""A run's envelopes, one at a time → one print-ready batch PDF on disk (in the order given) and the post room's CSV list, one row per envelope.

An I/O edge in the sense that it handles rendered bytes only, never the export. Printed
double-sided, every envelope (and every part in it) starts on a new sheet: `envelopes.pack` pads
each part, so the post room never has to split a sheet between two envelopes. The envelopes' pages
are copied whole (content, resources, annotations); nothing is removed. The same envelopes and
batch id always give the same bytes (no timestamps, /ID derived from the content).

Streamed: each envelope's pages are written to the batch (`pdf_stream`) and its row to the list
as it is given, so a caller that makes its envelopes one at a time holds one envelope's bytes at a
time, whatever the batch's size. Both are written to temporary files beside the real ones, then
fsynced and renamed into place (the list first), so the post room never finds half a batch.
"""

from __future__ import annotations

import csv
import glob
import io
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, BinaryIO

import pikepdf

from pipeline.delivery.pdf_stream import PdfAppender
from pipeline.errors import PostBatchError
from pipeline.files import fsync_dir, private_folders_made

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


@dataclass(frozen=True, slots=True)
class WrittenBatch:
    """Where a batch was written (its PDF and its list), and its size."""

    pdf: Path
    post_room_list: Path
    envelopes: int
    pages: int
    sheets: int


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


def write_batch(
    envelopes: Iterable[Envelope], folder: Path, batch_id: str, names: Mapping[str, str]
) -> WrittenBatch:
    """Write the envelopes' pages, in the order given, as FOLDER/BATCH.pdf and the list as
    FOLDER/BATCH.csv (UTF-8 with a byte order mark, so a spreadsheet reads the names right).

    `names`: a document code → the words the post room's list uses for it. Raises ValueError for
    no envelopes (the caller never writes an empty batch) and PostBatchError if an envelope's PDF
    cannot be read or is not on whole sheets; then nothing is written."""
    with BatchWriter(folder, batch_id, names) as writer:
        for envelope in envelopes:
            writer.add(envelope)
        return writer.finish()


def build_batch(
    envelopes: Sequence[Envelope], batch_id: str, names: Mapping[str, str]
) -> PostBatch:
    """The batch `write_batch` writes, read back into memory: for a look at a small one."""
    with tempfile.TemporaryDirectory() as scratch:
        written = write_batch(envelopes, Path(scratch), batch_id, names)
        return PostBatch(
            pdf=written.pdf.read_bytes(),
            # Bytes, not text mode: the list's CRLF line ends are part of what it is.
            post_room_list_csv=written.post_room_list.read_bytes().decode("utf-8-sig"),
            envelopes=written.envelopes,
            pages=written.pages,
            sheets=written.sheets,
        )


class BatchWriter:
    """One batch being written: `add` each envelope in order, then `finish`. A context manager:
    a batch not finished leaves nothing behind (not even the post folder, if it made it)."""

    def __init__(self, folder: Path, batch_id: str, names: Mapping[str, str]) -> None:
        self.folder = folder
        self.batch_id = batch_id
        self.names = names
        self.pdf_path = folder / f"{batch_id}.pdf"
        self.list_path = folder / f"{batch_id}.csv"
        self._made: list[Path] = []
        self._temporary: list[Path] = []
        self._pdf: BinaryIO | None = None
        self._list: io.TextIOWrapper | None = None
        self._appender: PdfAppender | None = None
        self._envelopes = 0

    def __enter__(self) -> BatchWriter:
        # The folders this batch makes (the post folder, at first): unmade if it is not written,
        # so a refused batch leaves no sign of a post room that was never sent anything.
        self._made = list(reversed(private_folders_made(self.folder)))  # deepest first
        self._pdf = self._temporary_beside(self.pdf_path)
        # newline="": the csv module writes RFC 4180's CRLF line ends itself.
        self._list = io.TextIOWrapper(
            self._temporary_beside(self.list_path), encoding="utf-8-sig", newline=""
        )
        csv.writer(self._list).writerow(CSV_HEADER)  # RFC 4180: comma, double quotes, CRLF
        self._appender = PdfAppender(self._pdf)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        for handle in (self._list, self._pdf):
            if handle is not None:
                handle.close()
        for temporary in self._temporary:
            temporary.unlink(missing_ok=True)  # renamed away if the batch was finished
        if exc is not None:
            for folder in self._made:  # deepest first
                try:
                    folder.rmdir()
                except OSError:  # not empty: something else was put there meanwhile
                    break

    def add(self, envelope: Envelope) -> None:
        """The envelope's pages after those given before, and its row in the list."""
        if self._appender is None or self._list is None:
            raise ValueError("a batch is written inside its `with` block")
        self._envelopes += 1
        # The error names the envelope by its place and reference, never by the recipient.
        where = f"envelope {self._envelopes} ({envelope.reference}, {envelope.conference})"
        first_page = self._appender.pages + 1
        try:
            with pikepdf.open(io.BytesIO(envelope.pdf)) as source:
                if len(source.pages) != envelope.pages or len(source.pages) % 2:
                    raise PostBatchError(
                        f"{where}: the PDF is not the whole sheets its envelope says"
                    )
                self._appender.append(source, where)
        except pikepdf.PdfError as exc:
            raise PostBatchError(f"{where}: the PDF cannot be read") from exc
        row: tuple[str | int, ...] = (
            self._envelopes,
            self.batch_id,
            envelope.reference,
            envelope.conference,
            envelope.destination.name,
            ", ".join(envelope.destination.address_lines),
            envelope.destination.postcode,
            first_page,
            envelope.pages,
            envelope.sheets,
            "; ".join(
                _part_words(part.document, part.updated, self.names) for part in envelope.parts
            ),
            "; ".join(envelope.inserts),
        )
        csv.writer(self._list).writerow(tuple(_as_text(cell) for cell in row))
        # On disk before the next envelope is made (synced once, when the batch is finished).
        self._list.flush()
        if self._pdf is not None:
            self._pdf.flush()

    def finish(self) -> WrittenBatch:
        """The batch's last parts written and synced; the list, then the PDF, renamed into place."""
        if self._appender is None or self._list is None or self._pdf is None:
            raise ValueError("a batch is written inside its `with` block")
        if not self._envelopes:
            raise ValueError("a post batch needs at least one envelope")
        self._appender.finish()
        for handle in (self._list, self._pdf):
            handle.flush()
            os.fsync(handle.fileno())
        list_temporary, pdf_temporary = self._temporary[1], self._temporary[0]
        # The list first, then the PDF: a run killed between them leaves a list with no PDF,
        # which is rewritten whole (same batch, same bytes) by the next run.
        put_in_place(list_temporary, self.list_path)
        put_in_place(pdf_temporary, self.pdf_path)
        fsync_dir(self.folder)
        pages = self._appender.pages
        return WrittenBatch(
            pdf=self.pdf_path,
            post_room_list=self.list_path,
            envelopes=self._envelopes,
            pages=pages,
            sheets=pages // 2,
        )

    def _temporary_beside(self, path: Path) -> BinaryIO:
        """A new file 0600 beside `path`, named as `files.write_atomically` names its own, whose
        stale copies (left by a killed writer: no handler runs on SIGKILL) are cleared here."""
        for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
            stale.unlink(missing_ok=True)
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        self._temporary.append(Path(name))
        return os.fdopen(fd, "wb")


def put_in_place(temporary: Path, path: Path) -> None:
    """One file of a finished batch renamed over its real name (synced already): the post room
    sees the whole file or the one before, never part of it. A step of its own, named, so a
    run killed between the list and the PDF can be tried (tests/test_distribute_crash.py)."""
    os.replace(temporary, path)


def _part_words(document: str, updated: bool, names: Mapping[str, str]) -> str:
    words = names.get(document, document.replace("_", " "))
    return f"{words} (updated)" if updated else words


def _as_text(cell: str | int) -> str | int:
    if isinstance(cell, str) and cell.startswith(_FORMULA_START):
        return "'" + cell
    return cell

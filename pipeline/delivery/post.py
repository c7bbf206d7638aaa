"""A run's envelopes, one at a time → one print-ready batch PDF on disk (in the order given) and the post room's CSV list, one row per envelope.

An I/O edge in the sense that it handles rendered bytes only, never the export. Printed
double-sided, every envelope (and every part in it) starts on a new sheet: `envelopes.pack` pads
each part, so the post room never has to split a sheet between two envelopes. The envelopes' pages
are copied whole (content, resources, annotations); nothing is removed. The same envelopes and
batch id always give the same bytes (no timestamps, /ID derived from the content).

Streamed: each envelope's PDF goes to a scratch file as it is given, so a caller that makes its
envelopes one at a time holds one envelope's bytes at a time, whatever the batch's size. The batch
is then put together from those files, which pikepdf reads only as it writes the batch, straight
into a temporary file beside the real one; the list and the batch are fsynced and renamed into
place (the list first), so the post room never finds half a batch.
"""

from __future__ import annotations

import csv
import glob
import io
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, BinaryIO

import pikepdf

from pipeline.errors import PostBatchError
from pipeline.files import PRIVATE_FILE, fsync_dir, private_folder

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
# Envelopes put together at once: each is an open file until the batch is written (pikepdf copies
# a page's streams from its source only then), so a larger batch is put together in rounds of
# this many, well inside a process's usual limit of 1,024 open files.
FAN_IN = 200


def write_batch(
    envelopes: Iterable[Envelope],
    folder: Path,
    batch_id: str,
    names: Mapping[str, str],
    *,
    fan_in: int = FAN_IN,
) -> WrittenBatch:
    """Write the envelopes' pages, in the order given, as FOLDER/BATCH.pdf and the list as
    FOLDER/BATCH.csv (UTF-8 with a byte order mark, so a spreadsheet reads the names right).

    `names`: a document code → the words the post room's list uses for it. Raises ValueError for
    no envelopes (the caller never writes an empty batch) and PostBatchError if an envelope's PDF
    cannot be read or is not on whole sheets; then nothing is written."""
    with BatchWriter(folder, batch_id, names, fan_in) as writer:
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
    leaving it removes the scratch files, and a batch not finished leaves nothing behind."""

    def __init__(
        self, folder: Path, batch_id: str, names: Mapping[str, str], fan_in: int = FAN_IN
    ) -> None:
        self.folder = folder
        self.batch_id = batch_id
        self.names = names
        self.fan_in = fan_in
        # Hidden, beside the batch, on the same disk: the batch is renamed out of it, not copied.
        self._scratch = folder / f".{batch_id}.parts"
        self._parts: list[Path] = []
        self._pages = 0
        self._list: io.TextIOWrapper | None = None
        self._made: list[Path] = []

    def __enter__(self) -> BatchWriter:
        # The folders this batch makes (the post folder, at first): unmade if it is not written,
        # so a refused batch leaves no sign of a post room that was never sent anything.
        self._made = [p for p in (self.folder, *self.folder.parents) if not p.exists()]
        private_folder(self.folder)
        # No handler runs on SIGKILL: what a killed writer of this batch left is cleared here.
        shutil.rmtree(self._scratch, ignore_errors=True)
        _clear_stale(self.folder / f"{self.batch_id}.pdf")
        _clear_stale(self.folder / f"{self.batch_id}.csv")
        private_folder(self._scratch)
        # newline="": the csv module writes RFC 4180's CRLF line ends itself.
        self._list = io.TextIOWrapper(
            _private_file(self._scratch / "list.csv"), encoding="utf-8-sig", newline=""
        )
        csv.writer(self._list).writerow(CSV_HEADER)  # RFC 4180: comma, double quotes, CRLF
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._list is not None:
            self._list.close()
        shutil.rmtree(self._scratch, ignore_errors=True)
        if exc is not None:
            for folder in self._made:  # deepest first
                try:
                    folder.rmdir()
                except OSError:  # not empty: something else was put there meanwhile
                    break

    def add(self, envelope: Envelope) -> None:
        """The envelope's pages after those given before, and its row in the list."""
        if self._list is None:
            raise ValueError("a batch is written inside its `with` block")
        sequence = len(self._parts) + 1
        _check_whole_sheets(envelope, sequence)
        spooled = self._scratch / f"{sequence:07d}.pdf"
        with _private_file(spooled) as handle:
            handle.write(envelope.pdf)
        self._parts.append(spooled)
        first_page = self._pages + 1
        self._pages += envelope.pages
        row: tuple[str | int, ...] = (
            sequence,
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

    def finish(self) -> WrittenBatch:
        """Put the batch together and rename the list, then the PDF, into place."""
        if not self._parts or self._list is None:
            raise ValueError("a post batch needs at least one envelope")
        self._list.flush()
        os.fsync(self._list.fileno())
        self._list.close()
        merged = self._scratch / "batch.pdf"
        pages = _concatenate(_in_rounds(self._parts, self._scratch, self.fan_in), merged)
        if pages != self._pages:
            raise PostBatchError(f"batch {self.batch_id}: the pages put together are not the list's")
        pdf_path = self.folder / f"{self.batch_id}.pdf"
        list_path = self.folder / f"{self.batch_id}.csv"
        # The list first, then the PDF: a run killed between them leaves a list with no PDF,
        # which is rewritten whole (same batch, same bytes) by the next run.
        os.replace(self._scratch / "list.csv", list_path)
        os.replace(merged, pdf_path)
        fsync_dir(self.folder)
        return WrittenBatch(
            pdf=pdf_path,
            post_room_list=list_path,
            envelopes=len(self._parts),
            pages=pages,
            sheets=pages // 2,
        )


def _check_whole_sheets(envelope: Envelope, sequence: int) -> None:
    # The error names the envelope by its place and reference, never by the recipient.
    where = f"envelope {sequence} ({envelope.reference}, {envelope.conference})"
    try:
        with pikepdf.open(io.BytesIO(envelope.pdf)) as source:
            pages = len(source.pages)
    except pikepdf.PdfError as exc:
        raise PostBatchError(f"{where}: the PDF cannot be read") from exc
    if pages != envelope.pages or pages % 2:
        raise PostBatchError(f"{where}: the PDF is not the whole sheets its envelope says")


def _in_rounds(parts: list[Path], scratch: Path, fan_in: int) -> list[Path]:
    """At most `fan_in` files that hold `parts`' pages in order: runs of `fan_in` put together
    first, as often as it takes.

    Rounds go in pairs: each pass through pikepdf writes an empty stream (a blank padding page's
    contents) the other way from the last (compressed, then not), so an even number of rounds
    gives the same bytes as putting the envelopes together at once."""
    round_number = 0
    while len(parts) > fan_in or round_number % 2:
        round_number += 1
        joined = []
        for start in range(0, len(parts), fan_in):
            run = scratch / f"round-{round_number}-{start // fan_in:05d}.pdf"
            _concatenate(parts[start : start + fan_in], run)
            for done in parts[start : start + fan_in]:
                done.unlink()
            joined.append(run)
        parts = joined
    return parts


def _concatenate(sources: Sequence[Path], target: Path) -> int:
    """The sources' pages, in order, saved to `target` (fsynced, 0600); how many pages."""
    with ExitStack() as opened, pikepdf.new() as batch:
        # The sources stay open until the batch is saved: pikepdf copies a page's streams from
        # its source (read from its file, not held in memory) only when the batch is written.
        for path in sources:
            batch.pages.extend(opened.enter_context(pikepdf.open(path)).pages)
        with _private_file(target) as handle:
            # deterministic_id: the /ID is a hash of the content instead of one made from the clock.
            batch.save(handle, deterministic_id=True)
            handle.flush()
            os.fsync(handle.fileno())
        return len(batch.pages)


def _private_file(path: Path) -> BinaryIO:
    """A new file, 0600 whatever the umask: it holds addresses."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, PRIVATE_FILE)
    return os.fdopen(fd, "wb")


def _clear_stale(path: Path) -> None:
    # The temporary names `files.write_atomically` gave an earlier batch written whole in memory.
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        stale.unlink(missing_ok=True)


def _part_words(document: str, updated: bool, names: Mapping[str, str]) -> str:
    words = names.get(document, document.replace("_", " "))
    return f"{words} (updated)" if updated else words


def _as_text(cell: str | int) -> str | int:
    if isinstance(cell, str) and cell.startswith(_FORMULA_START):
        return "'" + cell
    return cell

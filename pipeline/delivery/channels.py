"""Rendered files of one copy → the spool, then the recipient's channel: their outbox folder, an e-mail, or the post batch.

The spool holds a copy's bytes from the moment its delivery is recorded as begun until it is
recorded as sent, so a run killed in between is finished by the next one with the same bytes (and,
for e-mail, the same Message-ID). A folder copy needs no spool: its files wait in the recipient's
folder itself under staged names (`stage_in_folder`) from before the delivery is begun, and are
renamed into place after (`place_in_folders`), each folder synced once; a run killed in between
is finished by renaming what is staged, or by finding the files in place (`recover_in_folder`).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pipeline.config import DeliveryChannel
from pipeline.delivery.email import (
    PDF,
    Attachment,
    SmtpSettings,
    attachment_name,
    build_message,
    send_message,
    subject_for,
)
from pipeline.delivery.preview import sha256
from pipeline.errors import DeliveryError
from pipeline.files import (
    fsync_dir,
    private_file,
    private_folders_made,
    stage_file,
    staged_path,
    sync_folders,
    tag_of_staged,
    write_all_atomically,
    write_atomically,
)


@dataclass(frozen=True, slots=True)
class Spool:
    """Files waiting between 'delivery begun' and 'delivery sent', one folder per delivery."""

    root: Path

    def folder(self, delivery_key: str) -> Path:
        return self.root / delivery_key

    def put_all(self, deliveries: Iterable[tuple[str, Sequence[tuple[str, bytes]]]]) -> None:
        """Several deliveries' files at once (a conference's): each folder synced once."""
        write_all_atomically(
            (self.folder(key) / name, data) for key, files in deliveries for name, data in files
        )

    def get(self, delivery_key: str, names: Sequence[str]) -> tuple[tuple[str, bytes], ...]:
        return tuple((name, (self.folder(delivery_key) / name).read_bytes()) for name in names)

    def clear(self, delivery_key: str) -> None:
        shutil.rmtree(self.folder(delivery_key), ignore_errors=True)

    def keep_only(self, delivery_keys: set[str]) -> None:
        """Remove what no begun delivery needs: left by a run killed after recording a delivery
        sent and before clearing its bytes, or before its delivery was begun."""
        if not self.root.is_dir():
            return
        for folder in self.root.iterdir():
            if folder.name not in delivery_keys:
                shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True, slots=True)
class Destination:
    """Where one delivery goes: the channel and, for e-mail and post, the address on the envelope."""

    channel: DeliveryChannel
    folder: str  # the recipient's folder name in the outbox (their id, or the social worker's)
    email: str | None = None
    name: str = ""
    address_lines: tuple[str, ...] = ()
    postcode: str = ""


def deliver_to_folder(
    outbox: Path, conference: str, destination: Destination, files: Sequence[tuple[str, bytes]]
) -> str:
    folder = outbox / conference / destination.folder
    for name, data in files:
        write_atomically(folder / name, data)
    return str(folder)


@dataclass(frozen=True, slots=True)
class Staged:
    """One copy's files waiting in its folder under staged names, and the folders made for them."""

    folder: Path
    files: tuple[tuple[Path, Path], ...]  # (staged name, final name)
    made: tuple[Path, ...]


def stage_in_folder(
    outbox: Path,
    conference: str,
    destination: Destination,
    files: Sequence[tuple[str, bytes]],
    tag: str,
) -> Staged:
    """Each file written whole and synced beside its final name, not yet in place."""
    folder = outbox / conference / destination.folder
    made = private_folders_made(folder)
    written: list[tuple[Path, Path]] = []
    try:
        for name, data in files:
            written.append((stage_file(folder / name, data, tag), folder / name))
    except BaseException:
        for temporary, _ in written:  # all of a copy is staged or none of it
            temporary.unlink(missing_ok=True)
        raise
    return Staged(folder, tuple(written), made)


def place_in_folders(staged: Sequence[Staged]) -> None:
    """Every staged file renamed into place, then each folder synced once (and each made folder's
    parent): once this returns, every file is on disk under its own name."""
    for copy in staged:
        for temporary, path in copy.files:
            os.replace(temporary, path)
    sync_folders((c.folder for c in staged), (m for c in staged for m in c.made))


def unstage(staged: Staged) -> None:
    """A staged copy that will not go (its delivery was not begun): its files removed."""
    for temporary, _ in staged.files:
        temporary.unlink(missing_ok=True)


def recover_in_folder(
    outbox: Path,
    conference: str,
    destination: Destination,
    files: Sequence[tuple[str, str]],
    tag: str,
) -> str:
    """A begun folder delivery a killed run left, finished: each file (name, sha256) renamed into
    place from its staged name, or found in place with the recorded bytes; the folder synced.
    Raises a permanent DeliveryError, renaming nothing, if any file is in neither state."""
    folder = outbox / conference / destination.folder
    moves, missing = [], []
    for name, digest in files:
        path = folder / name
        temporary = staged_path(path, tag)
        if _holds(temporary, digest):
            moves.append((temporary, path))
        elif not _holds(path, digest):
            missing.append(name)
    if missing:
        raise DeliveryError(
            f"{len(missing)} of this copy's {len(files)} files were neither waiting in its "
            "outbox folder nor there with the bytes recorded (moved or deleted since the run "
            "that began it was stopped); nothing was renamed. Send the copy again",
            permanent=True,
        )
    for temporary, path in moves:
        os.replace(temporary, path)
    sync_folders([folder])
    return str(folder)


def _holds(path: Path, digest: str) -> bool:
    return path.is_file() and sha256(path.read_bytes()) == digest


def sweep_staged(outbox: Path, conference: str, keep: set[str]) -> None:
    """Remove the staged files in a conference's outbox folders that no begun delivery waits
    for (`keep`: their tags): left by a run killed after staging a copy and before beginning it."""
    root = outbox / conference
    if not root.is_dir():
        return
    for path in root.rglob(".*.tmp"):
        if path.is_file() and tag_of_staged(path) not in keep:
            path.unlink(missing_ok=True)


@dataclass(frozen=True, slots=True)
class StagingLog:
    """Which conferences have files staged in the outbox and not yet begun (one line each, "+" on
    staging, "-" once begun), so the next run sweeps only those after a kill, not the outbox."""

    path: Path

    def staging(self, conference: str) -> None:
        """Synced before anything is staged: a power cut must not lose where to sweep."""
        self._append(f"+{conference}\n", sync=True)

    def begun(self, conference: str) -> None:
        # Not synced: lost, it only makes the next run sweep a conference with nothing to sweep.
        self._append(f"-{conference}\n", sync=False)

    def unfinished(self) -> set[str]:
        if not self.path.is_file():
            return set()
        open_now: set[str] = set()
        for line in self.path.read_text(encoding="utf-8").splitlines():
            if line.startswith("+"):
                open_now.add(line[1:])
            elif line.startswith("-"):
                open_now.discard(line[1:])
        return open_now

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)

    def _append(self, line: str, *, sync: bool) -> None:
        created = private_file(self.path)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            if sync:
                os.fsync(handle.fileno())
        if created and sync:
            fsync_dir(self.path.parent)


def deliver_by_email(
    smtp: SmtpSettings,
    *,
    reference: str,
    destination: Destination,
    files: Sequence[tuple[str, bytes]],
    body: str,
    message_id: str,
    sent_at: datetime,
    document: str,
    edition: str,
) -> str:
    """One e-mail per copy; only the PDFs travel (a document sent out should not be editable).

    Attachments are named by the conference reference and the document kind alone:
    not by the outbox's file names, which may name whom an authorised copy is for."""
    if destination.email is None:
        raise ValueError("an e-mail delivery needs an address")
    stem = document if edition == "original" else f"{document}-{edition}"
    attachments = [
        Attachment(
            attachment_name(
                reference,
                "handover-sheet.pdf" if name.startswith("handover-sheet") else f"{stem}.pdf",
            ),
            data,
            PDF,
        )
        for name, data in files
        if name.endswith(".pdf")
    ]
    message = build_message(
        sender=smtp.sender,
        to=destination.email,
        subject=subject_for(reference),
        body=body,
        attachments=attachments,
        message_id=message_id,
        date=sent_at,
    )
    send_message(message, smtp)
    return destination.email

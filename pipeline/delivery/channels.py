"""Rendered files of one copy → the spool, then the recipient's channel: their outbox folder, an e-mail, or the post batch.

The spool holds a copy's bytes from the moment its delivery is recorded as begun until it is
recorded as sent, so a run killed in between is finished by the next one with the same bytes (and,
for e-mail, the same Message-ID). Writing into a folder is atomic and idempotent, so finishing a
folder delivery twice leaves one copy.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
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
from pipeline.files import write_atomically


@dataclass(frozen=True, slots=True)
class Spool:
    """Files waiting between 'delivery begun' and 'delivery sent', one folder per delivery."""

    root: Path

    def folder(self, delivery_key: str) -> Path:
        return self.root / delivery_key

    def put(self, delivery_key: str, files: Sequence[tuple[str, bytes]]) -> None:
        for name, data in files:
            write_atomically(self.folder(delivery_key) / name, data)

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

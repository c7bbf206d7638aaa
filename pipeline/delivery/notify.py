"""A begun delivery's parcel → GOV.UK Notify: to the family a precompiled letter, to a professional an e-mail with a secure link to the PDF.

Which of the two is the destination's (an e-mail address, or a postal address: set by
`pipeline.service.destination`). A parcel's PDFs (the copy, then any hand-over sheet) go as one
PDF, joined in order. Each copy goes under an opaque reference made when its delivery was begun
and stored with it before anything left (no name, no address), so a copy whose outcome is
unknown is looked up, never sent twice (`notify_api.send_once`).
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pikepdf

from pipeline.delivery.email import attachment_name
from pipeline.delivery.notify_api import (
    NotifyReceipt,
    NotifySettings,
    NotifyStatus,
    make_client,
    notification_status,
    send_email_with_link,
    send_once,
    send_precompiled_letter,
)
from pipeline.errors import DeliveryError, PostBatchError

if TYPE_CHECKING:  # channel.py, which defines the parcel, imports this module
    from pipeline.delivery.channel import Parcel

__all__ = [
    "NOTIFY_NOT_CONFIGURED",
    "NotifyChannel",
    "NotifyReceipt",
    "NotifySettings",
    "NotifyStatus",
    "joined_pdf",
    "new_reference",
]


def joined_pdf(files: Sequence[tuple[str, bytes]]) -> bytes:
    """A parcel's PDF files as one, in order: Notify takes one PDF per letter or link."""
    pdfs = [data for name, data in files if name.endswith(".pdf")]
    if not pdfs:
        raise PostBatchError("a Notify copy has no PDF to send")
    if len(pdfs) == 1:
        return pdfs[0]
    joined = pikepdf.Pdf.new()
    try:
        for data in pdfs:
            with pikepdf.open(io.BytesIO(data)) as part:
                joined.pages.extend(part.pages)
        out = io.BytesIO()
        joined.save(out)
    except pikepdf.PdfError as exc:
        raise PostBatchError(f"a Notify copy's PDF cannot be read ({exc})") from exc
    return out.getvalue()


def new_reference() -> str:
    """A copy's reference at Notify: random, so it says nothing of the child, family or address
    (Notify shows references to anyone with access to the service)."""
    return f"cpc-{secrets.token_hex(12)}"


def _reference(parcel: Parcel) -> str:
    if not parcel.message_id:
        raise DeliveryError("a Notify delivery was begun without its reference", permanent=True)
    return parcel.message_id


@dataclass(frozen=True, slots=True)
class NotifyChannel:
    """GOV.UK Notify as one channel: by e-mail where the destination has an e-mail address,
    else by letter. None configured: a begun copy stays pending until it is."""

    settings: NotifySettings | None
    batched: bool = False

    def deliver(self, parcel: Parcel) -> NotifyReceipt:
        if self.settings is None:
            raise DeliveryError(
                "this copy was begun for GOV.UK Notify and [notify] is not configured now; it "
                "stays pending until it is"
            )
        settings = self.settings
        client = make_client(settings)
        pdf = joined_pdf(parcel.files)
        reference = _reference(parcel)
        address = parcel.destination.email
        if address is None:
            # One precompiled letter, with the postage configured.
            return send_once(
                settings,
                reference,
                client,
                lambda: send_precompiled_letter(client, pdf, reference, settings.postage),
                resumed=parcel.resumed,
            )
        # One e-mail from the configured template, the PDF behind a secure link, named by the
        # conference reference and document kind alone, as e-mail attachments are.
        edition = "" if parcel.edition == "original" else f"-{parcel.edition}"
        filename = attachment_name(parcel.conference, f"{parcel.document}{edition}.pdf")
        return send_once(
            settings,
            reference,
            client,
            lambda: send_email_with_link(
                client,
                settings,
                email_address=address,
                pdf=pdf,
                filename=filename,
                reference=reference,
                conference=parcel.conference,
            ),
            resumed=parcel.resumed,
        )

    def send(self, parcels: Sequence[Parcel], batch: str = "") -> str:
        (parcel,) = parcels
        kind = "e-mail" if parcel.destination.email is not None else "letter"
        return where(self.deliver(parcel), kind)

    def status(self, notify_id: str) -> NotifyStatus:
        if self.settings is None:
            raise DeliveryError("[notify] is not configured: Notify's statuses cannot be read")
        return notification_status(make_client(self.settings), notify_id)


# A run with no [notify]: a copy begun for Notify by an earlier configuration stays pending.
NOTIFY_NOT_CONFIGURED = NotifyChannel(None)


def where(receipt: NotifyReceipt, kind: str) -> str:
    """Where it went, for the delivery history: Notify's id, never the reader's address."""
    return f"GOV.UK Notify {kind} {receipt.notify_id}"

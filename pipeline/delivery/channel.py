"""A begun delivery's files and envelope → delivered through one channel: folder, e-mail, post batch, or hand-over.

The run calls every channel through one protocol, `Channel`, and is given the set it uses
(`ChannelSet`), as httpx is given a transport: the real ones by default, a fake in a test.
A channel does only the sending; the run records what was begun and what went. A channel that
can keep a copy's bytes itself between begun and sent (the folder: `StagingChannel`) needs no
spool copy; the run keeps the others' bytes in the spool.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import jinja2
from markupsafe import Markup

from pipeline.config import DeliveryChannel
from pipeline.delivery.channels import (
    Destination,
    Staged,
    deliver_by_email,
    deliver_to_folder,
    place_in_folders,
    recover_in_folder,
    stage_in_folder,
    sweep_staged,
    unstage,
)
from pipeline.delivery.email import SmtpSettings
from pipeline.delivery.notify import NOTIFY_NOT_CONFIGURED, NotifyChannel, NotifySettings
from pipeline.delivery.post import write_batch
from pipeline.errors import DeliveryError, InternalFault
from pipeline.rendering.handover_sheet import DOCUMENT_NAMES
from pipeline.rendering.html import DEFAULT_TEMPLATES

if TYPE_CHECKING:  # envelopes imports Parcel from here
    from pipeline.delivery.envelopes import Envelope


@dataclass(frozen=True, slots=True)
class Parcel:
    """One begun delivery as a channel needs it: what it is, to whom, and its files."""

    conference: str
    document: str
    edition: str  # "original", or "updated-N" for a copy that replaces one sent before
    via: str | None  # the lead social worker it is handed over by, if any
    destination: Destination
    files: tuple[tuple[str, bytes], ...]
    message_id: str | None = None  # for Notify: the copy's opaque reference
    resumed: bool = False  # begun by an earlier try whose outcome is not known (Notify looks it up)


class Channel(Protocol):
    """One way a copy reaches its reader. `batched` channels are given every parcel of a run at
    once (the post batch); the others one parcel at a time. `send` returns where it went, in
    words for the delivery history, and raises `DeliveryError` when it did not go."""

    @property
    def batched(self) -> bool: ...

    def send(self, parcels: Sequence[Parcel], batch: str = "") -> str: ...


@runtime_checkable
class StagingChannel(Channel, Protocol):
    """A channel that holds a parcel's bytes where they are going before its delivery is begun
    (`stage`, tagged so they are found again), puts them in place after (`place`, many at once),
    and finishes one a killed run began from what it finds there (`recover`)."""

    def stage(self, parcel: Parcel, tag: str) -> Staged: ...

    def place(self, staged: Sequence[Staged]) -> None: ...

    def unstage(self, staged: Staged) -> None: ...

    def recover(
        self, conference: str, destination: Destination, files: Sequence[tuple[str, str]], tag: str
    ) -> str: ...

    def sweep(self, conference: str, keep: set[str]) -> None: ...


@dataclass(frozen=True, slots=True)
class FolderChannel:
    """Into the recipient's outbox folder: atomic and idempotent, so sending twice leaves one copy.
    Staged, the files wait in that folder under hidden names until renamed into place."""

    outbox: Path
    batched: bool = False

    def send(self, parcels: Sequence[Parcel], batch: str = "") -> str:
        (parcel,) = parcels
        return deliver_to_folder(self.outbox, parcel.conference, parcel.destination, parcel.files)

    def stage(self, parcel: Parcel, tag: str) -> Staged:
        return stage_in_folder(self.outbox, parcel.conference, parcel.destination, parcel.files, tag)

    def place(self, staged: Sequence[Staged]) -> None:
        place_in_folders(staged)

    def unstage(self, staged: Staged) -> None:
        unstage(staged)

    def recover(
        self, conference: str, destination: Destination, files: Sequence[tuple[str, str]], tag: str
    ) -> str:
        return recover_in_folder(self.outbox, conference, destination, files, tag)

    def sweep(self, conference: str, keep: set[str]) -> None:
        sweep_staged(self.outbox, conference, keep)


@functools.cache
def _email_words(templates: Path) -> jinja2.Template:
    # Escaping on, as in every template: the conference id comes from the export (and the
    # contract's id pattern leaves nothing to escape); the body's last newline is kept.
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates / "email"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    return environment.get_template("copy.txt")


def email_body(
    document: str, reference: str, *, handover: bool, templates: Path = DEFAULT_TEMPLATES
) -> str:
    """The words of the e-mail a copy is attached to (templates/email/copy.txt)."""
    # The document's name is the pipeline's own words (templates/_words.html), trusted as written.
    what = Markup(DOCUMENT_NAMES.get(document, document.replace("_", " ")))
    return _email_words(templates).render(what=what, reference=reference, handover=handover)


@dataclass(frozen=True, slots=True)
class EmailChannel:
    """One e-mail per copy, through the configured mail server; only the PDFs travel."""

    smtp: SmtpSettings | None
    sent_at: datetime
    batched: bool = False

    def send(self, parcels: Sequence[Parcel], batch: str = "") -> str:
        (parcel,) = parcels
        if self.smtp is None or parcel.message_id is None:
            raise DeliveryError(
                "this e-mail was begun with a mail server configured and none is now "
                "(smtp.host); it stays pending until one is"
            )
        return deliver_by_email(
            self.smtp,
            reference=parcel.conference,
            destination=parcel.destination,
            files=parcel.files,
            body=email_body(parcel.document, parcel.conference, handover=parcel.via is not None),
            message_id=parcel.message_id,
            sent_at=self.sent_at,
            document=parcel.document,
            edition=parcel.edition,
        )


class PostRoom(Channel, Protocol):
    """The post: a batched channel given a run's posted copies packed into envelopes, one per
    recipient (pipeline.delivery.envelopes), one at a time as they are made (a batch of any size
    is never held whole). `send_envelopes` returns where the batch went."""

    def send_envelopes(self, envelopes: Iterable[Envelope], batch: str) -> str: ...


# The post room's words for what is in an envelope besides the documents themselves.
_PART_NAMES = {"covering_letter": "covering letter", "handover_sheet": "hand-over sheet"}


@dataclass(frozen=True, slots=True)
class PostChannel:
    """Every envelope of a run into one print-ready batch: a PDF and the post room's list."""

    outbox: Path
    batched: bool = True

    def send(self, parcels: Sequence[Parcel], batch: str = "") -> str:
        # A posted copy never goes loose: without its covering letter no address shows in the
        # window and nothing says whose envelope it belongs in.
        raise InternalFault("posted copies go in envelopes (send_envelopes); nothing was sent")

    def send_envelopes(self, envelopes: Iterable[Envelope], batch: str) -> str:
        # Each envelope to disk as it comes; the list, then the PDF, renamed into place whole.
        written = write_batch(envelopes, self.outbox / "post", batch, {**DOCUMENT_NAMES, **_PART_NAMES})
        return str(written.pdf)


@dataclass(frozen=True, slots=True)
class HandoverRoute:
    """A copy through the lead social worker (002 §22.9): by the social worker's own channel, into
    their to-hand-over folder, and never without the hand-over sheet saying to whom and by when."""

    inner: Channel

    @property
    def batched(self) -> bool:
        return self.inner.batched

    def send(self, parcels: Sequence[Parcel], batch: str = "") -> str:
        require_handover_sheets(parcels)
        return self.inner.send(parcels, batch)


def require_handover_sheets(parcels: Sequence[Parcel]) -> None:
    """A copy to hand over never leaves without the sheet for the social worker (002 §22.9)."""
    for parcel in parcels:
        if not any(name.startswith("handover-sheet") for name, _ in parcel.files):
            raise InternalFault(
                f"{parcel.conference}: a copy to hand over has no hand-over sheet; not sent"
            )


@dataclass(frozen=True, slots=True)
class ChannelSet:
    """The channels one run delivers through, by the name stored with each delivery."""

    folder: Channel
    email: Channel
    post: PostRoom
    notify: NotifyChannel = NOTIFY_NOT_CONFIGURED

    @classmethod
    def standard(
        cls,
        outbox: Path,
        smtp: SmtpSettings | None,
        sent_at: datetime,
        notify: NotifySettings | None = None,
    ) -> ChannelSet:
        return cls(
            FolderChannel(outbox),
            EmailChannel(smtp, sent_at),
            PostChannel(outbox),
            NotifyChannel(notify),
        )

    def route(self, channel: DeliveryChannel, via: str | None) -> Channel:
        """The channel a delivery goes by: a hand-over goes by the social worker's channel."""
        chosen: Channel = {
            "folder": self.folder,
            "email": self.email,
            "post": self.post,
            "notify": self.notify,
        }[channel]
        return chosen if via is None else HandoverRoute(chosen)

    def stager(self, channel: DeliveryChannel) -> StagingChannel | None:
        """The channel itself when it keeps a copy's bytes between begun and sent (no spool
        copy is made); None when the run must spool them. A hand-over's sheet is checked by
        the caller before staging (`require_handover_sheets`)."""
        chosen = self.route(channel, None)
        return chosen if isinstance(chosen, StagingChannel) else None

    def stagers(self) -> tuple[StagingChannel, ...]:
        found: list[StagingChannel] = []
        for chosen in (self.folder, self.email, self.post):
            if isinstance(chosen, StagingChannel) and all(chosen is not f for f in found):
                found.append(chosen)
        return tuple(found)

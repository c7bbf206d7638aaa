"""A conference's rendered copies → their bytes kept where a kill cannot lose them, then every delivery begun in one transaction.

A copy for a channel that stages (the folder) is written into its folder under a staged name
first; any other copy's bytes go in the spool. Only then are the deliveries begun, each still
compare-and-set on its copy: one that changed while it rendered is not begun, and what was kept
for it is removed. The staging log says which conference has staged files not yet begun, so a
run killed in between leaves nothing in the outbox that the next run does not sweep.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from pipeline.delivery.channel import Parcel, StagingChannel, require_handover_sheets
from pipeline.delivery.channels import Staged
from pipeline.delivery.email import message_id_for
from pipeline.delivery.notify import new_reference
from pipeline.delivery.preview import RenderedCopy, sha256
from pipeline.errors import InternalFault, StoreError
from pipeline.service.conference import Conference
from pipeline.service.destination import destination_for, destination_json
from pipeline.store.db import StoredDelivery, content_key

if TYPE_CHECKING:  # delivering.py calls this module
    from pipeline.service.delivering import Deliverer


@dataclass(frozen=True, slots=True)
class Ready:
    """One rendered copy about to be begun: its delivery's values, its parcel (the files in
    memory), and the channel that keeps its bytes until sent, or None if the spool does."""

    values: dict[str, Any]
    parcel: Parcel
    stager: StagingChannel | None

    @property
    def key(self) -> str:
        return spool_key(self.values)


def ready_copy(
    deliverer: Deliverer,
    conference: Conference,
    key: str,
    item: RenderedCopy,
    fingerprint: str,
    edition: str,
) -> Ready:
    copy = item.copy
    conference_id = conference.stored.conference_id
    destination = destination_for(conference, copy, deliverer.settings)
    files = _named(item.files, edition)
    if destination.channel in ("email", "post", "notify"):
        # Only the PDF travels by e-mail and post; the folder keeps the DOCX as well.
        files = tuple(f for f in files if f[0].endswith(".pdf"))
    message_id = _message_id(
        destination.channel, conference_id, key, files, deliverer.settings.message_id_domain
    )
    values = {
        "conference_id": conference_id,
        "copy_key": key,
        "revision": conference.stored.revision,
        "recipient": copy.recipient,
        "document": copy.document,
        "channel": destination.channel,
        "via": copy.via,
        "edition": edition,
        "fingerprint": fingerprint,
        "files": [{"name": n, "sha256": sha256(d), "bytes": len(d)} for n, d in files],
        "message_id": message_id,
        "destination": destination_json(destination),
        "amendments_included": list(conference.read.current.applied)
        if copy.document == "record"
        else None,
        "due": copy.due,
    }
    parcel = Parcel(
        conference_id, copy.document, edition, copy.via, destination, files, message_id
    )
    return Ready(values, parcel, _stager_for(deliverer, parcel))


def _stager_for(deliverer: Deliverer, parcel: Parcel) -> StagingChannel | None:
    stager = deliverer.channels.stager(parcel.destination.channel)
    if stager is not None and parcel.via is not None:
        try:
            require_handover_sheets((parcel,))
        except InternalFault:
            return None  # spooled, and refused by the hand-over route once begun, as before
    return stager


def begin_all(
    deliverer: Deliverer, conference: Conference, ready: list[Ready]
) -> list[tuple[Ready, int, Staged | None]]:
    """Each copy begun, with its delivery's id and its staged files (None: spooled); a copy not
    begun (changed while it rendered) has what was kept for it removed and is said skipped."""
    conference_id = conference.stored.conference_id
    log = deliverer.staging_log
    if any(r.stager is not None for r in ready):
        log.staging(conference_id)  # before any file is staged: the sweep knows where
    ready = list(ready)  # the caller's list is left as it was
    staged: dict[str, Staged] = {}
    for number, r in enumerate(ready):
        if r.stager is None:
            continue
        try:
            staged[r.key] = r.stager.stage(r.parcel, r.key)
        except OSError:
            # Its folder cannot be written now (the share is down): spooled instead, begun, and
            # tried by the channel, which records its own words; the next run tries it again.
            ready[number] = replace(r, stager=None)
    deliverer.spool.put_all((r.key, r.parcel.files) for r in ready if r.stager is None)
    try:
        ids = deliverer.store.begin_deliveries([r.values for r in ready])
    except StoreError as exc:
        # What is staged or spooled is left: the next run sweeps it (the log says where).
        for r in ready:
            deliverer.outcomes.failed(conference_id, r.values["copy_key"], str(exc))
        return []
    begun: list[tuple[Ready, int, Staged | None]] = []
    for r, delivery_id in zip(ready, ids, strict=True):
        if delivery_id is not None:
            begun.append((r, delivery_id, staged.get(r.key)))
            continue
        # Changed while it was rendered (a new revision taken in): it goes with the next run,
        # as the copy it is now.
        if r.stager is not None:
            r.stager.unstage(staged[r.key])
        else:
            deliverer.spool.clear(r.key)
        deliverer.outcomes.report(
            "skipped",
            {
                "conference": conference_id,
                "copy": r.values["copy_key"],
                "why": "changed while rendering",
            },
        )
    if staged:
        log.begun(conference_id)  # each staged file now belongs to a begun delivery, or none
    return begun


def _message_id(
    channel: str, conference_id: str, key: str, files: tuple[tuple[str, bytes], ...], domain: str
) -> str | None:
    """An e-mail's Message-ID (the same for the same content, so a re-send is one message), or
    Notify's reference, kept before anything leaves: a copy whose answer was lost is looked up
    by it, not sent again."""
    if channel == "email":
        return message_id_for(conference_id, key, sha256(b"".join(d for _, d in files)), domain)
    return new_reference() if channel == "notify" else None


def _named(files: tuple[tuple[str, bytes], ...], edition: str) -> tuple[tuple[str, bytes], ...]:
    """An updated copy gets its own file names, so it never overwrites the copy it replaces."""
    if edition == "original":
        return files
    renamed = []
    for name, data in files:
        stem, dot, suffix = name.rpartition(".")
        renamed.append((f"{stem}-{edition}{dot}{suffix}", data))
    return tuple(renamed)


def spool_key(delivery: StoredDelivery | dict[str, Any]) -> str:
    get = delivery.__getitem__ if isinstance(delivery, dict) else delivery.__getattribute__
    return content_key(get("conference_id"), get("copy_key"), get("fingerprint"), get("edition"))

"""Rendered copies → recorded as begun, spooled, sent through their channel, recorded as sent.

Every delivery is recorded as begun before anything leaves and as sent after, so a re-run after a
kill at any point delivers each copy exactly once to the folder and post channels, and re-sends
an e-mail (if at all) with the same Message-ID. Posted copies wait for the run's one batch.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pipeline.delivery.channel import ChannelSet, Parcel
from pipeline.delivery.channels import Spool
from pipeline.delivery.email import message_id_for
from pipeline.delivery.notify import new_reference
from pipeline.delivery.preview import RenderedCopy, sha256
from pipeline.errors import CpcError, DeliveryError, StoreError, StoreUnavailable
from pipeline.planning.copy_state import working_days_late
from pipeline.rendering.html import Composer
from pipeline.service.conference import Conference
from pipeline.service.destination import (
    destination_for,
    destination_from,
    destination_json,
    received_on,
)
from pipeline.service.notify_delivery import failed_at_notify, notify_received_on, to_notify
from pipeline.service.notify_letters import is_notify_letter
from pipeline.service.outcomes import Outcomes
from pipeline.service.post_room import post_batch
from pipeline.service.render_pool import CopyJob
from pipeline.service.settings import RunSettings
from pipeline.service.summary import plain_error
from pipeline.store.db import Store, StoredDelivery, content_key
from pipeline.store.deliveries import NotifyAccepted


@dataclass
class Deliverer:
    store: Store
    settings: RunSettings
    channels: ChannelSet
    outcomes: Outcomes
    conference_of: Callable[[str], Conference]
    composer: Composer  # for the post's covering letters

    @property
    def spool(self) -> Spool:
        return Spool(self.settings.spool)

    def clear_spool(self, delivery: StoredDelivery) -> None:
        """Its bytes are no longer needed (sent, or refused for good)."""
        self.spool.clear(spool_key(delivery))

    # -- finishing --

    def finish(
        self, delivery: StoredDelivery, conference: Conference | None, *, resumed: bool = False
    ) -> None:
        """Do the channel's part of a begun delivery and record it sent. Idempotent for folders;
        for Notify, a `resumed` one (an earlier try's outcome unknown) is looked up first."""
        settings = self.settings
        parcel = self._parcel(delivery, [f["name"] for f in delivery.files], resumed)
        channel = parcel.destination.channel
        accepted: NotifyAccepted | None = None
        if channel == "notify":
            where, accepted = to_notify(self.channels.notify, parcel)
        else:
            where = self.channels.route(channel, delivery.via).send((parcel,))
        if conference is None:
            conference = self._conference_or_none(delivery.conference_id)
        late_by = self._late_by(conference, delivery)
        self.store.finish_delivery(
            delivery.id,
            sent_on=settings.today,
            received_on=received_on(conference, channel, delivery.via, settings.today)
            if accepted is None
            else notify_received_on(conference, delivery.via, accepted),
            destination=where,
            why="ready and not yet delivered",
            late_by=late_by,
            notify=accepted,
        )
        self.spool.clear(spool_key(delivery))
        if accepted is not None and failed_at_notify(self.store, self.outcomes, [delivery], accepted):
            return
        self.outcomes.summary.delivered[channel] += 1
        self.outcomes.delivered(delivery, channel, late_by)

    def _parcel(self, delivery: StoredDelivery, names: list[str], resumed: bool = False) -> Parcel:
        return Parcel(
            conference=delivery.conference_id,
            document=delivery.document,
            edition=delivery.edition,
            via=delivery.via,
            destination=destination_from(delivery.destination or "{}"),
            files=self.spool.get(spool_key(delivery), names),
            message_id=delivery.message_id,
            resumed=resumed or delivery.attempts > 0,
        )

    def _late_by(self, conference: Conference | None, delivery: StoredDelivery) -> int | None:
        """Working days after its due date that it leaves, or None if on time (or unknown)."""
        if delivery.due is None or conference is None:
            return None
        return working_days_late(conference.calendar, delivery.due, self.settings.today)

    def _conference_or_none(self, conference_id: str) -> Conference | None:
        try:
            return self.conference_of(conference_id)
        except Exception:  # reported where the conference is planned; the delivery still goes
            return None

    def recover(self) -> None:
        """Deliveries a killed run began and did not finish (post waits for the batch)."""
        pending = self.store.deliveries(state="pending")
        self.spool.keep_only({spool_key(d) for d in pending})
        for delivery in pending:
            if delivery.channel == "post" or is_notify_letter(delivery):
                continue  # sent by the run's batch, or its Notify letters, whole
            try:
                self.finish(delivery, None, resumed=True)
            except Exception as exc:  # one stuck delivery must not stop every later run
                self._delivery_failed(delivery, exc)

    def _delivery_failed(self, delivery: StoredDelivery, exc: Exception) -> None:
        """A begun delivery did not go: recorded with the channel's words."""
        if isinstance(exc, StoreUnavailable):
            # The store, not the channel, failed: nothing can be recorded, so the run stops; the
            # delivery stays pending and the next run finishes it from the spool.
            raise exc
        permanent = isinstance(exc, DeliveryError) and exc.permanent
        why = plain_error(exc)
        self.store.record_failure(delivery.id, error=why, permanent=permanent)
        if permanent:
            self.spool.clear(spool_key(delivery))  # nothing of it goes; a new revision remakes it
        self.outcomes.failed(delivery.conference_id, delivery.copy_key, why, permanent=permanent)
        if not isinstance(exc, CpcError | OSError):
            self.outcomes.log_unexpected(delivery.conference_id, exc)

    # -- beginning --

    def deliver_rendered(
        self, conference: Conference, jobs: tuple[CopyJob, ...], rendered: tuple[RenderedCopy, ...]
    ) -> None:
        conference_id = conference.stored.conference_id
        rows = {r.copy_key: r for r in self.store.copy_rows(conference_id)}
        sent_before = Counter(
            d.copy_key for d in self.store.deliveries(conference_id) if d.state == "sent"
        )
        for job, item in zip(jobs, rendered, strict=True):
            row = rows[job.copy_key]
            if item.status != "ready":
                self.store.set_copy_state(
                    conference_id,
                    job.copy_key,
                    status="held",
                    reason=item.reason,
                    hold_kind=item.hold_kind,
                    fingerprint=row.fingerprint,
                )
                self.outcomes.held(conference_id, job.copy_key, item.reason or "")
                continue
            edition = f"updated-{sent_before[job.copy_key]}" if job.edition else "original"
            self.begin_and_send(conference, job.copy_key, item, job.fingerprint, edition)

    def begin_and_send(
        self,
        conference: Conference,
        key: str,
        item: RenderedCopy,
        fingerprint: str,
        edition: str,
    ) -> None:
        copy = item.copy
        conference_id = conference.stored.conference_id
        destination = destination_for(conference, copy, self.settings)
        files = _named(item.files, edition)
        if destination.channel in ("email", "post", "notify"):
            # Only the PDF travels by e-mail and post; the folder keeps the DOCX as well.
            files = tuple(f for f in files if f[0].endswith(".pdf"))
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
            "message_id": _message_id(
                destination.channel, conference_id, key, files, self.settings.message_id_domain
            ),
            "destination": destination_json(destination),
            "amendments_included": list(conference.read.current.applied)
            if copy.document == "record"
            else None,
            "due": copy.due,
        }
        self.spool.put(spool_key(values), files)
        try:
            delivery_id = self.store.begin_delivery(values)
        except StoreError as exc:
            self.outcomes.failed(conference_id, key, str(exc))
            return
        if delivery_id is None:
            # Changed while it was rendered (a new revision taken in): it goes with the next run,
            # as the copy it is now.
            self.spool.clear(spool_key(values))
            self.outcomes.report(
                "skipped",
                {"conference": conference_id, "copy": key, "why": "changed while rendering"},
            )
            return
        if self.channels.route(destination.channel, copy.via).batched or (
            destination.channel == "notify" and destination.email is None
        ):
            return  # into this run's batch, or its Notify letters: one envelope a person
        delivery = self.store.delivery(delivery_id)
        try:
            self.finish(delivery, conference)
        except Exception as exc:  # recorded; pending (tried again) unless refused for good
            self._delivery_failed(delivery, exc)

    # -- post --

    def post(self) -> None:
        """Every posted copy begun and not yet sent (this run's, and a killed run's) in batches."""
        pending = [d for d in self.store.deliveries(state="pending") if d.channel == "post"]
        unbatched = [d.id for d in pending if d.batch_id is None]
        if unbatched:
            batch_id = f"post-{self.settings.today:%Y%m%d}-{content_key(*map(str, unbatched))[:8]}"
            self.store.assign_batch(unbatched, batch_id)
            pending = [d for d in self.store.deliveries(state="pending") if d.channel == "post"]
        batches: dict[str, list[StoredDelivery]] = {}
        for delivery in pending:
            batches.setdefault(delivery.batch_id or "", []).append(delivery)
        for batch_id, deliveries in sorted(batches.items()):
            try:
                post_batch(self, batch_id, deliveries)
            except StoreUnavailable:
                raise  # the store failed, not the batch: the run stops, the batch stays pending
            except Exception as exc:  # one bad batch must not stop the run; it is tried again
                why = f"post batch: {plain_error(exc)}"
                for delivery in deliveries:
                    self.store.record_failure(delivery.id, error=why, permanent=False)
                    self.outcomes.failed(delivery.conference_id, delivery.copy_key, why)
                if not isinstance(exc, CpcError | OSError):
                    self.outcomes.log_unexpected(deliveries[0].conference_id, exc)


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

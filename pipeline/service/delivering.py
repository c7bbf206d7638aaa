"""Rendered copies → recorded as begun, their bytes kept, sent through their channel, recorded as sent.

Every delivery is recorded as begun before anything leaves and as sent after, so a re-run after a
kill at any point delivers each copy exactly once to the folder and post channels, and re-sends
an e-mail (if at all) with the same Message-ID. Posted copies wait for the run's one batch.

A conference's ready copies are begun in one transaction. A folder copy's bytes wait in its
folder under staged names from before that transaction (no spool copy), are renamed into place
after it, each folder synced once, and every folder copy of the conference is recorded sent in
one transaction. The other channels' bytes go in the spool (synced once a folder) before the
begin; an e-mail is recorded sent as soon as it has gone, each on its own: a kill between a
send and its record re-sends it, so that gap is kept to one message.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pipeline.delivery.channel import ChannelSet, Parcel
from pipeline.delivery.channels import Spool, Staged, StagingLog
from pipeline.delivery.preview import RenderedCopy
from pipeline.errors import CpcError, DeliveryError, StoreUnavailable
from pipeline.planning.copy_state import working_days_late
from pipeline.rendering.html import Composer
from pipeline.service.conference import Conference
from pipeline.service.delivery_start import Ready, begin_all, ready_copy, spool_key
from pipeline.service.destination import destination_from, received_on
from pipeline.service.notify_delivery import failed_at_notify, notify_received_on, to_notify
from pipeline.service.notify_letters import is_notify_letter
from pipeline.service.outcomes import Outcomes
from pipeline.service.render_pool import CopyJob
from pipeline.service.settings import RunSettings
from pipeline.service.summary import plain_error
from pipeline.store.db import Store, StoredDelivery
from pipeline.store.deliveries import NotifyAccepted, Sent

WHY = "ready and not yet delivered"


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

    @property
    def staging_log(self) -> StagingLog:
        return StagingLog(self.settings.state_folder / "staging.log")

    def clear_spool(self, delivery: StoredDelivery) -> None:
        """Its bytes are no longer needed (sent, or refused for good)."""
        self.spool.clear(spool_key(delivery))

    # -- finishing --

    def _send(self, parcel: Parcel) -> tuple[str, NotifyAccepted | None]:
        """The channel's part of a begun delivery: where it went (and Notify's answer)."""
        channel = parcel.destination.channel
        if channel == "notify":
            return to_notify(self.channels.notify, parcel)
        return self.channels.route(channel, parcel.via).send((parcel,)), None

    def _sent(
        self,
        delivery: StoredDelivery,
        conference: Conference | None,
        where: str,
        accepted: NotifyAccepted | None,
    ) -> Sent:
        today = self.settings.today
        return Sent(
            delivery.id,
            received_on(conference, delivery.channel, delivery.via, today)
            if accepted is None
            else notify_received_on(conference, delivery.via, accepted),
            where,
            self._late_by(conference, delivery),
            accepted,
        )

    def _record_sent(self, sent: Sequence[tuple[StoredDelivery, Sent]]) -> None:
        """Every delivery that went recorded sent in one transaction, then said."""
        if not sent:
            return
        self.store.finish_deliveries([s for _, s in sent], sent_on=self.settings.today, why=WHY)
        for delivery, item in sent:
            self.spool.clear(spool_key(delivery))  # nothing there for a staged copy: a no-op
            if item.notify is not None and failed_at_notify(
                self.store, self.outcomes, [delivery], item.notify
            ):
                continue
            self.outcomes.summary.delivered[delivery.channel] += 1
            self.outcomes.delivered(delivery, delivery.channel, item.late_by)

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
        """Deliveries a killed run began and did not finish (post waits for the batch), then
        what it staged and never began swept from the outbox."""
        pending = self.store.deliveries(state="pending")
        self.spool.keep_only({spool_key(d) for d in pending})
        self._finish(pending)
        self._sweep_staged()

    def recover_conference(self, conference_id: str) -> None:
        """The same for one conference, in a worker's job that holds it: what a killed worker
        began for it finished, what one staged and never began swept. The spool is shared with
        workers busy on other conferences, so nothing else of it is touched."""
        pending = self.store.deliveries(conference_id, state="pending")
        for stager in self.channels.stagers():
            stager.sweep(conference_id, {spool_key(d) for d in pending})
        self._finish(pending)

    def sweep_every_conference(self) -> None:
        """Staged files no begun delivery waits for, in every conference's outbox folders: what
        workers killed mid-staging left (only while no worker is busy)."""
        pending = self.store.deliveries(state="pending")
        for conference_id in sorted({row.conference_id for row in self.store.conference_rows()}):
            keep = {spool_key(d) for d in pending if d.conference_id == conference_id}
            for stager in self.channels.stagers():
                stager.sweep(conference_id, keep)

    def _finish(self, pending: list[StoredDelivery]) -> None:
        placed: list[tuple[StoredDelivery, Sent]] = []
        for delivery in pending:
            if delivery.channel == "post" or is_notify_letter(delivery):
                continue  # sent by the run's batch, or its Notify letters, whole
            try:
                conference = self._conference_or_none(delivery.conference_id)
                where = self._placed_again(delivery)
                if where is not None:
                    placed.append((delivery, self._sent(delivery, conference, where, None)))
                    continue
                parcel = self._parcel(delivery, [f["name"] for f in delivery.files], True)
                where, accepted = self._send(parcel)
                self._record_sent([(delivery, self._sent(delivery, conference, where, accepted))])
            except Exception as exc:  # one stuck delivery must not stop every later run
                self._delivery_failed(delivery, exc)
        self._record_sent(placed)

    def _placed_again(self, delivery: StoredDelivery) -> str | None:
        """A staged delivery's files renamed into place, or found there (where they went); None
        for one whose bytes are in the spool (a channel without staging, or an older run's)."""
        stager = self.channels.stager(delivery.channel)
        key = spool_key(delivery)
        if stager is None or self.spool.folder(key).is_dir():
            return None
        return stager.recover(
            delivery.conference_id,
            destination_from(delivery.destination or "{}"),
            [(f["name"], f["sha256"]) for f in delivery.files],
            key,
        )

    def _sweep_staged(self) -> None:
        log = self.staging_log
        unfinished = log.unfinished()
        if unfinished:
            pending = self.store.deliveries(state="pending")
            for conference_id in sorted(unfinished):
                keep = {spool_key(d) for d in pending if d.conference_id == conference_id}
                for stager in self.channels.stagers():
                    stager.sweep(conference_id, keep)
        log.clear()

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
        ready: list[Ready] = []
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
            ready.append(ready_copy(self, conference, job.copy_key, item, job.fingerprint, edition))
        if ready:
            self._begin_and_send(conference, ready)

    def _begin_and_send(self, conference: Conference, ready: list[Ready]) -> None:
        """Every copy begun at once, then sent: staged ones placed together and recorded sent
        together; e-mails each recorded as it goes; the post left for its batch."""
        begun = begin_all(self, conference, ready)
        if not begun:
            return
        conference_id = conference.stored.conference_id
        pending = {d.id: d for d in self.store.deliveries(conference_id, state="pending")}
        self._place(conference, [(pending[i], r, s) for r, i, s in begun if s is not None])
        for r, delivery_id, staged in begun:
            if staged is None:
                self._send_spooled(conference, pending[delivery_id], r)

    def _place(
        self, conference: Conference, placing: list[tuple[StoredDelivery, Ready, Staged]]
    ) -> None:
        """Staged copies renamed into place (each folder synced once), recorded sent at once."""
        by_stager: dict[int, list[tuple[StoredDelivery, Ready, Staged]]] = {}
        for item in placing:
            by_stager.setdefault(id(item[1].stager), []).append(item)
        sent: list[tuple[StoredDelivery, Sent]] = []
        for items in by_stager.values():
            stager = items[0][1].stager
            assert stager is not None  # only staged copies are placed
            try:
                stager.place([s for _, _, s in items])
            except Exception as exc:  # pending: the next run renames what is still staged
                for delivery, _, _ in items:
                    self._delivery_failed(delivery, exc)
                continue
            sent += [(d, self._sent(d, conference, str(s.folder), None)) for d, _, s in items]
        self._record_sent(sent)

    def _send_spooled(self, conference: Conference, delivery: StoredDelivery, r: Ready) -> None:
        channel = r.parcel.destination.channel
        if self.channels.route(channel, r.parcel.via).batched or (
            channel == "notify" and r.parcel.destination.email is None
        ):
            return  # into this run's batch, or its Notify letters: one envelope a person
        try:
            where, accepted = self._send(r.parcel)
            self._record_sent([(delivery, self._sent(delivery, conference, where, accepted))])
        except Exception as exc:  # recorded; pending (tried again) unless refused for good
            self._delivery_failed(delivery, exc)

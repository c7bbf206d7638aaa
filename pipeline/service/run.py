"""The store's conferences → every ready copy rendered, delivered once through its channel, and recorded.

One run: finish what a killed run left begun (from the spool), re-plan conferences with a new
revision, render the copies that are ready and not yet delivered (in worker processes started by
forkserver, each conference with a time budget per document), deliver each as soon as it is
rendered, then put every posted letter of the run into one print-ready batch. Every delivery is
recorded as begun before anything leaves and as sent after, so a re-run after a kill at any point
delivers each copy exactly once to the folder and post channels, and re-sends an e-mail (if at
all) with the same Message-ID.
"""

from __future__ import annotations

import dataclasses
import fcntl
import functools
import json
import multiprocessing
import os
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pebble import ProcessPool

from pipeline.config import Channels
from pipeline.contract.export import Export
from pipeline.delivery.channels import (
    Destination,
    Spool,
    deliver_by_email,
    deliver_to_folder,
)
from pipeline.delivery.email import SmtpSettings, message_id_for
from pipeline.delivery.post import PostedLetter, build_batch
from pipeline.delivery.preview import RenderedCopy, sha256
from pipeline.errors import (
    CpcError,
    DeliveryError,
    InternalFault,
    RunInProgress,
    StoreError,
    StoreUnavailable,
)
from pipeline.files import PRIVATE_FILE, private_folder, write_atomically
from pipeline.planning.amendments import ConferenceCopies
from pipeline.planning.copy_state import (
    CopyState,
    Decision,
    LastDelivery,
    RefusedDelivery,
    copy_state,
    edition_lines,
    working_days_late,
)
from pipeline.planning.documents import DOCUMENT_NAMES
from pipeline.planning.plan import DistributionPlan, PlannedCopy
from pipeline.planning.routing import DEFAULT_ROUTING, Routing
from pipeline.procedure.calendar import WorkingCalendar
from pipeline.procedure.profile import Profile
from pipeline.rendering.html import Composer
from pipeline.service.render_pool import (
    AmendmentContext,
    CopyJob,
    ReadConference,
    Renderer,
    read_conference_copies,
    render_jobs,
)
from pipeline.service.routing_config import routing_for
from pipeline.store.db import Store, StoredDelivery, StoredExport, content_key
from pipeline.store.rows import CopyRow
from pipeline.terminal_text import printable

Report = Callable[[str, dict[str, Any]], None]


@dataclass(frozen=True, slots=True)
class RunSettings:
    today: date
    sent_at: datetime
    outbox: Path
    spool: Path
    channels: Channels
    smtp: SmtpSettings | None
    message_id_domain: str
    profile_dirs: tuple[Path, ...]
    workers: int = 0  # 0: render in this process (tests, small runs)
    document_timeout: float = 60.0
    dry_run: bool = False


@dataclass
class RunSummary:
    delivered: Counter[str] = field(default_factory=Counter)
    held: list[tuple[str, str, str]] = field(default_factory=list)
    # (conference, copy, why): tried again by the next run.
    failed: list[tuple[str, str, str]] = field(default_factory=list)
    # (conference, copy, why): refused for good; waits for a new revision or the chair.
    refused: list[tuple[str, str, str]] = field(default_factory=list)
    # (conference, why): could not be read or planned; nothing of it was sent, the rest went.
    not_planned: list[tuple[str, str]] = field(default_factory=list)
    # (conference, copy, working days): delivered after its due date.
    late: list[tuple[str, str, int]] = field(default_factory=list)
    would_send: list[tuple[str, str, str]] = field(default_factory=list)
    post_batches: list[Path] = field(default_factory=list)
    replanned: list[str] = field(default_factory=list)

    @property
    def any_failed(self) -> bool:
        return bool(self.failed or self.refused or self.not_planned)

    def to_json(self) -> dict[str, Any]:
        return {
            "delivered": dict(self.delivered),
            "held": [list(h) for h in self.held],
            "failed": [list(f) for f in self.failed],
            "refused": [list(f) for f in self.refused],
            "not_planned": [list(n) for n in self.not_planned],
            "late": [list(item) for item in self.late],
            "would_send": [list(w) for w in self.would_send],
            "post_batches": [str(p) for p in self.post_batches],
            "replanned": self.replanned,
        }


@dataclass(frozen=True)
class Conference:
    """One stored export with its amendments, read and planned again (pure, milliseconds)."""

    stored: StoredExport
    read: ReadConference
    context: AmendmentContext

    @property
    def export(self) -> Export:
        """The export with every agreed amendment made to its record."""
        return self.read.current.export

    @property
    def profile(self) -> Profile:
        return self.read.profile

    @property
    def calendar(self) -> WorkingCalendar:
        return self.read.calendar

    @property
    def copies(self) -> dict[str, PlannedCopy]:
        return self.read.current.copies

    @property
    def plan(self) -> DistributionPlan:
        return self.read.current.plan


def amendment_context(store: Store, conference_id: str) -> AmendmentContext:
    """The conference's amendments and the record copies already delivered, from the store."""
    holders: dict[str, tuple[str, ...]] = {}
    for delivery in store.deliveries(conference_id, state="sent"):
        if delivery.document == "record":
            included = set(holders.get(delivery.copy_key, ()))
            included.update(delivery.amendments_included or ())
            holders[delivery.copy_key] = tuple(sorted(included))
    rows = store.amendment_rows(conference_id)
    return AmendmentContext(
        amendments=tuple((r.sequence, r.raw, r.requester_copy_key) for r in rows),
        holders=tuple(sorted(holders.items())),
    )


def load_conference(
    store: Store,
    conference_id: str,
    profiles: dict[str, Profile],
    routing: Routing = DEFAULT_ROUTING,
) -> Conference:
    (stored,) = store.current_exports(conference_id)
    context = amendment_context(store, conference_id)
    read = read_conference_copies(stored.raw, profiles, context, routing)
    return Conference(stored, read, context)


# ---- planning into the store ---------------------------------------------------------------------


def _last_deliveries(store: Store, conference_id: str) -> dict[str, StoredDelivery]:
    """Each copy's latest delivery sent or under way; one refused for good is not among them
    (nothing of it reached anyone), see `_refusals`."""
    last: dict[str, StoredDelivery] = {}
    for delivery in store.deliveries(conference_id):
        if delivery.state != "failed":
            last[delivery.copy_key] = delivery  # ordered by id: the latest wins
    return last


def _refusals(store: Store, conference_id: str) -> dict[str, RefusedDelivery]:
    """Copies whose latest delivery was refused for good."""
    latest: dict[str, StoredDelivery] = {}
    for delivery in store.deliveries(conference_id):
        latest[delivery.copy_key] = delivery
    return {
        key: RefusedDelivery(d.revision, d.channel, d.error or "refused")
        for key, d in latest.items()
        if d.state == "failed"
    }


def _decisions(store: Store, conference_id: str, revision: int) -> dict[str, tuple[Decision, ...]]:
    found: dict[str, list[Decision]] = {}
    for row in store.decisions_for(conference_id):
        if row.hold_kind == "short_items" and row.revision != revision:
            continue  # a person checked that revision's short items; a new one may add more
        found.setdefault(row.copy_key, []).append(
            Decision(row.decision, row.fingerprint, row.hold_kind)
        )
    return {key: tuple(value) for key, value in found.items()}


def _state(
    copy: PlannedCopy,
    fingerprint: str | None,
    row: CopyRow | None,
    last: StoredDelivery | None,
    decisions: tuple[Decision, ...],
    refused: RefusedDelivery | None = None,
    revision: int | None = None,
) -> CopyState:
    render_hold = None
    if (
        row is not None
        and row.status in ("held", "ready")
        and row.hold_kind not in (None, "changed_after_sent", "changed_record")
        and row.plan_status == "ready"
    ):
        render_hold = (row.hold_kind, row.reason, row.fingerprint)
    return copy_state(
        document=copy.document,
        plan_status=copy.status,
        plan_reason=copy.reason,
        fingerprint=fingerprint,
        last=LastDelivery(last.fingerprint, last.sent_on, last.state) if last else None,
        decisions=decisions,
        render_hold=render_hold,
        refused=refused,
        revision=revision,
        plan_hold=copy.hold or "address",
    )


def _holding(
    conference: Conference,
    earlier: Callable[[int], ConferenceCopies],
    renderer: Renderer,
    key: str,
    current: str | None,
    last: StoredDelivery,
) -> StoredDelivery:
    """What the holder of a delivered record has now, as a fingerprint: the record as sent,
    with every agreed amendment, since each came to them as a notice (spec §5). Equal to the
    current record's unless a new export revision changed its text."""
    if last.revision == conference.stored.revision:
        return dataclasses.replace(last, fingerprint=current or last.fingerprint)
    then = earlier(last.revision)
    copy = then.copies.get(key)
    if copy is None:
        return last
    return dataclasses.replace(last, fingerprint=renderer.fingerprint(then.export, copy))


def replan(
    store: Store, conference: Conference, composer: Composer, profiles: dict[str, Profile]
) -> None:
    """Save the conference's current copies: each with its content fingerprint and what the
    service will do with it (re-planning a new revision; amendments)."""
    conference_id = conference.stored.conference_id
    renderer = Renderer.for_profile(conference.profile, composer)
    existing = {row.copy_key: row for row in store.copy_rows(conference_id)}
    last = _last_deliveries(store, conference_id)
    refusals = _refusals(store, conference_id)
    decisions = _decisions(store, conference_id, conference.stored.revision)
    amendment_of = conference.read.current.amendment_of

    @functools.cache
    def earlier(revision: int) -> ConferenceCopies:
        # An earlier revision is read once however many of its records were delivered.
        raw = store.export_raw(conference_id, revision)
        return read_conference_copies(raw, profiles, conference.context).current

    rows = []
    for key, copy in conference.copies.items():
        fingerprint = (
            renderer.fingerprint(conference.export, copy, amendment_of.get(key))
            if copy.status == "ready"
            else None
        )
        previous = last.get(key)
        if previous is not None and previous.state == "sent" and copy.document == "record":
            previous = _holding(conference, earlier, renderer, key, fingerprint, previous)
        state = _state(
            copy,
            fingerprint,
            existing.get(key),
            previous,
            decisions.get(key, ()),
            refusals.get(key),
            conference.stored.revision,
        )
        rows.append(
            {
                "copy_key": key,
                "recipient": copy.recipient,
                "document": copy.document,
                "view": copy.view,
                "plan_status": copy.status,
                "status": state.status,
                "reason": state.reason,
                # A release the chair made after a person checked stays readable to the run.
                "hold_kind": "short_items" if state.checked_by_person else state.hold_kind,
                "due": copy.due,
                "via": copy.via,
                "handover_by": copy.handover_by,
                "channel_hint": copy.channel,
                "recipient_class": copy.recipient_class,
                "on_behalf_of": copy.on_behalf_of,
                "fingerprint": fingerprint,
            }
        )
    store.save_plan(
        conference_id,
        conference.stored.revision,
        [c.to_json() for c in conference.plan.checks],
        rows,
        [
            {
                "kind": t.kind,
                "owner": t.owner,
                "recipient": t.recipient,
                "document": t.document,
                "due": t.due,
            }
            for t in conference.plan.tasks
        ],
    )


def replan_new_revisions(
    store: Store,
    profiles: dict[str, Profile],
    composer: Composer,
    not_planned: Callable[[str, Exception], None] | None = None,
) -> list[str]:
    """Plan again every conference whose plan is out of date. One that cannot be planned (its
    profile gone, a fault in the plan) is passed to `not_planned`, recorded in the store and
    skipped: every other conference is still planned and sent. Without
    `not_planned` the error is raised."""
    replanned = []
    for row in store.conference_rows():
        if row.planned_at is None:
            conference_id = row.conference_id
            try:
                conference = load_conference(store, conference_id, profiles)
                replan(store, conference, composer, profiles)
            except Exception as exc:
                if not_planned is None:
                    raise
                store.set_plan_error(conference_id, plain_error(exc))
                not_planned(conference_id, exc)
                continue
            if row.plan_error is not None:
                store.set_plan_error(conference_id, None)
            replanned.append(conference_id)
    return replanned


# ---- where a copy goes ---------------------------------------------------------------------------


def destination_for(
    conference: Conference, copy: PlannedCopy, settings: RunSettings
) -> Destination:
    """By the channel the plan chose (pipeline.planning.routing, from these settings): to the
    lead social worker when the plan says `via`, else to the recipient."""
    export = conference.export
    reached = copy.via or copy.recipient
    person = export.person(reached)
    channel = copy.channel
    if channel is None:
        raise InternalFault(f"{copy.recipient}/{copy.document}: the plan gave this copy no channel")
    folder = f"{copy.via}/to-hand-over/{copy.recipient}" if copy.via is not None else copy.recipient
    return Destination(
        channel=channel,
        folder=folder,
        email=person.email if channel == "email" else None,
        name=person.name,
        address_lines=person.address.lines if person.address and channel == "post" else (),
        postcode=person.address.postcode if person.address and channel == "post" else "",
    )


def _destination_json(destination: Destination) -> str:
    return json.dumps(
        {
            "channel": destination.channel,
            "folder": destination.folder,
            "email": destination.email,
            "name": destination.name,
            "address_lines": list(destination.address_lines),
            "postcode": destination.postcode,
        },
        ensure_ascii=False,
    )


def _destination_from(text: str) -> Destination:
    data = json.loads(text)
    return Destination(
        channel=data["channel"],
        folder=data["folder"],
        email=data["email"],
        name=data["name"],
        address_lines=tuple(data["address_lines"]),
        postcode=data["postcode"],
    )


def _email_body(document: str, reference: str, via: bool) -> str:
    what = DOCUMENT_NAMES.get(document, document.replace("_", " "))
    if via:
        return (
            f"Attached is the {what} for conference {reference}, for you to hand over and "
            "discuss, with its hand-over sheet saying to whom and by when.\n\n"
            "This e-mail and its attachments are confidential. Do not forward them.\n"
        )
    return (
        f"Attached is the {what} for conference {reference}.\n\n"
        "This e-mail and its attachments are confidential. If you are not the person it is "
        "addressed to, please delete it and tell the sender.\n"
    )


def _spool_key(delivery: StoredDelivery | dict[str, Any]) -> str:
    get = delivery.__getitem__ if isinstance(delivery, dict) else delivery.__getattribute__
    return content_key(get("conference_id"), get("copy_key"), get("fingerprint"), get("edition"))


# ---- rendering in workers ------------------------------------------------------------------------


def _render_all(
    work: Sequence[tuple[Conference, tuple[CopyJob, ...]]], settings: RunSettings
) -> Iterator[tuple[Conference, tuple[CopyJob, ...], tuple[RenderedCopy, ...] | str]]:
    """Each conference's rendered copies, in the order given, or why they could not be made."""
    if settings.workers == 0:
        for conference, jobs in work:
            try:
                yield (
                    conference,
                    jobs,
                    render_jobs(
                        conference.stored.raw,
                        settings.profile_dirs,
                        jobs,
                        conference.context,
                        routing_for(settings.channels, settings.smtp),
                    ),
                )
            except Exception as exc:  # one conference's fault holds back only its own copies
                yield conference, jobs, plain_error(exc)
        return
    # WeasyPrint is known to crash in a process forked after it loaded its libraries: forkserver.
    context = multiprocessing.get_context("forkserver")
    with ProcessPool(max_workers=settings.workers, context=context) as pool:
        futures: list[Any] = [
            pool.schedule(
                render_jobs,
                args=(
                    conference.stored.raw,
                    settings.profile_dirs,
                    jobs,
                    conference.context,
                    routing_for(settings.channels, settings.smtp),
                ),
                timeout=settings.document_timeout * len(jobs),
            )
            for conference, jobs in work
        ]
        for index, (conference, jobs) in enumerate(work):
            future = futures[index]
            futures[index] = None  # each conference's bytes are let go once delivered
            failure = _outcome_failure(future, settings)
            if failure is None:
                yield conference, jobs, future.result()
            elif len(jobs) == 1:
                yield conference, jobs, failure
            else:
                # Find the document that stuck or crashed: each alone, with its own time limit,
                # so one bad document holds back only itself.
                singles = [
                    (
                        job,
                        pool.schedule(
                            render_jobs,
                            args=(
                                conference.stored.raw,
                                settings.profile_dirs,
                                (job,),
                                conference.context,
                                routing_for(settings.channels, settings.smtp),
                            ),
                            timeout=settings.document_timeout,
                        ),
                    )
                    for job in jobs
                ]
                for job, single in singles:
                    failed = _outcome_failure(single, settings)
                    yield conference, (job,), failed if failed is not None else single.result()


def _outcome_failure(future: Any, settings: RunSettings) -> str | None:
    """Why a worker's rendering has no result (waiting for it), or None if it has one."""
    try:
        future.result()
    except FutureTimeout:
        return (
            f"rendering took longer than {settings.document_timeout:g} s a document and was "
            "stopped; nothing of it was sent"
        )
    except CpcError as exc:
        return str(exc)
    except Exception as exc:  # a worker that died (a crash in a C library, say)
        return f"rendering failed in a worker process ({exc!r})"
    return None


# ---- the run -------------------------------------------------------------------------------------


def _received_on(
    conference: Conference | None, channel: str, via: str | None, sent_on: date
) -> date | None:
    if via is not None:
        return None  # received when the social worker hands it over (`cpc handed-over`)
    if channel == "post":
        if conference is None:
            return None  # the conference cannot be read now; the receipt date is not known
        days = conference.profile.notice("post_receipt").value.amount
        return conference.calendar.add_working_days(sent_on, days)
    return sent_on


class _Run:
    def __init__(
        self,
        store: Store,
        profiles: dict[str, Profile],
        composer: Composer,
        settings: RunSettings,
        report: Report,
    ) -> None:
        self.store = store
        self.profiles = profiles
        self.composer = composer
        self.settings = settings
        self.report = report
        self.spool = Spool(settings.spool)
        self.summary = RunSummary()
        self.failed_keys: set[str] = set()
        self._conferences: dict[str, Conference] = {}

    def conference(self, conference_id: str) -> Conference:
        if conference_id not in self._conferences:
            self._conferences[conference_id] = load_conference(
                self.store,
                conference_id,
                self.profiles,
                routing_for(self.settings.channels, self.settings.smtp),
            )
        return self._conferences[conference_id]

    # -- finishing --

    def finish(self, delivery: StoredDelivery, conference: Conference | None) -> None:
        """Do the channel's part of a begun delivery and record it sent. Idempotent for folders."""
        settings = self.settings
        names = [f["name"] for f in delivery.files]
        files = self.spool.get(_spool_key(delivery), names)
        destination = _destination_from(delivery.destination or "{}")
        if destination.channel == "email":
            if settings.smtp is None or delivery.message_id is None:
                raise DeliveryError(
                    "this e-mail was begun with a mail server configured and none is now "
                    "(smtp.host); it stays pending until one is"
                )
            where = deliver_by_email(
                settings.smtp,
                reference=delivery.conference_id,
                destination=destination,
                files=files,
                body=_email_body(
                    delivery.document, delivery.conference_id, delivery.via is not None
                ),
                message_id=delivery.message_id,
                sent_at=settings.sent_at,
                document=delivery.document,
                edition=delivery.edition,
            )
        else:
            where = deliver_to_folder(settings.outbox, delivery.conference_id, destination, files)
        if conference is None:
            conference = self._conference_or_none(delivery.conference_id)
        late_by = self._late_by(conference, delivery)
        self.store.finish_delivery(
            delivery.id,
            sent_on=settings.today,
            received_on=_received_on(conference, destination.channel, delivery.via, settings.today),
            destination=where,
            why="ready and not yet delivered",
            late_by=late_by,
        )
        self.spool.clear(_spool_key(delivery))
        self.summary.delivered[destination.channel] += 1
        self._delivered(delivery, destination.channel, late_by)

    def _delivered(self, delivery: StoredDelivery, channel: str, late_by: int | None) -> None:
        if late_by is not None:
            self.summary.late.append((delivery.conference_id, delivery.copy_key, late_by))
        self.report(
            "delivered",
            {
                "conference": delivery.conference_id,
                "copy": delivery.copy_key,
                "channel": channel,
            }
            | ({"late_by_working_days": late_by} if late_by is not None else {}),
        )

    def _late_by(self, conference: Conference | None, delivery: StoredDelivery) -> int | None:
        """Working days after its due date that it leaves, or None if on time (or unknown)."""
        if delivery.due is None or conference is None:
            return None
        return working_days_late(conference.calendar, delivery.due, self.settings.today)

    def _conference_or_none(self, conference_id: str) -> Conference | None:
        try:
            return self.conference(conference_id)
        except Exception:  # reported where the conference is planned; the delivery still goes
            return None

    def recover(self) -> None:
        """Deliveries a killed run began and did not finish (post waits for the batch)."""
        pending = self.store.deliveries(state="pending")
        self.spool.keep_only({_spool_key(d) for d in pending})
        for delivery in pending:
            if delivery.channel == "post":
                continue
            try:
                self.finish(delivery, None)
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
            self.spool.clear(_spool_key(delivery))  # nothing of it goes; a new revision remakes it
        self._failed(delivery.conference_id, delivery.copy_key, why, permanent=permanent)
        if not isinstance(exc, CpcError | OSError):
            self._log_unexpected(delivery.conference_id, exc)

    def _failed(self, conference_id: str, key: str, why: str, *, permanent: bool = False) -> None:
        self.failed_keys.add(key)  # not tried again in the same run's second pass
        (self.summary.refused if permanent else self.summary.failed).append(
            (conference_id, key, why)
        )
        self.report(
            "failed",
            {
                "conference": conference_id,
                "copy": key,
                "error": why,
                "retry": "waits for a new revision or the chair"
                if permanent
                else "tried again next run",
            },
        )

    def _log_unexpected(self, conference_id: str, exc: BaseException) -> None:
        """A fault nobody foresaw: its traceback goes to the log (one JSON line), not the screen."""
        self.report(
            "error",
            {
                "conference": conference_id,
                "error": plain_error(exc),
                "traceback": "".join(traceback.format_exception(exc)),
            },
        )

    def not_planned(self, conference_id: str, exc: Exception) -> None:
        why = plain_error(exc)
        if (conference_id, why) not in self.summary.not_planned:
            self.summary.not_planned.append((conference_id, why))
        self.report("not_planned", {"conference": conference_id, "error": why})
        if not isinstance(exc, CpcError):
            self._log_unexpected(conference_id, exc)

    # -- choosing and rendering --

    def work(self) -> list[tuple[Conference, tuple[CopyJob, ...]]]:
        work = []
        rows = self.store.conference_rows()
        unplanned = {
            row.conference_id
            for row in rows
            if row.plan_error is not None and row.planned_at is None
        }
        troubled = {row.conference_id for row in rows if row.plan_error is not None}
        for conference_id in self.store.conferences_with_work():
            if conference_id in unplanned:
                continue  # its copies are of a plan the current revision does not have
            try:
                jobs = self._jobs(conference_id)
            except StoreUnavailable:
                raise  # the store failed, not this conference: the run stops
            except Exception as exc:  # this conference is skipped; every other one goes
                self.store.set_plan_error(conference_id, plain_error(exc))
                self.not_planned(conference_id, exc)
                continue
            if conference_id in troubled:
                self.store.set_plan_error(conference_id, None)  # it can be read and sent again
            if jobs:
                work.append((self.conference(conference_id), jobs))
        return work

    def _jobs(self, conference_id: str) -> tuple[CopyJob, ...]:
        conference = self.conference(conference_id)
        rows = {r.copy_key: r for r in self.store.copy_rows(conference_id) if r.in_plan}
        last = _last_deliveries(self.store, conference_id)
        decisions = _decisions(self.store, conference_id, conference.stored.revision)
        refusals = _refusals(self.store, conference_id)
        jobs = []
        for key, copy in conference.copies.items():
            row = rows.get(key)
            if row is None or key in self.failed_keys:
                continue
            stranded = row.status == "sending" and (
                key not in last or last[key].state != "pending"
            )
            if row.status not in ("ready", "held") and not stranded:
                continue
            state = _state(
                copy,
                row.fingerprint,
                row,
                last.get(key),
                decisions.get(key, ()),
                refusals.get(key),
                conference.stored.revision,
            )
            if state.status != "ready":
                if (state.status, state.reason) != (row.status, row.reason):
                    self.store.set_copy_state(
                        conference_id,
                        key,
                        status=state.status,
                        reason=state.reason,
                        hold_kind=state.hold_kind,
                    )
                continue
            previous = last.get(key)
            edition = edition_lines(
                copy.document, state.reissue, previous.sent_on if previous else None
            )
            jobs.append(CopyJob(key, edition, state.checked_by_person, row.fingerprint))
        return tuple(jobs)

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
                self.summary.held.append((conference_id, job.copy_key, item.reason or ""))
                self.report("held", {"conference": conference_id, "copy": job.copy_key})
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
        if destination.channel in ("email", "post"):
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
            "message_id": message_id_for(
                conference_id,
                key,
                sha256(b"".join(d for _, d in files)),
                self.settings.message_id_domain,
            )
            if destination.channel == "email"
            else None,
            "destination": _destination_json(destination),
            "amendments_included": list(conference.read.current.applied)
            if copy.document == "record"
            else None,
            "due": copy.due,
        }
        self.spool.put(_spool_key(values), files)
        try:
            delivery_id = self.store.begin_delivery(values)
        except StoreError as exc:
            self._failed(conference_id, key, str(exc))
            return
        if delivery_id is None:
            # Changed while it was rendered (a new revision taken in): it goes with the next run,
            # as the copy it is now.
            self.spool.clear(_spool_key(values))
            self.report(
                "skipped",
                {"conference": conference_id, "copy": key, "why": "changed while rendering"},
            )
            return
        if destination.channel == "post":
            return  # into this run's batch
        delivery = self.store.delivery(delivery_id)
        try:
            self.finish(delivery, conference)
        except Exception as exc:  # recorded; pending (tried again) unless refused for good
            self._delivery_failed(delivery, exc)

    # -- post --

    def post(self) -> None:
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
                self._post_batch(batch_id, deliveries)
            except StoreUnavailable:
                raise  # the store failed, not the batch: the run stops, the batch stays pending
            except Exception as exc:  # one bad batch must not stop the run; it is tried again
                why = f"post batch: {plain_error(exc)}"
                for delivery in deliveries:
                    self.store.record_failure(delivery.id, error=why, permanent=False)
                    self._failed(delivery.conference_id, delivery.copy_key, why)
                if not isinstance(exc, CpcError | OSError):
                    self._log_unexpected(deliveries[0].conference_id, exc)

    def _post_batch(self, batch_id: str, deliveries: list[StoredDelivery]) -> None:
        letters = []
        for delivery in deliveries:
            destination = _destination_from(delivery.destination or "{}")
            names = [f["name"] for f in delivery.files if f["name"].endswith(".pdf")]
            # The copy, then (through a social worker) its hand-over sheet: each on its own sheets.
            for _, pdf in self.spool.get(_spool_key(delivery), names):
                letters.append(
                    PostedLetter(
                        conference=delivery.conference_id,
                        document=delivery.document,
                        recipient_name=destination.name,
                        address_lines=destination.address_lines,
                        postcode=destination.postcode,
                        pdf=pdf,
                    )
                )
        batch = build_batch(letters, batch_id)
        folder = self.settings.outbox / "post"
        write_atomically(folder / f"{batch_id}.csv", batch.post_room_list_csv.encode("utf-8-sig"))
        write_atomically(folder / f"{batch_id}.pdf", batch.pdf)
        late = {
            d.id: self._late_by(self._conference_or_none(d.conference_id), d) for d in deliveries
        }
        self.store.finish_batch(
            [
                (
                    d.id,
                    _received_on(
                        self._conference_or_none(d.conference_id), "post", d.via, self.settings.today
                    ),
                    late[d.id],
                )
                for d in deliveries
            ],
            sent_on=self.settings.today,
            destination=f"{folder / batch_id}.pdf",
            why="ready and not yet delivered",
        )
        for delivery in deliveries:
            self.spool.clear(_spool_key(delivery))
            self._delivered(delivery, "post", late[delivery.id])  # posted ones too
        self.summary.post_batches.append(folder / f"{batch_id}.pdf")
        self.summary.delivered["post"] += len(deliveries)


def plain_error(exc: BaseException) -> str:
    """An error in words for the person reading the status: the pipeline's own and the system's
    (a full disk) as they are; anything else named as a fault in the program, one line."""
    if isinstance(exc, CpcError | OSError):
        return printable(str(exc))
    return printable(f"an unexpected fault in cpc ({type(exc).__name__}: {exc}); see the log")


def _named(files: tuple[tuple[str, bytes], ...], edition: str) -> tuple[tuple[str, bytes], ...]:
    """An updated copy gets its own file names, so it never overwrites the copy it replaces."""
    if edition == "original":
        return files
    renamed = []
    for name, data in files:
        stem, dot, suffix = name.rpartition(".")
        renamed.append((f"{stem}-{edition}{dot}{suffix}", data))
    return tuple(renamed)


def distribute(
    store: Store,
    profiles: dict[str, Profile],
    settings: RunSettings,
    report: Report = lambda _event, _fields: None,
    composer: Composer | None = None,
) -> RunSummary:
    """One distribution run over everything in the store."""
    run = _Run(store, profiles, composer or Composer.at(), settings, report)
    if settings.dry_run:
        return _dry_run(run)
    with _one_run_at_a_time(settings.spool.parent / "distribute.lock"):
        return _distribute(run, store, profiles, settings, report)


@contextmanager
def _one_run_at_a_time(lock_path: Path) -> Iterator[None]:
    # flock is released by the kernel when the process ends, however it ends: a killed run
    # never leaves the next one locked out.
    private_folder(lock_path.parent)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, PRIVATE_FILE)
    with os.fdopen(fd, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise RunInProgress(
                "another cpc distribute is running on this state folder; this run did nothing"
            ) from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _distribute(
    run: _Run, store: Store, profiles: dict[str, Profile], settings: RunSettings, report: Report
) -> RunSummary:
    run.recover()
    # A second pass only when finishing something (a post batch a killed run left, say) showed
    # that a conference moved on meanwhile: its updated copies or notices go in this run too.
    for attempt in range(2):
        replanned = replan_new_revisions(store, profiles, run.composer, run.not_planned)
        run.summary.replanned.extend(replanned)
        if attempt and not replanned:
            break
        run._conferences.clear()  # read again: what was planned may have changed
        work = run.work()
        report("rendering", {"conferences": len(work), "copies": sum(len(j) for _, j in work)})
        for conference, jobs, outcome in _render_all(work, settings):
            conference_id = conference.stored.conference_id
            if isinstance(outcome, str):
                for job in jobs:
                    # No delivery was begun: the copy keeps the reason, shown by `cpc status`.
                    store.set_copy_failure(conference_id, job.copy_key, outcome)
                    run._failed(conference_id, job.copy_key, outcome)
                continue
            try:
                run.deliver_rendered(conference, jobs, outcome)
            except StoreUnavailable:
                raise  # the store failed, not this conference: the run stops
            except Exception as exc:  # one conference's fault does not stop the others
                store.set_plan_error(conference_id, plain_error(exc))
                run.not_planned(conference_id, exc)
        run.post()
        if not any(
            row.planned_at is None and row.plan_error is None
            for row in store.conference_rows()
        ):
            break
    return run.summary


def _dry_run(run: _Run) -> RunSummary:
    """What a run would send, worked out without writing anything: new revisions are planned in
    memory only, and nothing is rendered."""
    for row in run.store.conference_rows():
        try:
            conference = run.conference(row.conference_id)
        except Exception as exc:  # said, and the others are still looked at
            run.not_planned(row.conference_id, exc)
            continue
        stored_rows = {r.copy_key: r for r in run.store.copy_rows(row.conference_id)}
        renderer = Renderer.for_profile(conference.profile, run.composer)
        last = _last_deliveries(run.store, row.conference_id)
        refusals = _refusals(run.store, row.conference_id)
        decisions = _decisions(run.store, row.conference_id, conference.stored.revision)
        for key, copy in conference.copies.items():
            stored = stored_rows.get(key)
            if stored is not None and stored.in_plan and row.planned_at is not None:
                fingerprint = stored.fingerprint
            elif copy.status == "ready":
                fingerprint = renderer.fingerprint(
                    conference.export, copy, conference.read.current.amendment_of.get(key)
                )
            else:
                fingerprint = None
            state = _state(
                copy,
                fingerprint,
                stored,
                last.get(key),
                decisions.get(key, ()),
                refusals.get(key),
                conference.stored.revision,
            )
            if state.status == "ready":
                channel = destination_for(conference, copy, run.settings).channel
                run.summary.would_send.append((row.conference_id, key, channel))
            elif state.status == "held":
                run.summary.held.append((row.conference_id, key, state.reason or ""))
    return run.summary

"""The store's rows of one conference → its story on one page, and one copy's story: in names and words, never ids.

Revisions, amendments and deliveries as `cpc history` works them out (`service.history`); the
plan's copies with where each stands now in words; the chair's decisions; hand-overs; the audit
lines of a copy. A copy's story says where the file its recipient received is kept, so the web
can show it to those allowed to see it (`service.acting.may_see_document`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from pipeline.contract.export import Export
from pipeline.planning.copy_state import RELEASABLE
from pipeline.procedure.profile import Profile
from pipeline.service.conference import load_conference
from pipeline.service.front_desk_lines import (
    AmendmentLine,
    AuditEvent,
    CopyLine,
    DecisionLine,
    DeliveryLine,
    HandoverLine,
    RevisionLine,
    SentFile,
    audit_event,
    channel_of,
    copy_line,
    decision_line,
    delivery_line,
    handover_line,
    sent_files,
    status_words,
)
from pipeline.service.front_desk_reading import read_one
from pipeline.service.front_desk_words import (
    copy_document_words,
    copy_url,
    in_words,
    person_words,
)
from pipeline.service.history import conference_history
from pipeline.store.db import Store
from pipeline.store.rows import CopyRow, TaskRow


@dataclass(frozen=True, slots=True)
class ConferenceStory:
    conference_id: str
    family: str
    chair: str
    revisions: tuple[RevisionLine, ...]
    copies: tuple[CopyLine, ...]
    deliveries: tuple[DeliveryLine, ...]
    amendments: tuple[AmendmentLine, ...]
    decisions: tuple[DecisionLine, ...]
    checks: tuple[tuple[str, str, str], ...]  # (check, status, detail in words)
    # For the page's logic (service.acting, the amendment forms), never shown as they are.
    export: Export = field(repr=False)
    pending_amendments: tuple[str, ...] = ()  # amendment ids waiting for the chair


@dataclass(frozen=True, slots=True)
class CopyStory:
    conference_id: str
    family: str
    copy_key: str
    url: str
    recipient: str
    document: str
    view: str
    channel: str
    due: date
    status: str  # in words
    state: str  # the store's status (ready, held, delivered...), for the page's logic
    hold_kind: str | None
    releasable: bool
    reason: str | None
    via: str | None  # in words
    via_id: str | None  # for acting.may_hand_over, never shown
    in_plan: bool
    handed_over: bool
    deliveries: tuple[DeliveryLine, ...]
    decisions: tuple[DecisionLine, ...]
    handovers: tuple[HandoverLine, ...]
    audit: tuple[AuditEvent, ...]
    sent_files: tuple[SentFile, ...]
    # For the page's logic, never shown as they are: the store's row and the conference's export
    # (what `acting.actions_for` takes), a delivery begun and not finished, the tasks not done.
    row: CopyRow = field(repr=False)
    export: Export = field(repr=False)
    being_sent: bool = False
    open_tasks: tuple[TaskRow, ...] = ()

    @property
    def pending(self) -> frozenset[str]:
        """`actions_for`'s `pending`: this copy's key while a delivery of it is being sent."""
        return frozenset({self.copy_key}) if self.being_sent else frozenset()

    @property
    def received_file(self) -> SentFile | None:
        """The document as its recipient received it: the latest sent delivery's PDF."""
        return next((f for f in reversed(self.sent_files) if f.is_document), None)


def conference_story(
    store: Store, profiles: dict[str, Profile], conference_id: str, *, today: date
) -> ConferenceStory | None:
    """One conference on one page, or None if the store has no such conference."""
    if not store.current_exports(conference_id):
        return None
    conference = load_conference(store, conference_id, profiles)
    read = read_one(conference_id, conference.export)
    people = read.people
    deliveries = store.deliveries(conference_id)
    copy_rows = store.copy_rows(conference_id)
    decisions = store.decisions_for(conference_id)
    history = conference_history(
        conference_id,
        store.revisions(conference_id),
        conference.stored.revision,
        conference.read.current.applied,
        conference.read.current.failed,
        store.amendment_rows(conference_id),
        deliveries,
        copy_rows=copy_rows,
        today=today,
    )
    return ConferenceStory(
        conference_id=conference_id,
        family=read.family,
        chair=person_words(people, read.chair) or "",
        revisions=tuple(
            RevisionLine(r["revision"], r["export_id"], r["received_at"], r["source"])
            for r in history.revisions
        ),
        copies=tuple(
            copy_line(row, deliveries, decisions, people) for row in copy_rows if row.in_plan
        ),
        deliveries=tuple(delivery_line(d, people) for d in deliveries),
        amendments=tuple(
            AmendmentLine(
                amendment_id=a["amendment"],
                requested_by=person_words(people, a["requested_by"]) or "",
                received_on=a["received_on"],
                window_ends=a["window_ends"],
                late=a["late"],
                status=a["status"],
                decided_by=person_words(people, a["decided_by"]),
                decided_on=a["decided_on"],
                note=a["note"],
                notices_sent=a["notices_sent"],
                problem=in_words(a["problem"], people),
            )
            for a in history.amendments
        ),
        decisions=tuple(decision_line(d, copy_rows, people) for d in decisions),
        checks=tuple(
            (str(c["check"]).replace("_", " "), c["status"], in_words(c["detail"], people) or "")
            for c in (*_plan_checks(store, conference_id), *history.checks)
        ),
        export=conference.export,
        pending_amendments=tuple(
            a["amendment"] for a in history.amendments if a["status"] == "pending"
        ),
    )


def copy_story(
    store: Store, profiles: dict[str, Profile], conference_id: str, copy_key: str, *, today: date
) -> CopyStory | None:
    """One copy: its facts, its history, and the files its recipient was sent; None if the store
    has no such conference or copy."""
    if not store.current_exports(conference_id):
        return None
    row = next((r for r in store.copy_rows(conference_id) if r.copy_key == copy_key), None)
    if row is None:
        return None
    conference = load_conference(store, conference_id, profiles)
    read = read_one(conference_id, conference.export)
    people = read.people
    deliveries = [d for d in store.deliveries(conference_id) if d.copy_key == copy_key]
    decisions = [d for d in store.decisions_for(conference_id) if d.copy_key == copy_key]
    handovers = [h for h in store.handover_rows(conference_id) if h.copy_key == copy_key]
    sent = [d for d in deliveries if d.state == "sent"]
    return CopyStory(
        conference_id=conference_id,
        family=read.family,
        copy_key=copy_key,
        url=copy_url(conference_id, copy_key),
        recipient=person_words(people, row.recipient) or "",
        document=copy_document_words(row.document, row.on_behalf_of, people),
        view=row.view,
        channel=channel_of(row, deliveries),
        due=row.due,
        status=status_words(row, deliveries, decisions, people),
        state=row.status,
        hold_kind=row.hold_kind,
        releasable=row.status == "held" and row.hold_kind in RELEASABLE,
        reason=in_words(row.reason, people),
        via=person_words(people, row.via),
        via_id=row.via,
        in_plan=row.in_plan,
        handed_over=bool(sent) and sent[-1].handed_over_on is not None,
        deliveries=tuple(delivery_line(d, people) for d in deliveries),
        decisions=tuple(decision_line(d, [row], people) for d in decisions),
        handovers=tuple(handover_line(h, people) for h in handovers),
        audit=tuple(
            audit_event(line, people)
            for line in store.audit_lines(conference_id)
            if line.copy_key == copy_key
        ),
        sent_files=tuple(f for d in sent for f in sent_files(d)),
        row=row,
        export=conference.export,
        being_sent=any(d.state == "pending" for d in deliveries),
        open_tasks=tuple(
            t
            for t in store.task_rows(conference_id)
            if t.done_on is None and (t.recipient, t.document) == (row.recipient, row.document)
        ),
    )


def _plan_checks(store: Store, conference_id: str) -> tuple[dict[str, str], ...]:
    rows = [c for c in store.conference_rows() if c.conference_id == conference_id]
    return tuple(rows[0].checks) if rows else ()

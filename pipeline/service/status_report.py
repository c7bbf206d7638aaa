"""The store's copies, tasks, deliveries and checks on a given day → what is overdue, due, held, waiting and open.

Pure over rows the store returns, so `--today` can ask about any day and a test can too. The
command gives it the rows of the conferences with open work and of those that went late in the
`--late-days` window (`pipeline.store.open_work`): a finished conference is not read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from pipeline.planning.copy_state import RELEASABLE
from pipeline.store.db import StoredDelivery
from pipeline.store.rows import AmendmentRow, ConferenceRow, CopyRow, TaskRow

NOT_YET_WITH_RECIPIENT = ("ready", "held", "waiting", "sending", "failed")
RETRIED = "tried again by the next run"
WAITS = "waits for a person: a corrected export (a new revision) or the chair's withdrawal"
SENT_ON_TIME = "documents_sent_on_time"
SENT_ON_TIME_SOURCE = "R28-R32; spec §3 (each copy by its due date from the profile)"
Names = Mapping[tuple[str, str], tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Quarantined:
    file: str
    reason: str


@dataclass(frozen=True, slots=True)
class StatusReport:
    today: date
    overdue: tuple[dict[str, Any], ...]
    due_today: tuple[dict[str, Any], ...]
    due_tomorrow: tuple[dict[str, Any], ...]
    held: tuple[dict[str, Any], ...]
    waiting: tuple[dict[str, Any], ...]
    awaiting_handover: tuple[dict[str, Any], ...]
    open_tasks: tuple[dict[str, Any], ...]
    quarantined: tuple[Quarantined, ...]
    checks: tuple[dict[str, Any], ...]
    pending_amendments: tuple[dict[str, Any], ...] = ()
    amendment_letters_to_send: tuple[dict[str, Any], ...] = ()
    amendments_not_made: tuple[dict[str, Any], ...] = ()
    # Failures first, conferences that cannot be planned, late deliveries.
    failed: tuple[dict[str, Any], ...] = ()
    not_planned: tuple[dict[str, Any], ...] = ()
    late: tuple[dict[str, Any], ...] = ()
    late_days: int = 14
    store: str = ""
    # Links, pipes and folders in the inbox, which are never taken.
    not_files: tuple[dict[str, Any], ...] = ()
    # Reports late and due to the chair, and not yet shared with the family
    # (`service.report_status.report_sections`).
    reports: Mapping[str, Sequence[dict[str, Any]]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        def rows(items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
            return [{k: _plain(v) for k, v in item.items()} for item in items]

        return {
            "today": self.today.isoformat(),
            "store": self.store,
            "failed": rows(self.failed),
            "not_planned": rows(self.not_planned),
            "overdue": rows(self.overdue),
            "late": rows(self.late),
            "late_days": self.late_days,
            "due_today": rows(self.due_today),
            "due_tomorrow": rows(self.due_tomorrow),
            "held": rows(self.held),
            "waiting": rows(self.waiting),
            "awaiting_handover": rows(self.awaiting_handover),
            "open_tasks": rows(self.open_tasks),
            "quarantined": [{"file": q.file, "reason": q.reason} for q in self.quarantined],
            "not_files": rows(self.not_files),
            "checks": rows(self.checks),
            "pending_amendments": rows(self.pending_amendments),
            "amendment_letters_to_send": rows(self.amendment_letters_to_send),
            "amendments_not_made": rows(self.amendments_not_made),
            "reports": {section: list(items) for section, items in self.reports.items()},
        }


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def who(names: Names, conference: str, person: str | None) -> str | None:
    """A person as an administrator knows them: "Helen Marsh (mother, p-mother)"."""
    if person is None:
        return None
    name, role = names.get((conference, person), ("", ""))
    if not name:
        return person
    return f"{name} ({role.replace('_', ' ')}, {person})" if role else f"{name} ({person})"


def _copy(row: CopyRow, names: Names = {}) -> dict[str, Any]:  # noqa: B006 (read only)
    conference = row.conference_id
    return {
        "conference": conference,
        "copy": row.copy_key,
        "recipient": row.recipient,
        "recipient_name": who(names, conference, row.recipient),
        "document": row.document,
        "due": row.due,
        "status": row.status,
        "via": row.via,
        "via_name": who(names, conference, row.via),
        "reason": row.reason,
    }


def status_report(
    today: date,
    copy_rows: Sequence[CopyRow],
    task_rows: Sequence[TaskRow],
    deliveries: Sequence[StoredDelivery],
    conference_rows: Sequence[ConferenceRow],
    quarantined: Sequence[Quarantined],
    amendment_rows: Sequence[AmendmentRow] = (),
    not_made: Sequence[tuple[str, str, str]] = (),
    *,
    names: Names = {},  # noqa: B006 (read only)
    late_days: int = 14,
    store: str = "",
    unreadable: Mapping[str, str] = {},
    not_files: Sequence[tuple[str, str]] = (),
    reports: Mapping[str, Sequence[dict[str, Any]]] = {},
) -> StatusReport:
    """`not_made`: (conference, amendment, why) for agreed amendments that could not be made;
    `names`: (conference, person) → (name, role); `unreadable`: conference → why it cannot be
    read now; `late_days`: how far back late deliveries are listed."""
    tomorrow = today + timedelta(days=1)
    current = [r for r in copy_rows if r.in_plan]
    latest: dict[tuple[str, str], StoredDelivery] = {}
    for d in deliveries:
        latest[(d.conference_id, d.copy_key)] = d  # ordered by id: the latest wins
    failures = _failures(current, latest, names)
    failing = {(f["conference"], f["copy"]): f for f in failures}
    # A copy through the social worker is with its recipient only once handed over.
    handed_over = {
        (d.conference_id, d.copy_key)
        for d in deliveries
        if d.state == "sent" and (d.via is None or d.handed_over_on is not None)
    }
    with_social_worker = {
        (d.conference_id, d.copy_key): d
        for d in deliveries
        if d.state == "sent" and d.via is not None and d.handed_over_on is None
    }

    def outstanding(row: CopyRow) -> bool:
        key = (row.conference_id, row.copy_key)
        if row.status == "withdrawn" or key in handed_over:
            return False
        return row.status in NOT_YET_WITH_RECIPIENT or key in with_social_worker

    def shown(row: CopyRow) -> dict[str, Any]:
        # A copy whose delivery failed says so wherever it is listed.
        item = _copy(row, names)
        key = (row.conference_id, row.copy_key)
        failure = failing.get(key)
        if failure is not None:
            item |= {"status": "failed", "reason": failure["error"]}
        elif key in with_social_worker:
            item |= {"status": "with the social worker"}  # sent to them, not yet handed over
        return item

    late = [r for r in current if outstanding(r) and r.due < today]
    held = [
        _copy(r, names) | {"hold": r.hold_kind, "releasable": r.hold_kind in RELEASABLE}
        for r in current
        if r.status == "held"
    ]
    awaiting = [
        {
            "conference": d.conference_id,
            "copy": d.copy_key,
            "recipient": d.recipient,
            "recipient_name": who(names, d.conference_id, d.recipient),
            "document": d.document,
            "social_worker": d.via,
            "social_worker_name": who(names, d.conference_id, d.via),
            "sent_to_social_worker": d.sent_on,
        }
        for d in with_social_worker.values()
    ]
    since = today - timedelta(days=late_days)
    in_plan = {(r.conference_id, r.copy_key) for r in current}
    delivered_late = [
        _delivery_row(d, names)
        for d in deliveries
        if d.state == "sent"
        and d.late_by is not None
        and d.sent_on is not None
        and since < d.sent_on <= today
        and (d.conference_id, d.copy_key) in in_plan
    ]
    planned = {c.conference_id: c for c in conference_rows}
    not_planned = [
        {"conference": c, "revision": planned[c].revision if c in planned else None, "why": why}
        for c, why in sorted(
            {
                **{c.conference_id: c.plan_error for c in conference_rows if c.plan_error},
                **unreadable,
            }.items()
        )
    ]
    return StatusReport(
        today=today,
        store=store,
        failed=tuple(failures),
        not_planned=tuple(not_planned),
        late=tuple(sorted(delivered_late, key=lambda d: (d["sent_on"], d["conference"]))),
        late_days=late_days,
        overdue=tuple(shown(r) for r in sorted(late, key=lambda r: r.due)),
        due_today=tuple(shown(r) for r in current if outstanding(r) and r.due == today),
        due_tomorrow=tuple(shown(r) for r in current if outstanding(r) and r.due == tomorrow),
        held=tuple(held),
        waiting=tuple(_copy(r, names) for r in current if r.status == "waiting"),
        awaiting_handover=tuple(awaiting),
        open_tasks=tuple(
            {
                "conference": t.conference_id,
                "task": t.kind,
                "owner": t.owner,
                "owner_name": who(names, t.conference_id, t.owner),
                "for": t.recipient,
                "for_name": who(names, t.conference_id, t.recipient),
                "document": t.document,
                "report": t.report,  # what `cpc task-done --report` names
                "due": t.due,
                "overdue": t.due < today,
            }
            for t in task_rows
            if t.done_on is None
        ),
        quarantined=tuple(quarantined),
        not_files=tuple({"path": path, "reason": reason} for path, reason in not_files),
        reports=reports,
        checks=tuple(
            {"conference": c.conference_id, "revision": c.revision, **check}
            for c in conference_rows
            for check in [
                *c.checks,
                sent_on_time(
                    today,
                    [r for r in current if r.conference_id == c.conference_id],
                    [d for d in deliveries if d.conference_id == c.conference_id],
                    outstanding,
                ),
            ]
        ),
        # What the chair has still to decide, and the letters their decisions call for.
        pending_amendments=tuple(
            {
                "conference": a.conference_id,
                "amendment": a.amendment_id,
                "requested_by": a.requested_by,
                "requested_by_name": who(names, a.conference_id, a.requested_by),
                "received_on": a.received_on,
                "late": a.late,
                "window_ended": a.window_ends,
            }
            for a in amendment_rows
            if a.status == "pending"
        ),
        amendments_not_made=tuple(
            {"conference": c, "amendment": a, "why": why} for c, a, why in not_made
        ),
        amendment_letters_to_send=tuple(
            shown(r)
            for r in sorted(current, key=lambda r: r.due)
            if r.document in ("amendment_notice", "amendment_rejection") and outstanding(r)
        ),
    )


def _failures(
    current: Sequence[CopyRow],
    latest: Mapping[tuple[str, str], StoredDelivery],
    names: Names,
) -> list[dict[str, Any]]:
    """Each copy in the plan whose last delivery failed, or that the last run could not make:
    what failed, the channel's or server's words, and whether it is tried again."""
    found = []
    for row in current:
        key = (row.conference_id, row.copy_key)
        delivery = latest.get(key)
        base = _copy(row, names) | {"status": "failed"}
        if delivery is not None and delivery.failed and row.status != "withdrawn":
            permanent = delivery.state == "failed"
            found.append(
                base
                | {
                    "channel": delivery.channel,
                    "error": delivery.error,
                    "kind": "permanent" if permanent else "transient",
                    "next": WAITS if permanent else RETRIED,
                    "attempts": delivery.attempts,
                    "failed_at": _moment(delivery.failed_at),
                }
            )
        elif row.failure and row.status in ("ready", "held"):
            found.append(
                base
                | {
                    "channel": None,
                    "error": row.failure,
                    "kind": "transient",
                    "next": RETRIED,
                    "attempts": None,
                    "failed_at": None,
                }
            )
    return sorted(found, key=lambda f: (f["kind"] != "permanent", f["due"], f["conference"]))


def _moment(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def _delivery_row(d: StoredDelivery, names: Names) -> dict[str, Any]:
    return {
        "conference": d.conference_id,
        "copy": d.copy_key,
        "recipient": d.recipient,
        "recipient_name": who(names, d.conference_id, d.recipient),
        "document": d.document,
        "channel": d.channel,
        "due": d.due,
        "sent_on": d.sent_on,
        "delivered_at": _moment(d.delivered_at),
        "late_by_working_days": d.late_by,
    }


def sent_on_time(
    today: date,
    copy_rows: Sequence[CopyRow],
    deliveries: Sequence[StoredDelivery],
    outstanding: Any = None,
) -> dict[str, Any]:
    """The check "documents sent on time" of one conference: a problem if a copy in
    its plan went after its due date (by working days, the conference's calendar) or is still
    to go and past due; else ok. `outstanding(row)`: is the copy still to reach its reader."""
    in_plan = {r.copy_key for r in copy_rows}
    late = [
        d
        for d in deliveries
        if d.state == "sent" and d.late_by is not None and d.copy_key in in_plan
    ]
    past_due = [
        r
        for r in copy_rows
        if r.due < today
        and (outstanding(r) if outstanding is not None else r.status in NOT_YET_WITH_RECIPIENT)
        and r.status != "waiting"  # not signed yet: reported as waiting and overdue
    ]
    words = []
    if late:
        words.append(
            f"{len(late)} went after their due date: "
            + ", ".join(
                f"{d.copy_key} by {d.late_by} working day{'s' if d.late_by != 1 else ''}"
                for d in late
            )
        )
    if past_due:
        words.append(
            f"{len(past_due)} past their due date and not with their reader yet: "
            + ", ".join(f"{r.copy_key} (due {r.due.isoformat()})" for r in past_due)
        )
    if words:
        return {
            "check": SENT_ON_TIME,
            "status": "problem",
            "detail": "; ".join(words),
            "source": SENT_ON_TIME_SOURCE,
        }
    return {
        "check": SENT_ON_TIME,
        "status": "ok",
        "detail": f"every copy due by {today.isoformat()} went by its due date",
        "source": SENT_ON_TIME_SOURCE,
    }

"""The store's copies, tasks, deliveries and checks on a given day → what is overdue, due, held, waiting and open.

Pure over rows the store returns, so `--today` can ask about any day and a test can too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from pipeline.copy_state import RELEASABLE
from pipeline.store import StoredDelivery

NOT_YET_WITH_RECIPIENT = ("ready", "held", "waiting", "sending")


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

    def to_json(self) -> dict[str, Any]:
        def rows(items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
            return [{k: _plain(v) for k, v in item.items()} for item in items]

        return {
            "today": self.today.isoformat(),
            "overdue": rows(self.overdue),
            "due_today": rows(self.due_today),
            "due_tomorrow": rows(self.due_tomorrow),
            "held": rows(self.held),
            "waiting": rows(self.waiting),
            "awaiting_handover": rows(self.awaiting_handover),
            "open_tasks": rows(self.open_tasks),
            "quarantined": [{"file": q.file, "reason": q.reason} for q in self.quarantined],
            "checks": rows(self.checks),
            "pending_amendments": rows(self.pending_amendments),
            "amendment_letters_to_send": rows(self.amendment_letters_to_send),
            "amendments_not_made": rows(self.amendments_not_made),
        }


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _copy(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "conference": row["conference_id"],
        "copy": row["copy_key"],
        "recipient": row["recipient"],
        "document": row["document"],
        "due": row["due"],
        "status": row["status"],
        "via": row["via"],
        "reason": row["reason"],
    }


def status_report(
    today: date,
    copy_rows: Sequence[dict[str, Any]],
    task_rows: Sequence[dict[str, Any]],
    deliveries: Sequence[StoredDelivery],
    conference_rows: Sequence[dict[str, Any]],
    quarantined: Sequence[Quarantined],
    amendment_rows: Sequence[dict[str, Any]] = (),
    not_made: Sequence[tuple[str, str, str]] = (),
) -> StatusReport:
    """`not_made`: (conference, amendment, why) for agreed amendments that could not be made."""
    tomorrow = today + timedelta(days=1)
    current = [r for r in copy_rows if r["in_plan"]]
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

    def outstanding(row: dict[str, Any]) -> bool:
        key = (row["conference_id"], row["copy_key"])
        if row["status"] == "withdrawn" or key in handed_over:
            return False
        return row["status"] in NOT_YET_WITH_RECIPIENT or key in with_social_worker

    late = [r for r in current if outstanding(r) and r["due"] < today]
    held = [
        _copy(r) | {"hold": r["hold_kind"], "releasable": r["hold_kind"] in RELEASABLE}
        for r in current
        if r["status"] == "held"
    ]
    awaiting = [
        {
            "conference": d.conference_id,
            "copy": d.copy_key,
            "recipient": d.recipient,
            "document": d.document,
            "social_worker": d.via,
            "sent_to_social_worker": d.sent_on,
        }
        for d in with_social_worker.values()
    ]
    return StatusReport(
        today=today,
        overdue=tuple(_copy(r) for r in sorted(late, key=lambda r: r["due"])),
        due_today=tuple(_copy(r) for r in current if outstanding(r) and r["due"] == today),
        due_tomorrow=tuple(_copy(r) for r in current if outstanding(r) and r["due"] == tomorrow),
        held=tuple(held),
        waiting=tuple(_copy(r) for r in current if r["status"] == "waiting"),
        awaiting_handover=tuple(awaiting),
        open_tasks=tuple(
            {
                "conference": t["conference_id"],
                "task": t["kind"],
                "owner": t["owner"],
                "for": t["recipient"],
                "document": t["document"],
                "due": t["due"],
                "overdue": t["due"] < today,
            }
            for t in task_rows
            if t["done_on"] is None
        ),
        quarantined=tuple(quarantined),
        checks=tuple(
            {"conference": c["conference_id"], "revision": c["revision"], **check}
            for c in conference_rows
            for check in c["checks"]
        ),
        # Issue 5: what the chair has still to decide, and the letters their decisions call for.
        pending_amendments=tuple(
            {
                "conference": a["conference_id"],
                "amendment": a["amendment_id"],
                "requested_by": a["requested_by"],
                "received_on": a["received_on"],
                "late": a["late"],
                "window_ended": a["window_ends"],
            }
            for a in amendment_rows
            if a["status"] == "pending"
        ),
        amendments_not_made=tuple(
            {"conference": c, "amendment": a, "why": why} for c, a, why in not_made
        ),
        amendment_letters_to_send=tuple(
            _copy(r)
            for r in sorted(current, key=lambda r: r["due"])
            if r["document"] in ("amendment_notice", "amendment_rejection") and outstanding(r)
        ),
    )

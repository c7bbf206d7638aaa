"""What `cpc status` reports on a given day: overdue, due, held, waiting, with the social worker, open tasks (issue 4)."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from pipeline.service.status_report import Quarantined, status_report
from pipeline.store.db import StoredDelivery
from pipeline.store.rows import ConferenceRow, CopyRow, TaskRow

TODAY = date(2026, 12, 2)


def copy(key: str, due: date, status: str, **more: Any) -> CopyRow:
    recipient = key.split("/")[0]
    values: dict[str, Any] = {
        "id": 1,
        "conference_id": "CPC-1",
        "copy_key": key,
        "recipient": recipient,
        "document": key.split("/")[1],
        "view": "professional",
        "revision": 1,
        "in_plan": True,
        "plan_status": "ready",
        "due": due,
        "status": status,
        "via": None,
        "reason": None,
        "hold_kind": None,
        "handover_by": None,
        "channel_hint": None,
        "recipient_class": "professional",
        "on_behalf_of": None,
        "fingerprint": "f",
        "failure": None,
    }
    return CopyRow(**(values | more))


def conference_row(revision: int, checks: list[dict[str, Any]]) -> ConferenceRow:
    return ConferenceRow(
        conference_id="CPC-1",
        revision=revision,
        document_id=1,
        stage="initial",
        profile="default",
        checks=tuple(checks),
        planned_at=None,
    )


def delivery(
    key: str, *, via: str | None = None, handed_over: date | None = None
) -> StoredDelivery:
    return StoredDelivery(
        id=1,
        conference_id="CPC-1",
        copy_key=key,
        revision=1,
        recipient=key.split("/")[0],
        document=key.split("/")[1],
        channel="folder",
        via=via,
        edition="original",
        state="sent",
        fingerprint="f",
        files=(),
        message_id=None,
        batch_id=None,
        destination=None,
        sent_on=date(2026, 11, 30),
        received_on=handed_over if via else date(2026, 11, 30),
        handed_over_on=handed_over,
    )


def report(copies: list[CopyRow], deliveries: list[StoredDelivery] = (), **more: Any):  # type: ignore[assignment,no-untyped-def]
    return status_report(
        more.get("today", TODAY),
        copies,
        more.get("tasks", []),
        list(deliveries),
        more.get("conferences", []),
        more.get("quarantined", []),
    )


def keys(rows: tuple[dict[str, Any], ...]) -> list[str]:
    return [r["copy"] for r in rows]


def test_a_copy_not_yet_delivered_after_its_due_date_is_overdue() -> None:
    result = report(
        [
            copy("p-a/record", date(2026, 12, 1), "ready"),  # late
            copy("p-b/record", date(2026, 12, 1), "delivered"),  # went out: not overdue
            copy("p-c/record", TODAY, "waiting"),  # due today
            copy("p-d/record", date(2026, 12, 3), "held", hold_kind="leak"),  # due tomorrow
            copy("p-e/record", date(2026, 11, 1), "withdrawn"),  # the chair withdrew it
            copy("p-f/record", date(2026, 11, 1), "ready", in_plan=False),  # no longer planned
        ]
    )
    assert keys(result.overdue) == ["p-a/record"]
    assert keys(result.due_today) == ["p-c/record"]
    assert keys(result.due_tomorrow) == ["p-d/record"]
    assert keys(result.held) == ["p-d/record"]
    assert result.held[0]["releasable"] is False
    assert keys(result.waiting) == ["p-c/record"]


def test_a_copy_with_the_social_worker_is_overdue_until_handed_over() -> None:
    """002 §22.9: the recipient has it only once the lead social worker hands it over."""
    rows = [copy("p-mum/record", date(2026, 12, 1), "delivered", via="p-sw")]
    waiting = report(rows, [delivery("p-mum/record", via="p-sw")])
    assert keys(waiting.overdue) == ["p-mum/record"]
    assert [a["copy"] for a in waiting.awaiting_handover] == ["p-mum/record"]
    handed = report(rows, [delivery("p-mum/record", via="p-sw", handed_over=date(2026, 11, 30))])
    assert handed.overdue == () and handed.awaiting_handover == ()


def test_open_tasks_quarantined_files_and_checks_are_listed() -> None:
    task = TaskRow(
        id=1,
        conference_id="CPC-1",
        kind="translation",
        owner="p-sw",
        recipient="p-dad",
        document="record",
        due=date(2026, 12, 1),
        in_plan=True,
        done_on=None,
    )
    done = dataclasses.replace(task, kind="hand_over", done_on=date(2026, 11, 30))
    conference = conference_row(
        2, [{"check": "quorum", "status": "problem", "detail": "d", "source": "s"}]
    )
    result = report(
        [],
        tasks=[task, done],
        conferences=[conference],
        quarantined=[Quarantined("x.json", "the file is empty")],
    )
    assert [(t["task"], t["overdue"]) for t in result.open_tasks] == [("translation", True)]
    assert result.quarantined[0].reason == "the file is empty"
    assert result.to_json()["checks"][0]["check"] == "quorum"


# ---- issue 10: failed and late copies ------------------------------------------------------------


def test_failed_copies_come_first_permanent_before_transient_and_withdrawn_ones_drop_off() -> None:
    rows = [
        copy("p-a/record", date(2026, 12, 1), "sending"),
        copy("p-b/record", date(2026, 12, 3), "failed"),
        copy("p-c/record", date(2026, 11, 1), "withdrawn"),
        copy("p-d/record", date(2026, 12, 3), "ready", failure="rendering took too long"),
    ]
    retried = dataclasses.replace(
        delivery("p-a/record"), state="pending", error="451 try later", error_kind="transient"
    )
    refused = dataclasses.replace(
        delivery("p-b/record"), state="failed", error="550 no such user", error_kind="permanent"
    )
    withdrawn = dataclasses.replace(
        delivery("p-c/record"), state="failed", error="550", error_kind="permanent"
    )
    result = report(rows, [retried, refused, withdrawn])
    assert [(f["copy"], f["kind"]) for f in result.failed] == [
        ("p-b/record", "permanent"),
        ("p-a/record", "transient"),
        ("p-d/record", "transient"),
    ]
    assert "corrected export" in result.failed[0]["next"]
    assert result.failed[1]["next"] == result.failed[2]["next"] == "tried again by the next run"
    # Where else it is listed (overdue), the copy says failed with the server's words.
    (overdue,) = result.overdue
    assert (overdue["copy"], overdue["status"], overdue["reason"]) == (
        "p-a/record",
        "failed",
        "451 try later",
    )
    assert list(result.to_json())[:3] == ["today", "store", "failed"]


def test_late_deliveries_of_the_last_days_and_the_on_time_check() -> None:
    rows = [copy("p-a/decision_letter", date(2026, 11, 24), "delivered")]
    late = dataclasses.replace(
        delivery("p-a/decision_letter"),
        sent_on=date(2026, 11, 26),
        due=date(2026, 11, 24),
        late_by=2,
    )
    conference = conference_row(1, [])
    recent = report(rows, [late], conferences=[conference])
    assert [(d["copy"], d["late_by_working_days"]) for d in recent.late] == [
        ("p-a/decision_letter", 2)
    ]
    (check,) = recent.checks
    assert check["check"] == "documents_sent_on_time" and check["status"] == "problem"
    # A week later with a window of 3 days: no longer listed, still a problem in the check.
    later = status_report(
        date(2026, 12, 9), rows, [], [late], [conference], [], late_days=3
    )
    assert later.late == ()
    assert later.checks[0]["status"] == "problem"
    on_time = report(rows, [delivery("p-a/decision_letter")], conferences=[conference])
    assert on_time.checks[0]["status"] == "ok"

"""What `cpc status` reports on a given day: overdue, due, held, waiting, with the social worker, open tasks (issue 4)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pipeline.status_report import Quarantined, status_report
from pipeline.store import StoredDelivery

TODAY = date(2026, 12, 2)


def copy(key: str, due: date, status: str, **more: Any) -> dict[str, Any]:
    recipient = key.split("/")[0]
    return {
        "conference_id": "CPC-1",
        "copy_key": key,
        "recipient": recipient,
        "document": key.split("/")[1],
        "due": due,
        "status": status,
        "via": None,
        "reason": None,
        "hold_kind": None,
        "in_plan": True,
        **more,
    }


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


def report(copies: list[dict[str, Any]], deliveries: list[StoredDelivery] = (), **more: Any):  # type: ignore[assignment,no-untyped-def]
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
    task = {
        "conference_id": "CPC-1",
        "kind": "translation",
        "owner": "p-sw",
        "recipient": "p-dad",
        "document": "record",
        "due": date(2026, 12, 1),
        "done_on": None,
    }
    done = task | {"kind": "hand_over", "done_on": date(2026, 11, 30)}
    conference = {
        "conference_id": "CPC-1",
        "revision": 2,
        "checks": [{"check": "quorum", "status": "problem", "detail": "d", "source": "s"}],
    }
    result = report(
        [],
        tasks=[task, done],
        conferences=[conference],
        quarantined=[Quarantined("x.json", "the file is empty")],
    )
    assert [(t["task"], t["overdue"]) for t in result.open_tasks] == [("translation", True)]
    assert result.quarantined[0].reason == "the file is empty"
    assert result.to_json()["checks"][0]["check"] == "quorum"

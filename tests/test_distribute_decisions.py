"""Re-planning a new revision, and the chair's decisions on held copies, through the real store (issue 4; spec §1, §4 rule 7, §5).

What is laid out is not the point here: the run renders with the fake renderer, whose PDF names
the copy and the edition lines the run chose (tests/fake_renderer.py). That an updated letter
prints its edition line is tests/test_rendered_rules.py's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pipeline.store.rows import CopyRow
from tests import service_harness
from tests.backends import Database
from tests.conftest import example
from tests.fake_renderer import FAKE
from tests.service_harness import pdf_text

# Each test on both stores: SQLite and PostgreSQL (tests.backends).
pytestmark = pytest.mark.usefixtures("database")

DV = "CPC-2026-0412"


class Service(service_harness.Service):
    """The DV conference's service: copy() and sent() default to that conference."""

    def copy(self, key: str) -> CopyRow:  # type: ignore[override]
        return super().copy(DV, key)

    def sent(self, key: str) -> list[Any]:  # type: ignore[override]
        return super().sent(DV, key)


def revision(n: int) -> dict[str, Any]:
    data = example("initial-domestic-abuse")
    data["revision"] = n
    data["export_id"] = f"EXP-DV-{n}"
    return data


@pytest.fixture(scope="module")
def delivered_once(tmp_path_factory: pytest.TempPathFactory, module_database: Database) -> Service:
    root = tmp_path_factory.mktemp("service")
    service = Service(root, renderer=FAKE, database_url=module_database.url)
    service.drop(example("initial-domestic-abuse"))
    service.distribute("2026-11-24")
    return service


def test_a_second_run_sends_nothing_again(delivered_once: Service) -> None:
    """Spec §1: nothing is sent twice."""
    output = delivered_once.distribute("2026-11-25")
    assert "Delivered: 0" in output
    assert len(delivered_once.sent("p-police/record")) == 1


def test_a_changed_decision_letter_is_held_then_released_by_the_chair(tmp_path: Path) -> None:
    service = Service(tmp_path, renderer=FAKE)
    service.drop(revision(1))
    service.distribute("2026-11-24")
    changed = revision(2)
    changed["decisions"][0]["recommendations"].append("School to arrange weekly check-ins.")
    service.drop(changed)
    service.distribute("2026-11-25")
    held = service.copy("p-police/decision_letter")
    assert (held.status, held.hold_kind) == ("held", "changed_after_sent")
    assert len(service.sent("p-police/decision_letter")) == 1
    # The outline plan did not change: it is not sent again.
    assert len(service.sent("p-police/outline_plan")) == 1

    # Only the chair decides (spec §4 rule 7).
    refused = service.cpc(
        "release", DV, "p-police/decision_letter", "--by", "p-sw", "--why", "fine", code=1
    )
    assert "only the conference chair" in refused
    service.cpc(
        "release",
        DV,
        "p-police/decision_letter",
        "--by",
        "p-chair",
        "--why",
        "recommendation added",
    )
    service.distribute("2026-11-26")
    _first, second = service.sent("p-police/decision_letter")
    assert second.edition.startswith("updated")
    folder = service.root / "outbox" / DV / "p-police"
    (updated,) = folder.glob("decision_letter-updated-*.pdf")
    text = pdf_text(updated.read_bytes())
    assert (
        "issued 2026-11-26 edition Updated copy: this replaces the copy sent on 24 November "
        "2026. It is made from revision 2 of the conference record."
    ) in text
    assert f"fingerprint {second.fingerprint}" in text  # the changed letter, not the first
    assert second.fingerprint != _first.fingerprint
    assert (folder / "decision_letter.pdf").exists()  # the first copy is not overwritten
    audit = [line.action for line in service.store().audit_lines(DV)]
    assert "released" in audit


def test_a_changed_record_already_sent_is_held_and_cannot_be_released(tmp_path: Path) -> None:
    """Spec §5: a changed record is not sent as a new record; it needs an agreed amendment."""
    service = Service(tmp_path, renderer=FAKE)
    service.drop(revision(1))
    service.distribute("2026-11-24")
    changed = revision(2)
    changed["record"]["sections"][0]["paragraphs"].append("Added later.")
    service.drop(changed)
    service.distribute("2026-11-25")
    held = service.copy("p-police/record")
    assert (held.status, held.hold_kind) == ("held", "changed_record")
    output = service.cpc("release", DV, "p-police/record", "--by", "p-chair", "--why", "x", code=1)
    assert "amendment" in output
    status = json.loads(service.cpc("status", "--today", "2026-11-25", "--format", "json"))
    assert any(h["copy"] == "p-police/record" and not h["releasable"] for h in status["held"])


def test_a_withdrawn_copy_never_goes(tmp_path: Path) -> None:
    service = Service(tmp_path, renderer=FAKE)
    service.drop(revision(1))
    service.distribute("2026-11-24")
    changed = revision(2)
    changed["decisions"][0]["recommendations"].append("Another recommendation.")
    service.drop(changed)
    service.distribute("2026-11-25")
    service.cpc("withdraw", DV, "p-gp/decision_letter", "--by", "p-chair", "--why", "not needed")
    service.distribute("2026-11-26")
    assert len(service.sent("p-gp/decision_letter")) == 1
    assert service.copy("p-gp/decision_letter").status == "withdrawn"
    service.cpc("release", DV, "p-gp/decision_letter", "--by", "p-chair", "--why", "x", code=1)


def test_handing_over_records_the_recipients_receipt(delivered_once: Service) -> None:
    """Issue 4: the hand-over date is the recipient's receipt date; the hand-over task closes."""
    (before,) = delivered_once.sent("p-mother/record")
    assert before.via == "p-sw" and before.received_on is None
    sheet = (
        delivered_once.root
        / "outbox"
        / DV
        / "p-sw"
        / "to-hand-over"
        / "p-mother"
        / "handover-sheet-record.pdf"
    )
    assert "hand-over sheet for p-mother/record via p-sw" in pdf_text(sheet.read_bytes())
    delivered_once.cpc("handed-over", DV, "p-mother/record", "--by", "p-sw", "--on", "2026-12-01")
    (after,) = delivered_once.sent("p-mother/record")
    assert str(after.received_on) == "2026-12-01"
    status = json.loads(delivered_once.cpc("status", "--today", "2026-12-02", "--format", "json"))
    assert not any(
        t["task"] == "hand_over" and t["for"] == "p-mother" for t in status["open_tasks"]
    )
    assert not any(a["copy"] == "p-mother/record" for a in status["awaiting_handover"])
    # Recorded once only.
    delivered_once.cpc("handed-over", DV, "p-mother/record", "--by", "p-sw", code=1)


def test_a_task_done_is_closed_and_stays_closed(tmp_path: Path) -> None:
    """Spec §3: needs create tracked tasks; doing one closes it, even after a new revision."""
    service = Service(tmp_path, renderer=FAKE)
    data = revision(1)
    mother = next(p for p in data["people"] if p["id"] == "p-mother")
    mother["needs"] = ["translation"]
    mother["language"] = "pl"
    service.drop(data)
    open_tasks = json.loads(service.cpc("status", "--format", "json"))["open_tasks"]
    assert {"task": "translation", "for": "p-mother", "document": "record"}.items() <= next(
        t for t in open_tasks if t["task"] == "translation" and t["document"] == "record"
    ).items()
    service.cpc(
        "task-done", DV, "--task", "translation", "--for", "p-mother", "--document", "record",
        "--by", "p-sw", "--on", "2026-11-30",
    )  # fmt: skip
    second = revision(2)
    second["people"] = data["people"]
    service.drop(second)
    still_open = json.loads(service.cpc("status", "--format", "json"))["open_tasks"]
    assert not any(t["task"] == "translation" and t["document"] == "record" for t in still_open)
    service.cpc(
        "task-done", DV, "--task", "translation", "--for", "p-mother", "--document", "record",
        "--by", "p-sw", code=1,
    )  # fmt: skip

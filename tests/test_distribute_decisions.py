"""Re-planning a new revision, and the chair's decisions on held copies, through the real store and renderers (issue 4; spec §1, §4 rule 7, §5)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.store import Store
from redaction.leak_check import extract_pdf
from tests.conftest import example

runner = CliRunner()
DV = "CPC-2026-0412"


class Service:
    """A configured service in a temporary folder, driven through the `cpc` command."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.config = root / "cpc.toml"
        self.config.write_text('[folders]\ninbox = "inbox"\nstate = "state"\noutbox = "outbox"\n')
        self.drops = 0

    def cpc(self, *args: str, code: int = 0) -> str:
        result = runner.invoke(app, [*args, "--config", str(self.config)])
        assert result.exit_code == code, result.output
        return result.output

    def drop(self, data: dict[str, Any]) -> None:
        self.drops += 1
        path = self.root / "inbox" / "exports" / f"{self.drops:03d}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data), encoding="utf-8")
        self.cpc("ingest", str(path))

    def distribute(self, today: str) -> str:
        return self.cpc("distribute", "--today", today, "--workers", "0")

    def store(self) -> Store:
        return Store.open(f"sqlite:///{self.root / 'state' / 'cpc.sqlite3'}")

    def copy(self, key: str) -> dict[str, Any]:
        store = self.store()
        try:
            return store.copy_row(DV, key)
        finally:
            store.close()

    def sent(self, key: str) -> list[Any]:
        store = self.store()
        try:
            return [d for d in store.deliveries(DV) if d.copy_key == key and d.state == "sent"]
        finally:
            store.close()


def pdf_text(data: bytes) -> str:
    """The words on the pages, as a reader sees them."""
    return " ".join(
        " ".join(text.split()) for where, text in extract_pdf(data) if where.startswith("page")
    )


def revision(n: int) -> dict[str, Any]:
    data = example("initial-domestic-abuse")
    data["revision"] = n
    data["export_id"] = f"EXP-DV-{n}"
    return data


@pytest.fixture(scope="module")
def delivered_once(tmp_path_factory: pytest.TempPathFactory) -> Service:
    service = Service(tmp_path_factory.mktemp("service"))
    service.drop(example("initial-domestic-abuse"))
    service.distribute("2026-11-24")
    return service


def test_a_second_run_sends_nothing_again(delivered_once: Service) -> None:
    """Spec §1: nothing is sent twice."""
    output = delivered_once.distribute("2026-11-25")
    assert "Delivered: 0" in output
    assert len(delivered_once.sent("p-police/record")) == 1


def test_a_changed_decision_letter_is_held_then_released_by_the_chair(tmp_path: Path) -> None:
    service = Service(tmp_path)
    service.drop(revision(1))
    service.distribute("2026-11-24")
    changed = revision(2)
    changed["decisions"][0]["recommendations"].append("School to arrange weekly check-ins.")
    service.drop(changed)
    service.distribute("2026-11-25")
    held = service.copy("p-police/decision_letter")
    assert (held["status"], held["hold_kind"]) == ("held", "changed_after_sent")
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
    assert "Updated copy: this replaces the copy sent on 24 November 2026" in text
    assert "weekly check-ins" in text
    assert (folder / "decision_letter.pdf").exists()  # the first copy is not overwritten
    audit = [line["action"] for line in service.store().audit_lines(DV)]
    assert "released" in audit


def test_a_changed_record_already_sent_is_held_and_cannot_be_released(tmp_path: Path) -> None:
    """Spec §5: a changed record is not sent as a new record; it needs an agreed amendment."""
    service = Service(tmp_path)
    service.drop(revision(1))
    service.distribute("2026-11-24")
    changed = revision(2)
    changed["record"]["sections"][0]["paragraphs"].append("Added later.")
    service.drop(changed)
    service.distribute("2026-11-25")
    held = service.copy("p-police/record")
    assert (held["status"], held["hold_kind"]) == ("held", "changed_record")
    output = service.cpc("release", DV, "p-police/record", "--by", "p-chair", "--why", "x", code=1)
    assert "amendment" in output
    status = json.loads(service.cpc("status", "--today", "2026-11-25", "--format", "json"))
    assert any(h["copy"] == "p-police/record" and not h["releasable"] for h in status["held"])


def test_a_withdrawn_copy_never_goes(tmp_path: Path) -> None:
    service = Service(tmp_path)
    service.drop(revision(1))
    service.distribute("2026-11-24")
    changed = revision(2)
    changed["decisions"][0]["recommendations"].append("Another recommendation.")
    service.drop(changed)
    service.distribute("2026-11-25")
    service.cpc("withdraw", DV, "p-gp/decision_letter", "--by", "p-chair", "--why", "not needed")
    service.distribute("2026-11-26")
    assert len(service.sent("p-gp/decision_letter")) == 1
    assert service.copy("p-gp/decision_letter")["status"] == "withdrawn"
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
        / "handover-sheet.pdf"
    )
    assert "Hand-over sheet" in pdf_text(sheet.read_bytes())
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

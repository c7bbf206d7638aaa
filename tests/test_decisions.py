"""Who may decide, and a store that fails mid-run (spec §4 rule 7; 002 §22.7, R61).

One chair check, by the chair's person id, answers for a release, a withdrawal and an amendment
decision: the chair of another conference is refused for each, as anyone else is. A store fault
met while a delivery is finished stops the run; it is not recorded as that copy's failure.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pipeline.cli.app import app
from pipeline.contract.load import load_export
from pipeline.errors import StoreError, StoreUnavailable
from pipeline.service.decisions import person_id_for, require_chair
from pipeline.store.deliveries import DeliveriesMixin
from tests.backends import Database
from tests.conftest import example
from tests.fake_renderer import FAKE
from tests.service_harness import Service

# Each test on both stores: SQLite and PostgreSQL (tests.backends).
pytestmark = pytest.mark.usefixtures("database")

DV = "CPC-2026-0412"  # chaired by p-chair (Helen Marsh)
OTHER_CHAIR = "p-chair3"  # the chair of pre-birth-scheduled, CPC-2026-0630's
FAMILY_BY_FOLDER = 'family = "folder"'


@pytest.fixture(scope="module")
def two_conferences(
    tmp_path_factory: pytest.TempPathFactory, module_database: Database
) -> Iterator[Service]:
    service = Service(
        tmp_path_factory.mktemp("decisions") / "service",
        FAMILY_BY_FOLDER,
        renderer=FAKE,
        database_url=module_database.url,
    )
    service.drop(example("initial-domestic-abuse"))
    service.drop(example("pre-birth-scheduled"))
    service.distribute("2026-11-24")
    yield service


def _audit(service: Service) -> list[str]:
    store = service.store()
    try:
        return [line.action for line in store.audit_lines(DV)]
    finally:
        store.close()


def test_the_chair_is_checked_by_id_and_a_name_names_the_person() -> None:
    export = load_export(json.dumps(example("initial-domestic-abuse")).encode(), ["default"])
    assert person_id_for(export, "Helen Marsh") == "p-chair"
    assert person_id_for(export, "p-chair") == "p-chair"
    require_chair(export, "p-chair", refused=StoreError)
    with pytest.raises(StoreError, match="p-chair"):
        require_chair(export, OTHER_CHAIR, refused=StoreError)


@pytest.mark.parametrize(
    "command",
    [
        "release",  # a held copy's release
        "withdraw",  # a copy never to be sent
    ],
)
def test_another_conferences_chair_cannot_decide_on_a_copy(
    two_conferences: Service, command: str
) -> None:
    before = _audit(two_conferences)
    output = two_conferences.cpc(
        command, DV, "p-police/record", "--by", OTHER_CHAIR, "--why", "x", code=1
    )
    assert f"--by '{OTHER_CHAIR}' is not the chair of this conference" in output
    assert _audit(two_conferences) == before


def test_another_conferences_chair_cannot_decide_on_an_amendment(
    two_conferences: Service,
) -> None:
    request: dict[str, Any] = example("amendment-agreed") | {"decision": {"status": "pending"}}
    two_conferences.drop(request)
    decided = example("amendment-agreed")
    decided["decision"] = decided["decision"] | {"by": OTHER_CHAIR}
    output = two_conferences.drop(decided, code=1)
    assert f"decision.by is {OTHER_CHAIR}, but only the conference's chair (p-chair)" in output
    status = json.loads(two_conferences.cpc("status", "--format", "json"))
    assert [a["amendment"] for a in status["pending_amendments"]] == ["AMD-0412-01"]


def test_the_chair_named_by_name_still_decides(two_conferences: Service) -> None:
    output = two_conferences.cpc(
        "withdraw", DV, "p-gp/decision_letter", "--by", "Helen Marsh", "--why", "x", code=1
    )
    # Delivered on 24 November: refused as delivered, so the chair check let the name through.
    assert "is already delivered: it cannot be withdrawn" in output


def test_a_store_fault_while_finishing_a_delivery_stops_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = Service(tmp_path, renderer=FAKE)
    service.drop(example("pre-birth-scheduled"))

    def locked(*_args: object, **_kwargs: object) -> None:
        raise StoreUnavailable("(sqlite3.OperationalError) database is locked")

    monkeypatch.setattr(DeliveriesMixin, "finish_deliveries", locked)
    result = CliRunner().invoke(
        app,
        ["distribute", "--today", "2026-11-24", "--workers", "0", "--config", str(service.config)],
        obj=service.tools,
    )
    assert isinstance(result.exception, StoreUnavailable), result.output
    monkeypatch.undo()
    store = service.store()
    try:
        begun = store.deliveries()
        actions = [line.action for line in store.audit_lines()]
    finally:
        store.close()
    # What was begun stays pending with no failure on it: the next run finishes it.
    assert begun
    assert {(d.state, d.error, d.attempts) for d in begun} == {("pending", None, 0)}
    assert "delivery_failed" not in actions and "delivered" not in actions

"""Who a signed-in account acts for, and what it may do (issue 15; spec §4 rule 7; 002 §22.7, §22.9).

The copies are real rows of a real store, made by the real `cpc` command: the DV conference sent
on 24 November, then a second revision that changed the decision letters (held for the chair,
releasable) and the record (held, not releasable: it needs an amendment). The accounts are a
small frozen dataclass with the fields `service.accounts.Account` has; the rules read only those.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from pipeline.contract.export import Export
from pipeline.contract.load import load_export
from pipeline.service.acting import (
    actions_for,
    may_decide,
    may_hand_over,
    may_read_audit,
    may_requeue,
    may_see_document,
    persons_for,
)
from pipeline.store.rows import CopyRow
from tests.backends import Database
from tests.conftest import example
from tests.fake_renderer import FAKE
from tests.service_harness import Service

# Each test on both stores: SQLite and PostgreSQL (tests.backends).
pytestmark = pytest.mark.usefixtures("database")

DV = "CPC-2026-0412"
HELEN = "helen.marsh@northby.example.gov.uk"  # p-chair, the DV conference's chair
RHIAN = "rhian.evans@cwmfawr.example.gov.uk"  # p-chair3, the pre-birth conference's chair
DANIEL = "daniel.okafor@northby.example.gov.uk"  # p-sw, the DV children's lead social worker
RACHEL = "rachel.dunn@northby.example.gov.uk"  # p-tm, a team manager, not the lead social worker


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    email: str
    role: Any
    disabled: bool = False
    created_at: datetime = datetime(2026, 11, 1, tzinfo=UTC)


def account(email: str, role: str, *, disabled: bool = False) -> Any:
    return Account(1, email, role, disabled)


def _export(name: str) -> Export:
    return load_export(json.dumps(example(name)).encode(), ["default"])


@pytest.fixture(scope="module")
def dv() -> Export:
    return _export("initial-domestic-abuse")


def _rows(service: Service) -> dict[str, CopyRow]:
    store = service.store()
    try:
        return {row.copy_key: row for row in store.copy_rows(DV)}
    finally:
        store.close()


@pytest.fixture(scope="module")
def sent(tmp_path_factory: pytest.TempPathFactory, module_database: Database) -> Service:
    root = tmp_path_factory.mktemp("acting") / "service"
    service = Service(root, renderer=FAKE, database_url=module_database.url)
    service.drop(example("initial-domestic-abuse"))
    service.distribute("2026-11-24")
    return service


@pytest.fixture(scope="module")
def first(sent: Service) -> dict[str, CopyRow]:
    """The copies as sent on 24 November, before anything changed."""
    return _rows(sent)


@pytest.fixture(scope="module")
def rows(sent: Service, first: dict[str, CopyRow]) -> dict[str, CopyRow]:
    """The copies once revision 2 changed the decision letters and the record."""
    service = sent
    changed = example("initial-domestic-abuse") | {"revision": 2, "export_id": "EXP-DV-2"}
    changed["decisions"][0]["recommendations"].append("School to arrange weekly check-ins.")
    changed["record"]["sections"][0]["paragraphs"].append("Added later.")
    service.drop(changed)
    service.distribute("2026-11-25")
    return _rows(service)


def test_an_account_acts_for_the_person_with_its_address_whatever_its_case(dv: Export) -> None:
    assert persons_for(dv, "  Helen.Marsh@NORTHBY.example.gov.uk ") == {"p-chair"}
    assert persons_for(dv, "helen.marsh@northby.example.gov") == frozenset()
    assert persons_for(dv, "") == frozenset()


@pytest.mark.parametrize(
    ("email", "role", "disabled", "decides"),
    [
        (HELEN, "chair", False, True),  # the conference's chair
        (HELEN.upper(), "chair", False, True),  # the same address, as typed at sign-in
        (RHIAN, "chair", False, False),  # the chair of another conference
        (HELEN, "administrator", False, False),  # an administrator, even with the chair's address
        (HELEN, "chair", True, False),  # a disabled account
        (DANIEL, "social_worker", False, False),  # the social worker is not the chair
    ],
)
def test_only_the_conferences_chair_decides(
    dv: Export, email: str, role: str, disabled: bool, decides: bool
) -> None:
    assert may_decide(account(email, role, disabled=disabled), dv) is decides


def test_a_social_worker_hands_over_only_copies_routed_through_them(
    dv: Export, rows: dict[str, CopyRow]
) -> None:
    daniel = account(DANIEL, "social_worker")
    assert rows["p-mother/record"].via == "p-sw"
    assert may_hand_over(daniel, dv, rows["p-mother/record"])
    assert not may_hand_over(daniel, dv, rows["p-police/record"])  # sent to the police direct
    assert not may_hand_over(account(RACHEL, "social_worker"), dv, rows["p-mother/record"])
    assert not may_hand_over(account(DANIEL, "chair"), dv, rows["p-mother/record"])


@pytest.mark.parametrize(
    ("email", "role", "sees"),
    [
        (HELEN, "chair", True),  # the conference's chair
        (DANIEL, "social_worker", True),  # the lead social worker the decisions name
        (RACHEL, "social_worker", False),  # another social worker of the same council
        (HELEN, "administrator", False),  # administrators see the record of a copy, not it
        (HELEN, "auditor", False),
        (RHIAN, "chair", False),  # another conference's chair
    ],
)
def test_the_document_itself_only_for_the_chair_and_the_lead_social_worker(
    dv: Export, email: str, role: str, sees: bool
) -> None:
    assert may_see_document(account(email, role), dv) is sees


def test_requeue_and_audit_are_for_administrators_and_auditors() -> None:
    assert may_requeue(account(HELEN, "administrator"))
    assert not may_requeue(account(HELEN, "auditor"))
    assert not may_requeue(account(HELEN, "chair"))
    assert may_read_audit(account(HELEN, "auditor"))
    assert may_read_audit(account(HELEN, "administrator"))
    assert not may_read_audit(account(HELEN, "administrator", disabled=True))
    assert not may_read_audit(account(DANIEL, "social_worker"))


def test_the_chair_is_offered_release_only_of_a_releasable_held_copy(
    dv: Export, rows: dict[str, CopyRow]
) -> None:
    helen = account(HELEN, "chair")
    letter, record = rows["p-police/decision_letter"], rows["p-police/record"]
    assert (letter.status, letter.hold_kind) == ("held", "changed_after_sent")
    assert actions_for(helen, dv, letter, pending=()) == ("release", "withdraw")
    assert (record.status, record.hold_kind) == ("held", "changed_record")
    assert actions_for(helen, dv, record, pending=()) == ("withdraw",)  # needs an amendment
    # A copy being sent may already have left: not the chair's to withdraw.
    assert actions_for(helen, dv, letter, pending={"p-police/decision_letter"}) == ("release",)


def test_nobody_else_is_offered_the_chairs_actions(dv: Export, rows: dict[str, CopyRow]) -> None:
    letter = rows["p-police/decision_letter"]
    for someone in (
        account(HELEN, "administrator"),
        account(RHIAN, "chair"),
        account(DANIEL, "social_worker"),
        account(HELEN, "chair", disabled=True),
    ):
        assert actions_for(someone, dv, letter, pending=()) == ()


def test_the_social_worker_is_offered_the_hand_over_until_it_is_recorded(
    dv: Export, first: dict[str, CopyRow]
) -> None:
    daniel = account(DANIEL, "social_worker")
    with_them = first["p-mother/record"]
    assert (with_them.status, with_them.via) == ("delivered", "p-sw")
    assert actions_for(daniel, dv, with_them, pending=()) == ("handed-over",)
    assert actions_for(daniel, dv, with_them, pending=(), handed_over=True) == ()
    assert actions_for(account(RACHEL, "social_worker"), dv, with_them, pending=()) == ()
    assert actions_for(account(HELEN, "chair"), dv, with_them, pending=()) == ()
    # Sent to the police direct: nobody hands it over.
    assert actions_for(daniel, dv, first["p-police/record"], pending=()) == ()

"""`cpc user add/disable/list` through the real command, and the CLI's decisions audited with the OS user (issue 15).

The operator at the server's shell adds and disables web accounts; the password comes from
CPC_NEW_PASSWORD or a hidden prompt asked twice, and is never printed. A refusal is one line and
exit 1. `cpc release ... --by p-chair` names a chair anyone could type: the audit line also
carries the login that typed it.
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner

from pipeline.cli.app import app
from tests.backends import Database, on_both_stores
from tests.conftest import example
from tests.fake_renderer import FAKE
from tests.service_harness import Service

CHAIR = "helen.marsh@northby.example.gov.uk"  # fictional
PASSWORD = "lantern orchard pebble"
DV = "CPC-2026-0412"  # chaired by p-chair (Helen Marsh)


@pytest.fixture
def service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database: Database) -> Service:
    monkeypatch.setenv("CPC_NEW_PASSWORD", PASSWORD)
    return Service(tmp_path / "service")


def _nothing_added(service: Service) -> None:
    """No account was added: on SQLite no store was even made; a PostgreSQL database is there
    already, and holds no account."""
    if service.database_url is None:
        assert "no state store" in service.cpc("user", "list", code=2)
    else:
        assert "no accounts yet" in service.cpc("user", "list")


def _operator() -> str:
    return f"os:{getpass.getuser()}"


def test_an_account_is_added_with_the_password_from_the_environment(service: Service) -> None:
    output = service.cpc("user", "add", "Helen.Marsh@Northby.example.gov.uk", "--role", "chair")
    assert f"added {CHAIR} as chair" in output
    assert PASSWORD not in output
    store = service.store()
    try:
        (row,) = store.users()
        (line,) = store.audit_lines()
    finally:
        store.close()
    assert PasswordHasher().verify(row.password_hash, PASSWORD)
    assert (line.action, line.user, line.actor) == ("user_added", _operator(), _operator())


def test_without_the_variable_the_password_is_asked_twice_and_not_shown(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CPC_NEW_PASSWORD")
    result = CliRunner().invoke(
        app,
        ["user", "add", CHAIR, "--role", "auditor", "--config", str(service.config)],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Password (at least 12 characters)" in result.output
    assert "Repeat for confirmation" in result.output
    assert PASSWORD not in result.output
    assert f"added {CHAIR} as auditor" in result.output
    store = service.store()
    try:
        assert PasswordHasher().verify(store.users()[0].password_hash, PASSWORD)
    finally:
        store.close()


def test_two_different_passwords_at_the_prompt_add_nothing(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CPC_NEW_PASSWORD")
    result = CliRunner().invoke(
        app,
        ["user", "add", CHAIR, "--role", "chair", "--config", str(service.config)],
        input=f"{PASSWORD}\n{PASSWORD}x\n",
    )
    assert result.exit_code != 0
    assert "do not match" in result.output
    _nothing_added(service)


@pytest.mark.parametrize(
    ("args", "password", "said"),
    [
        # Too short, and why.
        ((CHAIR, "--role", "chair"), "short pass", "needs at least 12"),
        # Not an address.
        (("helen.marsh", "--role", "chair"), PASSWORD, "'helen.marsh' is not an email address"),
        # Not a role.
        ((CHAIR, "--role", "boss"), PASSWORD, "'boss' is not a role"),
    ],
)
def test_a_refused_account_is_one_line_and_exit_1(
    service: Service,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    password: str,
    said: str,
) -> None:
    monkeypatch.setenv("CPC_NEW_PASSWORD", password)
    output = service.cpc("user", "add", *args, code=1)
    assert said in output
    assert len(output.strip().splitlines()) == 1
    # Refused before the store was opened: none was made for it.
    _nothing_added(service)


def test_a_second_account_for_one_email_is_refused(service: Service) -> None:
    service.cpc("user", "add", CHAIR, "--role", "chair")
    output = service.cpc("user", "add", CHAIR.upper(), "--role", "administrator", code=1)
    assert f"{CHAIR} already has an account" in output


def test_the_list_shows_each_account_its_role_state_and_when_made(service: Service) -> None:
    service.cpc("user", "add", CHAIR, "--role", "chair")
    service.cpc("user", "add", "sam.okafor@northby.example.gov.uk", "--role", "social_worker")
    assert "disabled sam.okafor@northby.example.gov.uk" in service.cpc(
        "user", "disable", "Sam.Okafor@northby.example.gov.uk"
    )
    listed = service.cpc("user", "list")
    rows = [line for line in listed.splitlines() if "@" in line]
    # The suite's clock stands at 2027-12-31 12:00 UTC, winter: UK time is GMT.
    assert [[cell.strip() for cell in line.split("│")[1:5]] for line in rows] == [
        [CHAIR, "chair", "enabled", "2027-12-31 12:00 GMT"],
        ["sam.okafor@northby.example.gov.uk", "social_worker", "disabled", "2027-12-31 12:00 GMT"],
    ]
    assert "Accounts (2)" in listed


def test_disabling_twice_or_an_unknown_email_is_refused(service: Service) -> None:
    service.cpc("user", "add", CHAIR, "--role", "chair")
    service.cpc("user", "disable", CHAIR)
    assert "already disabled" in service.cpc("user", "disable", CHAIR, code=1)
    assert "nobody@northby.example.gov.uk has no account" in service.cpc(
        "user", "disable", "nobody@northby.example.gov.uk", code=1
    )
    store = service.store()
    try:
        lines = [(a.action, a.user) for a in store.audit_lines()]
    finally:
        store.close()
    assert lines == [("user_added", _operator()), ("user_disabled", _operator())]


def test_listing_or_disabling_without_a_store_makes_none(tmp_path: Path) -> None:
    # SQLite only: a missing store is the state folder's file; a PostgreSQL one is a database.
    service = Service(tmp_path / "empty")
    _nothing_added(service)
    assert "no state store" in service.cpc("user", "disable", CHAIR, code=2)
    assert not (tmp_path / "empty" / "state" / "cpc.sqlite3").exists()


@on_both_stores
def test_each_decision_from_the_shell_is_audited_with_the_os_user(tmp_path: Path) -> None:
    service = Service(tmp_path / "service", renderer=FAKE)
    first = example("initial-domestic-abuse")
    first["export_id"] = "EXP-DV-1"
    mother = next(p for p in first["people"] if p["id"] == "p-mother")
    mother["needs"] = ["translation"]
    mother["language"] = "pl"
    service.drop(first)
    service.distribute("2026-11-24")
    changed = example("initial-domestic-abuse")
    changed["revision"] = 2
    changed["export_id"] = "EXP-DV-2"
    changed["people"] = first["people"]
    changed["decisions"][0]["recommendations"].append("School to arrange weekly check-ins.")
    service.drop(changed)
    service.distribute("2026-11-25")
    assert service.copy(DV, "p-police/decision_letter").status == "held"
    service.cpc(
        "release",
        DV,
        "p-police/decision_letter",
        "--by",
        "p-chair",
        "--why",
        "recommendation added",
    )
    service.cpc("handed-over", DV, "p-mother/record", "--by", "p-sw", "--on", "2026-11-25")
    service.cpc(
        "task-done", DV, "--task", "translation", "--for", "p-mother", "--document", "record",
        "--by", "p-sw", "--on", "2026-11-25",
    )  # fmt: skip
    store = service.store()
    try:
        lines = store.audit_lines(DV)
    finally:
        store.close()
    login = f"os:{getpass.getuser()}"
    by_person = {
        (a.action, a.actor, a.user)
        for a in lines
        if a.action in ("released", "handed_over", "task_done")
    }
    assert by_person == {
        ("released", "p-chair", login),
        ("handed_over", "p-sw", login),
        ("task_done", "p-sw", login),
    }
    (released,) = [a for a in lines if a.action == "released"]
    assert (released.copy_key, released.detail["why"]) == (
        "p-police/decision_letter",
        "recommendation added",
    )
    # The pipeline's own lines were signed in as nobody.
    assert {a.user for a in lines if a.action not in ("released", "handed_over", "task_done")} == {
        None
    }


@on_both_stores
def test_a_withdrawal_from_the_shell_is_audited_with_the_os_user(tmp_path: Path) -> None:
    service = Service(tmp_path / "service", renderer=FAKE)
    service.drop(example("initial-domestic-abuse"))
    # Before any run: nothing is being sent, so the chair may withdraw it.
    service.cpc("withdraw", DV, "p-police/record", "--by", "p-chair", "--why", "sent by hand")
    store = service.store()
    try:
        (line,) = [a for a in store.audit_lines(DV) if a.action == "withdrawn"]
    finally:
        store.close()
    assert (line.actor, line.user) == ("p-chair", f"os:{getpass.getuser()}")


@on_both_stores
def test_an_amendment_decision_taken_in_for_a_signed_in_chair_carries_their_user(
    tmp_path: Path,
) -> None:
    """What the web's amendment decision calls: as if the decision file had arrived, with who
    was signed in on the audit line."""
    from pipeline.intake.accept import read_document
    from pipeline.procedure.profile import load_profiles
    from pipeline.service.amendment_intake import take_amendment

    service = Service(tmp_path / "service", renderer=FAKE)
    service.drop(example("initial-domestic-abuse"))
    service.distribute("2026-11-27")
    service.cpc("handed-over", DV, "p-mother/record", "--by", "p-sw", "--on", "2026-11-30")
    service.drop(example("amendment-agreed") | {"decision": {"status": "pending"}})
    profiles = load_profiles()
    decision = read_document(
        json.dumps(example("amendment-agreed")).encode(), "web-decision.json", profiles.keys()
    )
    store = service.store()
    try:
        assert (
            take_amendment(store, decision, "web-decision.json", profiles, user=f"web:{CHAIR}")
            == "new"
        )  # type: ignore[arg-type]
        lines = store.audit_lines(DV)
    finally:
        store.close()
    (agreed,) = [a for a in lines if a.action == "amendment_agreed"]
    (requested,) = [a for a in lines if a.action == "amendment_requested"]
    assert (agreed.actor, agreed.user) == ("p-chair", f"web:{CHAIR}")
    assert requested.user is None  # a file in the inbox: nobody was signed in

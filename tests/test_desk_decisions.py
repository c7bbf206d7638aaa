"""Decisions made on the front desk go the way the same decision from a file goes (issue 15; 002 §22.7, R61; spec §5).

The chair's agreement or rejection of a pending amendment is taken by the amendment intake as if
the case-management system's decision file had arrived, with every check it makes; a replaced
quarantined file goes back to the inbox, audited with who sent it back. Real stores, made by
the real `cpc` command.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from pipeline.errors import AmendmentRefused, StoreError
from pipeline.intake.folders import InboxFolders
from pipeline.procedure.profile import Profile, load_profiles
from pipeline.service.desk_decisions import decide_amendment, requeue_quarantined
from pipeline.service.front_desk import dashboard
from pipeline.store.db import Store
from tests.backends import Database
from tests.conftest import example
from tests.fake_renderer import FAKE
from tests.service_harness import Service

# Each test on both stores: SQLite and PostgreSQL (tests.backends).
pytestmark = pytest.mark.usefixtures("database")

DV = "CPC-2026-0412"
AMENDMENT = "AMD-0412-01"  # the school's correction to s4, asked for on 3 December
HELEN = "web:helen.marsh@northby.example.gov.uk"
DECIDED = date(2026, 12, 4)


@pytest.fixture(scope="module")
def profiles() -> dict[str, Profile]:
    return load_profiles()


@pytest.fixture(scope="module")
def requested(tmp_path_factory: pytest.TempPathFactory, module_database: Database) -> Service:
    """The DV conference sent on 24 November, and the school's request waiting for the chair."""
    root = tmp_path_factory.mktemp("desk-decisions") / "service"
    service = Service(root, renderer=FAKE, database_url=module_database.url)
    service.drop(example("initial-domestic-abuse"))
    service.distribute("2026-11-24")
    service.drop(example("amendment-agreed") | {"decision": {"status": "pending"}})
    return service


@pytest.fixture
def service(requested: Service, tmp_path: Path) -> Service:
    root = tmp_path / "service"
    shutil.copytree(requested.root, root)
    return Service(root, renderer=FAKE, database_url=requested.database_copy())


@pytest.fixture
def store(service: Service) -> Iterator[Store]:
    opened = service.store()
    yield opened
    opened.close()


def _decide(store: Store, profiles: dict[str, Profile], **changes: Any) -> None:
    arguments: dict[str, Any] = {
        "agreed": True,
        "note": "",
        "by": "p-chair",
        "on": DECIDED,
        "user": HELEN,
        "today": DECIDED,
    }
    decide_amendment(store, profiles, AMENDMENT, **(arguments | changes))


def test_the_amendment_waits_for_the_chair_on_the_dashboard(
    store: Store, profiles: dict[str, Profile]
) -> None:
    (waiting,) = dashboard(store, profiles, today=DECIDED).section("amendment").items
    assert waiting.recipient == "Anita Ross (Designated Safeguarding Lead)"  # who asked
    assert waiting.responsible == "Helen Marsh (Independent Conference Chair) may decide"
    assert "AMD-0412-01" in waiting.what


def test_the_chairs_agreement_is_taken_as_the_decision_file_would_be(
    service: Service, store: Store, profiles: dict[str, Profile]
) -> None:
    _decide(store, profiles, note="The figure was checked with the school.")
    row = store.amendment_row(AMENDMENT)
    assert row is not None
    assert (row.status, row.decided_by, row.decided_on) == ("agreed", "p-chair", DECIDED)
    assert row.note == "The figure was checked with the school."
    line = store.audit_lines(DV)[-1]
    assert (line.action, line.actor) == ("amendment_agreed", "p-chair")
    assert HELEN in line.detail["source"]  # who was signed in
    # The service goes on as from the file: the next run sends the notices of the correction.
    service.distribute("2026-12-04")
    assert len(service.sent(DV, "p-police/amendment_notice-AMD-0412-01")) == 1
    assert not dashboard(store, profiles, today=DECIDED).section("amendment").items


def test_the_chair_named_by_name_rejects_with_a_note(
    store: Store, profiles: dict[str, Profile]
) -> None:
    _decide(store, profiles, agreed=False, by="Helen Marsh", note="The figure was right.")
    row = store.amendment_row(AMENDMENT)
    assert row is not None
    assert (row.status, row.decided_by, row.note) == (
        "rejected",
        "p-chair",
        "The figure was right.",
    )


@pytest.mark.parametrize(
    ("changes", "refusal"),
    [
        # the chair of another conference (002 §22.7): take_amendment's own check
        ({"by": "p-chair3"}, "only the conference's chair (p-chair) decides"),
        # a day that has not come yet
        ({"on": date(2026, 12, 5)}, "is after today (2026-12-04)"),
        # before the request was received: the contract's own check
        ({"on": date(2026, 12, 2), "today": DECIDED}, "before the request was received"),
    ],
)
def test_a_decision_that_cannot_stand_is_refused_and_the_request_still_waits(
    store: Store, profiles: dict[str, Profile], changes: dict[str, Any], refusal: str
) -> None:
    before = len(store.audit_lines(DV))
    with pytest.raises(AmendmentRefused, match=re.escape(refusal)):
        _decide(store, profiles, **changes)
    row = store.amendment_row(AMENDMENT)
    assert row is not None and row.status == "pending"
    assert len(store.audit_lines(DV)) == before


def test_a_decided_amendment_is_not_decided_again(
    store: Store, profiles: dict[str, Profile]
) -> None:
    _decide(store, profiles)
    with pytest.raises(AmendmentRefused, match="already agreed by p-chair"):
        _decide(store, profiles, agreed=False)


@pytest.fixture
def quarantined(service: Service) -> tuple[InboxFolders, str]:
    bad = service.root / "inbox" / "exports" / "minutes.json"
    bad.write_text("this is not JSON", encoding="utf-8")
    service.cpc("ingest", str(bad), code=1)
    folders = InboxFolders.at(service.root / "inbox")
    (kept,) = [p.name for p in folders.quarantine.iterdir() if not p.name.endswith(".reason.txt")]
    return folders, kept


def _requeued(store: Store) -> list[str]:
    return [line.actor for line in store.audit_lines() if line.action == "quarantine_requeued"]


def test_an_unchanged_quarantined_file_is_not_sent_back(
    store: Store, quarantined: tuple[InboxFolders, str]
) -> None:
    folders, name = quarantined
    with pytest.raises(StoreError, match="unchanged since it was quarantined"):
        requeue_quarantined(folders, name, user="web:admin@northby.example.gov.uk", store=store)
    assert (folders.quarantine / name).is_file()
    assert _requeued(store) == []


@pytest.mark.parametrize("name", ["../cpc.toml", "sub/minutes.json", "", "..", "nothing.json"])
def test_only_a_quarantined_file_by_its_own_name(
    store: Store, quarantined: tuple[InboxFolders, str], name: str
) -> None:
    folders, _ = quarantined
    with pytest.raises(StoreError):
        requeue_quarantined(folders, name, user="web:admin@northby.example.gov.uk", store=store)
    assert _requeued(store) == []


def test_a_replaced_quarantined_file_goes_back_to_the_inbox_and_is_taken(
    service: Service, store: Store, quarantined: tuple[InboxFolders, str]
) -> None:
    folders, name = quarantined
    (folders.quarantine / name).write_text(json.dumps(example("pre-birth-scheduled")), "utf-8")
    requeue_quarantined(folders, name, user="web:admin@northby.example.gov.uk", store=store)
    assert not (folders.quarantine / name).exists()
    assert not (folders.quarantine / f"{name}.reason.txt").exists()
    back = folders.exports / "minutes.json"
    assert back.is_file()
    assert _requeued(store) == ["web:admin@northby.example.gov.uk"]
    assert f"{back}: taken (" in service.cpc("ingest", str(back))

"""A stored conference that cannot be planned is reported and skipped; every other conference is still delivered (issue 10, item 4's store side).

The conference is made unplannable as it happens in a council: it names an authority's own
procedure profile, and that profile is later taken out of the configuration.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from pipeline.config import Channels
from pipeline.procedure.profile import load_profiles
from pipeline.service.run import RunSettings, distribute
from tests import service_harness
from tests.conftest import example
from tests.fake_renderer import FAKE

# Each test on both stores: SQLite and PostgreSQL (tests.backends).
pytestmark = pytest.mark.usefixtures("database")

DV = "CPC-2026-0412"  # initial-domestic-abuse.json, on the shipped default profile
PRE_BIRTH = "CPC-2026-0777"  # pre-birth-scheduled.json, given the authority's own profile
NORTHBY = 'extends = "default"\nname = "northby"\ntitle = "Northby"\n'


def test_a_conference_that_cannot_be_planned_is_reported_and_the_others_go(
    tmp_path: Path,
) -> None:
    service = service_harness.Service(tmp_path, renderer=FAKE)
    _, configured = service.with_profile("northby", NORTHBY)
    own = example("pre-birth-scheduled")
    own["authority"]["procedure_profile"] = "northby"
    service.drop(own)
    service.config.write_text(configured)  # the profile is gone from the configuration
    service.drop(example("initial-domestic-abuse"))

    status = json.loads(service.cpc("status", "--today", "2026-11-24", "--format", "json"))
    (reported,) = status["not_planned"]
    assert reported["conference"] == PRE_BIRTH
    assert "northby" in reported["why"]

    output = service.cpc("distribute", "--today", "2026-11-24", "--workers", "0", code=1)
    assert "Traceback" not in output
    assert "NOT PLANNED (1)" in output and PRE_BIRTH in output
    assert service.sent(DV)  # the other conference was delivered
    assert service.sent(PRE_BIRTH) == []
    table = service.cpc("status", "--today", "2026-11-24")
    assert table.index("NOT PLANNED") < table.index("Overdue")

    # The profile back: the next run plans and sends it, and the status no longer lists it.
    service.config.write_text(
        configured.replace("[folders]\n", '[folders]\nprofiles = ["profiles"]\n')
    )
    service.distribute("2026-11-24")
    assert service.sent(PRE_BIRTH)
    status = json.loads(service.cpc("status", "--today", "2026-11-24", "--format", "json"))
    assert status["not_planned"] == []


def test_an_unexpected_fault_in_one_conference_is_logged_with_its_traceback_and_the_run_goes_on(
    tmp_path: Path,
) -> None:
    """A fault nobody foresaw (here: a profile value with no notice periods, which the profile
    loader would refuse, reaching the planner) is contained to its conference: one JSON log line
    with the traceback, the conference reported, every other one delivered."""
    service = service_harness.Service(tmp_path, renderer=FAKE)
    profiles_dir, _ = service.with_profile("northby", NORTHBY)
    own = example("pre-birth-scheduled")
    own["authority"]["procedure_profile"] = "northby"
    service.drop(own)
    service.drop(example("initial-domestic-abuse"))

    profiles = load_profiles([profiles_dir])
    broken = {**profiles, "northby": dataclasses.replace(profiles["northby"], notices={})}
    events: list[tuple[str, dict[str, Any]]] = []
    store = service.store()
    try:
        summary = distribute(
            store,
            broken,
            RunSettings(
                today=date(2026, 11, 24),
                sent_at=datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
                outbox=tmp_path / "outbox",
                spool=tmp_path / "state" / "spool",
                channels=Channels(),
                smtp=None,
                message_id_domain="cpc.invalid",
                profile_dirs=(profiles_dir,),
                workers=0,
            ),
            lambda event, fields: events.append((event, fields)),
            renderer=FAKE,
        )
    finally:
        store.close()
    assert [c for c, _ in summary.not_planned] == [PRE_BIRTH]
    assert summary.any_failed
    errors = [fields for event, fields in events if event == "error"]
    assert errors and errors[0]["conference"] == PRE_BIRTH
    assert "Traceback (most recent call last)" in errors[0]["traceback"]
    assert "\n" not in json.dumps(errors[0])  # one line in the JSON log
    assert service.sent(DV) and service.sent(PRE_BIRTH) == []
    status = json.loads(service.cpc("status", "--today", "2026-11-24", "--format", "json"))
    assert [n["conference"] for n in status["not_planned"]] == [PRE_BIRTH]

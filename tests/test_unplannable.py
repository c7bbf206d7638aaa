"""A stored conference that cannot be planned is reported and skipped; every other conference is still delivered (issue 10, item 4's store side).

The conference is made unplannable as it happens in a council: it names an authority's own
procedure profile, and that profile is later taken out of the configuration.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests import service_harness
from tests.conftest import example

DV = "CPC-2026-0412"  # initial-domestic-abuse.json, on the shipped default profile
PRE_BIRTH = "CPC-2026-0777"  # pre-birth-scheduled.json, given the authority's own profile
NORTHBY = 'extends = "default"\nname = "northby"\ntitle = "Northby"\n'


def test_a_conference_that_cannot_be_planned_is_reported_and_the_others_go(
    tmp_path: Path,
) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "northby.toml").write_text(NORTHBY, encoding="utf-8")
    service = service_harness.Service(tmp_path)
    configured = service.config.read_text()
    service.config.write_text(
        configured.replace("[folders]\n", '[folders]\nprofiles = ["profiles"]\n')
    )
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

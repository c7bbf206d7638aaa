"""A report the record does not carry (R19) is still named in it by its title, so that title is
free text the record prints: the plan's address guard (spec §4 rule 4) must see it."""

from __future__ import annotations

import json
from typing import Any

from pipeline.contract.load import load_export
from pipeline.planning.documents import free_text
from pipeline.planning.readers import readers_of
from pipeline.planning.recipients import plan_distribution
from pipeline.procedure.profile import load_profiles
from tests.conftest import example

TITLE = "School report on the visit to 17 Linden Court"


def _review(data: dict[str, Any]) -> Any:
    profiles = load_profiles()
    export = load_export(json.dumps(data).encode(), profiles.keys())
    profile = profiles[data.get("procedure_profile", "default")]
    return export, plan_distribution(
        export, profile, profile.working_calendar(export.authority.nation)
    )


def _data() -> dict[str, Any]:
    data = example("v2-review-reports")
    school = next(r for r in data["reports"] if r["id"] == "r-school2")
    assert not school.get("author_permits_appending")  # R19: the record names it, by title only
    school["title"] = TITLE
    return data


def test_a_not_appended_reports_title_is_free_text_of_the_record() -> None:
    export, plan = _review(_data())
    records = [c for c in plan.copies if c.document == "record"]
    assert records
    for copy in records:
        texts = [t for _, t in free_text(export, "record", readers_of(copy), copy.recipient)]
        assert TITLE in texts, copy.recipient


def test_the_address_guard_holds_a_record_naming_a_withheld_address_in_such_a_title() -> None:
    data = _data()
    mum = next(p for p in data["people"] if p["id"] == "p-mum")
    mum["address"] = {"lines": ["Flat 3", "17 Linden Court", "Eastvale"], "postcode": "EV4 7QT"}
    mum["address_withheld_from"] = ["p-dad"]
    _, plan = _review(data)
    dads = next(c for c in plan.copies if c.document == "record" and c.recipient == "p-dad")
    assert dads.status == "held"
    assert "reports[1].title mentions the contact details of p-mum" in (dads.reason or "")

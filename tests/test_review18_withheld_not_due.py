"""A report the chair withholds whole from a parent is not theirs to be given (spec §4 rules 1,
2; 000 §4.14.5): neither the plan's check, nor `cpc status`, nor the desk may ask for it to be
shared with them (R41 asks it only of what they may read)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from pipeline.contract.load import load_export
from pipeline.planning.recipients import plan_distribution
from pipeline.planning.reports import report_deadlines
from pipeline.procedure.profile import load_profiles
from pipeline.service.report_status import report_lines
from tests.conftest import example


def _police_report(data: dict[str, Any]) -> dict[str, Any]:
    return next(r for r in data["reports"] if r["id"] == "r-police")


def _read(data: dict[str, Any]) -> Any:
    profiles = load_profiles()
    export = load_export(json.dumps(data).encode(), profiles.keys())
    profile = profiles[data.get("procedure_profile", "default")]
    return export, profile, profile.working_calendar(export.authority.nation)


def test_a_report_confidential_whole_is_due_to_no_parent() -> None:
    data = example("v2-initial-reports")
    police = _police_report(data)
    police["visibility"] = {"confidential": True, "reason": "Ongoing criminal investigation."}
    police["shared_with"] = []
    export, profile, calendar = _read(data)
    due = next(d for d in report_deadlines(export, profile, calendar) if d.report.id == "r-police")
    assert due.family == ()
    plan = plan_distribution(export, profile, calendar)
    about_police = [
        c for c in plan.checks if c.name == "report_shared_with_family" and "Police" in c.detail
    ]
    assert about_police == []
    # The conference day (Thu 3 December 2026): past the sharing deadline, 2 working days
    # before it (Tue 1 December: 000 §4.7.7), so a copy not shared would be listed as late.
    lines = report_lines("CPC-2026-0431", export, profile, calendar, [], date(2026, 12, 3))
    police_line = next(line for line in lines if line.report == "r-police")
    assert export.conference.date == date(2026, 12, 3)
    assert police_line.not_shared() == ()


def test_a_report_withheld_whole_from_the_father_is_still_due_to_the_mother() -> None:
    data = example("v2-initial-reports")
    police = _police_report(data)
    police["visibility"] = {"withheld_from": ["p-father"], "reason": "His safety plan."}
    police["shared_with"] = []
    export, profile, calendar = _read(data)
    due = next(d for d in report_deadlines(export, profile, calendar) if d.report.id == "r-police")
    assert [c.person for c in due.family] == ["p-mother"]

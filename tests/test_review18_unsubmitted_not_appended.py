"""002 §22.2 (R19): the record appends the reports *presented* at the conference, with their
author's permission. An agency's report that never reached the chair (no `submitted_on` in a
held conference's export) was not presented: its draft text must not travel with the record,
nor may the record say it was read at the meeting."""

from __future__ import annotations

import json
from typing import Any

from pipeline.contract.load import load_export
from pipeline.planning.reports import appended_to_record, not_appended
from pipeline.procedure.profile import load_profiles
from tests.conftest import example


def _never_received(*ids: str) -> Any:
    data = example("v2-review-reports")
    assert data["conference"]["stage"] == "held"
    for report in data["reports"]:
        if report["id"] in ids:
            report.pop("submitted_on", None)
            report["shared_with"] = []
    return load_export(json.dumps(data).encode(), load_profiles().keys())


def test_a_permitted_report_never_received_is_not_appended() -> None:
    # r-hv2's author permits appending (examples/v2-review-reports.json).
    export = _never_received("r-hv2")
    assert [r.id for r in appended_to_record(export, attended_parts=False)] == ["r-sw2"]


def test_a_report_never_received_is_not_listed_as_read_at_the_meeting() -> None:
    # r-school2's author gives no permission: listed by title only, and only if presented.
    export = _never_received("r-school2")
    assert [r.id for r in not_appended(export)] == []
    both = _never_received()
    assert [r.id for r in not_appended(both)] == ["r-school2"]

"""Reports due, late and not yet shared with the family, as `cpc status` says them (000 §4.7.7-4.7.9; R41, R42, R50).

Every expected value is worked out by hand from examples/v2-initial-reports.json and the
default profile: the conference is on Thursday 3 December 2026, an initial one, so each report
is due to the chair, and to each parent, 2 working days before it: Tuesday 1 December
(000 §4.7.7-4.7.9; no bank holiday between). The export was made on Wednesday 2 December.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from pipeline.contract.load import load_export
from pipeline.procedure.profile import load_profiles
from pipeline.service.report_status import ReportLine, report_lines
from pipeline.store.rows import StoredDelivery
from tests.backends import Database
from tests.conftest import EXAMPLES, example
from tests.fake_renderer import FAKE
from tests.service_harness import Service

CONFERENCE = "CPC-2026-0431"
DEADLINE = date(2026, 12, 1)  # Thu 3 December less 2 working days (Wed 2, Tue 1)


def _lines(today: date, deliveries: list[StoredDelivery] | None = None) -> dict[str, ReportLine]:
    profiles = load_profiles()
    export = load_export((EXAMPLES / "v2-initial-reports.json").read_bytes(), profiles.keys())
    profile = profiles["default"]
    calendar = profile.working_calendar(export.authority.nation)
    lines = report_lines(CONFERENCE, export, profile, calendar, deliveries or [], today)
    return {line.report: line for line in lines}


def _family(line: ReportLine) -> dict[str, tuple[str, date | None]]:
    return {f.person: (f.state, f.on) for f in line.family}


def _pack_sent(recipient: str, on: date) -> StoredDelivery:
    return StoredDelivery(
        id=1, conference_id=CONFERENCE, copy_key=f"{recipient}/report_pack", revision=1,
        recipient=recipient, document="report_pack", channel="post", via=None,
        edition="first", state="sent", fingerprint="f", files=(), message_id=None,
        batch_id=None, destination=None, sent_on=on, received_on=None, handed_over_on=None,
    )  # fmt: skip


def test_each_report_with_the_chair_on_the_day_after_its_deadline() -> None:
    lines = _lines(date(2026, 12, 2))
    assert list(lines) == ["r-sw", "r-police", "r-hv", "r-school"]
    assert {r: (line.due_to_chair, line.state) for r, line in lines.items()} == {
        "r-sw": (DEADLINE, "received"),  # submitted 26 November
        "r-police": (DEADLINE, "received"),  # 30 November
        "r-hv": (DEADLINE, "received"),  # 1 December, the deadline itself
        "r-school": (DEADLINE, "received_late"),  # 2 December, a day after it
    }
    assert lines["r-school"].state_words == "received late"
    assert all(line.due_to_family == DEADLINE for line in lines.values())


def test_each_parents_copy_shared_or_not_on_the_day_after_the_sharing_deadline() -> None:
    lines = _lines(date(2026, 12, 2))
    # The social worker's: shared with the mother on 27 November and the father on 30 November.
    assert _family(lines["r-sw"]) == {
        "p-mother": ("shared", date(2026, 11, 27)),
        "p-father": ("shared", date(2026, 11, 30)),
    }
    # The police report: the mother's on 30 November; the father's not, and now late.
    assert _family(lines["r-police"]) == {
        "p-mother": ("shared", date(2026, 11, 30)),
        "p-father": ("late", None),
    }
    # The health visitor's and the school's: shared with nobody.
    for report in ("r-hv", "r-school"):
        assert _family(lines[report]) == {"p-mother": ("late", None), "p-father": ("late", None)}
    assert [f.words for f in lines["r-police"].not_shared()] == ["not yet shared (late)"]


def test_a_parents_copy_not_yet_shared_before_the_deadline_is_due_not_late() -> None:
    lines = _lines(date(2026, 11, 30))
    assert _family(lines["r-police"])["p-father"] == ("due", None)
    assert lines["r-police"].not_shared()[0].words == "not yet shared (due)"


def test_a_report_pack_sent_to_a_parent_counts_for_what_the_export_has_not_shared() -> None:
    """The father's pack sent on 1 December (the deadline): the police report, not shared
    otherwise, is sent to him; the social worker's, shared on 30 November, stays shared."""
    lines = _lines(date(2026, 12, 2), [_pack_sent("p-father", DEADLINE)])
    assert _family(lines["r-police"])["p-father"] == ("sent", DEADLINE)
    assert _family(lines["r-sw"])["p-father"] == ("shared", date(2026, 11, 30))
    assert _family(lines["r-police"])["p-mother"] == ("shared", date(2026, 11, 30))
    late = _lines(date(2026, 12, 3), [_pack_sent("p-father", date(2026, 12, 2))])
    assert _family(late["r-hv"])["p-father"] == ("sent_late", date(2026, 12, 2))
    assert _family(late["r-hv"])["p-mother"] == ("late", None)


def test_a_pack_sent_of_an_earlier_revision_counts_only_for_the_reports_it_held() -> None:
    """Revision 1 had no health visitor's report yet (not submitted): the father's pack of
    revision 1, sent on 30 November, held the police report and not that one, so his copy of
    it is still not shared on 2 December; the current export (revision 2) has it submitted."""
    profiles = load_profiles()
    raw = (EXAMPLES / "v2-initial-reports.json").read_bytes()
    current = load_export(raw, profiles.keys())
    data = json.loads(raw)
    (hv,) = [r for r in data["reports"] if r["id"] == "r-hv"]
    del hv["submitted_on"]
    first = load_export(json.dumps(data).encode(), profiles.keys())
    profile = profiles["default"]
    calendar = profile.working_calendar(current.authority.nation)
    sent = [_pack_sent("p-father", date(2026, 11, 30))]  # of revision 1
    lines = {
        line.report: line
        for line in report_lines(
            CONFERENCE, current, profile, calendar, sent, date(2026, 12, 2),
            revision=2, earlier=lambda revision: first if revision == 1 else None,
        )
    }  # fmt: skip
    assert _family(lines["r-police"])["p-father"] == ("sent", date(2026, 11, 30))
    assert _family(lines["r-hv"])["p-father"] == ("late", None)
    # A revision that cannot be read counts for no report.
    unread = report_lines(
        CONFERENCE, current, profile, calendar, sent, date(2026, 12, 2), revision=2
    )
    assert {f.state for line in unread for f in line.family if f.person == "p-father"} == {
        "shared",  # r-sw, as the export says
        "late",
    }


# ---- cpc status ---------------------------------------------------------------------------------


@pytest.fixture
def service(tmp_path: Path, database: Database) -> Service:
    svc = Service(tmp_path / "svc", renderer=FAKE)
    svc.drop(example("v2-initial-reports"))  # a copy: the example file itself stays
    return svc


def _reports(service: Service, today: str) -> dict[str, list[dict[str, Any]]]:
    status = json.loads(service.cpc("status", "--today", today, "--format", "json"))
    return status["reports"]  # type: ignore[no-any-return]


def _not_shared(reports: dict[str, list[dict[str, Any]]]) -> set[tuple[str, str, str]]:
    return {(r["report"], r["reader"], r["state"]) for r in reports["not_shared"]}


def test_status_lists_the_late_report_and_each_parent_not_yet_given_one(service: Service) -> None:
    reports = _reports(service, "2026-12-02")
    (late,) = reports["late"]
    assert {k: late[k] for k in ("report", "title", "agency", "due_to_chair", "state")} == {
        "report": "r-school",
        "title": "School report",
        "agency": "Northby Academy",
        "due_to_chair": "2026-12-01",
        "state": "received late",
    }
    assert late["author_name"] == "Anita Ross (professional, p-school)"
    assert reports["due"] == []
    # r-sw is shared with both parents, so it is not listed; r-hv is shared with nobody.
    assert _not_shared(reports) == {
        ("r-police", "p-father", "not yet shared (late)"),
        ("r-hv", "p-mother", "not yet shared (late)"),
        ("r-hv", "p-father", "not yet shared (late)"),
        ("r-school", "p-mother", "not yet shared (late)"),
        ("r-school", "p-father", "not yet shared (late)"),
    }


def test_status_table_has_a_reports_section_in_the_same_words(service: Service) -> None:
    out = service.cpc("status", "--today", "2026-12-02")
    after = out[out.index("Reports\n") :]
    assert "Reports late to the chair (1)" in after
    assert "Reports due to the chair: none" in after
    assert "Reports not yet shared with the family (5)" in after
    assert "received late" in after
    assert "not yet shared (late)" in after


def test_after_distribute_the_fathers_pack_sent_shows_the_police_report_sent(
    service: Service,
) -> None:
    service.distribute("2026-12-02")
    (pack,) = service.sent(CONFERENCE, "p-father/report_pack")
    assert pack.sent_on == date(2026, 12, 2)
    reports = _reports(service, "2026-12-02")
    assert ("r-police", "p-father", "not yet shared (late)") not in _not_shared(reports)
    (police,) = [r for r in reports["every_report"] if r["report"] == "r-police"]
    family = {f["person"]: (f["state"], f["on"]) for f in police["family"]}
    # Sent on 2 December, a day after the 1 December deadline; the mother's was shared on
    # 30 November.
    assert family == {
        "p-father": ("sent late", "2026-12-02"),
        "p-mother": ("shared", "2026-11-30"),
    }

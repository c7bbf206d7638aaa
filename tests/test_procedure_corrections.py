"""The three corrected rows of spec §3, the two missing checks and a record signed late (issues 10, 11).

Every expected date is worked out by hand (England; Christmas Day Fri 25 Dec 2026, Boxing Day's
substitute Mon 28 Dec 2026, New Year's Day Fri 1 Jan 2027; no other bank holiday between 23 Nov
2026 and 26 Jan 2027). The domestic-abuse example (conference Mon 23 Nov 2026, 10:00-11:45) is
moved whole by a number of days, so every date in it keeps its distance from the conference:
  +4 days:  conference Fri 27 Nov 2026; first core group Fri 4 Dec → Tue 8 Dec.
  +31 days: conference Thu 24 Dec 2026 (Christmas Eve); first core group → Mon 4 Jan 2027.

The rows (spec §3, revised 2026-12-01):
  1. default: the decision letter reaches a parent excluded from part or all of the conference
     within 24 hours (000 §4.14.5 makes no exception), not 1 working day;
  2. wirral: the outline plan goes in draft to the lead social worker in time for the first core
     group and by post to the parents who attended; the final version travels in the record
     (002 §22.8, R29, R11); nobody else is sent it on its own;
  3. wirral: family members and excluded parents get the decision letter in 2 working days
     (002 §23.2).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest

from pipeline.planning.routing import Routing
from tests.conftest import PlanOf, copies_of, example, the_copy

# A service that sends e-mail, to whoever is configured for it.
EMAIL = Routing(professional="email", authorised="email", email_possible=True)

_DAY = re.compile(r"^(\d{4}-\d{2}-\d{2})")


def shifted(data: Any, days: int) -> Any:
    """The export with every date and timestamp in it moved by `days` (times of day kept)."""
    if isinstance(data, dict):
        return {k: shifted(v, days) for k, v in data.items()}
    if isinstance(data, list):
        return [shifted(v, days) for v in data]
    if isinstance(data, str) and _DAY.match(data) and len(data) in (10, 20):
        day = date.fromisoformat(data[:10]) + timedelta(days=days)
        return day.isoformat() + data[10:]
    return data


def dv(days: int = 0, profile: str | None = None) -> dict[str, Any]:
    data = shifted(example("initial-domestic-abuse"), days)
    if profile is not None:
        data["authority"]["procedure_profile"] = profile
    return data


def not_sent(plan: Any, recipient: str, document: str) -> str:
    reasons = [n.reason for n in plan.not_sent if (n.recipient, n.document) == (recipient, document)]
    assert len(reasons) == 1, (recipient, document, reasons)
    return reasons[0]


def test_the_shifted_example_keeps_its_weekdays() -> None:
    assert date.fromisoformat(dv(4)["conference"]["date"]) == date(2026, 11, 27)  # a Friday
    assert date(2026, 11, 27).weekday() == 4
    assert date.fromisoformat(dv(31)["conference"]["date"]) == date(2026, 12, 24)  # Thursday
    assert date(2026, 12, 24).weekday() == 3


# ---- row 1: default, excluded parents' decision letter within 24 hours (000 §4.14.5) ----------------


def test_excluded_parents_letter_24_hours_after_a_friday_conference(plan_of: PlanOf) -> None:
    # Fri 27 Nov 2026, ended 11:45: 24 hours later is Sat 28 Nov 11:45 (hours, not working days;
    # 1 working day would have been Mon 30 Nov). The father was excluded from part (R49).
    plan = plan_of(dv(4))
    letter = the_copy(plan, "p-father", "decision_letter")
    assert letter.due == date(2026, 11, 28)
    assert letter.due_at is not None
    assert (letter.due_at.date(), letter.due_at.hour, letter.due_at.minute) == (
        date(2026, 11, 28), 11, 45
    )
    assert "000 §4.14.5" in letter.source
    # the outline plan stays 1 WD (000 §4.14.13): Mon 30 Nov; so does a professional's letter
    assert the_copy(plan, "p-father", "outline_plan").due == date(2026, 11, 30)
    assert the_copy(plan, "p-police", "decision_letter").due == date(2026, 11, 30)


def test_excluded_parents_letter_24_hours_after_a_christmas_eve_conference(plan_of: PlanOf) -> None:
    # Thu 24 Dec 2026, ended 11:45: 24 hours later is Christmas Day, Fri 25 Dec 11:45. One working
    # day would skip 25 (holiday), 26, 27 (weekend) and 28 Dec (Boxing Day substitute): Tue 29 Dec.
    plan = plan_of(dv(31))
    letter = the_copy(plan, "p-father", "decision_letter")
    assert letter.due == date(2026, 12, 25)
    assert letter.due_at is not None and letter.due_at.hour == 11
    assert the_copy(plan, "p-police", "decision_letter").due == date(2026, 12, 29)
    # record 20 WD: 29, 30, 31 Dec (3), [1 Jan], 4-8 Jan (8), 11-15 (13), 18-22 (18), 25, 26 Jan (20)
    assert the_copy(plan, "p-police", "record").due == date(2027, 1, 26)


def test_a_parent_excluded_from_the_whole_gets_the_letter_within_24_hours(plan_of: PlanOf) -> None:
    data = dv(0)
    data["exclusions"][0]["extent"] = "whole"
    data["exclusions"][0].pop("agenda_items")
    data["exclusions"][0]["record_copy"] = "full"
    for attendance in data["attendance"]:
        if attendance["person"] == "p-father":
            attendance["status"] = "excluded"
            attendance.pop("present_for", None)
    plan = plan_of(data)
    letter = the_copy(plan, "p-father", "decision_letter")
    # Mon 23 Nov 11:45 + 24 hours = Tue 24 Nov 11:45
    assert letter.recipient_class == "parent_excluded_whole"
    assert letter.due_at is not None
    assert (letter.due_at.date(), letter.due_at.hour, letter.due_at.minute) == (
        date(2026, 11, 24), 11, 45
    )


# ---- rows 2 and 3: wirral (002 §22.8, §23.2) -----------------------------------------------------


def test_wirral_friday_conference_letters_in_2_working_days(plan_of: PlanOf) -> None:
    # Fri 27 Nov 2026 + 2 WD: Mon 30 Nov (1), Tue 1 Dec (2). 002 §23.2: "parents / carers and
    # other participants", so the excluded father and the grandmother too (was 1 WD: Mon 30 Nov).
    plan = plan_of(dv(4, "wirral"))
    for person in ("p-father", "p-gran", "p-mother", "p-police"):
        letter = the_copy(plan, person, "decision_letter")
        assert letter.due == date(2026, 12, 1), person
        assert letter.due_at is None  # working days, not hours
    assert "002 §23.2" in the_copy(plan, "p-gran", "decision_letter").source


def test_wirral_christmas_eve_conference_letters_in_2_working_days(plan_of: PlanOf) -> None:
    # Thu 24 Dec 2026 + 2 WD: [25 Fri, 26-27 weekend, 28 Mon substitute] Tue 29 (1), Wed 30 Dec (2).
    plan = plan_of(dv(31, "wirral"))
    for person in ("p-father", "p-gran"):
        assert the_copy(plan, person, "decision_letter").due == date(2026, 12, 30), person
    # the draft plan posted to the parents who attended: 2 WD as well, Wed 30 Dec
    assert the_copy(plan, "p-mother", "outline_plan").due == date(2026, 12, 30)
    # the lead social worker by the first core group: Fri 4 Dec + 31 days = Mon 4 Jan 2027
    assert the_copy(plan, "p-sw", "outline_plan").due == date(2027, 1, 4)


def test_wirral_outline_plan_goes_to_the_lead_social_worker_and_parents_who_attended(
    plan_of: PlanOf,
) -> None:
    plan = plan_of(dv(4, "wirral"))
    # 002 §22.8: "passed to the Lead Social Worker in time for the first Core Group meeting"
    # (the plan's first core group: Tue 8 Dec 2026)
    draft = the_copy(plan, "p-sw", "outline_plan")
    assert (draft.due, draft.status, draft.recipient_class) == (
        date(2026, 12, 8), "ready", "lead_social_worker"
    )
    assert "002 §22.8" in draft.source
    # "... and posted to parents who attended the conference": by post, 2 WD (Tue 1 Dec)
    for parent in ("p-mother", "p-father"):  # the father attended all but items a3, a4
        posted = the_copy(plan, parent, "outline_plan")
        assert (posted.due, posted.channel, posted.status) == (date(2026, 12, 1), "post", "ready")
    # nobody else is sent it on its own: "the final version must be circulated as part of the
    # record" (R11), which every one of them receives
    for person in ("p-police", "p-school", "p-tm", "p-gp", "p-gran"):
        assert "outline_plan" not in copies_of(plan, person), person
        assert "002 §22.8" in not_sent(plan, person, "outline_plan")
        assert "record" in copies_of(plan, person), person


def test_wirral_posts_no_plan_to_a_parent_who_did_not_attend(plan_of: PlanOf) -> None:
    data = dv(0, "wirral")
    for attendance in data["attendance"]:
        if attendance["person"] == "p-mother":
            attendance["status"] = "did_not_attend"
    plan = plan_of(data)
    assert "outline_plan" not in copies_of(plan, "p-mother")
    assert "attended" in not_sent(plan, "p-mother", "outline_plan")
    # her record goes through the social worker in 15 WD (002 §22.9): Mon 14 Dec
    assert the_copy(plan, "p-mother", "record").via == "p-sw"


def test_wirral_excluded_from_part_and_absent_for_the_rest_gets_no_plan(plan_of: PlanOf) -> None:
    data = dv(0, "wirral")
    for attendance in data["attendance"]:
        if attendance["person"] == "p-father":
            attendance["status"] = "did_not_attend"
            attendance.pop("present_for", None)
    plan = plan_of(data)
    assert "outline_plan" not in copies_of(plan, "p-father")
    assert "only to those who attended" in not_sent(plan, "p-father", "outline_plan")


def test_wirral_posted_plan_waits_without_a_postal_address(plan_of: PlanOf) -> None:
    data = dv(0, "wirral")
    for person in data["people"]:
        if person["id"] == "p-mother":
            person.pop("address")
            person["email"] = "mother@example.org"
    plan = plan_of(data)
    posted = the_copy(plan, "p-mother", "outline_plan")
    assert posted.status == "waiting" and "posted" in (posted.reason or "")
    # under the default profile the plan has no set channel: it goes by the service's channel for
    # families (post), and without an address by e-mail where e-mail can be sent, else the folder
    data["authority"]["procedure_profile"] = "default"
    assert the_copy(plan_of(data, routing=EMAIL), "p-mother", "outline_plan").channel == "email"
    assert the_copy(plan_of(data), "p-mother", "outline_plan").channel == "folder"


def test_wirral_draft_without_a_core_group_date_is_due_by_the_latest_allowed(
    plan_of: PlanOf,
) -> None:
    data = dv(0, "wirral")
    data["plan"]["core_group"].pop("first_meeting_date")
    plan = plan_of(data)
    # no date: by the latest the first core group may be held, 10 WD after Mon 23 Nov (R43;
    # 000 §4.8.2): 24-27 Nov (4), 30 Nov-4 Dec (9), Mon 7 Dec (10)
    draft = the_copy(plan, "p-sw", "outline_plan")
    assert draft.due == date(2026, 12, 7)
    assert "R43" in draft.source


def test_default_still_sends_the_plan_to_everyone_in_1_working_day(plan_of: PlanOf) -> None:
    # 000 §4.14.13: with the decision letter to all who attended or were invited, 1 WD (Tue 24 Nov)
    plan = plan_of(dv(0))
    for person in ("p-police", "p-gran", "p-sw", "p-mother", "p-father"):
        assert the_copy(plan, person, "outline_plan").due == date(2026, 11, 24), person
    assert the_copy(plan, "p-mother", "outline_plan").channel == "post"  # she has an address


# ---- check: a pre-birth conference before 24 weeks (000 §4.1.16; R38) -----------------------------
# pre-birth-scheduled: conference Tue 29 Dec 2026. At 40 weeks on the expected date, the weeks of
# pregnancy on 29 Dec are 280 days minus the days from 29 Dec to the expected date:
#   21 Apr 2027 is 113 days on (Dec 2, Jan 31, Feb 28, Mar 31, Apr 21): 167 days = 23 weeks 6 days;
#   20 Apr 2027: 168 days = 24 weeks 0 days; 24 Mar 2027 is 85 days on: 195 days = 27 weeks 6 days;
#   30 Mar 2027 is 91 days on: 189 days = 27 weeks 0 days.


def _pre_birth(expected: str, profile: str | None = None) -> dict[str, Any]:
    data = example("pre-birth-scheduled")
    for child in data["children"]:
        if child.get("unborn"):
            child["expected_delivery_date"] = expected
    if profile is not None:
        data["authority"]["procedure_profile"] = profile
    return data


@pytest.mark.parametrize(
    ("expected", "status", "weeks"),
    [
        pytest.param("2027-04-21", "unknown", "23 weeks 6 days", id="23w6d-confirm"),
        pytest.param("2027-04-20", "ok", "24 weeks 0 days", id="24w0d-ok"),
        pytest.param("2027-03-30", "ok", "27 weeks 0 days", id="27w0d-ok"),
        pytest.param("2027-03-24", "problem", "27 weeks 6 days", id="27w6d-late"),
    ],
)
def test_pre_birth_timing_before_24_weeks_is_a_check_to_confirm(
    plan_of: PlanOf, expected: str, status: str, weeks: str
) -> None:
    checks = [c for c in plan_of(_pre_birth(expected)).checks if c.name == "pre_birth_timing"]
    assert len(checks) == 1
    assert checks[0].status == status
    assert weeks in checks[0].detail
    assert "000 §4.1.16" in checks[0].source and "R38" in checks[0].source
    if status == "unknown":
        assert "premature birth is likely" in checks[0].detail
        assert "confirm" in checks[0].detail


def test_wirral_sets_no_week_range_for_a_pre_birth_conference(plan_of: PlanOf) -> None:
    # 002 §7.5-7.6: no week range, so no timing check at all
    plan = plan_of(_pre_birth("2027-04-21", "wirral"))
    assert not [c for c in plan.checks if c.name == "pre_birth_timing"]


# ---- check: a decision against its own threshold (R72; 000 §4.9.3, §4.10) ------------------------


def _threshold_checks(plan: Any) -> list[Any]:
    return [c for c in plan.checks if c.name == "decision_threshold"]


def test_a_plan_for_a_child_not_likely_to_suffer_significant_harm_is_a_problem(
    plan_of: PlanOf,
) -> None:
    data = dv(0)
    assert not _threshold_checks(plan_of(data))  # both children: likely, and a plan
    data["decisions"][1]["likely_to_suffer_significant_harm"] = False
    checks = _threshold_checks(plan_of(data))
    assert [c.status for c in checks] == ["problem"]
    assert "Noah" in checks[0].detail and "not likely" in checks[0].detail
    assert "000 §4.9.3" in checks[0].source and "R72" in checks[0].source


def test_no_plan_for_a_child_likely_to_suffer_significant_harm_is_a_problem(
    plan_of: PlanOf,
) -> None:
    data = dv(0)
    decision = data["decisions"][1]
    decision["outcome"] = "child_in_need_plan"
    decision.pop("categories")
    checks = _threshold_checks(plan_of(data))
    assert [c.status for c in checks] == ["problem"]
    assert "Noah" in checks[0].detail and "§4.10" in checks[0].source


def test_a_plan_ending_because_the_child_moved_is_not_a_contradiction(plan_of: PlanOf) -> None:
    # R76; 000 §4.10.4: a plan ends when the child moves permanently, whatever the risk
    data = example("review-plan-ends")
    data["decisions"][0]["likely_to_suffer_significant_harm"] = True
    data["decisions"][0]["plan_end_reason"] = "moved_to_other_authority"
    assert not _threshold_checks(plan_of(data))
    data["decisions"][0]["plan_end_reason"] = "no_longer_at_risk"
    assert [c.status for c in _threshold_checks(plan_of(data))] == ["problem"]


# ---- issue 10: a record signed after its own due date ------------------------------------------------


def _signed_on(data: dict[str, Any], day: str) -> dict[str, Any]:
    data["record"]["signed_on"] = day
    data["exported_at"] = f"{day}T17:05:00Z"
    return data


def _late(plan: Any) -> list[Any]:
    return [c for c in plan.checks if c.name == "record_signed_in_time"]


def test_a_record_signed_in_time_raises_nothing(plan_of: PlanOf) -> None:
    # signed Mon 30 Nov 2026, due Mon 21 Dec (20 WD)
    assert not _late(plan_of(dv(0)))


def test_a_record_signed_after_its_due_date_is_a_problem_but_still_goes(plan_of: PlanOf) -> None:
    # default: 20 WD after Mon 23 Nov is Mon 21 Dec; signed Tue 22 Dec, late for everyone
    plan = plan_of(_signed_on(dv(0), "2026-12-22"))
    late = _late(plan)
    assert late and all(c.status == "problem" for c in late)
    assert all("2026-12-22" in c.detail and "2026-12-21" in c.detail for c in late)
    assert any("000 §4.14.4" in c.source for c in late)
    assert all(c.status == "ready" for c in plan.copies if c.document == "record")


def test_wirral_record_signed_between_the_two_deadlines(plan_of: PlanOf) -> None:
    # 002 §22.5: professionals 10 WD (Mon 7 Dec), families 15 WD (Mon 14 Dec). Signed Tue 8 Dec:
    # late for the professionals (the lead social worker among them), in time for the families.
    plan = plan_of(_signed_on(dv(0, "wirral"), "2026-12-08"))
    late = _late(plan)
    assert {c.detail.split(" recipients")[0].split("due to ")[1] for c in late} == {
        "professional",
        "lead social worker",
    }
    assert all("2026-12-07" in c.detail and "002 §22.5" in c.source for c in late)
    assert the_copy(plan, "p-police", "record").status == "ready"
    assert the_copy(plan, "p-mother", "record").due == date(2026, 12, 14)



def test_wirral_a_copy_on_a_parents_behalf_is_not_posted_by_that_rule(plan_of: PlanOf) -> None:
    # the mother's solicitor, authorised for the outline plan too: the copy mirrors hers (2 WD,
    # Tue 1 Dec after Fri 27 Nov) but goes by the solicitor's own channel, e-mail (spec §4 rule 5)
    data = dv(4, "wirral")
    data["distribution"]["authorisations"][0]["documents"].append("outline_plan")
    for person in data["people"]:
        if person["id"] == "p-mother-sol":
            person.setdefault("email", "sol@example.org")
            person.pop("address", None)
    copy = the_copy(plan_of(data, routing=EMAIL), "p-mother-sol", "outline_plan")
    assert (copy.due, copy.channel, copy.status) == (date(2026, 12, 1), "email", "ready")

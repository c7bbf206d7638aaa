"""The reports in the plan (R19, R41, R42, R50): every report pack, deadline, check and task of the two v2 examples, worked out by hand.

How the dates were counted (England, November and December 2026: no bank holiday before Fri 25 Dec):

v2-initial-reports: initial conference Thu 3 Dec 2026 at 10:00, exported Wed 2 Dec 05:30 UTC.
  default profile (000):
    every report to the chair 2 working days before: Wed 2 (1), Tue 1 (2) → Tue 1 Dec
                                                                 (000 §4.7.8 social worker, §4.7.9 agencies)
    every report to the parents 2 working days before → Tue 1 Dec    (000 §4.7.7)
    no countersignature                                               (000 asks none)
  wirral profile (002):
    the social worker's report to the chair 3 working days before: 2, 1, Mon 30 Nov → Mon 30 Nov
                                                                      (002 §15.7)
    countersigned 48 hours before 10:00 Thu 3 Dec → 10:00 Tue 1 Dec   (002 §15.1)
    other agencies' reports 24 hours before → 10:00 Wed 2 Dec         (002 §16.8)
    to the parents 3 working days before → Mon 30 Nov                 (002 §15.4, §16.7)

v2-review-reports: review conference Thu 19 Nov 2026 at 14:00, held, exported Tue 24 Nov; wirral.
    the social worker's report 5 working days before: 18, 17, 16, 13, Thu 12 → Thu 12 Nov
                                                  (000 §4.7.8: 002 sets none for a review conference)
    countersigned 48 hours before 14:00 Thu 19 Nov → 14:00 Tue 17 Nov (002 §15.1)
    other agencies' reports 24 hours before → 14:00 Wed 18 Nov        (002 §16.8)
    to the family 5 working days before → Thu 12 Nov                  (000 §4.7.7)
"""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.contract.export_v2 import ExportV2
from pipeline.contract.load import load_export
from pipeline.planning.documents import free_text
from pipeline.planning.plan import DistributionPlan
from pipeline.planning.readers import Viewer
from pipeline.planning.reports import appended_to_record, pack_readers, reports_for_reader
from tests.conftest import PlanOf, example, the_copy

INITIAL = "v2-initial-reports"
REVIEW = "v2-review-reports"


def _checks(plan: DistributionPlan, name: str) -> list[tuple[str, str]]:
    """(status, detail) of each check of this name, in plan order."""
    return [(c.status, c.detail) for c in plan.checks if c.name == name]


def _report_tasks(plan: DistributionPlan) -> set[tuple[str, str | None, str, str, str, str | None]]:
    return {
        (t.kind, t.owner, t.recipient, t.document, t.due.isoformat(), t.report)
        for t in plan.tasks
        if t.kind in ("submit_report", "countersign_report", "discuss_report")
    }


def _wirral(data: dict) -> dict:  # type: ignore[type-arg]
    data["authority"]["procedure_profile"] = "wirral"
    return data


# ---- the initial conference under the default profile (000) --------------------------------------


def test_each_parent_gets_a_report_pack_two_working_days_before_the_initial_conference(
    plan_of: PlanOf,
) -> None:
    """R41; 000 §4.7.7: the mother and the father (excluded from part, so still a parent who takes
    part: 000 §4.5.10); not the grandmother, who has no parental responsibility."""
    plan = plan_of(example(INITIAL))
    packs = {c.recipient: c for c in plan.copies if c.document == "report_pack"}
    assert set(packs) == {"p-mother", "p-father"}
    for pack in packs.values():
        assert pack.due == date(2026, 12, 1)
        assert pack.view == "family"
        assert pack.status == "ready"
        assert pack.via is None  # their usual route, not through the social worker
        assert "000 §4.7.7" in pack.source


def test_each_report_reaches_the_chair_by_its_deadline_and_the_school_report_is_late(
    plan_of: PlanOf,
) -> None:
    """R42; 000 §4.7.8-4.7.9: Tue 1 Dec for every report; the school's came on Wed 2 Dec."""
    checks = _checks(plan_of(example(INITIAL)), "report_to_chair")
    assert [status for status, _ in checks] == ["ok", "ok", "ok", "problem"]
    assert "reached the chair Thu 2026-11-26" in checks[0][1]  # social worker
    assert "reached the chair Tue 2026-12-01" in checks[2][1]  # health visitor, on the day
    school = checks[3][1]
    assert school.startswith("School report (Northby Academy, Anita Ross)")
    assert "reached the chair Wed 2026-12-02, late" in school
    assert "2 working days before the conference (Tue 2026-12-01)" in school


def test_sharing_with_the_family_is_checked_report_by_report(plan_of: PlanOf) -> None:
    """R41; 000 §4.7.7. As of the export (Wed 2 Dec), past the deadline of Tue 1 Dec: the social
    worker's report was shared with both parents in time; the police report with the mother only;
    the health visitor's and the school's with neither."""
    checks = _checks(plan_of(example(INITIAL)), "report_shared_with_family")
    assert [status for status, _ in checks] == ["ok", "problem", "problem", "problem"]
    assert "Sarah Whitfield Fri 2026-11-27; Mark Whitfield Mon 2026-11-30" in checks[0][1]
    assert "Sarah Whitfield Mon 2026-11-30; Mark Whitfield not recorded (late)" in checks[1][1]
    assert "Sarah Whitfield not recorded (late); Mark Whitfield not recorded (late)" in checks[3][1]


def test_no_countersignature_is_asked_under_the_default_profile(plan_of: PlanOf) -> None:
    plan = plan_of(example(INITIAL))
    assert _checks(plan, "report_countersigned") == []
    assert not [t for t in plan.tasks if t.kind == "countersign_report"]


def test_the_social_worker_goes_through_the_reports_with_each_parent(plan_of: PlanOf) -> None:
    """000 §4.7.9; 002 §15.4: a task per pack, owned by the social worker, due with the pack. Every
    report is in, so nobody owes one."""
    assert _report_tasks(plan_of(example(INITIAL))) == {
        ("discuss_report", "p-sw", "p-mother", "report_pack", "2026-12-01", None),
        ("discuss_report", "p-sw", "p-father", "report_pack", "2026-12-01", None),
    }


def test_a_report_not_yet_in_is_a_task_for_its_author_and_not_yet_a_problem(
    plan_of: PlanOf,
) -> None:
    """R42: exported on Mon 30 Nov, before the deadline of Tue 1 Dec, with only the social worker's
    report in: the other three are owed by their authors by Tue 1 Dec, the checks cannot tell yet,
    and each pack holds the one report there is."""
    data = example(INITIAL)
    data["exported_at"] = "2026-11-30T09:00:00Z"
    sw, police, hv, school = data["reports"]
    sw["shared_with"] = [{"person": "p-mother", "shared_on": "2026-11-27"}]
    for report in (police, hv, school):
        report.pop("submitted_on")
        report.pop("shared_with", None)
    plan = plan_of(data)
    assert [s for s, _ in _checks(plan, "report_to_chair")] == [
        "ok",
        "unknown",
        "unknown",
        "unknown",
    ]
    assert "not received yet; due 2 working days before" in _checks(plan, "report_to_chair")[1][1]
    assert [s for s, _ in _checks(plan, "report_shared_with_family")] == ["unknown"]
    chair = "p-chair"
    assert _report_tasks(plan) == {
        ("submit_report", "p-police", chair, "report", "2026-12-01", "r-police"),
        ("submit_report", "p-hv", chair, "report", "2026-12-01", "r-hv"),
        ("submit_report", "p-school", chair, "report", "2026-12-01", "r-school"),
        ("discuss_report", "p-sw", "p-mother", "report_pack", "2026-12-01", None),
        ("discuss_report", "p-sw", "p-father", "report_pack", "2026-12-01", None),
    }
    export = _loaded(data)
    assert [r.id for r in reports_for_reader(export, export.person("p-father"))] == ["r-sw"]


def test_a_pack_waits_until_a_report_has_reached_the_chair(plan_of: PlanOf) -> None:
    data = example(INITIAL)
    data["exported_at"] = "2026-11-26T16:00:00Z"
    for report in data["reports"]:
        report.pop("submitted_on")
        report.pop("shared_with", None)
    pack = the_copy(plan_of(data), "p-mother", "report_pack")
    assert pack.status == "waiting"
    assert pack.reason == "no report to the conference has reached the chair yet (R42)"


def test_a_parent_excluded_from_the_whole_conference_gets_the_social_workers_report_only(
    plan_of: PlanOf,
) -> None:
    """R50; 000 §4.5.10, 002 §12.8: the social worker's report, as for every excluded person."""
    data = example(INITIAL)
    exclusion = data["exclusions"][0]
    exclusion.update({"extent": "whole", "agenda_items": [], "record_copy": "none"})
    plan = plan_of(data)
    assert the_copy(plan, "p-father", "report_pack").status == "ready"
    export = _loaded(data)
    father = export.person("p-father")
    assert [r.id for r in reports_for_reader(export, father)] == ["r-sw"]
    texts = [t for _, t in free_text(export, "report_pack", _family("p-father"), "p-father")]
    assert "Call-outs to the family" not in texts  # the police report is not in his pack
    assert "Why we are worried" in texts


# ---- what the father may read ---------------------------------------------------------------------


def test_the_fathers_pack_lists_no_withheld_or_confidential_section(plan_of: PlanOf) -> None:
    """Spec §4 rules 1, 2: sw2 is withheld from the father, po2 is confidential; the mother's pack
    holds sw2 (her own new home) but not po2."""
    export = _loaded(example(INITIAL))
    father = [t for _, t in free_text(export, "report_pack", _family("p-father"), "p-father")]
    mother = [t for _, t in free_text(export, "report_pack", _family("p-mother"), "p-mother")]
    sw2 = "Ms Whitfield's new home and support"
    po2 = "Investigation"
    assert sw2 not in father and po2 not in father
    assert not [t for t in father if "Linden Court" in t]
    assert sw2 in mother and po2 not in mother
    assert "School report" in father and "School report" in mother  # late, but in


def test_a_pack_naming_a_withheld_address_in_text_the_father_may_see_is_held(
    plan_of: PlanOf,
) -> None:
    """Spec §4 rule 4: free text the father's pack prints names the mother's street; the pack is
    held for the chair, the reason naming the field, never the address."""
    data = example(INITIAL)
    data["reports"][2]["sections"][0]["paragraphs"].append(
        "I visited Noah at 17 Linden Court on 1 December."
    )
    pack = the_copy(plan_of(data), "p-father", "report_pack")
    assert pack.status == "held"
    assert pack.hold == "address"
    assert "reports[2].sections[0].paragraphs[1]" in (pack.reason or "")
    assert "Linden" not in (pack.reason or "")
    assert the_copy(plan_of(data), "p-mother", "report_pack").status == "ready"


# ---- the same conference under Wirral's procedure (002) -------------------------------------------


def test_wirral_counts_three_working_days_a_countersignature_and_24_hours(
    plan_of: PlanOf,
) -> None:
    """002 §15.1, §15.4, §15.7, §16.7-16.8 (dates in the module docstring)."""
    plan = plan_of(_wirral(example(INITIAL)))
    chair = _checks(plan, "report_to_chair")
    assert [s for s, _ in chair] == ["ok", "ok", "ok", "ok"]  # the school's made 24 hours
    assert "3 working days before the conference (Mon 2026-11-30)" in chair[0][1]
    assert "24 hours before the conference (Wed 2026-12-02)" in chair[3][1]
    countersigned = _checks(plan, "report_countersigned")
    assert len(countersigned) == 1  # the social worker's report only
    assert countersigned[0][0] == "problem"
    assert "48 hours before the conference (Tue 2026-12-01)" in countersigned[0][1]
    assert {c.due for c in plan.copies if c.document == "report_pack"} == {date(2026, 11, 30)}
    shared = _checks(plan, "report_shared_with_family")
    assert [s for s, _ in shared] == ["ok", "problem", "problem", "problem"]
    assert ("countersign_report", "p-sw", "p-chair", "report", "2026-12-01", "r-sw") in (
        _report_tasks(plan)
    )


# ---- the review, held, under Wirral's procedure ---------------------------------------------------


def test_review_report_checks_worked_out_by_hand(plan_of: PlanOf) -> None:
    plan = plan_of(example(REVIEW))
    chair = _checks(plan, "report_to_chair")
    assert [s for s, _ in chair] == ["ok", "ok", "ok"]
    assert (
        "reached the chair Thu 2026-11-12, by 5 working days before the conference (Thu 2026-11-12)"
        in chair[0][1]
    )
    assert "24 hours before the conference (Wed 2026-11-18)" in chair[1][1]
    countersigned = _checks(plan, "report_countersigned")
    assert countersigned == [
        (
            "ok",
            "Social worker's report to the review child protection conference (Children's Social "
            "Care, Fatima Hussain): countersigned Tue 2026-11-17, by 48 hours before the "
            "conference (Tue 2026-11-17)",
        )
    ]
    shared = _checks(plan, "report_shared_with_family")
    # social worker's: the father on Fri 13 Nov, a day late; the school's: nobody; the school
    # nurse's: the mother on Mon 16 Nov, late, and nobody else.
    assert [s for s, _ in shared] == ["problem", "problem", "problem"]
    assert (
        "Kayleigh Brooks Thu 2026-11-12; Lee Carter Thu 2026-11-12; Adam Brooks Fri 2026-11-13 (late)"
        in shared[0][1]
    )
    assert "Kayleigh Brooks Mon 2026-11-16 (late)" in shared[2][1]


def test_a_held_conference_makes_no_report_pack_and_sets_no_report_task(plan_of: PlanOf) -> None:
    plan = plan_of(example(REVIEW))
    assert not [c for c in plan.copies if c.document == "report_pack"]
    assert _report_tasks(plan) == set()


def test_the_record_appends_the_social_workers_report_and_those_their_authors_permit() -> None:
    """R19; 002 §22.2, §22.5: r-sw2 always, r-hv2 with its author's permission, not r-school2."""
    export = _loaded(example(REVIEW))
    assert [r.id for r in appended_to_record(export, attended_parts=False)] == ["r-sw2", "r-hv2"]
    dad = [t for _, t in free_text(export, "record", _family("p-dad"), None)]
    professional = Viewer("professional", frozenset({"p-school2"}))
    school = [t for _, t in free_text(export, "record", professional, None)]
    assert "Progress of the plan" in dad and "The children's health" in dad
    assert "Mother's health" not in dad  # rn2 is withheld from Mr Brooks
    assert "Mother's health" in school
    assert "Attendance and learning" not in dad + school  # r-school2 is not appended


def test_the_parents_and_carers_who_read_the_review_reports() -> None:
    """R41: the mother, the stepfather (a carer) and the father, who did not attend but was invited."""
    export = _loaded(example(REVIEW))
    assert [p.id for p in pack_readers(export)] == ["p-mum", "p-stepdad", "p-dad"]


# ---- version 1 means what it meant ----------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["initial-domestic-abuse", "review-plan-ends", "pre-birth-scheduled"]
)
def test_a_v1_export_has_no_report_packs_checks_or_tasks(plan_of: PlanOf, name: str) -> None:
    plan = plan_of(example(name))
    assert not [c for c in plan.copies if c.document == "report_pack"]
    assert not [c for c in plan.checks if c.name.startswith("report")]
    assert _report_tasks(plan) == set()


# ---- helpers ----------------------------------------------------------------------------------------


def _loaded(data: dict) -> ExportV2:  # type: ignore[type-arg]
    import json

    export = load_export(json.dumps(data).encode(), {"default", "wirral"})
    assert isinstance(export, ExportV2)
    return export


def _family(person: str) -> Viewer:
    return Viewer("family", frozenset({person}))


def test_an_interpreter_is_booked_for_whoever_needs_one(plan_of: PlanOf) -> None:
    """R82; 000 §4.4.1, 002 §8.6: the father needs an interpreter; once one is booked the check is ok."""
    data = example(INITIAL)
    father = next(p for p in data["people"] if p["id"] == "p-father")
    father.update({"language": "pl", "needs": ["interpreter"]})
    plan = plan_of(data)
    assert _checks(plan, "interpreter_booked") == [
        (
            "problem",
            "Mark Whitfield needs an interpreter and none is booked for the conference; a family "
            "member must not interpret",
        )
    ]
    data["conference"]["arrangements"].append(
        {"person": "p-father", "kind": "interpreter", "language": "pl"}
    )
    assert [s for s, _ in _checks(plan_of(data), "interpreter_booked")] == ["ok"]
    del data["conference"]["arrangements"]  # the export says nothing about bookings
    assert [s for s, _ in _checks(plan_of(data), "interpreter_booked")] == ["unknown"]

"""The distribution plan of each shipped example, every copy and due date worked out by hand.

How the dates were counted (England and Wales, autumn 2026; no bank holiday falls in November or
early December; Christmas Day is Fri 25 Dec 2026 and Boxing Day's substitute Mon 28 Dec 2026):

initial-domestic-abuse: conference Mon 23 Nov 2026, 10:00-11:45, default profile (000).
  1 working day after Mon 23 Nov = Tue 24 Nov.                         (000 §4.14.13)
  24 hours after 11:45 Mon 23 Nov = 11:45 Tue 24 Nov.                  (000 §4.14.5)
  20 working days: 24,25,26,27 Nov (4), 30 Nov-4 Dec (9), 7-11 Dec (14), 14-18 Dec (19),
  Mon 21 Dec (20) → Mon 21 Dec.                                        (000 §4.14.4, §4.14.5)
  Hand-over to the social worker 5 working days before Mon 21 Dec: 18,17,16,15,14 → Mon 14 Dec.
  Ella's decision letter via the social worker: 5 working days before Tue 24 Nov is Tue 17 Nov,
  before the conference, so the social worker has it on the day of the conference, Mon 23 Nov.

review-plan-ends: conference Thu 19 Nov 2026, 14:00-15:20, default profile.
  1 working day and 24 hours → Fri 20 Nov.
  20 working days: 20 Nov (1), 23-27 Nov (6), 30 Nov-4 Dec (11), 7-11 Dec (16), 14,15,16,17 Dec (20)
  → Thu 17 Dec; hand-over 5 working days earlier: 16,15,14,11,10 → Thu 10 Dec.

pre-birth-scheduled: Wales, exported Thu 17 Dec 2026 09:15 UTC (09:15 UK), conference Tue 29 Dec.
  Invitations: the next working day after the export, Fri 18 Dec. 5 working days before Tue 29 Dec,
  skipping Mon 28 Dec (Boxing Day substitute) and Fri 25 Dec: 24, 23, 22, 21, 18 → Fri 18 Dec.
  Exclusion letter: the next working day after the decision on Wed 16 Dec → Thu 17 Dec.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import PlanOf, copies_of, example, the_copy

DV_PROFESSIONALS = ["p-sw", "p-tm", "p-police", "p-school", "p-hv", "p-gp", "p-idva", "p-camhs"]


def _rows(plan):  # (recipient, document) → (view, due, status, via)
    return {
        (c.recipient, c.document): (c.view, c.due.isoformat(), c.status, c.via) for c in plan.copies
    }


def test_domestic_abuse_example_every_copy(plan_of: PlanOf) -> None:
    plan = plan_of(example("initial-domestic-abuse"))
    expected = {
        # mother attended: decision letter within 24 hours, plan 1 WD, record 20 WD through the
        # lead social worker (000 §4.14.5, §4.14.13; spec §3 row 2)
        ("p-mother", "decision_letter"): ("family", "2026-11-24", "ready", None),
        ("p-mother", "outline_plan"): ("family", "2026-11-24", "ready", None),
        ("p-mother", "record"): ("family", "2026-12-21", "ready", "p-sw"),
        # father excluded from part with record_copy attended_parts (000 §4.5.10; 002 §12.14; R49)
        ("p-father", "decision_letter"): ("family", "2026-11-24", "ready", None),
        ("p-father", "outline_plan"): ("family", "2026-11-24", "ready", None),
        ("p-father", "record"): ("attended_parts", "2026-12-21", "ready", "p-sw"),
        # grandmother invited in her own right (002 §22.12; R33)
        ("p-gran", "decision_letter"): ("family", "2026-11-24", "ready", None),
        ("p-gran", "outline_plan"): ("family", "2026-11-24", "ready", None),
        ("p-gran", "record"): ("family", "2026-12-21", "ready", None),
        # Ella: only the decision letter, through the lead social worker (child_copies; R56)
        ("c-ella", "decision_letter"): ("family", "2026-11-24", "ready", "p-sw"),
        # the mother's solicitor: what the authorisation lists, in the mother's view (R53; rule 5)
        ("p-mother-sol", "decision_letter"): ("family", "2026-11-24", "ready", None),
        ("p-mother-sol", "record"): ("family", "2026-12-21", "ready", None),
    }
    for professional in DV_PROFESSIONALS:  # invited or attending, apologies included (R28-R30)
        expected[(professional, "decision_letter")] = ("professional", "2026-11-24", "ready", None)
        expected[(professional, "outline_plan")] = ("professional", "2026-11-24", "ready", None)
        expected[(professional, "record")] = ("professional", "2026-12-21", "ready", None)
    assert _rows(plan) == expected


def test_domestic_abuse_example_gives_nothing_to_chair_minute_taker_supporter_or_unauthorised(
    plan_of: PlanOf,
) -> None:
    # spec §3: nothing to the chair or minute taker; supporters and solicitors only if authorised
    # (002 §22.11; 000 §4.14.6); Noah is not in child_copies (000 §4.14.8)
    plan = plan_of(example("initial-domestic-abuse"))
    recipients = {c.recipient for c in plan.copies}
    assert recipients.isdisjoint({"p-chair", "p-minutes", "p-supporter", "p-father-sol", "c-noah"})


def test_domestic_abuse_example_hand_over_dates_and_tasks(plan_of: PlanOf) -> None:
    plan = plan_of(example("initial-domestic-abuse"))
    assert the_copy(plan, "p-mother", "record").handover_by == date(2026, 12, 14)
    assert the_copy(plan, "p-father", "record").handover_by == date(2026, 12, 14)
    assert the_copy(plan, "c-ella", "decision_letter").handover_by == date(2026, 11, 23)
    hand_overs = {
        (t.recipient, t.document, t.owner, t.due) for t in plan.tasks if t.kind == "hand_over"
    }
    assert hand_overs == {
        ("p-mother", "record", "p-sw", date(2026, 12, 21)),
        ("p-father", "record", "p-sw", date(2026, 12, 21)),
        ("c-ella", "decision_letter", "p-sw", date(2026, 11, 24)),
    }
    assert {t.kind for t in plan.tasks} == {"hand_over"}  # no one here has needs


def test_domestic_abuse_example_24_hour_letter_carries_its_hour(plan_of: PlanOf) -> None:
    plan = plan_of(example("initial-domestic-abuse"))
    due_at = the_copy(plan, "p-mother", "decision_letter").due_at
    assert due_at is not None and (due_at.date(), due_at.hour, due_at.minute) == (
        date(2026, 11, 24),
        11,
        45,
    )


def test_domestic_abuse_example_views_carry_the_right_people(plan_of: PlanOf) -> None:
    plan = plan_of(example("initial-domestic-abuse"))
    father_record = the_copy(plan, "p-father", "record")
    assert father_record.viewer.present_for == frozenset({"a1", "a2", "a5"})
    solicitor_record = the_copy(plan, "p-mother-sol", "record")
    assert solicitor_record.on_behalf_of == "p-mother"
    assert solicitor_record.authorisation_basis == "parent_consent"
    assert solicitor_record.viewer.audience == "family"
    assert solicitor_record.viewer.persons == frozenset({"p-mother-sol", "p-mother"})


def test_domestic_abuse_example_checks(plan_of: PlanOf) -> None:
    checks = {c.name: c for c in plan_of(example("initial-domestic-abuse")).checks}
    # strategy discussion Mon 2 Nov; 15 working days later is Mon 23 Nov, the conference day (R36)
    assert checks["conference_within_limit"].status == "ok"
    assert "2026-11-23" in checks["conference_within_limit"].detail
    # first core group Fri 4 Dec; 10 working days after Mon 23 Nov is Mon 7 Dec (R43)
    assert checks["first_core_group"].status == "ok"
    assert "2026-12-07" in checks["first_core_group"].detail
    # review Mon 22 Feb 2027; 3 months after 23 Nov 2026 is 23 Feb 2027 (R64)
    assert checks["review_date"].status == "ok"
    assert "2027-02-23" in checks["review_date"].detail
    assert checks["quorum"].status == "ok"
    # CAMHS did not attend and sent no report (R71)
    assert checks["absent_professional_contribution"].status == "problem"
    assert "Lucy Fenn" in checks["absent_professional_contribution"].detail


def test_review_example_every_copy(plan_of: PlanOf) -> None:
    plan = plan_of(example("review-plan-ends"))
    expected = {}
    for parent in ("p-mum", "p-stepdad", "p-dad"):  # carer counts as "parent or carer" (spec §3)
        expected[(parent, "decision_letter")] = ("family", "2026-11-20", "ready", None)
        expected[(parent, "outline_plan")] = ("family", "2026-11-20", "ready", None)
        # the record is a draft: waiting (R15); parents' copies through the social worker
        expected[(parent, "record")] = ("family", "2026-12-17", "waiting", "p-sw2")
    for professional in ("p-sw2", "p-school2", "p-hv2", "p-housing", "p-police2"):
        expected[(professional, "decision_letter")] = ("professional", "2026-11-20", "ready", None)
        expected[(professional, "outline_plan")] = ("professional", "2026-11-20", "ready", None)
        expected[(professional, "record")] = ("professional", "2026-12-17", "waiting", None)
        # Jayden's plan ends: notice to the initial conference's invitees (000 §4.10.6; R35)
        expected[(professional, "plan_ended_notice")] = (
            "professional",
            "2026-11-20",
            "ready",
            None,
        )
    assert _rows(plan) == expected
    assert "not yet signed" in (the_copy(plan, "p-sw2", "record").reason or "")
    assert the_copy(plan, "p-mum", "record").handover_by == date(2026, 12, 10)


def test_review_example_needs_become_tasks_and_large_print(plan_of: PlanOf) -> None:
    # 000 §4.14.9; 002 §22.15: the father (Polish, interpreter and translation) gets one task per
    # copy per need; the mother's copies are all large print, with no task (spec §3 "Needs")
    plan = plan_of(example("review-plan-ends"))
    dad_tasks = sorted(
        (t.kind, t.document, t.due.isoformat()) for t in plan.tasks if t.recipient == "p-dad"
    )
    assert dad_tasks == [
        ("hand_over", "record", "2026-12-17"),
        ("interpreter", "decision_letter", "2026-11-20"),
        ("interpreter", "outline_plan", "2026-11-20"),
        ("interpreter", "record", "2026-12-17"),
        ("translation", "decision_letter", "2026-11-20"),
        ("translation", "outline_plan", "2026-11-20"),
        ("translation", "record", "2026-12-17"),
    ]
    assert all(t.owner == "p-sw2" for t in plan.tasks)
    assert all(c.large_print for c in copies_of(plan, "p-mum").values())
    assert not any(c.large_print for c in copies_of(plan, "p-dad").values())
    assert not any(t.recipient == "p-mum" and t.kind != "hand_over" for t in plan.tasks)


def test_review_example_checks(plan_of: PlanOf) -> None:
    checks = {c.name: c for c in plan_of(example("review-plan-ends")).checks}
    # previous conference 20 Aug 2026 was not the initial one (21 May), so at most 6 months (R65)
    assert checks["review_within_limit"].status == "ok"
    # next review 18 May 2027, within 6 months of 19 Nov 2026 (19 May 2027)
    assert checks["review_date"].status == "ok"
    assert "2027-05-19" in checks["review_date"].detail
    # quorum not recorded: social worker, school and school nurse attended (R68)
    assert checks["quorum"].status == "ok"
    # housing sent apologies with no report and no colleague (R71)
    assert "Sam Reid" in checks["absent_professional_contribution"].detail


def test_pre_birth_example_every_copy(plan_of: PlanOf) -> None:
    plan = plan_of(example("pre-birth-scheduled"))
    assert _rows(plan) == {
        # invited: the mother and the professionals; never the chair (spec §3; R23)
        ("p-mum3", "invitation"): ("family", "2026-12-18", "ready", None),
        ("p-sw3", "invitation"): ("professional", "2026-12-18", "ready", None),
        ("p-mw3", "invitation"): ("professional", "2026-12-18", "ready", None),
        ("p-probation3", "invitation"): ("professional", "2026-12-18", "ready", None),
        # excluded from the whole, decided before the conference: a letter, no invitation (R20)
        ("p-partner3", "exclusion_letter"): ("family", "2026-12-17", "ready", None),
    }


def test_pre_birth_example_checks(plan_of: PlanOf) -> None:
    checks = {c.name: c for c in plan_of(example("pre-birth-scheduled")).checks}
    assert checks["invitations_in_time"].status == "ok"
    assert "2026-12-18" in checks["invitations_in_time"].detail
    assert checks["exclusion_letter_before_conference"].status == "ok"
    # strategy discussion Mon 7 Dec; 15 Welsh working days: 8-11 (4), 14-18 (9), 21-24 (13),
    # [25 and 28 bank holidays], 29 (14), 30 (15) → Wed 30 Dec; the conference on the 29th is in time
    assert checks["conference_within_limit"].status == "ok"
    assert "2026-12-30" in checks["conference_within_limit"].detail
    # expected 10 Apr 2027, 102 days after the conference: about 25 weeks (000 §4.1.16: 24-27)
    assert checks["pre_birth_timing"].status == "ok"


@pytest.mark.parametrize(
    ("recipient", "document", "due", "via"),
    [
        # professionals: decision letter in 2 WD (002 §23.2): Tue 24 (1), Wed 25 Nov (2)
        pytest.param("p-police", "decision_letter", "2026-11-25", None, id="professional-letter"),
        # record in 10 WD (002 §22.5): 24-27 Nov (4), 30 Nov-4 Dec (9), Mon 7 Dec (10)
        pytest.param("p-police", "record", "2026-12-07", None, id="professional-record"),
        # parent who attended: 2 WD letter; record in 15 WD sent directly (002 §22.5, §22.8)
        pytest.param("p-mother", "decision_letter", "2026-11-25", None, id="parent-letter"),
        pytest.param("p-mother", "record", "2026-12-14", None, id="parent-record-direct"),
        # excluded from part: 2 WD (002 §23.2; spec §3 revised 2026-12-01, was 1 WD): Wed 25 Nov;
        # attended parts of the record in 15 WD
        pytest.param("p-father", "decision_letter", "2026-11-25", None, id="excluded-letter"),
        pytest.param("p-father", "record", "2026-12-14", None, id="excluded-record"),
        # family member in her own right: 1 WD letter, record in 15 WD (002 §22.12)
        pytest.param("p-gran", "record", "2026-12-14", None, id="family-member-record"),
        # child: 2 WD through the social worker (002 §23.1-23.2)
        pytest.param("c-ella", "decision_letter", "2026-11-25", "p-sw", id="child-letter"),
        # the solicitor mirrors the mother (spec §4 rule 5)
        pytest.param("p-mother-sol", "record", "2026-12-14", None, id="authorised-record"),
    ],
)
def test_wirral_profile_deadlines_for_the_domestic_abuse_conference(
    plan_of: PlanOf, recipient: str, document: str, due: str, via: str | None
) -> None:
    data = example("initial-domestic-abuse")
    data["authority"]["procedure_profile"] = "wirral"
    copy = the_copy(plan_of(data), recipient, document)
    assert (copy.due.isoformat(), copy.via) == (due, via)


def test_the_two_profiles_give_different_record_deadlines(plan_of: PlanOf) -> None:
    # R30: 000 §4.14.4 says 20 working days, 002 §22.5 says 10
    default = example("initial-domestic-abuse")
    wirral = example("initial-domestic-abuse")
    wirral["authority"]["procedure_profile"] = "wirral"
    assert the_copy(plan_of(default), "p-school", "record").due == date(2026, 12, 21)
    assert the_copy(plan_of(wirral), "p-school", "record").due == date(2026, 12, 7)

"""The recipient table of spec §3 row by row, and the holds of spec §4, on variants of the examples.

Each variant changes one thing in a shipped example; the expected copies follow from the rule cited.
Dates: the domestic-abuse conference is Mon 23 Nov 2026 (1 WD → Tue 24 Nov, 20 WD → Mon 21 Dec).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from pipeline.contract.export import Export
from pipeline.planning.documents import free_text
from pipeline.planning.routing import Routing
from pipeline.procedure.profile import load_profiles
from tests.conftest import PlanOf, copies_of, example, the_copy


def _father(data: dict, **attendance: object) -> dict:
    for entry in data["attendance"]:
        if entry["person"] == "p-father":
            entry.clear()
            entry.update({"person": "p-father", "invited": True, **attendance})
    return data


def _without_father_exclusion(data: dict) -> dict:
    data["exclusions"] = []
    return data


@pytest.mark.parametrize(
    ("attendance", "letter_due", "record_view", "record_via"),
    [
        # attended: decision letter within 24 hours (000 §4.14.5), record handed over (000 §4.14.5)
        pytest.param({"status": "attended"}, "2026-11-24", "family", "p-sw", id="attended"),
        # arrived late, not excluded: still a parent who attended, full family record
        pytest.param(
            {"status": "attended_part", "present_for": ["a2", "a3", "a4", "a5"]},
            "2026-11-24",
            "family",
            "p-sw",
            id="attended-part-not-excluded",
        ),
        # did not attend / apologies: the record through the lead social worker (002 §22.9; R32)
        pytest.param(
            {"status": "did_not_attend"}, "2026-11-24", "family", "p-sw", id="did-not-attend"
        ),
        pytest.param({"status": "apologies"}, "2026-11-24", "family", "p-sw", id="apologies"),
    ],
)
def test_each_attendance_status_of_a_parent_who_was_not_excluded(
    plan_of: PlanOf, attendance: dict, letter_due: str, record_view: str, record_via: str
) -> None:
    data = _without_father_exclusion(_father(example("initial-domestic-abuse"), **attendance))
    copies = copies_of(plan_of(data), "p-father")
    assert set(copies) == {"decision_letter", "outline_plan", "record"}
    assert copies["decision_letter"].due.isoformat() == letter_due
    assert (copies["record"].view, copies["record"].via) == (record_view, record_via)
    assert copies["record"].viewer.present_for is None
    assert copies["record"].due == date(2026, 12, 21)


def test_wirral_sends_the_record_directly_to_a_parent_who_attended_but_not_to_one_who_did_not(
    plan_of: PlanOf,
) -> None:
    # 002 §22.5 (sent to family members who attended) against 002 §22.9 (through the social worker)
    data = _without_father_exclusion(
        _father(example("initial-domestic-abuse"), status="did_not_attend")
    )
    data["authority"]["procedure_profile"] = "wirral"
    plan = plan_of(data)
    assert the_copy(plan, "p-mother", "record").via is None
    absent = the_copy(plan, "p-father", "record")
    # 15 WD after Mon 23 Nov: 24-27 (4), 30 Nov-4 Dec (9), 7-11 Dec (14), Mon 14 Dec (15);
    # hand-over 5 WD earlier: 11, 10, 9, 8, 7 → Mon 7 Dec
    assert (absent.via, absent.due, absent.handover_by) == (
        "p-sw",
        date(2026, 12, 14),
        date(2026, 12, 7),
    )


@pytest.mark.parametrize(
    ("extent", "record_copy", "expected_view", "present_for"),
    [
        # 000 §4.5.10, 002 §12.14 (R49): the chair decides the record of an excluded person
        pytest.param("part", "full", "family", None, id="part-full"),
        pytest.param(
            "part", "attended_parts", "attended_parts", {"a1", "a2", "a5"}, id="part-attended"
        ),
        pytest.param("part", "none", None, None, id="part-none"),
        pytest.param("whole", "full", "family", None, id="whole-full"),
        pytest.param("whole", "attended_parts", "attended_parts", set(), id="whole-attended"),
        pytest.param("whole", "none", None, None, id="whole-none"),
    ],
)
def test_each_record_copy_decision_for_an_excluded_parent(
    plan_of: PlanOf,
    extent: str,
    record_copy: str,
    expected_view: str | None,
    present_for: set[str] | None,
) -> None:
    data = example("initial-domestic-abuse")
    exclusion = data["exclusions"][0]
    exclusion["record_copy"] = record_copy
    if extent == "whole":
        exclusion["extent"] = "whole"
        del exclusion["agenda_items"]
        _father(data, status="excluded")
    plan = plan_of(data)
    copies = copies_of(plan, "p-father")
    # the decision letter and outline plan always go (spec §3 rows 4-5, revised 2026-12-01): the
    # letter within 24 hours of 11:45 Mon 23 Nov (000 §4.14.5), the plan in 1 working day (Tue 24 Nov)
    assert copies["decision_letter"].due == copies["outline_plan"].due == date(2026, 11, 24)
    assert copies["decision_letter"].due_at is not None
    assert copies["decision_letter"].due_at.hour == 11
    assert copies["decision_letter"].view == "family"
    if expected_view is None:
        assert "record" not in copies
        reasons = [
            n.reason for n in plan.not_sent if (n.recipient, n.document) == ("p-father", "record")
        ]
        assert reasons and "record_copy none" in reasons[0]
    else:
        assert copies["record"].view == expected_view
        expected = None if present_for is None else frozenset(present_for)
        assert copies["record"].viewer.present_for == expected


def test_no_authorised_record_on_behalf_of_someone_who_gets_none(plan_of: PlanOf) -> None:
    # spec §4 rule 3: record_copy none means no authorised copy of it on their behalf either
    data = example("initial-domestic-abuse")
    data["exclusions"][0]["record_copy"] = "none"
    data["distribution"]["authorisations"].append(
        {
            "person": "p-father-sol",
            "documents": ["decision_letter", "record"],
            "basis": "parent_consent",
            "on_behalf_of": "p-father",
            "authorised_by": "p-chair",
            "authorised_on": "2026-11-23",
        }
    )
    plan = plan_of(data)
    assert set(copies_of(plan, "p-father-sol")) == {"decision_letter"}
    assert any(n.recipient == "p-father-sol" and n.document == "record" for n in plan.not_sent)


def test_an_authorised_copy_is_never_wider_than_the_principals(plan_of: PlanOf) -> None:
    # spec §4 rules 2, 3 and 5: the father's solicitor sees the attended parts only, and not the
    # safety-planning action withheld from the father
    data = example("initial-domestic-abuse")
    data["distribution"]["authorisations"].append(
        {
            "person": "p-father-sol",
            "documents": ["outline_plan", "record"],
            "basis": "chair_permission",
            "on_behalf_of": "p-father",
            "authorised_by": "p-chair",
            "authorised_on": "2026-11-24",
            "purpose": "care proceedings",
        }
    )
    plan = plan_of(data)
    export = Export.model_validate_json(json.dumps(data))
    record = the_copy(plan, "p-father-sol", "record")
    assert record.view == "attended_parts"
    assert record.viewer.present_for == frozenset({"a1", "a2", "a5"})
    assert record.due == the_copy(plan, "p-father", "record").due
    assert record.via is None  # sent to the solicitor directly
    plan_text = " ".join(
        t
        for _, t in free_text(
            export, "outline_plan", the_copy(plan, "p-father-sol", "outline_plan").viewer
        )
    )
    assert "Caring Dads" in plan_text
    assert "safety planning" not in plan_text
    record_text = " ".join(t for _, t in free_text(export, "record", record.viewer))
    assert "police bail" not in record_text and "Information from agencies" not in record_text
    assert "Views of the family" in record_text


def test_authorisation_without_on_behalf_of_uses_who_the_solicitor_acts_for(
    plan_of: PlanOf,
) -> None:
    data = example("initial-domestic-abuse")
    del data["distribution"]["authorisations"][0]["on_behalf_of"]  # p-mother-sol acts for p-mother
    copy = the_copy(plan_of(data), "p-mother-sol", "record")
    assert copy.on_behalf_of == "p-mother"
    assert copy.viewer.persons == frozenset({"p-mother-sol", "p-mother"})


@pytest.mark.parametrize(
    ("profile", "gets_record"),
    [
        # 000 §4.14.6: the chair asks the parent whether the supporter should have the record
        pytest.param("default", True, id="default-allows"),
        # 002 §22.11: supporters receive no record; the parent may share their own
        pytest.param("wirral", False, id="wirral-refuses"),
    ],
)
def test_supporter_authorised_with_parent_consent(
    plan_of: PlanOf, profile: str, gets_record: bool
) -> None:
    data = example("initial-domestic-abuse")
    data["authority"]["procedure_profile"] = profile
    data["distribution"]["authorisations"].append(
        {
            "person": "p-supporter",
            "documents": ["record"],
            "basis": "parent_consent",
            "authorised_by": "p-chair",
            "authorised_on": "2026-11-23",
        }
    )
    plan = plan_of(data)
    copies = copies_of(plan, "p-supporter")
    assert ("record" in copies) is gets_record
    if gets_record:
        # the supporter is with the mother: her view, her deadline, never confidential material
        assert copies["record"].on_behalf_of == "p-mother"
        assert copies["record"].viewer.audience == "family"
    else:
        assert any(n.recipient == "p-supporter" and "002 §22.11" in n.reason for n in plan.not_sent)


def test_child_copy_of_the_record_goes_through_the_lead_social_worker(plan_of: PlanOf) -> None:
    # 000 §4.14.7-4.14.8; 002 §22.13-22.14 (R56): the chair's decision, through the social worker
    data = example("initial-domestic-abuse")
    data["distribution"]["child_copies"][0]["documents"] = ["decision_letter", "record"]
    plan = plan_of(data)
    record = the_copy(plan, "c-ella", "record")
    assert (record.view, record.due, record.via, record.handover_by) == (
        "family",
        date(2026, 12, 21),
        "p-sw",
        date(2026, 12, 14),
    )
    assert record.viewer.audience == "family"  # no confidential police section for a child
    assert not copies_of(plan, "c-noah")


def test_unsigned_record_and_plan_make_copies_wait(plan_of: PlanOf) -> None:
    # R10, R15: signed by the chair before it is sent
    data = example("initial-domestic-abuse")
    data["record"]["status"] = "draft"
    data["plan"]["status"] = "draft"
    plan = plan_of(data)
    for copy in plan.copies:
        if copy.document in ("record", "outline_plan"):
            assert copy.status == "waiting", copy
            assert "not yet signed" in (copy.reason or "")
        else:
            assert copy.status == "ready"


def test_held_conference_without_a_record_yet_waits(plan_of: PlanOf) -> None:
    data = example("initial-domestic-abuse")
    del data["record"]
    plan = plan_of(data)
    records = [c for c in plan.copies if c.document == "record"]
    assert records and all(
        c.status == "waiting" and "no record" in (c.reason or "") for c in records
    )


def test_no_outline_plan_when_no_child_has_a_plan(plan_of: PlanOf) -> None:
    # R03, R29: decision letters always; an outline plan only for a child with a plan
    data = example("initial-domestic-abuse")
    for decision in data["decisions"]:
        decision.update(outcome="child_in_need_plan")
        decision.pop("categories")
    del data["plan"]
    plan = plan_of(data)
    documents = {c.document for c in plan.copies}
    assert "outline_plan" not in documents
    assert {"decision_letter", "record"} <= documents


class TestWithheldAddressHold:
    """Spec §4 rule 4: free text reaching a person from whom an address is withheld holds the copy."""

    @pytest.mark.parametrize(
        "mention",
        [
            pytest.param("17 Linden Court", id="street-line"),
            pytest.param("17  LINDEN court", id="street-line-case-and-spacing"),
            pytest.param("EV4 7QT", id="postcode"),
            pytest.param("ev47qt", id="postcode-without-space"),
            pytest.param("S.Whitfield@example.org", id="email-any-case"),
        ],
    )
    def test_a_mention_in_a_section_the_father_sees_holds_his_record(
        self, plan_of: PlanOf, mention: str
    ) -> None:
        data = example("initial-domestic-abuse")
        # s2 (agenda item a2) is in the father's attended parts
        data["record"]["sections"][1]["paragraphs"].append(f"Ms Whitfield now lives at {mention}.")
        plan = plan_of(data)
        held = the_copy(plan, "p-father", "record")
        assert held.status == "held"
        assert "record.sections[1].paragraphs[3]" in (held.reason or "")
        assert mention.lower() not in (held.reason or "").lower()  # the reason never repeats it
        assert "Linden" not in (held.reason or "") and "7QT" not in (held.reason or "")
        # the mother herself, the professionals and the grandmother are not held
        assert the_copy(plan, "p-mother", "record").status == "ready"
        assert the_copy(plan, "p-police", "record").status == "ready"
        assert the_copy(plan, "p-gran", "record").status == "ready"

    def test_a_venue_at_the_address_holds_every_document_showing_it(self, plan_of: PlanOf) -> None:
        # found in review: the outline plan prints the venue too
        data = example("initial-domestic-abuse")
        data["conference"]["venue"] = "Children's Centre, 17 Linden Court"
        plan = plan_of(data)
        for document in ("record", "outline_plan"):
            assert the_copy(plan, "p-father", document).status == "held"
        assert the_copy(plan, "p-mother", "outline_plan").status == "ready"

    def test_a_bare_town_name_is_not_a_mention(self, plan_of: PlanOf) -> None:
        data = example("initial-domestic-abuse")
        data["record"]["sections"][1]["paragraphs"].append("Ms Whitfield has moved to Eastvale.")
        assert the_copy(plan_of(data), "p-father", "record").status == "ready"

    def test_a_mention_in_a_section_the_father_does_not_see_does_not_hold(
        self, plan_of: PlanOf
    ) -> None:
        data = example("initial-domestic-abuse")
        data["record"]["sections"][3]["paragraphs"].append("Her address is 17 Linden Court.")  # a4
        assert the_copy(plan_of(data), "p-father", "record").status == "ready"

    def test_a_recommendation_holds_the_decision_letter_and_the_listed_solicitors_copy(
        self, plan_of: PlanOf
    ) -> None:
        data = example("initial-domestic-abuse")
        data["decisions"][0]["recommendations"].append("Police to patrol near EV4 7QT.")
        data["distribution"]["authorisations"].append(
            {
                "person": "p-father-sol",
                "documents": ["decision_letter"],
                "basis": "court_order",
                "on_behalf_of": "p-father",
                "authorised_by": "p-chair",
                "authorised_on": "2026-11-24",
            }
        )
        plan = plan_of(data)
        assert the_copy(plan, "p-father", "decision_letter").status == "held"
        assert the_copy(plan, "p-father-sol", "decision_letter").status == "held"
        assert "decisions[0].recommendations[2]" in (
            the_copy(plan, "p-father", "decision_letter").reason or ""
        )
        assert the_copy(plan, "p-mother", "decision_letter").status == "ready"
        assert the_copy(plan, "p-mother-sol", "decision_letter").status == "ready"

    def test_an_action_withheld_from_the_father_does_not_hold_his_plan(
        self, plan_of: PlanOf
    ) -> None:
        data = example("initial-domestic-abuse")
        action = data["plan"]["children"][0]["outcomes"][0]["actions"][1]
        action["action"] = "Complete safety planning at 17 Linden Court."  # withheld from p-father
        plan = plan_of(data)
        assert the_copy(plan, "p-father", "outline_plan").status == "ready"
        assert the_copy(plan, "p-gran", "outline_plan").status == "ready"


def test_cancelled_conference_tells_everyone_invited(plan_of: PlanOf) -> None:
    # spec §1, §2: stage cancelled, a cancellation notice to each person invited; not the chair,
    # not the person excluded from the whole (who was never invited); next working day after export
    data = example("pre-birth-scheduled")
    data["conference"]["stage"] = "cancelled"
    plan = plan_of(data)
    assert {(c.recipient, c.document, c.due.isoformat()) for c in plan.copies} == {
        ("p-mum3", "cancellation_notice", "2026-12-18"),
        ("p-sw3", "cancellation_notice", "2026-12-18"),
        ("p-mw3", "cancellation_notice", "2026-12-18"),
        ("p-probation3", "cancellation_notice", "2026-12-18"),
    }


def test_exclusion_letter_also_goes_to_whoever_is_authorised_for_the_excluded_person(
    plan_of: PlanOf,
) -> None:
    data = example("pre-birth-scheduled")
    data["people"].append(
        {
            "id": "p-sol3",
            "name": "Nia Rees",
            "role": "solicitor",
            "acting_for": "p-partner3",
            "email": "n.rees@rees-law.example.co.uk",
        }
    )
    data["distribution"] = {
        "authorisations": [
            {
                "person": "p-sol3",
                "documents": ["decision_letter"],
                "basis": "parent_consent",
                "on_behalf_of": "p-partner3",
                "authorised_by": "p-chair3",
                "authorised_on": "2026-12-16",
            }
        ]
    }
    email = Routing(authorised="email", email_possible=True)
    plan = plan_of(data, routing=email)
    letter = the_copy(plan, "p-sol3", "exclusion_letter")
    assert (letter.due, letter.on_behalf_of, letter.channel) == (
        date(2026, 12, 17),
        "p-partner3",
        "email",
    )


def test_invitation_check_fails_when_exported_too_late(plan_of: PlanOf) -> None:
    # spec §3: invitations at least 5 working days before the conference. Exported Thu 24 Dec:
    # next working day Tue 29 Dec (25 and 28 are Welsh bank holidays), the day of the conference.
    data = example("pre-birth-scheduled")
    data["exported_at"] = "2026-12-24T10:00:00Z"
    plan = plan_of(data)
    assert the_copy(plan, "p-sw3", "invitation").due == date(2026, 12, 29)
    check = next(c for c in plan.checks if c.name == "invitations_in_time")
    assert check.status == "problem"


def test_24_hours_can_end_on_a_saturday_but_working_days_cannot(plan_of: PlanOf) -> None:
    # A conference on Fri 20 Nov 2026 ending 12:00: 24 hours → Sat 21 Nov; 1 WD → Mon 23 Nov
    data = example("initial-domestic-abuse")
    data["conference"].update(date="2026-11-20", strategy_discussion_date="2026-11-02")
    data["exclusions"][0]["decided_on"] = "2026-11-18"
    data["plan"]["signed_on"] = "2026-11-20"
    data["distribution"]["authorisations"][0]["authorised_on"] = "2026-11-20"
    plan = plan_of(data)
    assert the_copy(plan, "p-mother", "decision_letter").due == date(2026, 11, 21)
    assert the_copy(plan, "p-police", "decision_letter").due == date(2026, 11, 23)


def test_an_authoritys_own_profile_with_closure_days(tmp_path: Path, plan_of: PlanOf) -> None:
    # spec §3: closure days are not working days. Closed 14-18 Dec 2026, the 20 WD record deadline
    # counts 24-27 Nov (4), 30 Nov-4 Dec (9), 7-11 Dec (14), [14-18 closed], 21-24 Dec (18),
    # [25 and 28 Dec bank holidays], 29, 30 Dec (20) → Wed 30 Dec instead of Mon 21 Dec.
    (tmp_path / "northby.toml").write_text(
        'extends = "default"\nname = "northby"\ntitle = "Northby"\n'
        "closure_days = [2026-12-14, 2026-12-15, 2026-12-16, 2026-12-17, 2026-12-18]\n",
        encoding="utf-8",
    )
    extra = load_profiles([tmp_path])
    data = example("initial-domestic-abuse")
    data["authority"]["procedure_profile"] = "northby"
    plan = plan_of(data, extra)
    assert the_copy(plan, "p-police", "record").due == date(2026, 12, 30)


def test_plan_ended_notice_only_to_professionals_invited_to_the_initial_conference(
    plan_of: PlanOf,
) -> None:
    # 000 §4.10.6 (R35): the agency representatives; a parent on the list gets none
    data = example("review-plan-ends")
    data["distribution"]["initial_conference_invitees"] = ["p-police2", "p-mum"]
    plan = plan_of(data)
    assert {c.recipient for c in plan.copies if c.document == "plan_ended_notice"} == {"p-police2"}


def test_plan_ends_without_invitee_list_is_reported(plan_of: PlanOf) -> None:
    data = example("review-plan-ends")
    del data["distribution"]
    plan = plan_of(data)
    assert not [c for c in plan.copies if c.document == "plan_ended_notice"]
    assert any(
        c.name == "plan_ended_notice_recipients" and c.status == "problem" for c in plan.checks
    )


def test_quorum_judged_from_attendance_when_not_recorded(plan_of: PlanOf) -> None:
    # R68: children's social care and two other agencies; here only the school attends besides
    data = example("review-plan-ends")
    for entry in data["attendance"]:
        if entry["person"] == "p-hv2":
            entry["status"] = "apologies"
    check = next(c for c in plan_of(data).checks if c.name == "quorum")
    assert check.status == "problem"
    assert "1 other agency" in check.detail


def test_inquorate_conference_needs_an_early_review(plan_of: PlanOf) -> None:
    # R69, R70: the chair recorded it inquorate; review at the usual 3-month limit is not early
    data = example("initial-domestic-abuse")
    data["conference"].update(quorate=False, inquorate_reason="Health could not attend.")
    checks = {c.name: c for c in plan_of(data).checks}
    assert checks["quorum"].status == "problem"
    assert "Health could not attend." in checks["quorum"].detail
    assert checks["early_review_after_inquorate"].status == "ok"  # 22 Feb is before 23 Feb
    data["plan"]["review_conference_date"] = "2027-02-23"
    checks = {c.name: c for c in plan_of(data).checks}
    assert checks["early_review_after_inquorate"].status == "problem"


def test_review_set_too_late_is_a_problem(plan_of: PlanOf) -> None:
    data = example("initial-domestic-abuse")
    data["plan"]["review_conference_date"] = "2027-02-24"  # limit 23 Feb 2027 (R64)
    check = next(c for c in plan_of(data).checks if c.name == "review_date")
    assert check.status == "problem"

"""Behaviour of rules whose breaking no test noticed (issue 11): R24, R37, R54, R66.

Dates worked out by hand (England, autumn 2026: no bank holiday between 30 Oct and 21 Dec 2026).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.conftest import PlanOf, copies_of, example, the_copy


def _checks(plan: Any, name: str) -> list[Any]:
    return [c for c in plan.checks if c.name == name]


def _person(data: dict[str, Any], person_id: str) -> dict[str, Any]:
    return next(p for p in data["people"] if p["id"] == person_id)


def _attendance(data: dict[str, Any], person_id: str) -> dict[str, Any]:
    return next(a for a in data["attendance"] if a["person"] == person_id)


# ---- R24: every parent and person with parental responsibility is invited unless excluded ------
# 000 §4.4.1; 002 §6.1.


@pytest.mark.parametrize("stage_example", ["initial-domestic-abuse", "pre-birth-scheduled"])
def test_r24_every_parent_invited_raises_nothing(plan_of: PlanOf, stage_example: str) -> None:
    assert not _checks(plan_of(example(stage_example)), "parent_invited")


def test_r24_a_parent_not_invited_and_not_excluded_is_a_problem(plan_of: PlanOf) -> None:
    data = example("initial-domestic-abuse")
    _attendance(data, "p-mother")["invited"] = False
    problems = _checks(plan_of(data), "parent_invited")
    assert [c.status for c in problems] == ["problem"]
    assert "Whitfield" in problems[0].detail
    assert "R24" in problems[0].source and "000 §4.4.1" in problems[0].source


def test_r24_a_relative_with_parental_responsibility_must_be_invited_too(plan_of: PlanOf) -> None:
    # "including parents who do not live with or care day to day for the child": anyone with
    # parental responsibility, here the grandmother
    data = example("initial-domestic-abuse")
    _person(data, "p-gran")["parental_responsibility"] = True
    _attendance(data, "p-gran")["invited"] = False
    problems = _checks(plan_of(data), "parent_invited")
    assert len(problems) == 1 and problems[0].status == "problem"


def test_r24_a_relative_without_parental_responsibility_need_not_be_invited(
    plan_of: PlanOf,
) -> None:
    data = example("initial-domestic-abuse")
    _person(data, "p-gran")["parental_responsibility"] = False
    _attendance(data, "p-gran")["invited"] = False
    assert not _checks(plan_of(data), "parent_invited")


def test_r24_an_excluded_parent_need_not_be_invited(plan_of: PlanOf) -> None:
    # pre-birth-scheduled: one parent is excluded from the whole conference, decided beforehand,
    # and is not invited; the chair's exclusion stands (R45)
    data = example("pre-birth-scheduled")
    excluded = data["exclusions"][0]["person"]
    assert _attendance(data, excluded)["invited"] is False
    assert not _checks(plan_of(data), "parent_invited")
    data["exclusions"].pop(0)
    _attendance(data, excluded)["status"] = "expected"
    problems = _checks(plan_of(data), "parent_invited")
    assert [c.status for c in problems] == ["problem"]


# ---- R37: a transfer-in conference within 15 working days of the notification ------------------
# 000 §4.1.18. Conference Mon 23 Nov 2026.
#   notified Mon 2 Nov: 3-6 Nov (4), 9-13 (9), 16-20 (14), Mon 23 Nov (15) → by Mon 23 Nov: in time
#   notified Fri 30 Oct: 2-6 Nov (5), 9-13 (10), 16-20 (15) → by Fri 20 Nov: late


def _transfer_in(notified: str) -> dict[str, Any]:
    data = example("initial-domestic-abuse")
    conference = data["conference"]
    conference["kind"] = "transfer_in"
    conference.pop("strategy_discussion_date")
    conference["transfer_notification_date"] = notified
    return data


@pytest.mark.parametrize(
    ("notified", "status", "deadline"),
    [
        pytest.param("2026-11-02", "ok", "2026-11-23", id="15th-working-day"),
        pytest.param("2026-10-30", "problem", "2026-11-20", id="16th-working-day"),
    ],
)
def test_r37_transfer_in_within_15_working_days(
    plan_of: PlanOf, notified: str, status: str, deadline: str
) -> None:
    checks = _checks(plan_of(_transfer_in(notified)), "conference_within_limit")
    assert len(checks) == 1
    assert checks[0].status == status
    assert deadline in checks[0].detail and notified in checks[0].detail
    assert "R37" in checks[0].source and "000 §4.1.18" in checks[0].source


def test_r37_a_local_profile_can_set_its_own_transfer_in_limit(plan_of: PlanOf, tmp_path) -> None:
    from pipeline.procedure.profile import load_profiles

    (tmp_path / "slow.toml").write_text(
        'extends = "default"\nname = "slow"\ntitle = "S"\n[timeliness]\n'
        'transfer_in_conference = { value = "16 working days", source = "local §1" }\n',
        encoding="utf-8",
    )
    data = _transfer_in("2026-10-30")
    data["authority"]["procedure_profile"] = "slow"
    # 16 WD from Fri 30 Oct: Mon 23 Nov (16)
    checks = _checks(plan_of(data, load_profiles([tmp_path])), "conference_within_limit")
    assert [c.status for c in checks] == ["ok"]


# ---- R54: a child's legal representative may be given the record on request ---------------------
# 000 §4.14.8; 002 §22.14.


def _with_child_representative(documents: list[str] | None) -> dict[str, Any]:
    data = example("initial-domestic-abuse")
    data["people"].append(
        {
            "id": "p-noah-rep",
            "name": "Ms Ada Quill",
            "role": "child_legal_representative",
            "acting_for": "c-noah",
            "email": "ada.quill@example.org",
        }
    )
    if documents is not None:
        data["distribution"]["authorisations"].append(
            {
                "person": "p-noah-rep",
                "documents": documents,
                "basis": "child_legal_representative_request",
                "on_behalf_of": "c-noah",
                "authorised_by": "p-chair",
                "authorised_on": "2026-11-23",
            }
        )
    return data


def test_r54_the_representative_gets_the_record_on_request(plan_of: PlanOf) -> None:
    plan = plan_of(_with_child_representative(["record"]))
    record = the_copy(plan, "p-noah-rep", "record")
    # the child's own rule: 20 WD after Mon 23 Nov = Mon 21 Dec (000 §4.14.5); sent to the
    # representative directly, not handed over by the social worker
    assert (record.due, record.via, record.status) == (date(2026, 12, 21), None, "ready")
    assert record.on_behalf_of == "c-noah"
    assert record.authorisation_basis == "child_legal_representative_request"
    # family-side: confidential content is never in it (spec §4 rules 1, 5)
    assert record.view == "family" and record.viewer.audience == "family"
    assert {"p-noah-rep", "c-noah"} <= record.viewer.persons
    assert set(copies_of(plan, "p-noah-rep")) == {"record"}


def test_r54_without_a_request_the_representative_gets_nothing(plan_of: PlanOf) -> None:
    plan = plan_of(_with_child_representative(None))
    assert copies_of(plan, "p-noah-rep") == {}


def test_r54_what_is_withheld_from_the_child_is_withheld_from_the_representative(
    plan_of: PlanOf,
) -> None:
    from pipeline.contract.export import Visibility

    plan = plan_of(_with_child_representative(["record"]))
    viewer = the_copy(plan, "p-noah-rep", "record").viewer
    # spec §4 rules 2 and 5: the child's exclusion reaches whoever holds a copy for the child
    assert not viewer.may_see(Visibility(withheld_from=("c-noah",)))
    assert not viewer.may_see(Visibility(confidential=True))
    assert viewer.may_see(Visibility(withheld_from=("p-father",)))


# ---- R66: the first review after a pre-birth conference is tied to the birth ----------------------
# 000 §4.1.22: within 1 month of the birth or 3 months of the pre-birth conference, whichever is
# sooner; 002 §7.13: within 1 month of the birth. review-plan-ends: this review Thu 19 Nov 2026,
# the conference it reviews Thu 20 Aug 2026 (3 months later: Fri 20 Nov 2026).
#   born Thu 1 Oct 2026: 1 month → Sun 1 Nov; sooner than 20 Nov → 19 Nov is late (both profiles)
#   born Sun 25 Oct 2026: 1 month → Wed 25 Nov; 000: 20 Nov is sooner, 19 Nov in time;
#                                                002: 25 Nov, 19 Nov in time


def _review_after_birth(born: str | None, profile: str = "default") -> dict[str, Any]:
    data = example("review-plan-ends")
    if born is not None:
        data["conference"]["child_born_on"] = born
    data["authority"]["procedure_profile"] = profile
    return data


@pytest.mark.parametrize(
    ("born", "profile", "status", "deadline", "words"),
    [
        pytest.param("2026-10-01", "default", "problem", "2026-11-01", "of the birth", id="000-late"),
        pytest.param("2026-10-25", "default", "ok", "2026-11-20", "of the conference", id="000-ok"),
        pytest.param("2026-10-01", "wirral", "problem", "2026-11-01", "of the birth", id="002-late"),
        pytest.param("2026-10-25", "wirral", "ok", "2026-11-25", "of the birth", id="002-ok"),
    ],
)
def test_r66_the_review_after_a_birth(
    plan_of: PlanOf, born: str, profile: str, status: str, deadline: str, words: str
) -> None:
    checks = _checks(plan_of(_review_after_birth(born, profile)), "review_within_limit")
    assert len(checks) == 1
    assert checks[0].status == status
    assert deadline in checks[0].detail and words in checks[0].detail
    assert "R66" in checks[0].source


def test_r66_without_a_birth_the_usual_six_months_apply(plan_of: PlanOf) -> None:
    # R65; 000 §4.1.22: 6 months after Thu 20 Aug 2026 is Sat 20 Feb 2027
    checks = _checks(plan_of(_review_after_birth(None)), "review_within_limit")
    assert [c.status for c in checks] == ["ok"]
    assert "2027-02-20" in checks[0].detail


# ---- R21: a parent's invitation is given verbally by the social worker, then in writing ---------
# 002 §8.2 (a profile value: 000 sets no verbal step). pre-birth-scheduled: exported Thu 17 Dec
# 2026; the invitations are due the next working day, Fri 18 Dec (tests/test_plan_examples.py).


def _verbal(plan: Any) -> list[tuple[str | None, str, str, date]]:
    return [
        (t.owner, t.recipient, t.document, t.due) for t in plan.tasks if t.kind == "verbal_invitation"
    ]


def test_r21_wirral_the_social_worker_invites_each_parent_before_the_letter(plan_of: PlanOf) -> None:
    data = example("pre-birth-scheduled")
    data["authority"]["procedure_profile"] = "wirral"
    plan = plan_of(data)
    # the mother is invited; the excluded partner is not (R24, R45), so he has no task
    assert _verbal(plan) == [("p-sw3", "p-mum3", "invitation", date(2026, 12, 18))]
    task = next(t for t in plan.tasks if t.kind == "verbal_invitation")
    assert "R21" in task.source and "002 §8.2" in task.source
    # the letter is the written confirmation, due the same day
    assert the_copy(plan, "p-mum3", "invitation").due == date(2026, 12, 18)


def test_r21_the_default_profile_sets_no_verbal_step(plan_of: PlanOf) -> None:
    assert _verbal(plan_of(example("pre-birth-scheduled"))) == []



# ---- R14 and spec §3: the dedicated minute taker records the conference; nothing goes to them ----


def test_r14_the_minute_taker_is_not_invited_or_sent_anything(plan_of: PlanOf) -> None:
    data = example("pre-birth-scheduled")
    data["people"].append(
        {"id": "p-min3", "name": "Ms Rhian Lloyd", "role": "minute_taker", "email": "m@example.org"}
    )
    data["attendance"].append({"person": "p-min3", "status": "expected", "invited": True})
    data["conference"]["minute_taker"] = "p-min3"
    plan = plan_of(data)
    assert copies_of(plan, "p-min3") == {}
    assert "invitation" in copies_of(plan, "p-mum3")  # the others are still invited


# ---- R23, R45: invitations to each person the conference invites, never to one excluded ---------


def test_r23_only_those_invited_are_sent_an_invitation(plan_of: PlanOf) -> None:
    data = example("pre-birth-scheduled")
    assert "invitation" in copies_of(plan_of(data), "p-probation3")
    _attendance(data, "p-probation3")["invited"] = False
    assert "invitation" not in copies_of(plan_of(data), "p-probation3")


def test_r45_a_person_excluded_from_the_whole_is_not_invited_even_if_marked_invited(
    plan_of: PlanOf,
) -> None:
    # 000 §4.5.8; 002 §12.13: the chair's exclusion is applied as recorded; the letter goes instead
    data = example("pre-birth-scheduled")
    _attendance(data, "p-partner3")["invited"] = True
    plan = plan_of(data)
    assert set(copies_of(plan, "p-partner3")) == {"exclusion_letter"}


# ---- R87: an enquirer's details are checked and recorded before information is given -----------
# 000 §4.14.15: who authorised a copy must be a person the export knows.


def test_r87_an_authorisation_by_an_unknown_person_is_refused() -> None:
    import json

    from pipeline.contract.load import load_export
    from pipeline.errors import ContractError
    from pipeline.procedure.profile import load_profiles

    data = example("initial-domestic-abuse")
    data["distribution"]["authorisations"][0]["authorised_by"] = "p-nobody"
    with pytest.raises(ContractError) as raised:
        load_export(json.dumps(data).encode(), load_profiles().keys())
    assert "distribution.authorisations[0].authorised_by" in str(raised.value)

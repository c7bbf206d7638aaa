"""Recipient views (spec §4): built on the data, before any template, with only what the reader may see."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import pytest

from pipeline.contract.export import Export
from pipeline.contract.load import load_export
from pipeline.planning.plan import DistributionPlan
from pipeline.procedure.profile import Profile
from pipeline.redaction.plain_language import PlainWords
from pipeline.redaction.view import RecipientView, view_for
from pipeline.redaction.withheld import normalise, withheld_strings
from tests.conftest import PlanOf, example, the_copy

POLICE_PARAGRAPH = "DC Hale reported that Mr Whitfield was arrested on 31 October 2026"
SAFETY_ACTION = "Complete safety planning with Ms Whitfield at her new address."


def _strings(value: Any) -> Iterator[str]:
    """Every string anywhere in a view, however deep."""
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            yield from _strings(getattr(value, f.name))
    elif isinstance(value, tuple | list):
        for item in value:
            yield from _strings(item)


@pytest.fixture(scope="module")
def dv(
    profiles: dict[str, Profile], plan_of: PlanOf
) -> tuple[Export, DistributionPlan, PlainWords]:
    data = example("initial-domestic-abuse")
    export = load_export(json.dumps(data).encode(), profiles.keys())
    return export, plan_of(data), PlainWords.from_glossary(profiles["default"].glossary)


def _view(dv, recipient: str, document: str) -> RecipientView:
    export, plan, words = dv
    return view_for(export, the_copy(plan, recipient, document), words)


def test_father_record_has_only_the_parts_he_attended(dv) -> None:
    # spec §4 rule 3; 000 §4.5.10; 002 §12.14: record_copy attended_parts, present for a1, a2, a5
    record = _view(dv, "p-father", "record").record
    assert record is not None
    visible = [s.heading for s in record.sections if not s.withheld]
    assert visible == [
        "Purpose of the conference",
        "Views of the family",
        "Decision and outline plan",
    ]
    withheld = [s for s in record.sections if s.withheld]
    assert len(withheld) == 2
    assert all(s.heading is None and s.paragraphs == () for s in withheld)  # rule 6: no heading
    # the titles of the items he was excluded from name what they held: not shown to him
    assert record.exclusions[0].items == ()


def test_mother_record_leaves_out_confidential_police_section(dv) -> None:
    # spec §4 rule 1; 000 §4.14.5 (R52)
    view = _view(dv, "p-mother", "record")
    text = " ".join(_strings(view))
    assert "arrested" not in text and "Information from the police" not in text
    assert "81% this term" in text  # s4 is not confidential
    assert view.record is not None and view.record.reports_withheld == 1
    assert "Police report" not in view.record.reports


def test_professional_record_has_everything(dv) -> None:
    text = " ".join(_strings(_view(dv, "p-police", "record")))
    assert POLICE_PARAGRAPH in text and SAFETY_ACTION in text


def test_action_withheld_from_the_father_is_absent_with_a_marker(dv) -> None:
    # spec §4 rule 2: withheld_from
    plan = _view(dv, "p-father", "outline_plan").plan
    assert plan is not None
    outcome = plan.children[0].outcomes[0]
    assert SAFETY_ACTION not in [a.action for a in outcome.actions]
    assert outcome.actions_withheld
    assert "Attend the Caring Dads programme." in [a.action for a in outcome.actions]


def test_solicitor_view_is_exactly_the_mothers(dv) -> None:
    # spec §4 rule 5: never wider than the copy of the person they act for; the record has no
    # address block, so the two views are equal and one layout serves both
    assert _view(dv, "p-mother-sol", "record") == _view(dv, "p-mother", "record")


@pytest.mark.parametrize(
    "recipient", ["p-father", "p-mother", "p-gran", "p-police", "p-mother-sol"]
)
def test_letters_carry_only_the_recipients_own_address(dv, recipient: str) -> None:
    export, _, _ = dv
    view = _view(dv, recipient, "decision_letter")
    assert view.addressee is not None
    person = export.person(recipient)
    assert view.addressee.lines == (person.address.lines if person.address else ())
    others = [p for p in export.people if p.id != recipient and p.address]
    text = " ".join(_strings(view))
    for other in others:
        assert other.address is not None
        assert other.address.postcode not in text


def test_family_views_have_acronyms_written_out(dv) -> None:
    # 003 §2, §4; R79: CAMHS in a recommendation, DC in a name
    family = " ".join(_strings(_view(dv, "p-mother", "record")))
    assert "CAMHS" not in family and "DC Tom Hale" not in family
    assert "Child and Adolescent Mental Health Service to offer Ella an assessment." in family
    professional = " ".join(_strings(_view(dv, "p-police", "record")))
    assert "CAMHS to offer Ella an assessment." in professional  # professionals see the original


def test_withheld_strings_for_the_father(dv) -> None:
    export, plan, _ = dv
    withheld = withheld_strings(export, the_copy(plan, "p-father", "record").viewer)
    # "Flat 3" is read with the street line after it (issue 9)
    expected = {"17 Linden Court", "Flat 3 17 Linden Court", "EV4 7QT", "s.whitfield@example.org", SAFETY_ACTION}
    assert expected <= set(withheld)
    assert any(POLICE_PARAGRAPH in s for s in withheld)
    assert "Eastvale" not in withheld  # a bare town name (spec §4 rule 4)
    assert "Information from agencies and analysis of risk" in withheld  # a4, which he missed


def test_withheld_strings_for_the_mother_hold_no_address(dv) -> None:
    export, plan, _ = dv
    withheld = withheld_strings(export, the_copy(plan, "p-mother", "record").viewer)
    assert any(POLICE_PARAGRAPH in s for s in withheld)
    assert "Police report" in withheld
    assert "17 Linden Court" not in withheld and SAFETY_ACTION not in withheld


@pytest.mark.parametrize(
    "name", ["initial-domestic-abuse", "review-plan-ends", "pre-birth-scheduled"]
)
def test_no_view_holds_a_string_withheld_from_its_reader(
    profiles: dict[str, Profile], plan_of: PlanOf, name: str
) -> None:
    # The invariant the leak check proves on bytes, here on the data the renderer receives.
    data = example(name)
    export = load_export(json.dumps(data).encode(), profiles.keys())
    plan = plan_of(data)
    words = PlainWords.from_glossary(profiles["default"].glossary)
    for copy in plan.copies:
        if copy.status != "ready":
            continue
        text = normalise(" ".join(_strings(view_for(export, copy, words))))
        for secret in withheld_strings(export, copy.viewer, words):
            assert normalise(secret) not in text, (copy.recipient, copy.document)


def test_amendment_notice_shows_only_changes_to_sections_the_reader_holds(dv, profiles) -> None:
    # spec §5; 002 §22.6-22.7: the school's correction to s4 reaches the mother (who holds s4),
    # while the father's copy never held s4, so his notice view carries no change at all
    from pipeline.contract.load import load_document
    from pipeline.redaction.amendment_view import amendment_view
    from tests.conftest import EXAMPLES

    export, plan, words = dv
    amendment = load_document((EXAMPLES / "amendment-agreed.json").read_bytes(), profiles.keys())
    mother = amendment_view(export, the_copy(plan, "p-mother", "record"), amendment, words)
    father = amendment_view(export, the_copy(plan, "p-father", "record"), amendment, words)
    assert mother.document == "amendment_notice" and mother.addressee is not None
    assert mother.amendment is not None and father.amendment is not None
    assert [(c.before, c.after) for c in mother.amendment.changes] == [
        ("Ella's attendance fell to 81% this term", "Ella's attendance fell to 86% this term")
    ]
    assert father.amendment.changes == ()
    assert "analysis of risk" not in " ".join(_strings(father))


def test_withheld_text_is_also_listed_as_a_family_reader_would_see_it(dv) -> None:
    # found in review: a family view writes CAMHS out, so the raw form alone would never be found
    export, plan, words = dv
    mother = the_copy(plan, "p-mother", "record").viewer
    withheld = withheld_strings(export, mother, words)
    raw = next(s for s in withheld if s.startswith("DC Hale reported"))
    assert words.plain(raw) in withheld and words.plain(raw).startswith("Detective Constable Hale")

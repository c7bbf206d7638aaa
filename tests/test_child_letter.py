"""The child's own letter (issue 16 part 3; 000 §4.14.7-4.14.8; 002 §22.13-22.14; R79).

A child who receives copies (`distribution.child_copies`) is written to: their first name, "you",
their own decision and why, their social worker, how to say what they think; nothing about a
brother's or sister's decision; at a reading age no higher than their age, and never above 11.
Asserted on the words a reader reads: the HTML's prose and the real PDF's page text.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from pipeline.checking.leak_check import extract_docx
from pipeline.contract.export import Export
from pipeline.contract.load import load_export
from pipeline.errors import ProfileError
from pipeline.planning.documents import free_text
from pipeline.planning.plan import DistributionPlan
from pipeline.procedure.profile import Profile, load_profiles
from pipeline.redaction.facts import RecipientView
from pipeline.rendering.html import Composer
from pipeline.service.copy_renderer import Renderer
from tests.conftest import PlanOf, example, the_copy
from tests.printed import text_on_pages
from tests.readability import as_sentences, hardest_sentences, prose_units, reading_age

ISSUED = date(2026, 12, 1)
CONFERENCE_DAY = date(2026, 11, 23)  # the DV example's conference


def _born(years: int) -> str:
    """A date of birth that makes a child `years` old on the conference day."""
    return CONFERENCE_DAY.replace(year=CONFERENCE_DAY.year - years, month=4, day=19).isoformat()


class Conference:
    def __init__(self, data: dict[str, Any], profiles: dict[str, Profile], plan_of: PlanOf):
        self.export: Export = load_export(json.dumps(data).encode(), profiles.keys())
        self.plan: DistributionPlan = plan_of(data)
        profile = profiles[self.export.authority.procedure_profile or "default"]
        self.composer = Composer.at()
        self.renderer = Renderer.for_profile(profile, self.composer)

    def view(self, recipient: str, document: str) -> RecipientView:
        copy = the_copy(self.plan, recipient, document)
        return self.renderer.view(self.export, copy, None, ISSUED)

    def html(self, recipient: str, document: str = "decision_letter") -> str:
        return self.composer.html(self.view(recipient, document))

    def prose(self, recipient: str, document: str = "decision_letter") -> str:
        return as_sentences(prose_units(self.html(recipient, document)))

    def files(self, recipient: str, document: str = "decision_letter") -> dict[str, bytes]:
        copy = the_copy(self.plan, recipient, document)
        rendered = self.renderer.render(self.export, copy)
        assert rendered.status == "ready", rendered.reason
        return dict(rendered.files)

    def pdf_text(self, recipient: str, document: str = "decision_letter") -> str:
        pdf = next(b for name, b in self.files(recipient, document).items() if name.endswith("pdf"))
        return " ".join(text_on_pages(pdf).split())


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z']+", text.lower()))


def _assert_readable_for(age: int, text: str) -> None:
    score = reading_age(text)
    assert score <= min(age, 11), (
        f"reading age {score:.1f} for a child of {age}: {hardest_sentences(text)}"
    )


@pytest.fixture(scope="module")
def dv(profiles: dict[str, Profile], plan_of: PlanOf) -> Conference:
    return Conference(example("initial-domestic-abuse"), profiles, plan_of)


# ---- the DV example: Ella, 13 --------------------------------------------------------------------


def test_ellas_letter_is_written_to_her_by_first_name(dv: Conference) -> None:
    html = dv.html("c-ella")
    assert "Dear Ella," in html
    assert "Dear Ella Whitfield" not in html
    pdf = dv.pdf_text("c-ella")
    assert "Dear Ella," in pdf
    assert "Dear Ella Whitfield" not in pdf
    docx = next(b for name, b in dv.files("c-ella").items() if name.endswith("docx"))
    body = " ".join(text for where, text in extract_docx(docx) if where == "word/document.xml")
    assert "Dear Ella," in body and "Dear Ella Whitfield" not in body


def test_ellas_letter_says_you_and_what_was_decided_about_her_and_why(dv: Conference) -> None:
    prose = dv.prose("c-ella")
    words = _words(prose)
    assert {"you", "your"} <= words
    # Her decision (a child protection plan, emotional abuse) in a child's words.
    assert "you will now have a child protection plan" in prose
    assert "shouting or fighting" in prose
    assert "None of this is your fault." in prose
    # Not the adult letter's wording about her in the third person.
    assert "Ella Whitfield will have a child protection plan" not in prose
    assert "significant harm" not in prose


def test_ellas_letter_holds_nothing_of_noahs_decision(dv: Conference) -> None:
    """Noah's decision is his private matter: not his name, not his dissent, not his category's
    adult wording (000 §4.14.7; issue 16 acceptance)."""
    for text in (dv.prose("c-ella"), dv.html("c-ella"), dv.pdf_text("c-ella")):
        assert "Noah" not in text
        assert "health visitor" not in text.lower()
        assert "child in need plan would meet" not in text
    view = dv.view("c-ella", "decision_letter")
    assert [d.child for d in view.decisions] == ["Ella Whitfield"]
    assert [c.name for c in view.children] == ["Ella Whitfield"]


def test_ellas_letter_names_her_social_worker_and_how_to_say_what_she_thinks(
    dv: Conference,
) -> None:
    for text in (dv.prose("c-ella"), dv.pdf_text("c-ella")):
        assert "Your social worker is Daniel Okafor." in text
        assert "You can ask for an advocate. An advocate is a person who is on your side." in text
        assert "You can write to Helen Marsh." in text  # the chair
        # The review conference set by her plan (2027-02-22), written out.
        assert "another meeting about you. It will be on Monday 22 February 2027." in text
        assert "making a complaint" in text
        # The recommendations are professionals' words that may name a sibling: the social
        # worker talks them through with her, so even her own are not printed.
        assert "Ella to be offered an advocate for future conferences." not in text
    # Where to complain in writing: the authority's contact, printed as an address (a table row).
    pdf = dv.pdf_text("c-ella")
    assert "You can also write to" in pdf and "Town Hall, Market Street" in pdf


def test_ellas_letter_reads_at_most_at_eleven_and_her_age(dv: Conference) -> None:
    view = dv.view("c-ella", "decision_letter")
    assert view.child_reader is not None and view.child_reader.age == 13
    _assert_readable_for(13, dv.prose("c-ella"))


def test_other_readers_still_get_the_adult_letter(dv: Conference) -> None:
    """The mother's and the police officer's copies are the letters they were: both children,
    the adult wording, no child reader (the copy key c-ella/decision_letter is the only change)."""
    for recipient in ("p-mother", "p-police"):
        view = dv.view(recipient, "decision_letter")
        assert view.child_reader is None
        assert dv.composer.template_name(view) == "letters/decision_letter.html"
        html = dv.html(recipient)
        assert "Noah Whitfield" in html and "Ella Whitfield" in html
        assert "This letter is for you" not in html
    assert "likely to suffer significant harm" in dv.prose("p-mother")
    keys = {f"{c.recipient}/{c.document}" for c in dv.plan.copies}
    assert "c-ella/decision_letter" in keys


# ---- variants --------------------------------------------------------------------------------


def test_a_child_of_nine_gets_a_letter_at_nine(
    profiles: dict[str, Profile], plan_of: PlanOf
) -> None:
    data = example("initial-domestic-abuse")
    data["children"][0]["date_of_birth"] = _born(9)
    conference = Conference(data, profiles, plan_of)
    view = conference.view("c-ella", "decision_letter")
    assert view.child_reader is not None and view.child_reader.age == 9
    _assert_readable_for(9, conference.prose("c-ella"))
    assert "Dear Ella," in conference.pdf_text("c-ella")


def _three_children(profiles: dict[str, Profile], plan_of: PlanOf) -> Conference:
    """Ella at 15, with Noah and a third child, Sam (11), each with their own decision and words."""
    data = example("initial-domestic-abuse")
    data["children"][0]["date_of_birth"] = _born(15)
    data["children"].append(
        {"id": "c-sam", "name": "Sam Whitfield", "subject": True, "date_of_birth": _born(11)}
    )
    data["decisions"][1]["recommendations"] = ["Noah to see the health visitor each month."]
    data["decisions"].append(
        {
            "child": "c-sam",
            "outcome": "child_in_need_plan",
            "suffered_significant_harm": False,
            "likely_to_suffer_significant_harm": False,
            "lead_social_worker": "p-sw",
            "recommendations": ["Sam to join the homework club at school."],
        }
    )
    data["distribution"]["child_copies"].append(
        {"child": "c-sam", "documents": ["decision_letter"], "decided_by": "p-chair"}
    )
    return Conference(data, profiles, plan_of)


def test_a_child_of_fifteen_with_two_siblings_reads_only_her_own(
    profiles: dict[str, Profile], plan_of: PlanOf
) -> None:
    conference = _three_children(profiles, plan_of)
    ella, sam = conference.prose("c-ella"), conference.prose("c-sam")
    _assert_readable_for(15, ella)
    _assert_readable_for(11, sam)
    assert "Dear Ella," in conference.pdf_text("c-ella")
    assert "Dear Sam," in conference.pdf_text("c-sam")
    for text in (ella, conference.pdf_text("c-ella")):
        assert "Sam" not in text and "Noah" not in text
        assert "homework club" not in text and "health visitor" not in text
    for text in (sam, conference.pdf_text("c-sam")):
        assert "Ella" not in text and "Noah" not in text
        assert "homework club" not in text  # his own recommendation: talked through, not printed
        # His own outcome: no protection plan, help as a child in need; no next plan meeting.
        assert "you do not need a child protection plan" in text
        assert "another meeting about you" not in text
    # The mother's letter still tells of all three.
    mother = conference.prose("p-mother")
    assert all(name in mother for name in ("Ella Whitfield", "Noah Whitfield", "Sam Whitfield"))


def test_unknown_date_of_birth_is_capped_at_eleven(
    profiles: dict[str, Profile], plan_of: PlanOf
) -> None:
    data = example("initial-domestic-abuse")
    del data["children"][0]["date_of_birth"]
    conference = Conference(data, profiles, plan_of)
    view = conference.view("c-ella", "decision_letter")
    assert view.child_reader is not None and view.child_reader.age is None
    _assert_readable_for(11, conference.prose("c-ella"))


# ---- the leak guard --------------------------------------------------------------------------


def test_the_guard_lists_a_siblings_words_for_a_childs_letter_a_documented_over_hold(
    profiles: dict[str, Profile], plan_of: PlanOf
) -> None:
    """The plan's mention guard (spec §4 rule 4) lists every child's recommendations for a decision
    letter, the child's own letter too, though it prints none of them: a mention of a
    withheld address in a sibling's words holds the child's letter for the chair. That over-holds
    (safe: the chair looks, nothing leaks); it never under-holds, because every field the letter
    prints is listed."""
    conference = _three_children(profiles, plan_of)
    copy = the_copy(conference.plan, "c-ella", "decision_letter")
    listed = {text for _, text in free_text(conference.export, "decision_letter", copy.viewer)}
    printed = conference.pdf_text("c-ella")
    own = "Ella to be offered an advocate for future conferences."
    assert own in listed and own not in printed
    assert "Sam to join the homework club at school." in listed
    assert "Sam to join the homework club at school." not in printed


# ---- a child too young to read the letter alone ------------------------------------------------


def test_a_child_of_six_has_the_letter_read_with_them(
    profiles: dict[str, Profile], plan_of: PlanOf
) -> None:
    """Below the letter's own reading age (8) a child cannot be expected to read it alone: the
    letter still goes by hand, and the social worker who takes it has a task to read and explain
    it with the child (000 §4.14.7; 002 §22.13). The letter is written as plainly as for 8."""
    data = example("initial-domestic-abuse")
    data["children"][0]["date_of_birth"] = _born(6)
    conference = Conference(data, profiles, plan_of)
    copy = the_copy(conference.plan, "c-ella", "decision_letter")
    assert copy.status == "ready" and copy.via == "p-sw"
    explain = [t for t in conference.plan.tasks if t.kind == "explain_in_person"]
    assert [(t.owner, t.recipient, t.document, t.due) for t in explain] == [
        ("p-sw", "c-ella", "decision_letter", copy.due)
    ]
    assert "000 §4.14.7" in explain[0].source
    _assert_readable_for(8, conference.prose("c-ella"))


@pytest.mark.parametrize("born", [_born(13), _born(8), None], ids=["13", "8", "unknown"])
def test_no_explain_task_for_a_child_who_can_read_the_letter(
    profiles: dict[str, Profile], plan_of: PlanOf, born: str | None
) -> None:
    data = example("initial-domestic-abuse")
    if born is None:
        del data["children"][0]["date_of_birth"]
    else:
        data["children"][0]["date_of_birth"] = born
    plan = plan_of(data)
    assert not [t for t in plan.tasks if t.kind == "explain_in_person"]
    # The hand-over itself is still there.
    assert any(t.kind == "hand_over" and t.recipient == "c-ella" for t in plan.tasks)


# ---- the authority's children's rights or advocacy contact ------------------------------------

NORTHBY_CHILDREN = """
name = "northby-children"
title = "Northby (test): the default procedure with a children's rights service"
extends = "default"

[children]
advocacy_contact = { value = "Northby Children's Rights Service, freephone 0800 000 0000", source = "Northby children's rights leaflet (fictional, for the test)" }
"""


def test_the_profiles_advocacy_contact_is_in_the_childs_letter_only(
    tmp_path: Path, plan_of: PlanOf
) -> None:
    (tmp_path / "northby-children.toml").write_text(NORTHBY_CHILDREN, encoding="utf-8")
    profiles = load_profiles([tmp_path])
    contact = profiles["northby-children"].children_advocacy_contact
    assert contact is not None and contact.source.startswith("Northby children's rights leaflet")
    data = example("initial-domestic-abuse")
    data["authority"]["procedure_profile"] = "northby-children"
    conference = Conference(data, profiles, lambda d: plan_of(d, extra=profiles))
    pdf = conference.pdf_text("c-ella")
    assert "To get an advocate or help to complain, contact" in pdf
    assert "Northby Children's Rights Service, freephone 0800 000 0000" in pdf
    assert "Children's Rights Service" not in conference.pdf_text("p-mother")
    # Without it (the shipped default profile gives none) the letter says no such thing.
    default = Conference(example("initial-domestic-abuse"), load_profiles(), plan_of)
    assert "To get an advocate or help to complain" not in default.pdf_text("c-ella")


def test_an_advocacy_contact_must_have_words(tmp_path: Path) -> None:
    (tmp_path / "blank.toml").write_text(
        NORTHBY_CHILDREN.replace('"northby-children"', '"blank"').replace(
            '"Northby Children\'s Rights Service, freephone 0800 000 0000"', '"  "'
        ),
        encoding="utf-8",
    )
    with pytest.raises(ProfileError, match=r"children\.advocacy_contact"):
        load_profiles([tmp_path])


def test_the_review_letters_to_jayden_and_mia_each_hold_their_own_decision(
    profiles: dict[str, Profile], plan_of: PlanOf
) -> None:
    """The review example with the chair giving both children their letter: Jayden (10), whose plan
    ends, and Mia (7), whose plan goes on under neglect (and whose letter the social worker reads
    with her: she is under 8)."""
    data = example("review-plan-ends")
    data["distribution"]["child_copies"] = [
        {
            "child": child,
            "documents": ["decision_letter"],
            "decided_by": data["conference"]["chair"],
        }
        for child in ("c-jay", "c-mia")
    ]
    conference = Conference(data, profiles, plan_of)
    jay, mia = conference.prose("c-jay"), conference.prose("c-mia")
    assert "your child protection plan can stop now" in jay
    assert "The grown-ups think you are safe enough now." in jay
    assert "Mia" not in jay and "neglect" not in jay.lower() and "school considered" not in jay
    assert "your child protection plan will go on" in mia
    assert "you do not always get the care you need" in mia
    assert "Jayden" not in mia and "child in need plan to be reviewed" not in mia
    assert "Dear Jayden," in conference.pdf_text("c-jay")
    assert "Dear Mia," in conference.pdf_text("c-mia")
    _assert_readable_for(10, jay)
    _assert_readable_for(8, mia)
    explain = {t.recipient for t in conference.plan.tasks if t.kind == "explain_in_person"}
    assert explain == {"c-mia"}

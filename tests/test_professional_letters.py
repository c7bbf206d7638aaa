"""Professional letters for professionals (issue 16 part 4): no family wording; every recorded
dissent with whose it is (R17: 000 §4.11.1; 002 §7.10, §17.3, §20.2); the same facts as the record.

Read as the reader gets them: the decision letter's PDF through the real renderer (WeasyPrint),
and the HTML of every copy of the shipped and generated exports for the wording checks.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from lxml import html as lxml_html

from pipeline.contract.load import load_export
from pipeline.planning.recipients import plan_distribution
from pipeline.procedure.profile_files import load_profiles
from pipeline.rendering.html import Composer
from pipeline.service.copy_renderer import Renderer
from tests.conftest import example, the_copy
from tests.readability import Document, documents_of
from tests.readable_exports import readable_exports
from tests.service_harness import pdf_text

# What the family letters say to a parent and a professional letter must not: the family's own
# social worker, "the meeting" as this letter calls it, the everyday explanations (R80).
FAMILY_WORDING = (
    "your social worker",
    "talk to the chair",
    "In this letter we call it",
    "What some words mean",
    "could be badly hurt",
    "The meeting also asked",
    "Emotional abuse means",
    "Neglect means",
    "They said:",
    "meeting decided",
)
DV = "initial-domestic-abuse"


def _text(html: str) -> str:
    return " ".join(lxml_html.fromstring(html).text_content().split())


@pytest.fixture(scope="module")
def every_document() -> list[Document]:
    profiles = load_profiles()
    exports = [
        example(DV),
        example("pre-birth-scheduled"),
        example("review-plan-ends"),
        *readable_exports(50),
    ]
    return [d for data in exports for d in documents_of(data, profiles=profiles)]


def test_no_professional_copy_carries_family_wording(every_document: list[Document]) -> None:
    professional = [d for d in every_document if d.audience == "professional"]
    assert {d.kind for d in professional} >= {"invitation", "decision_letter", "record"}
    for document in professional:
        text = _text(document.html)
        for words in FAMILY_WORDING:
            assert words not in text, (document.key, words)


def test_the_family_copies_do_carry_it(every_document: list[Document]) -> None:
    """The control: the same phrases are what the family letters say, so the check above can fail."""
    letters = [
        _text(d.html)
        for d in every_document
        if d.audience == "family" and d.kind == "decision_letter"
    ]
    assert any("talk to the chair or your social worker" in t for t in letters)
    assert any("What some words mean" in t for t in letters)


@pytest.fixture(scope="module")
def police_letter() -> str:
    """The DV decision letter to the police officer, as printed (PDF text)."""
    profiles = load_profiles()
    export = load_export(json.dumps(example(DV)).encode(), profiles.keys())
    profile = profiles["default"]
    plan = plan_distribution(export, profile, profile.working_calendar(export.authority.nation))
    result = Renderer.for_profile(profile, Composer.at()).render(
        export, the_copy(plan, "p-police", "decision_letter")
    )
    assert result.status == "ready", result.reason
    return " ".join(pdf_text(dict(result.files)["decision_letter.pdf"]).split())


def test_the_police_decision_letter_has_no_family_wording(police_letter: str) -> None:
    # The words issue 16 found in it.
    assert "talk to the chair or your social worker" not in police_letter
    assert "escalation procedure for resolving professional disagreements" in police_letter


def test_every_recorded_dissent_is_in_the_professional_decision_letter_with_whose_it_is(
    police_letter: str,
) -> None:
    data = example(DV)
    people = {p["id"]: p for p in data["people"]}
    dissents = [x for d in data["decisions"] for x in d.get("dissent", ())]
    assert dissents  # the example records the health visitor's
    for dissent in dissents:
        person = people[dissent["person"]]
        whose = f"{person['name']} ({person['job_title']}, {person['agency']}) did not agree."
        assert f"{whose} Their view: {dissent['view']}" in police_letter


def _decisions_part(document: Document) -> list[str]:
    """The decisions as the document prints them: each child's heading and what follows it."""
    tree = lxml_html.fromstring(document.html)
    level = "h3" if document.kind == "record" else "h2"
    children = {d.child for d in document.view.decisions}
    blocks = []
    for heading in tree.iter(level):
        name = heading.text_content().strip()
        if name not in children:
            continue
        words = [name]
        for sibling in heading.itersiblings():
            if sibling.tag in ("h1", "h2", "h3") or sibling.get("class") == "signature":
                break
            words.append(" ".join(sibling.text_content().split()))
        blocks.append(" ".join(words))
    return blocks


def _without_dissent(document: Document) -> list[str]:
    tree = lxml_html.fromstring(document.html)
    for dissent in tree.xpath("//p[@class='dissent']"):
        dissent.drop_tree()
    return _decisions_part(
        dataclasses.replace(document, html=lxml_html.tostring(tree, encoding="unicode"))
    )


@pytest.mark.parametrize("audience", ["professional", "family"])
def test_the_decision_letter_says_what_the_record_says(
    every_document: list[Document], audience: str
) -> None:
    """The same facts as the record: for each reader holding both, the decision letter's part for
    each child (outcome, category, lead social worker, recommendations, dissent) is the record's
    word for word."""
    by_reader: dict[tuple[str, str], dict[str, Any]] = {}
    for d in every_document:
        if d.audience == audience and d.kind in ("decision_letter", "record"):
            reader = d.key.split("/")[0]
            by_reader.setdefault((d.view.conference.reference, reader), {})[d.kind] = d
    pairs = [p for p in by_reader.values() if len(p) == 2]
    assert len(pairs) >= 10
    for pair in pairs:
        letter, record = _decisions_part(pair["decision_letter"]), _decisions_part(pair["record"])
        if audience == "family":
            # Dissent reaches a family only in the record, which the chair may withhold (spec
            # §2, §4 rule 3): the family letter is the record's part without it.
            record = _without_dissent(pair["record"])
            assert "did not agree" not in " ".join(letter), pair["decision_letter"].key
        assert letter and letter == record, pair["record"].key

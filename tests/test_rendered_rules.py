"""Rules read back from the rendered files: the PDF's text page by page, the DOCX's XML (issue 11).

Each rule here was once broken on purpose with the whole suite still green, because nothing read
the words back from what a recipient receives. The domestic-abuse example is rendered once for
this module, with its texts marked so that each one can be found exactly:
  R01 (000 §4.14.13; 002 §23.2): the decision letter says, for each child, whether a plan was made,
      gives the recommendations and names the lead social worker;
  R02 (000 §4.14.13, §4.12.2; 002 §20.7-20.9): the decision letter tells the family of their right
      to complain and how (the authority's complaints contact);
  R05 (000 §4.8.2, §4.9.8): the outline plan states each child's risks and outcomes;
  R06 (000 §4.9.8): it names who is responsible for each action, how often, the services and the
      specialist assessments;
  R08 (000 §4.9.8): the outline plan holds the contingency plan;
  R09 (000 §4.1.2, §4.8.2): it names the core group, the first core group meeting and the review;
  R13 (002 §7.10, §7.12): an unborn child is shown with the expected date of delivery;
  R16 (000 §4.5.5, §4.5.11; 002 §12.7): the record states each exclusion, its extent and reasons;
  R20, R46, R51 (000 §4.5.9, §4.5.10; 002 §12.5-12.8): the exclusion letter, signed by the chair,
      gives the grounds, how the person's views will be heard and how to complain;
  R17 (000 §4.11.1; 002 §17.3): an agency's dissent is written into the record;
  R55 (002 §22.18): a copy the chair permits for court proceedings says, on every page, whom it is
      for, on whose authority and for what purpose, and that it may not be passed on (spec §4 rule 5);
  R80 (003 "Categories of Harm"): each category of harm is explained in everyday words to families.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import date
from typing import Any

import pypdfium2
import pytest
from lxml import etree

from pipeline.contract.load import load_export
from pipeline.planning.copy_state import edition_lines
from pipeline.planning.recipients import plan_distribution
from pipeline.procedure.profile import load_profiles
from pipeline.rendering.html import Composer
from pipeline.service.copy_renderer import Renderer
from tests.conftest import example, the_copy

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
RECOMMENDATION = "Recommendation R01MARK: a family group conference within 4 weeks."
COMPLAINTS = "Complaints Officer R02MARK, Town Hall, Market Street, Northby NB1 1AA"
RISK = "Risk R05MARK: exposure to shouting at home."
OUTCOME = "Outcome R05MARK: Ella sleeps through the night."
ACTION = {"action": "R06MARK visit", "responsible": ["p-gp"], "frequency": "R06MARK fortnightly"}
SERVICE = "Service R06MARK: a family support worker."
ASSESSMENT = "Assessment R06MARK: a parenting assessment."
CONTINGENCY = "Contingency R08MARK: legal advice will be sought."
DISSENT = "Dissent R17MARK: the health visitor disagreed with the category."
PURPOSE = "use in the R55MARK section 8 application to the family court"
# 003 "Categories of Harm": the everyday words families are given (templates/_words.html)
MEANINGS = {
    "physical_abuse": "someone hurting a child's body",
    "emotional_abuse": "made to feel scared, worthless or unloved",
    "sexual_abuse": "made or pushed to take part in sexual acts",
    "neglect": "not getting the care they need, again and again",
}
COPIES = [
    ("p-mother", "decision_letter"),
    ("p-police", "decision_letter"),
    ("p-mother", "outline_plan"),
    ("p-police", "record"),
    ("p-mother", "record"),
    ("p-father-sol", "record"),
]


def _marked_export() -> dict[str, Any]:
    data = example("initial-domestic-abuse")
    data["authority"]["complaints_contact"] = COMPLAINTS
    data["decisions"][0]["recommendations"] = [RECOMMENDATION]
    ella = data["plan"]["children"][0]
    ella["risks"] = [RISK]
    ella["outcomes"][0]["outcome"] = OUTCOME
    ella["outcomes"][1]["actions"] = [ACTION]
    ella["services"] = [SERVICE]
    ella["assessments"] = [ASSESSMENT]
    data["plan"]["contingency"] = [CONTINGENCY]
    # R13: a third, unborn subject child, expected Wed 10 Mar 2027, with a decision of its own
    data["children"].append(
        {"id": "c-baby", "name": "Baby Whitfield", "subject": True, "unborn": True,
         "expected_delivery_date": "2027-03-10"}
    )
    data["decisions"].append(
        {"child": "c-baby", "outcome": "child_protection_plan", "categories": ["emotional_abuse"],
         "lead_social_worker": "p-sw"}
    )
    noah = data["decisions"][1]
    noah["categories"] = ["physical_abuse", "emotional_abuse", "sexual_abuse", "neglect"]
    noah["dissent"][0]["view"] = DISSENT
    data["distribution"]["authorisations"].append(
        {
            "person": "p-father-sol",
            "documents": ["record"],
            "basis": "chair_permission",
            "on_behalf_of": "p-father",
            "authorised_by": "p-chair",
            "authorised_on": "2026-11-23",
            "purpose": PURPOSE,
        }
    )
    return data


def _one_line(text: str) -> str:
    return " ".join(text.replace("\ufffe", "").replace("\x02", "").split())


def _pdf_pages(pdf: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [_one_line(document[i].get_textpage().get_text_range()) for i in range(len(document))]
    finally:
        document.close()


def _docx_paragraphs(docx: bytes) -> str:
    """The text of every paragraph of every WordprocessingML part (body, headers, footers)."""
    lines = []
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        for name in sorted(archive.namelist()):
            if not (name.startswith("word/") and name.endswith(".xml")):
                continue
            root = etree.fromstring(archive.read(name))
            for paragraph in root.iter(f"{W}p"):
                lines.append("".join(t.text or "" for t in paragraph.iter(f"{W}t")))
    return _one_line("\n".join(lines))


@pytest.fixture(scope="module")
def rendered() -> dict[tuple[str, str], tuple[list[str], str]]:
    """(recipient, document) → (the PDF's text page by page, the DOCX's paragraphs)."""
    profiles = load_profiles()
    export = load_export(json.dumps(_marked_export()).encode(), profiles.keys())
    profile = profiles["default"]
    plan = plan_distribution(export, profile, profile.working_calendar(export.authority.nation))
    renderer = Renderer.for_profile(profile, Composer.at())
    out = {}
    for recipient, document in COPIES:
        result = renderer.render(export, the_copy(plan, recipient, document))
        assert result.status == "ready", (recipient, document, result.reason)
        files = dict(result.files)
        stem = next(name for name in files if name.endswith(".pdf")).removesuffix(".pdf")
        out[(recipient, document)] = (
            _pdf_pages(files[f"{stem}.pdf"]),
            _docx_paragraphs(files[f"{stem}.docx"]),
        )
    return out


def _both(rendered: Any, recipient: str, document: str) -> tuple[str, str]:
    pages, docx = rendered[(recipient, document)]
    return " ".join(pages), docx


@pytest.mark.parametrize("recipient", ["p-mother", "p-police"])
def test_r02_the_decision_letter_says_how_to_complain(rendered: Any, recipient: str) -> None:
    for text in _both(rendered, recipient, "decision_letter"):
        # The family reads "you"; a professional reads the family's right, to pass on (R02).
        assert "the right to complain" in text
        assert COMPLAINTS in text


def test_r05_the_outline_plan_states_risks_and_outcomes(rendered: Any) -> None:
    for text in _both(rendered, "p-mother", "outline_plan"):
        assert RISK in text
        assert OUTCOME in text


def test_r05_r08_r11_the_record_carries_the_plan_with_its_contingency(rendered: Any) -> None:
    # 002 §22.8 (R11): the final version of the plan is circulated as part of the record
    for text in _both(rendered, "p-police", "record"):
        assert RISK in text and CONTINGENCY in text


def test_r08_the_outline_plan_holds_the_contingency(rendered: Any) -> None:
    for text in _both(rendered, "p-mother", "outline_plan"):
        assert CONTINGENCY in text


@pytest.mark.parametrize("recipient", ["p-police", "p-mother"])
def test_r17_dissent_is_written_into_the_record(rendered: Any, recipient: str) -> None:
    for text in _both(rendered, recipient, "record"):
        assert DISSENT in text
        assert "did not agree" in text


def test_r55_a_copy_for_court_says_its_purpose_and_authority_on_every_page(rendered: Any) -> None:
    pages, docx = rendered[("p-father-sol", "record")]
    assert len(pages) >= 2  # a record of several pages: the line must be on each
    for number, page in enumerate(pages, 1):
        assert PURPOSE in page, f"page {number}"
        assert "with the chair's permission" in page, f"page {number}"
        assert "may not be shown or passed on" in page, f"page {number}"
    assert PURPOSE in docx and "with the chair's permission" in docx
    assert "may not be shown or passed on" in docx


@pytest.mark.parametrize("document", ["decision_letter", "record"])
def test_r80_each_category_of_harm_in_everyday_words_for_families(
    rendered: Any, document: str
) -> None:
    for text in _both(rendered, "p-mother", document):
        for category, meaning in MEANINGS.items():
            assert meaning in text, (category, document)


def test_r80_professionals_get_the_category_names_without_the_family_explanations(
    rendered: Any,
) -> None:
    for text in _both(rendered, "p-police", "decision_letter"):
        assert "physical abuse" in text and "neglect" in text
        assert MEANINGS["neglect"] not in text


RETENTION = "Keep this record in line with your agency's record retention policy."


def test_r86_a_professionals_record_says_to_keep_it_under_their_retention_policy(
    rendered: Any,
) -> None:
    # 000 §4.14.12; 002 §22.19: "retained by the recipient agencies in accordance with their record
    # retention policies"; a family's copy is not an agency's, so it does not say so
    for text in _both(rendered, "p-police", "record"):
        assert RETENTION in text
    for text in _both(rendered, "p-mother", "record"):
        assert RETENTION not in text


@pytest.mark.parametrize("recipient", ["p-mother", "p-police"])
def test_r01_the_decision_letter_gives_each_decision_and_the_lead_social_worker(
    rendered: Any, recipient: str
) -> None:
    for text in _both(rendered, recipient, "decision_letter"):
        # both children were made subject of a plan (templates/_words.html, outcome)
        for child in ("Ella Whitfield", "Noah Whitfield"):
            assert f"{child} will have a child protection plan." in text
        assert RECOMMENDATION in text
        assert "The lead social worker is Daniel Okafor." in text


def test_r06_the_plan_says_who_does_what_how_often_services_and_assessments(rendered: Any) -> None:
    for text in _both(rendered, "p-mother", "outline_plan"):
        assert "R06MARK visit" in text and "R06MARK fortnightly" in text
        assert "Dr Imran Shah" in text  # the GP, responsible for that action only
        assert SERVICE in text and ASSESSMENT in text


def test_r09_the_plan_names_the_core_group_its_first_meeting_and_the_review(rendered: Any) -> None:
    # first_meeting_date 2026-12-04 (a Friday), review_conference_date 2027-02-22 (a Monday)
    for text in _both(rendered, "p-mother", "outline_plan"):
        assert "Core group" in text
        assert "Daniel Okafor" in text  # the social worker, a core group member
        assert "The first core group meeting is on Friday 4 December 2026." in text
        assert "The next meeting, the review conference, will be on Monday 22 February 2027." in text


def test_r13_an_unborn_child_is_shown_with_the_expected_date_of_delivery(rendered: Any) -> None:
    for text in _both(rendered, "p-police", "record"):
        # A table of the children: the name, then "unborn, expected" with the date.
        assert re.search(r"Baby Whitfield\s+unborn, expected Wednesday 10 March 2027", text)


def test_r16_the_record_states_each_exclusion_its_extent_and_reason(rendered: Any) -> None:
    reason = "Police information about an ongoing criminal investigation could not be shared"
    for text in _both(rendered, "p-police", "record"):
        assert "was excluded from part of the conference" in text
        assert reason in text


@pytest.fixture(scope="module")
def exclusion_letter() -> tuple[list[str], str]:
    """pre-birth-scheduled: the letter to Mr Price, excluded from the whole conference beforehand."""
    profiles = load_profiles()
    export = load_export(json.dumps(example("pre-birth-scheduled")).encode(), profiles.keys())
    profile = profiles["default"]
    plan = plan_distribution(export, profile, profile.working_calendar(export.authority.nation))
    result = Renderer.for_profile(profile, Composer.at()).render(
        export, the_copy(plan, "p-partner3", "exclusion_letter")
    )
    assert result.status == "ready", result.reason
    files = dict(result.files)
    return _pdf_pages(files["exclusion_letter.pdf"]), _docx_paragraphs(files["exclusion_letter.docx"])


def test_r46_r51_r20_the_exclusion_letter_gives_grounds_views_and_complaints(
    exclusion_letter: tuple[list[str], str],
) -> None:
    pages, docx = exclusion_letter
    for text in (" ".join(pages), docx):
        assert "there has been violence or threats of violence" in text  # R46: the ground
        assert "Mr Price may send written views to the chair" in text  # R51: views heard
        assert "You can complain about this decision." in text  # R20


def test_an_updated_letter_opens_saying_which_copy_it_replaces() -> None:
    """Spec README (a change after sending sends an updated copy): the line the run chooses
    (pipeline.planning.copy_state.edition_lines) is printed on the letter's first page and in
    its DOCX, so nobody reads two versions as one."""
    profiles = load_profiles()
    export = load_export(json.dumps(example("initial-domestic-abuse")).encode(), profiles.keys())
    profile = profiles["default"]
    plan = plan_distribution(export, profile, profile.working_calendar(export.authority.nation))
    edition = edition_lines(
        "decision_letter", reissue=True, last_sent=date(2026, 11, 24), revision=2
    )
    result = Renderer.for_profile(profile, Composer.at()).render(
        export, the_copy(plan, "p-police", "decision_letter"), edition=edition
    )
    assert result.status == "ready", result.reason
    files = dict(result.files)
    line = (
        "Updated copy: this replaces the copy sent on 24 November 2026. It is made from "
        "revision 2 of the conference record."
    )
    assert line in _pdf_pages(files["decision_letter.pdf"])[0]
    assert line in _docx_paragraphs(files["decision_letter.docx"])

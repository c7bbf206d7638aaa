"""The family's report pack and the record's appended reports, rendered for real (WeasyPrint, docxtpl).

000 §4.7.7, 002 §15.4 (R41): each parent is given the reports before the conference; a section
the chair withholds from a reader (spec §4 rules 2, 6), or confidential on a family copy (000
§4.14.5), reaches them as the record's marker, with no heading and no text, in no byte of any
file. 002 §22.2, §22.5 (R19): the record carries the social worker's report and any other whose
author permits it; the rest are named by title only.

Expected values are read from the examples' paragraphs here by hand:
- v2-initial-reports: r-sw section sw2 is withheld from p-father and p-father-sol and names the
  mother's withheld address (Flat 3, 17 Linden Court, EV4 7QT); r-police section po2 is
  confidential; r-school reached the chair on 2 December, late, and is still in every pack.
- v2-review-reports: r-sw2 is the social worker's (always appended), r-hv2 permits appending and
  has section rn2 withheld from p-dad, r-school2 does not permit it.
"""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from datetime import date
from typing import Any

import pytest
from lxml import etree

from pipeline.checking.leak_check import extract_docx, extract_pdf, leak_report
from pipeline.checking.letter_rules import enclosure_problems
from pipeline.contract.export import Export
from pipeline.contract.load import load_export
from pipeline.planning.copy_state import LastDelivery, copy_state, edition_lines
from pipeline.planning.plan import PlannedCopy
from pipeline.planning.readers import readers_of
from pipeline.planning.recipients import plan_distribution
from pipeline.procedure.profile import load_profiles
from pipeline.redaction.plain_language import PlainWords
from pipeline.redaction.withheld import withheld_patterns, withheld_strings
from pipeline.rendering.html import Composer
from pipeline.service.copy_renderer import Renderer
from tests.conftest import example, with_real_format_postcodes
from tests.test_pdf_structure import structure

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MARKER = "Some content has been withheld from this copy."


def _section(data: dict[str, Any], report: str, section: str) -> dict[str, Any]:
    r = next(r for r in data["reports"] if r["id"] == report)
    found: dict[str, Any] = next(s for s in r["sections"] if s["id"] == section)
    return found


@dataclasses.dataclass(frozen=True)
class Rendered:
    copy: PlannedCopy
    pdf: bytes
    docx: bytes

    def pdf_text(self) -> str:
        return " ".join(" ".join(t.split()) for _, t in extract_pdf(self.pdf))

    def docx_text(self) -> str:
        return " ".join(" ".join(t.split()) for _, t in extract_docx(self.docx))

    def texts(self) -> tuple[str, str]:
        return self.pdf_text(), self.docx_text()

    def body_paragraphs(self) -> list[str]:
        """The DOCX body's paragraphs (not its headers and footers, which carry the page mark)."""
        with zipfile.ZipFile(io.BytesIO(self.docx)) as archive:
            root = etree.fromstring(archive.read("word/document.xml"))
        return [
            " ".join("".join(t.text or "" for t in p.iter(f"{W}t")).split())
            for p in root.iter(f"{W}p")
        ]


def _render(name: str, data: dict[str, Any]) -> tuple[Export, dict[tuple[str, str], Rendered]]:
    profiles = load_profiles()
    export = load_export(json.dumps(data).encode(), profiles.keys())
    profile = profiles[data.get("procedure_profile", "default")]
    plan = plan_distribution(export, profile, profile.working_calendar(export.authority.nation))
    renderer = Renderer.for_profile(profile, Composer.at())
    out = {}
    for copy in plan.copies:
        if copy.document not in ("report_pack", "record") or copy.status == "held":
            continue
        result = renderer.render(export, copy)
        assert result.status == "ready", (name, copy.recipient, copy.document, result.reason)
        files = dict(result.files)
        pdf = next(body for n, body in files.items() if n.endswith(".pdf"))
        docx = next(body for n, body in files.items() if n.endswith(".docx"))
        out[(copy.recipient, copy.document)] = Rendered(copy, pdf, docx)
    return export, out


@pytest.fixture(scope="module")
def initial() -> tuple[Export, dict[tuple[str, str], Rendered]]:
    return _render("v2-initial-reports", with_real_format_postcodes(example("v2-initial-reports")))


@pytest.fixture(scope="module")
def review() -> tuple[Export, dict[tuple[str, str], Rendered]]:
    return _render("v2-review-reports", example("v2-review-reports"))


def test_every_parent_has_a_pack_and_the_review_has_records(initial: Any, review: Any) -> None:
    # pack_readers: the parents the conference invites or excluded (000 §4.7.7, §4.5.10)
    assert {k for k in initial[1] if k[1] == "report_pack"} == {
        ("p-mother", "report_pack"),
        ("p-father", "report_pack"),
    }
    assert ("p-dad", "record") in review[1] and ("p-police2", "record") in review[1]


def test_the_fathers_pack_holds_nothing_withheld_from_him_in_any_byte(initial: Any) -> None:
    data = example("v2-initial-reports")
    sw2 = _section(data, "r-sw", "sw2")
    po2 = _section(data, "r-police", "po2")
    forbidden = [sw2["heading"], *sw2["paragraphs"], po2["heading"], *po2["paragraphs"]]
    forbidden += ["Linden Court", "EV4 7QT", "Flat 3"]
    pack = initial[1][("p-father", "report_pack")]
    for text in pack.texts():
        for item in forbidden:
            assert item not in text, item
        assert MARKER in text
    for raw in (pack.pdf, pack.docx):
        for item in forbidden:
            assert item.encode() not in raw, item
    # One marker for sw2, one for po2: in the body, each where its section stood.
    assert pack.body_paragraphs().count(MARKER) == 2
    # What he may see is there: sw1's first paragraph and sw3's heading.
    sw1 = _section(data, "r-sw", "sw1")
    assert sw1["paragraphs"][0] in pack.docx_text()
    assert "What the family says" in pack.pdf_text()


def test_the_mothers_pack_shows_her_section_but_not_the_confidential_one(initial: Any) -> None:
    data = example("v2-initial-reports")
    sw2 = _section(data, "r-sw", "sw2")
    po2 = _section(data, "r-police", "po2")
    pack = initial[1][("p-mother", "report_pack")]
    for text in pack.texts():
        assert sw2["heading"] in text
        assert sw2["paragraphs"][1] in text
        assert po2["paragraphs"][0] not in text
    # po2 alone is replaced by the marker (confidential: 000 §4.14.5; 002 §12.8).
    assert pack.body_paragraphs().count(MARKER) == 1


@pytest.mark.parametrize("parent", ["p-mother", "p-father"])
def test_the_late_school_report_is_in_every_pack(initial: Any, parent: str) -> None:
    data = example("v2-initial-reports")
    sc1 = _section(data, "r-school", "sc1")
    pack = initial[1][(parent, "report_pack")]
    for text in pack.texts():
        assert "School report" in text
        assert sc1["heading"] in text and sc1["paragraphs"][1] in text
        # Who wrote it and when it reached the chair (Wednesday 2 December 2026)
        assert "Anita Ross" in text
        assert "Wednesday 2 December 2026" in text
        # The meeting: Thursday 3 December 2026, 10:00, Room 2, Northby Family Centre
        assert "Thursday 3 December 2026" in text and "10:00" in text
        assert "Room 2, Northby Family Centre" in text
        assert "tell your social worker or the chair" in text


def test_the_leak_check_passes_on_every_pack_and_looks_for_what_is_withheld(initial: Any) -> None:
    export, rendered = initial
    data = example("v2-initial-reports")
    sw2 = _section(data, "r-sw", "sw2")
    po2 = _section(data, "r-police", "po2")
    for (recipient, document), r in rendered.items():
        viewer = readers_of(r.copy)
        withheld = withheld_strings(export, viewer, PlainWords.none())
        patterns = withheld_patterns(export, viewer)
        report = leak_report({"pack.pdf": r.pdf, "pack.docx": r.docx}, withheld, patterns)
        assert report.leaks == (), (recipient, document)
        # Not vacuous: the confidential section is looked for in every family copy.
        assert po2["paragraphs"][0] in withheld
        if recipient == "p-father":
            assert sw2["paragraphs"][1] in withheld and sw2["heading"] in withheld


def test_a_report_left_out_of_a_pack_is_not_withheld(initial: Any) -> None:
    # 000 §4.5.10: a parent excluded from the whole conference is given the social worker's
    # report only. The others are not the chair's withholding: they are not looked for, and the
    # pack says how many it leaves out instead of printing the marker.
    data = with_real_format_postcodes(example("v2-initial-reports"))
    data["exclusions"][0]["extent"] = "whole"
    data["exclusions"][0]["agenda_items"] = []
    export, rendered = _render("whole", data)
    pack = rendered[("p-father", "report_pack")]
    po1 = _section(data, "r-police", "po1")
    hv1 = _section(data, "r-hv", "hv1")
    for text in pack.texts():
        assert "Social worker's report to the initial child protection conference" in text
        assert po1["paragraphs"][0] not in text and hv1["heading"] not in text
        assert "not the other reports" in text
    withheld = withheld_strings(export, readers_of(pack.copy), PlainWords.none())
    assert po1["paragraphs"][0] not in withheld and hv1["paragraphs"][0] not in withheld


def test_the_family_record_appends_what_the_author_permits_in_the_readers_view(
    review: Any,
) -> None:
    data = example("v2-review-reports")
    rs1 = _section(data, "r-sw2", "rs1")
    rn1 = _section(data, "r-hv2", "rn1")
    rn2 = _section(data, "r-hv2", "rn2")
    rsc1 = _section(data, "r-school2", "rsc1")
    record = review[1][("p-dad", "record")]
    for text in record.texts():
        assert "Reports appended to this record" in text
        assert rs1["paragraphs"][1] in text  # r-sw2, the social worker's (R19)
        assert rn1["paragraphs"][0] in text  # r-hv2: its author permits it
        assert rn2["heading"] not in text and rn2["paragraphs"][0] not in text
        # r-school2 by title only
        assert "School report: not added: the person who wrote it did not agree" in text
        assert rsc1["paragraphs"][0] not in text
    for raw in (record.pdf, record.docx):
        assert rn2["paragraphs"][0].encode() not in raw
    assert MARKER in record.body_paragraphs()


def test_a_professionals_record_has_the_whole_nurses_report(review: Any) -> None:
    data = example("v2-review-reports")
    rn2 = _section(data, "r-hv2", "rn2")
    rsc1 = _section(data, "r-school2", "rsc1")
    record = review[1][("p-police2", "record")]
    for text in record.texts():
        assert rn2["heading"] in text and rn2["paragraphs"][0] in text
        assert "School report: not appended: the author did not give permission" in text
        assert rsc1["paragraphs"][0] not in text


def test_the_pack_is_tagged_with_one_title_a_heading_per_report_and_per_section(
    initial: Any,
) -> None:
    # H1 the title; H2 the children, the meeting, why, what you can do; per report an H2 and
    # an H3 per section shown: r-sw sw1, sw3, sw4 (sw2 is the marker); r-police po1; r-hv hv1;
    # r-school sc1; then "What some words mean" where the pack uses a term of the glossary.
    headings = structure(initial[1][("p-father", "report_pack")].pdf).headings
    assert headings[:15] == [1, 2, 2, 2, 2, 2, 3, 3, 3, 2, 3, 2, 3, 2, 3]
    assert headings[15:] in ([], [2])


def test_a_posted_pack_keeps_notifys_margins(initial: Any) -> None:
    pack = initial[1][("p-father", "report_pack")]
    assert pack.copy.channel == "post"
    assert enclosure_problems(pack.pdf) == ()


def test_an_updated_pack_says_which_reports_it_replaces() -> None:
    assert edition_lines("report_pack", True, date(2026, 12, 7), 3) == (
        "Updated reports: this replaces the reports sent on 7 December 2026. It is made from "
        "revision 3 of the conference details. Please read these reports before the meeting.",
    )


def test_the_docx_keeps_the_headings_and_the_marker(initial: Any) -> None:
    # DOCX comes from the same HTML (pipeline.rendering.docx): h2 a report, h3 a section, the
    # marker in its own style, so a screen reader and Word's navigation see the same outline.
    with zipfile.ZipFile(io.BytesIO(initial[1][("p-father", "report_pack")].docx)) as archive:
        root = etree.fromstring(archive.read("word/document.xml"))
    styled = []
    for p in root.iter(f"{W}p"):
        style = p.find(f"{W}pPr/{W}pStyle")
        if style is not None:
            styled.append((style.get(f"{W}val"), "".join(t.text or "" for t in p.iter(f"{W}t"))))
    assert ("Heading1", "Reports for the initial child protection conference") in styled
    assert ("Heading2", "Police report") in styled
    assert ("Heading3", "Call-outs to the family") in styled
    police = styled.index(("Heading2", "Police report"))
    # po1's heading, its paragraph (unstyled), then po2's marker before the next report
    assert styled[police + 1 : police + 3] == [
        ("Heading3", "Call-outs to the family"),
        ("Withheld", MARKER),
    ]


def test_a_pack_whose_reports_changed_after_it_was_sent_goes_again_as_updated() -> None:
    # A new revision adds a report or changes one: the family must read what the conference
    # will read (000 §4.7.7), so the pack goes again, marked as replacing the one sent.
    sent = LastDelivery("before", date(2026, 12, 7), "sent")
    state = copy_state(
        document="report_pack",
        plan_status="ready",
        plan_reason=None,
        fingerprint="after",
        last=sent,
        decisions=(),
        render_hold=None,
        revision=2,
    )
    assert (state.status, state.reissue) == ("ready", True)
    unchanged = copy_state(
        document="report_pack",
        plan_status="ready",
        plan_reason=None,
        fingerprint="before",
        last=sent,
        decisions=(),
        render_hold=None,
        revision=2,
    )
    assert (unchanged.status, unchanged.reissue) == ("delivered", False)

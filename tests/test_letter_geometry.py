"""Every document the service sends, laid out for real, meets GOV.UK Notify's rules for precompiled
letters: posted letters on page 1 (the address alone in the envelope window, the logo and the
sender's block where Notify allows them) and every page of every document within the margins.

The letters are the shipped examples' copies (`examples/*.json`, and a cancelled conference and
an agreed and a rejected amendment made from them), each posted one also in large print, and the
same again with every address five lines long plus the postcode (with the name, seven lines in
the window: Notify's most). The contract allows six lines, eight in the window, which Notify
refuses ("too-many-address-lines"): `test_an_address_of_six_lines_is_too_long_for_notify`. The window's text is read back from the PDF and must be the
recipient's name, address lines and postcode, as a postal worker would read them. The pages are
rasterised and searched for ink outside Notify's areas (`pipeline.checking.letter_rules`).

The examples' postcodes are fictional areas (NB Northby, EV Eastvale, SB) that Notify refuses
("not-a-real-uk-postcode"); here they are given real-format areas (`_POSTCODE_AREAS`), so that
this module proves the layout. `test_the_examples_own_postcodes_are_real_format` keeps that gap
in sight until the examples change.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pypdfium2
import pytest

from pipeline.checking.letter_rules import (
    WINDOW_BOTTOM_MM,
    WINDOW_LEFT_MM,
    WINDOW_RIGHT_MM,
    WINDOW_TOP_MM,
    address_in_window,
    enclosure_problems,
    has_ink,
    letter_problems,
)
from pipeline.contract.export import Export
from pipeline.contract.load import load_export
from pipeline.errors import RenderError
from pipeline.planning.plan import PlannedCopy
from pipeline.planning.recipients import plan_distribution
from pipeline.procedure.profile import Profile, load_profiles
from pipeline.rendering.handover_sheet import handover_facts, handover_html
from pipeline.rendering.html import DEFAULT_TEMPLATES, Composer
from pipeline.rendering.pdf import render_pdf
from pipeline.service.copy_renderer import Renderer
from tests.address_attacks import copies_after_amendment
from tests.conftest import EXAMPLES, amendment_document, example, with_real_format_postcodes

LETTERS = (
    "invitation",
    "exclusion_letter",
    "decision_letter",
    "cancellation_notice",
    "plan_ended_notice",
    "amendment_notice",
    "amendment_rejection",
)
ENCLOSURES = ("outline_plan", "record", "report_pack", "handover_sheet")
# Lines that make an address five long; each person's own, so that no one's letter prints a line of
# another's (the leak check would rightly hold it).
FILLER = ("Annexe {n}", "Building {n}", "Wing {n}", "Floor {n}", "Suite {n}")


@dataclasses.dataclass(frozen=True, slots=True)
class Sent:
    """One rendered document: what it is, to whom, and the PDF they receive."""

    document: str
    recipient: str
    posted: bool
    large_print: bool
    window: tuple[str, ...]  # the recipient's name, address lines and postcode
    signature: tuple[str, ...]  # the sign-off's lines (letters), to find a page holding only them
    pdf: bytes

    def label(self) -> str:
        size = " large print" if self.large_print else ""
        lines = f" {len(self.window)}-line address" if self.window else ""
        return f"{self.document} to {self.recipient}{size}{lines}"


def _lines_long(count: int) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def lengthen(data: dict[str, Any]) -> dict[str, Any]:
        for n, person in enumerate(data["people"], start=101):
            if person.get("address"):
                lines = person["address"]["lines"][-count:]
                extra = [f.format(n=n) for f in FILLER][: count - len(lines)]
                person["address"]["lines"] = [*extra, *lines]
        return data

    return lengthen


class _Letters:
    """Renders copies as the service does, each distinct one once."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.renderer = Renderer.for_profile(profile, Composer.at())
        self.seen: set[tuple[str, str, str, bool, int]] = set()
        self.out: list[Sent] = []

    def export(self, data: dict[str, Any]) -> Export:
        return load_export(json.dumps(data).encode(), load_profiles().keys())

    def plan(self, export: Export) -> tuple[PlannedCopy, ...]:
        calendar = self.profile.working_calendar(export.authority.nation)
        return tuple(plan_distribution(export, self.profile, calendar).copies)

    def add(self, export: Export, copy: PlannedCopy, amendment: Any = None) -> None:
        address = None if export.is_child(copy.recipient) else export.person(copy.recipient).address
        # Posted: any letter to someone with an address (a council may route professionals'
        # copies by post too: `pipeline.planning.routing`), and anything the plan posts.
        posted = copy.channel == "post" or (copy.document in LETTERS and address is not None)
        variants = (False, True) if posted else (copy.large_print,)
        for large in variants:
            wanted = dataclasses.replace(copy, large_print=large)
            # One of each layout: a letter's window differs by its number of lines; an
            # enclosure has none.
            lines = len(address.lines) if address and copy.document in LETTERS else 0
            key = (export.conference.id, copy.document, copy.view, large, lines)
            if key in self.seen:
                continue
            self.seen.add(key)
            result = self.renderer.render(export, wanted, amendment=amendment)
            assert result.status == "ready", (copy.recipient, copy.document, result.reason)
            pdf = next(body for name, body in result.files if name.endswith(".pdf"))
            window = (
                (export.name_of(copy.recipient), *address.lines, address.postcode)
                if address
                else ()
            )
            conference = export.conference
            chair = export.person(conference.chair)
            signature = (
                "Yours sincerely,",
                chair.name,
                chair.job_title or "Conference Chair",
                export.authority.name,
            )
            self.out.append(Sent(copy.document, copy.recipient, posted, large, window, signature, pdf))


def _amendments(letters: _Letters, data: dict[str, Any]) -> None:
    profiles = load_profiles()
    export = letters.export(data)
    s1 = data["record"]["sections"][0]["paragraphs"][0]
    agreed = amendment_document(profiles)
    rejected = amendment_document(
        profiles,
        requested_by="p-father",
        changes=[{"section": "s1", "kind": "meaning_changed", "replace": s1[:40], "with": "Untrue."}],
        decision={"status": "rejected", "by": "p-chair", "on": "2026-12-04", "note": "The record stands."},
    )
    for amendment, requester in ((agreed, "p-mother/record"), (rejected, "p-father/record")):
        copies = copies_after_amendment(export, letters.profile, amendment, requester)
        for copy in copies.values():
            if copy.document.startswith("amendment") and copy.status != "held":
                letters.add(export, copy, amendment)


def _conferences() -> Iterator[dict[str, Any]]:
    for path in sorted(EXAMPLES.glob("*.json")):
        data = example(path.stem)
        if "conference" in data and path.stem != "review-plan-ends":
            yield data
    ended = example("review-plan-ends")
    # Plan-ended notices go to professionals only, and none in the examples has an address.
    for person in ended["people"]:
        if person["id"] == "p-housing":
            person["address"] = {"lines": ["Northby Homes", "2 Example Parade", "Northby"], "postcode": "LS9 4ZZ"}
    yield ended
    cancelled = example("pre-birth-scheduled")
    cancelled["conference"]["stage"] = "cancelled"
    yield cancelled


@pytest.fixture(scope="module")
def sent() -> tuple[Sent, ...]:
    letters = _Letters(load_profiles()["default"])
    for shape in (with_real_format_postcodes, lambda d: _lines_long(5)(with_real_format_postcodes(d))):
        for data in _conferences():
            export = letters.export(shape(data))
            copies = letters.plan(export)
            for copy in copies:
                if copy.status != "held":
                    letters.add(export, copy)
            sheet = next((c for c in copies if c.via and c.document == "record"), None)
            if sheet is not None and shape is with_real_format_postcodes:
                html = handover_html(Composer.at(), handover_facts(export, sheet, (), ()))
                letters.out.append(
                    Sent("handover_sheet", sheet.via or "", False, False, (), (), render_pdf(html, DEFAULT_TEMPLATES))
                )
        _amendments(letters, shape(example("initial-domestic-abuse")))
    return tuple(letters.out)


def _posted(sent: tuple[Sent, ...]) -> list[Sent]:
    """The posted letters; a posted enclosure goes behind a covering letter, with no window."""
    return [s for s in sent if s.posted and s.document in LETTERS]


def test_every_letter_kind_is_posted_here_in_each_print_size_and_with_seven_lines(
    sent: tuple[Sent, ...],
) -> None:
    # What this module proves is only as wide as what it renders: each kind of posted letter,
    # standard and large, with an address of seven lines; and every enclosure.
    covered = {(s.document, s.large_print, len(s.window)) for s in _posted(sent)}
    for document in LETTERS:
        for large in (False, True):
            assert (document, large, 7) in covered, (document, large)
            assert any(d == document and lp == large and n < 7 for d, lp, n in covered)
    assert {s.document for s in sent} >= set(ENCLOSURES)


def test_posted_letters_meet_notifys_rules(sent: tuple[Sent, ...]) -> None:
    failures = {s.label(): letter_problems(s.pdf) for s in _posted(sent)}
    assert {k: v for k, v in failures.items() if v} == {}


def test_the_window_holds_the_recipients_name_lines_and_postcode(sent: tuple[Sent, ...]) -> None:
    for letter in _posted(sent):
        assert address_in_window(letter.pdf) == letter.window, letter.label()


def test_the_address_is_in_the_window_whatever_the_print_size(sent: tuple[Sent, ...]) -> None:
    # The issue: 51 mm from the top on one letter, 56 mm on another, 77-108 mm in large print.
    for letter in _posted(sent):
        left, top, right, bottom = _text_box(letter.pdf, letter.window[0])
        assert WINDOW_LEFT_MM <= left < right <= WINDOW_RIGHT_MM, letter.label()
        assert WINDOW_TOP_MM <= top < bottom <= WINDOW_BOTTOM_MM, letter.label()
        _, _, _, last_bottom = _text_box(letter.pdf, letter.window[-1])
        assert last_bottom <= WINDOW_BOTTOM_MM, letter.label()


def test_every_page_of_everything_sent_keeps_the_margins(sent: tuple[Sent, ...]) -> None:
    # Enclosures and letters not posted: no window, but the same margins and top-left corner.
    problems = {s.label(): enclosure_problems(s.pdf) for s in sent}
    assert {k: v for k, v in problems.items() if v} == {}


def test_no_last_page_holds_only_the_sign_off_or_the_page_furniture(sent: tuple[Sent, ...]) -> None:
    # The issue: nine decision letters had a page 2 with only the council's name, two posted
    # letters one with only the signature block.
    for item in sent:
        pages = _page_lines(item.pdf)
        if len(pages) < 2:
            continue
        body = [
            line
            for line in pages[-1]
            if not _FOOTER.fullmatch(line)
            and line not in item.signature
            and not line.startswith("Copy for ")  # the recipient's marks, stamped on every page
        ]
        assert body, f"{item.label()}: the last page holds only {pages[-1]}"


def test_an_address_of_six_lines_shares_its_last_line_to_fit_the_window() -> None:
    # The contract takes six address lines; with the name and postcode that is eight, one more
    # than a window envelope (and Notify) takes: the last two share a line, nothing is left out.
    letters = _Letters(load_profiles()["default"])
    export = letters.export(_lines_long(6)(with_real_format_postcodes(example("pre-birth-scheduled"))))
    copy = next(c for c in letters.plan(export) if c.channel == "post" and c.document in LETTERS)
    letters.add(export, copy)
    letter = letters.out[0]
    name, *lines, postcode = letter.window
    assert len(lines) == 6
    assert address_in_window(letter.pdf) == (name, *lines[:4], f"{lines[4]}, {lines[5]}", postcode)
    assert letter_problems(letter.pdf) == ()


def test_letters_fit_notifys_ten_pages(sent: tuple[Sent, ...]) -> None:
    for item in sent:
        assert len(_page_lines(item.pdf)) <= 10, item.label()


def test_a_fictional_postcode_area_is_refused_as_notify_refuses_it() -> None:
    """Two examples (the spec's own) use fictional postcode areas (NB, EV, SB): a letter to one
    passes every layout rule and Notify still refuses it, so the tests above post to the same
    people with real-format areas. A council's real addresses have real postcodes."""
    letters = _Letters(load_profiles()["default"])
    export = letters.export(example("review-plan-ends"))
    copy = next(c for c in letters.plan(export) if c.channel == "post" and c.document in LETTERS)
    letters.add(export, copy)
    letter = letters.out[0]
    assert {p.code for p in letter_problems(letter.pdf)} == {"not-a-real-uk-postcode"}


# ---- the logo, a template setting ----------------------------------------------------------------

LOGO_AREA = (17.0, 8.0, 77.0, 26.0)  # mm: _letterhead.html's default frame, from _style.css


def _with_setting(tmp_path: Path, logo: str) -> Path:
    templates = tmp_path / "templates"
    templates.mkdir()
    for item in DEFAULT_TEMPLATES.rglob("*"):
        if item.is_file():
            target = templates / item.relative_to(DEFAULT_TEMPLATES)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(item.read_bytes())
    setting = templates / "_letterhead.html"
    text = setting.read_text(encoding="utf-8").replace('logo = "logo.svg"', f'logo = "{logo}"')
    setting.write_text(text, encoding="utf-8")
    return templates


def _a_letter(templates: Path) -> bytes:
    profile = load_profiles()["default"]
    data = with_real_format_postcodes(example("initial-domestic-abuse"))
    export = load_export(json.dumps(data).encode(), load_profiles().keys())
    copies = plan_distribution(export, profile, profile.working_calendar(export.authority.nation)).copies
    copy = next(c for c in copies if c.document == "decision_letter" and c.channel == "post")
    result = Renderer.for_profile(profile, Composer.at(templates)).render(export, copy)
    assert result.status == "ready", result.reason
    return next(body for name, body in result.files if name.endswith(".pdf"))


def test_the_logo_named_in_the_setting_is_drawn_in_the_logo_area(tmp_path: Path) -> None:
    assert has_ink(_a_letter(DEFAULT_TEMPLATES), 1, LOGO_AREA)
    assert not has_ink(_a_letter(_with_setting(tmp_path, "")), 1, LOGO_AREA)


def test_a_logo_outside_the_templates_folder_stops_the_letter(tmp_path: Path) -> None:
    (tmp_path / "outside.svg").write_text((DEFAULT_TEMPLATES / "logo.svg").read_text())
    templates = _with_setting(tmp_path, "../outside.svg")
    profile = load_profiles()["default"]
    export = load_export(json.dumps(example("initial-domestic-abuse")).encode(), load_profiles().keys())
    copies = plan_distribution(export, profile, profile.working_calendar(export.authority.nation)).copies
    copy = next(c for c in copies if c.document == "decision_letter" and c.channel == "post")
    view = Renderer.for_profile(profile, Composer.at(templates)).view(export, copy, None)
    with pytest.raises(RenderError, match="refused to fetch"):
        render_pdf(Composer.at(templates).html(view), templates)


# ---- reading the PDF back ------------------------------------------------------------------------

_MM = 25.4 / 72
# The running footer, as pdfium reads it: "Confidential" and "Page 2 of 2", often on one line.
_FOOTER = re.compile(r"(Confidential)?\s*(Page \d+ of \d+)?")


def _text_box(pdf: bytes, text: str) -> tuple[float, float, float, float]:
    """Where `text` stands highest on page 1, in mm from the top-left: left, top, right, bottom."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        page = document[0]
        _, height = page.get_size()
        textpage = page.get_textpage()
        found = textpage.search(text, match_case=True)
        places = []
        while (occurrence := found.get_next()) is not None:
            start, count = occurrence
            boxes = [textpage.get_charbox(i) for i in range(start, start + count)]
            places.append(
                (
                    min(b[0] for b in boxes) * _MM,
                    (height - max(b[3] for b in boxes)) * _MM,
                    max(b[2] for b in boxes) * _MM,
                    (height - min(b[1] for b in boxes)) * _MM,
                )
            )
        found.close()
        textpage.close()
    finally:
        document.close()
    assert places, text
    return min(places, key=lambda box: box[1])


def _page_lines(pdf: bytes) -> list[list[str]]:
    document = pypdfium2.PdfDocument(pdf)
    try:
        pages = []
        for index in range(len(document)):
            textpage = document[index].get_textpage()
            text = textpage.get_text_range()
            textpage.close()
            pages.append([" ".join(line.split()) for line in text.splitlines() if line.strip()])
        return pages
    finally:
        document.close()

"""Nothing is cut off a page: every word of a reader's view is on a page of their PDF (issue 10 §5).

Words joined by no-break spaces (pasted from Word) once ran off the right edge of the page, where
printing cuts them: the father's record read "He disputed the account of the incide". Text is read
back with each character's box (tests/printed.py), so words laid out beyond the page, which a
plain text extraction still returns, count as lost.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from pipeline.comparison import normalise
from pipeline.contract.load import load_export
from pipeline.planning.recipients import plan_distribution
from pipeline.procedure.calendar import WorkingCalendar
from pipeline.procedure.profile import Profile
from pipeline.redaction.view import marks_for
from pipeline.rendering.html import Composer
from pipeline.service.copy_renderer import Renderer
from tests.conftest import EXAMPLES, example
from tests.printed import off_page, printed_chars, text_on_pages

NBSP = "\u00a0"
_FATHERS_VIEWS = (
    "He disputed the account of the incident given by the police and said that the argument "
    "had been about money and that he had never hit anyone in the house"
)
PASTED = NBSP.join(_FATHERS_VIEWS.split())
TOKEN = "REF-" + "".join(f"{i:03d}" for i in range(80))  # 244 characters with nowhere to break
_ACTION = (
    "Attend the Caring Dads programme every week until the review conference and tell the "
    "social worker"
)
ACTION = NBSP.join(_ACTION.split()) + " " + TOKEN


def _render_all(
    data: dict[str, Any], profiles: dict[str, Profile], pick: set[tuple[str, str]] | None = None
):  # type: ignore[no-untyped-def]
    """(copy, pdf, the words the reader should read) for ready copies, one per document and
    view unless `pick` names (recipient, document) pairs."""
    export = load_export(json.dumps(data).encode(), profiles.keys())
    profile = profiles[export.authority.procedure_profile or "default"]
    calendar = WorkingCalendar.for_nation(export.authority.nation, profile.closure_days)
    plan = plan_distribution(export, profile, calendar)
    renderer = Renderer.for_profile(profile, Composer.at())
    seen: set[tuple[str, str, bool]] = set()
    for copy in plan.copies:
        if copy.status != "ready":
            continue
        if pick is not None and (copy.recipient, copy.document) not in pick:
            continue
        view = renderer.view(export, copy, None)
        kind = (copy.document, copy.view, view.large_print)
        if pick is None and kind in seen:
            continue
        seen.add(kind)
        rendered = renderer.render(export, copy)
        assert rendered.status == "ready", (copy.recipient, copy.document, rendered.reason)
        (pdf,) = [data for name, data in rendered.files if name.endswith(".pdf")]
        body = lxml.html.document_fromstring(renderer.composer.html(view)).find("body")
        # A letter's address window and salutation are stamped on a layout the view's readers
        # share, drawn before the page's own words: they read first.
        stamped = body.find_class("window") + body.find_class("salutation")
        first = "".join(element.text_content() for element in stamped)
        for element in stamped:
            element.drop_tree()
        marks_html = renderer.marks_html(marks_for(export, copy, renderer.words), copy.document)
        marks = lxml.html.fragment_fromstring(marks_html, create_parent="div").text_content()
        # A table's header row (<thead>) is printed again at the top of each page the table
        # runs onto, as Word repeats the DOCX's: furniture there, not words lost or added.
        headers = tuple(normalise(head.text_content()) for head in body.iter("thead"))
        words = first + body.text_content()
        yield copy, pdf, words, marks if marks_html.strip() else "", headers


def _body_on_pages(
    pdf: bytes, marks: str, headers: tuple[str, ...] = (), expected: str | None = None
) -> str:
    """The normalised body text on the pages, each page's furniture taken off its end: the
    Confidential and page-number margin boxes, then the reader's stamped marks; and a table's
    header row repeated at the top of a page after the first, off its start. With `expected`
    (the view's words), a header is taken off only where the view does not have it there: a
    table that starts a page prints its header row for the first time, not again."""
    pages = printed_chars(pdf)
    body: list[str] = []
    for number, page in enumerate(pages, start=1):
        # List bullets are markers WeasyPrint draws, not words of the view.
        text = normalise("".join(c.char for c in page if c.on_page and c.char != "•"))
        furniture = normalise(f"Confidential Page {number} of {len(pages)} {marks}")
        assert text.endswith(furniture), f"page {number} does not end with its furniture"
        text = text.removesuffix(furniture)
        if number > 1:
            at = len("".join(body))
            repeated = [
                h
                for h in headers
                if h and text.startswith(h) and not (expected or "")[at:].startswith(h)
            ]
            text = text.removeprefix(repeated[0]) if repeated else text
        body.append(text)
    return "".join(body)


# Amendments are not conferences: their notices are rendered in tests/test_scripts.py.
EXPORTS = sorted(p for p in EXAMPLES.glob("*.json") if not p.stem.startswith("amendment"))


@pytest.mark.parametrize("path", EXPORTS, ids=lambda p: p.stem)
def test_every_word_of_every_view_is_on_a_page_of_its_pdf(
    path: Path, profiles: dict[str, Profile]
) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    rendered = list(_render_all(data, profiles))
    assert rendered
    for copy, pdf, words, marks, headers in rendered:
        where = f"{copy.recipient} {copy.document}"
        assert off_page(pdf) == "", f"{where}: text runs off the page"
        expected = normalise(words)
        assert _body_on_pages(pdf, marks, headers, expected) == expected, f"{where}: words differ"


@pytest.fixture(scope="module")
def pasted(profiles: dict[str, Profile]) -> tuple[bytes, str]:
    data = example("initial-domestic-abuse")
    # The father's own views (s2 is a part he attended), as pasted from Word, and a reference
    # with no break in it; his action in the plan, in a table cell, pasted the same way and
    # ending in the reference (it fails if a cell may not break inside the run: its column
    # would widen past the page).
    data["record"]["sections"][1]["paragraphs"][1] = PASTED
    data["record"]["sections"][1]["paragraphs"].append(TOKEN)
    data["plan"]["children"][0]["outcomes"][0]["actions"][0]["action"] = ACTION
    ((_, pdf, words, _marks, _headers),) = _render_all(data, profiles, {("p-father", "record")})
    return pdf, words


def test_words_joined_by_no_break_spaces_wrap_and_stay_on_the_page(
    pasted: tuple[bytes, str],
) -> None:
    pdf, _ = pasted
    assert off_page(pdf) == ""
    on_pages = normalise(text_on_pages(pdf))
    for text in (PASTED, TOKEN, ACTION):
        assert normalise(text) in on_pages
    assert "incide" in on_pages and normalise("anyone in the house") in on_pages


def test_the_pasted_paragraph_is_wrapped_over_several_lines(pasted: tuple[bytes, str]) -> None:
    # Wrapped, not shrunk or clipped: the paragraph's characters sit on more than one line.
    pdf, _ = pasted
    lines = [
        line
        for page in text_on_pages(pdf).split("\n")
        for line in page.splitlines()
        if "disputed" in line or "anyone" in line
    ]
    assert len(lines) == 2 and "disputed" in lines[0] and "anyone" in lines[1]

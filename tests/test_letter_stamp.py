"""Each distinct content laid out once: readers of one letter share its layout, and their address and salutation are stamped into the window.

A reader's copy must be the letter a whole layout would have made for them: the same glyphs in
the same places, their own address in the window (as Notify reads it), nobody else's. Two readers'
letters from one layout differ only in the stamped parts. A reader whose address would run out
of the window is laid out whole instead (the fall-back), and the benchmark counts it.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import lxml.html
import pikepdf
import pypdfium2
import pytest

from pipeline.checking.letter_rules import address_in_window
from pipeline.contract.export import Export
from pipeline.contract.load import load_export
from pipeline.planning.plan import DistributionPlan, PlannedCopy
from pipeline.planning.recipients import plan_distribution
from pipeline.procedure.profile import Profile
from pipeline.redaction.facts import AddressBlock
from pipeline.rendering.docx_package import docx_text, xml_parts, xml_texts
from pipeline.rendering.html import Composer
from pipeline.rendering.letter_stamp import Stamps, StampSheet
from pipeline.service.copy_renderer import CopyRequest, Renderer
from tests.conftest import example

_MM = 72 / 25.4
# The address window and a band around the salutation's line, in PDF points from the bottom-left
# corner of an A4 page: what a stamp may change. Everything else must be the same for all readers.
_WINDOW = (24.6 * _MM, (297 - 66.3) * _MM, 120 * _MM, (297 - 39.5) * _MM)
_PAGE_TOP = 297 * _MM

Glyph = tuple[int, str, float, float]  # page, character, left, bottom (points, to 0.05 pt)


def _conference(
    data: dict[str, Any], profiles: dict[str, Profile]
) -> tuple[Export, DistributionPlan, Renderer]:
    export = load_export(json.dumps(data).encode(), profiles.keys())
    profile = profiles[export.authority.procedure_profile or "default"]
    plan = plan_distribution(export, profile, profile.working_calendar(export.authority.nation))
    return export, plan, Renderer.for_profile(profile, Composer.at())


def _ready(plan: DistributionPlan) -> list[PlannedCopy]:
    return [copy for copy in plan.copies if copy.status == "ready"]


def _glyphs(pdf: bytes) -> Iterator[Glyph]:
    document = pypdfium2.PdfDocument(pdf)
    try:
        for number in range(len(document)):
            text = document[number].get_textpage()
            for i in range(text.count_chars()):
                char = text.get_text_range(i, 1)
                if char.strip():
                    left, bottom, _right, _top = text.get_charbox(i)
                    # 0.05 pt: a stamp is placed to 1/100,000 px; pdfium rounds its boxes.
                    yield number, char, round(left / 0.05) * 0.05, round(bottom / 0.05) * 0.05
    finally:
        document.close()


def _pdf(rendered: Any) -> bytes:
    (pdf,) = [data for name, data in rendered.files if name.endswith(".pdf")]
    return pdf


def _docx(rendered: Any) -> bytes:
    (docx,) = [data for name, data in rendered.files if name.endswith(".docx")]
    return docx


def _whole(renderer: Renderer, export: Export, copy: PlannedCopy) -> dict[str, bytes]:
    """The copy laid out on its own, its reader's parts in the flow: what stamping must equal."""
    alone = Renderer(renderer.composer, renderer.words)
    return dict(alone._whole(alone._prepare(export, CopyRequest(copy))))


def _distinct_contents(renderer: Renderer, export: Export, copies: list[PlannedCopy]) -> int:
    """Counted without the renderer's cache or stand-ins: each copy's whole HTML with the
    window and the salutation (the reader's parts) taken out; equal ones are one content."""
    contents = set()
    for copy in copies:
        tree = lxml.html.document_fromstring(
            renderer.composer.html(renderer.view(export, copy, None))
        )
        for element in tree.find_class("window") + tree.find_class("salutation"):
            element.drop_tree()
        contents.add(lxml.html.tostring(tree))
    return len(contents)


@pytest.mark.parametrize(
    ("name", "distinct"),
    # The count of what each example needs: initial 7, review 6, pre-birth 3; then one
    # more for each held conference, since the family's outline plan explains its terms ("What
    # some words mean") and is no longer the professionals' word for word; one more for the
    # initial, since Ella's decision letter is written to her; two more for the review, since the
    # Polish-speaking father's decision letter and plan carry his language line.
    [("initial-domestic-abuse", 9), ("review-plan-ends", 9), ("pre-birth-scheduled", 3)],
)
def test_a_conference_lays_out_each_distinct_content_once(
    name: str, distinct: int, profiles: dict[str, Profile]
) -> None:
    export, plan, renderer = _conference(example(name), profiles)
    copies = _ready(plan)
    rendered = renderer.render_many(export, [CopyRequest(c) for c in copies])
    assert [r.status for r in rendered] == ["ready"] * len(copies)
    assert _distinct_contents(renderer, export, copies) == distinct
    assert renderer.counts.layouts == distinct
    assert renderer.counts.fallbacks == 0
    # One layout of stamps a reader with parts to stamp (a letter's window, a record's marks).
    assert renderer.counts.stamps == len({c.recipient for c in copies})


@pytest.mark.parametrize("name", ["initial-domestic-abuse", "review-plan-ends"])
def test_every_stamped_copy_prints_what_a_whole_layout_prints(
    name: str, profiles: dict[str, Profile]
) -> None:
    """The same glyphs in the same places (the review has a large-print reader); the DOCX says
    the same words, footer included. The reader's parts read first on page 1 (they are drawn
    before the page), so glyphs are compared as sets."""
    export, plan, renderer = _conference(example(name), profiles)
    copies = [c for c in _ready(plan) if c.document in ("decision_letter", "invitation", "record")]
    assert (
        any(renderer.view(export, c, None).large_print for c in copies)
        or name != "review-plan-ends"
    )
    rendered = renderer.render_many(export, [CopyRequest(c) for c in copies])
    for copy, item in zip(copies, rendered, strict=True):
        whole = _whole(renderer, export, copy)
        (whole_pdf,) = [data for n, data in whole.items() if n.endswith(".pdf")]
        (whole_docx,) = [data for n, data in whole.items() if n.endswith(".docx")]
        where = f"{copy.recipient} {copy.document}"
        assert sorted(_glyphs(_pdf(item))) == sorted(_glyphs(whole_pdf)), where
        assert docx_text(_docx(item)) == docx_text(whole_docx), where
        assert _footer(_docx(item)) == _footer(whole_docx), where
        # Part for part the same Word XML, the reader's paragraphs and footer lines included.
        assert _word_parts(_docx(item)) == _word_parts(whole_docx), where


def _word_parts(docx: bytes) -> dict[str, bytes]:
    return dict(xml_parts(docx, r"word/(document|footer\d+)\.xml"))


def _footer(docx: bytes) -> list[str]:
    return [t for _, xml in xml_parts(docx, r"word/footer\d+\.xml") for t in xml_texts(xml)]


def test_the_stamped_window_holds_each_readers_own_address(profiles: dict[str, Profile]) -> None:
    """As Notify reads the window: the reader's name and address, nobody else's (the initial
    conference's letters go to thirteen readers from one layout a document)."""
    export, plan, renderer = _conference(example("initial-domestic-abuse"), profiles)
    letters = [c for c in _ready(plan) if c.document == "decision_letter"]
    rendered = renderer.render_many(export, [CopyRequest(c) for c in letters])
    assert renderer.counts.layouts < len(letters)  # shared: the stamp is what differs
    seen = set()
    for copy, item in zip(letters, rendered, strict=True):
        addressee = renderer.view(export, copy, None).addressee
        assert addressee is not None
        window = address_in_window(_pdf(item))
        expected = tuple(x for x in (addressee.name, *addressee.lines, addressee.postcode) if x)
        assert window == expected, copy.recipient
        assert f"Dear {addressee.name}," in _page_one_text(_pdf(item))
        seen.add(window)
    assert len(seen) == len(letters)  # thirteen windows, thirteen addresses


def _page_one_text(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return " ".join(document[0].get_textpage().get_text_range().split())
    finally:
        document.close()


def test_two_readers_letters_from_one_layout_differ_only_in_the_stamped_parts(
    profiles: dict[str, Profile],
) -> None:
    export, plan, renderer = _conference(example("initial-domestic-abuse"), profiles)
    mother, father = (
        c for c in _ready(plan)
        if c.document == "decision_letter" and c.recipient in ("p-mother", "p-father")
    )  # fmt: skip
    assert renderer.printed(export, mother) == renderer.printed(export, father)
    hers, his = renderer.render_many(export, [CopyRequest(mother), CopyRequest(father)])
    assert renderer.counts.layouts == 1
    salutation_line = {_line_of(_pdf(hers), "Dear"), _line_of(_pdf(his), "Dear")}
    assert len(salutation_line) == 1  # the same line, left for the stamp
    (line,) = salutation_line  # its glyphs sit within 4 pt of it (a comma's tail a little below)

    def outside(glyphs: set[Glyph]) -> set[Glyph]:
        return {
            g for g in glyphs
            if not (g[0] == 0 and _in(_WINDOW, g)) and not (g[0] == 0 and abs(g[3] - line) < 4)
        }  # fmt: skip

    her_glyphs, his_glyphs = set(_glyphs(_pdf(hers))), set(_glyphs(_pdf(his)))
    assert her_glyphs != his_glyphs
    assert outside(her_glyphs) == outside(his_glyphs)
    her_window, his_window = address_in_window(_pdf(hers)), address_in_window(_pdf(his))
    assert not set(her_window) & set(his_window) - {"Northby"}  # no line of his in hers


def _in(box: tuple[float, float, float, float], glyph: Glyph) -> bool:
    left, bottom, right, top = box
    return left <= glyph[2] <= right and bottom <= glyph[3] <= top


def _line_of(pdf: bytes, word: str) -> float:
    """The baseline (bottom, to 0.05 pt) of the first line on page 1 that starts with `word`."""
    glyphs = [g for g in _glyphs(pdf) if g[0] == 0]
    for i in range(len(glyphs)):
        if "".join(g[1] for g in glyphs[i : i + len(word)]) == word:
            return glyphs[i][3]
    raise AssertionError(f"{word!r} is not on page 1")


def test_an_address_too_wide_for_the_window_is_laid_out_whole(
    profiles: dict[str, Profile],
) -> None:
    """The stamp prints a line as written, never wrapped, as a whole layout does; one that would
    run out of the window goes back to a whole layout of that copy, and is counted (the letter
    rules then hold it back from the post, as before)."""
    data = example("initial-domestic-abuse")
    father = next(p for p in data["people"] if p["id"] == "p-father")
    father["address"]["lines"][0] = "Flat 12, The Old Woollen Mill Conversion, Upper Riverside Walk"
    export, plan, renderer = _conference(data, profiles)
    letters = [
        c for c in _ready(plan)
        if c.document == "decision_letter" and c.recipient in ("p-mother", "p-father")
    ]  # fmt: skip
    rendered = renderer.render_many(export, [CopyRequest(c) for c in letters])
    assert renderer.counts.fallbacks == 1
    assert renderer.counts.layouts == 1  # the mother's letter, stamped
    by_reader = {c.recipient: r for c, r in zip(letters, rendered, strict=True)}
    whole = _whole(renderer, export, next(c for c in letters if c.recipient == "p-father"))
    (whole_pdf,) = [data for n, data in whole.items() if n.endswith(".pdf")]
    assert _pdf(by_reader["p-father"]) == whole_pdf
    assert "Upper Riverside Walk" in _page_one_text(_pdf(by_reader["p-father"]))


def test_a_salutation_longer_than_the_line_left_for_it_does_not_fit() -> None:
    """A line left 40 mm wide: "Dear <a long name>," would wrap and push the letter down."""
    composer = Composer.at()
    name = "Alexandria Constance Fotheringham-Whitworth"
    narrow = (83.0, 400.0, 83.0 + 40 * 96 / 25.4, 420.3)  # one line: 10.5 pt x 1.45
    wide = (83.0, 400.0, 83.0 + 168 * 96 / 25.4, 420.3)
    address = AddressBlock(name, ("1 Mill Lane", "Northby"), "NB1 1AA")
    tight, roomy = (
        StampSheet.page_one(False, address, narrow),
        StampSheet.page_one(False, address, wide),
    )
    with Stamps(composer, {"p-mother": [tight, roomy]}) as stamps:
        assert not stamps.fits("p-mother", tight)
        assert stamps.fits("p-mother", roomy)


def _fonts(pdf: bytes) -> set[str]:
    """Every font the file embeds, wherever it is (pages, their forms), without subset tags."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return {
            str(obj.get("/BaseFont")).split("+", 1)[-1]
            for obj in document.objects
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/Font"
            and "/BaseFont" in obj
        }  # fmt: skip


def test_no_copy_carries_another_readers_characters_in_its_fonts(
    profiles: dict[str, Profile],
) -> None:
    """A layout's fonts hold the glyphs (and their Unicode map) of everything laid out in it,
    so each reader's stamps are laid out apart from everyone else's: the mother's address,
    written in Bengali and withheld from the father, leaves no Bengali font in any of his files
    (a layout of his copy on its own has none), while her own copies carry it."""
    data = example("initial-domestic-abuse")
    mother = next(p for p in data["people"] if p["id"] == "p-mother")
    mother["address"]["lines"][0] = "ফ্ল্যাট ৩, ১৭ লিন্ডেন কোর্ট"  # fictional
    export, plan, renderer = _conference(data, profiles)
    copies = _ready(plan)
    rendered = renderer.render_many(export, [CopyRequest(c) for c in copies])
    by_copy = dict(zip(((c.recipient, c.document) for c in copies), rendered, strict=True))
    assert any("Bengali" in f for f in _fonts(_pdf(by_copy["p-mother", "decision_letter"])))
    for (recipient, document), item in by_copy.items():
        if recipient != "p-father":
            continue
        assert item.status == "ready", document
        assert not any("Bengali" in f for f in _fonts(_pdf(item))), document
        whole = _whole(renderer, export, item.copy)
        (whole_pdf,) = [d for n, d in whole.items() if n.endswith(".pdf")]
        assert _fonts(_pdf(item)) <= _fonts(whole_pdf), document

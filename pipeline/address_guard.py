"""Free text and a withheld address → where the text mentions it (spec §4 rule 4).

A person's address and e-mail never reach the people in their `address_withheld_from` (domestic
abuse: 000 §4.5.8, §4.14.5; 002 §12.13-12.14). Redaction leaves out the address block; this module
finds the harder case, free text that mentions the address, so that the copy is held for the chair.
What counts as a mention: a street line matched whole (ignoring case, spacing and punctuation), the
postcode (ignoring spaces) or the e-mail (ignoring case). A bare town name is not a mention: naming a
town says little, and holding every record that says "Northby" would hold them all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from pipeline.export_model import Export, Person

# Words that make an address line a street or building line rather than a bare place name.
_STREET_WORDS = frozenset(
    [
        "street",
        "st",
        "road",
        "rd",
        "lane",
        "ln",
        "avenue",
        "ave",
        "court",
        "ct",
        "close",
        "way",
        "row",
        "drive",
        "dr",
        "place",
        "pl",
        "crescent",
        "cres",
        "terrace",
        "gardens",
        "grove",
        "walk",
        "square",
        "sq",
        "mews",
        "hill",
        "rise",
        "parade",
        "wharf",
        "yard",
        "heights",
        "cottages",
        "cottage",
        "house",
        "flat",
        "apartment",
        "apt",
        "farm",
        "lodge",
        "manor",
        "quay",
        "path",
        "boulevard",
        "embankment",
        "circus",
        "approach",
        "meadow",
        "meadows",
        "wynd",
        "brae",
        "gate",
        "heol",
        "stryd",
        "ffordd",
        "lon",
        "maes",
        "stryt",
        "tower",
        "towers",
        "building",
        "block",
        "estate",
        "chambers",
        "mill",
    ]
)
_WORD = re.compile(r"[^\W_]+")  # letters and digits of any script (Tŷ Gwyn is two words)


@dataclass(frozen=True, slots=True)
class WithheldContact:
    """The parts of one person's contact details that may not reach a recipient, as text patterns."""

    owner: str
    patterns: tuple[re.Pattern[str], ...]


def is_street_line(line: str, position: int = 0, count: int = 1) -> bool:
    """Whether an address line identifies where someone lives, rather than naming a town.

    A house number or a street word does; so does the first line (a house name such as "The Old
    Vicarage" or "Rosebank" stands there), and any line of two or more words before the last one.
    A single word after the first line, or the last line (the post town), is taken as a place name.
    """
    words = _WORD.findall(line.casefold())
    if any(any(c.isdigit() for c in w) for w in words) or any(w in _STREET_WORDS for w in words):
        return True
    last = position == count - 1
    return not last and (position == 0 or len(words) >= 2)


def _words_pattern(words: list[str]) -> re.Pattern[str]:
    # Whole words in order, anything but letters and digits between them (spacing, commas).
    body = r"[\W_]*".join(re.escape(w) for w in words)
    return re.compile(rf"(?<![^\W_]){body}(?![^\W_])")


def _postcode_pattern(postcode: str) -> re.Pattern[str] | None:
    chars = [c for c in postcode.casefold() if c.isalnum()]
    if len(chars) < 2:
        return None
    body = r"\s*".join(re.escape(c) for c in chars)
    return re.compile(rf"(?<![^\W_]){body}(?![^\W_])")


def contact_patterns(person: Person) -> WithheldContact:
    patterns: list[re.Pattern[str]] = []
    if person.address is not None:
        lines = person.address.lines
        for position, line in enumerate(lines):
            words = _WORD.findall(line.casefold())
            if words and is_street_line(line, position, len(lines)):
                patterns.append(_words_pattern(words))
        postcode = _postcode_pattern(person.address.postcode)
        if postcode is not None:
            patterns.append(postcode)
    if person.email:
        patterns.append(re.compile(re.escape(person.email.casefold())))
    return WithheldContact(person.id, tuple(patterns))


def withheld_contacts(export: Export, persons: Iterable[str]) -> tuple[WithheldContact, ...]:
    """Contact details withheld from any of `persons` (a recipient and whoever they act for)."""
    return tuple(contact_patterns(person) for person in export.withholding_contacts_from(persons))


def mentioned_owner(text: str, contacts: Iterable[WithheldContact]) -> str | None:
    """The id of the person whose withheld contact details `text` mentions, or None."""
    folded = text.casefold()
    for contact in contacts:
        if any(pattern.search(folded) for pattern in contact.patterns):
            return contact.owner
    return None

"""Spec §4 rule 4: which address lines identify a home, and what counts as a mention of one."""

from __future__ import annotations

import pytest

from pipeline.address_guard import contact_patterns, is_street_line, mentioned_owner
from pipeline.export_model import Address, Person


@pytest.mark.parametrize(
    ("lines", "identifying"),
    [
        # a number or a street word: always identifying
        (("Flat 3", "17 Linden Court", "Eastvale"), (True, True, False)),
        # a house name stands first, with no number (found in review: these were missed)
        (("The Old Vicarage", "Church Green", "Little Snoring"), (True, True, False)),
        (("Rosebank", "Kingsway", "Northby"), (True, False, False)),
        (("Tŷ Gwyn", "Heol y Bont", "Cwm Fawr"), (True, True, False)),
        # the last line is the post town, a bare place name (spec: "not a bare town name")
        (("9 Orchard Row", "Northby"), (True, False)),
    ],
)
def test_which_lines_identify_a_home(lines: tuple[str, ...], identifying: tuple[bool, ...]) -> None:
    assert tuple(is_street_line(line, i, len(lines)) for i, line in enumerate(lines)) == identifying


def _mother(lines: tuple[str, ...], postcode: str = "EV4 7QT") -> Person:
    return Person.model_validate(
        {
            "id": "p-mother",
            "name": "Sarah Whitfield",
            "role": "parent",
            "address": Address(lines=lines, postcode=postcode),
            "email": "s.whitfield@example.org",
        }
    )


@pytest.mark.parametrize(
    ("text", "mentioned"),
    [
        ("She lives at The Old Vicarage now.", True),
        ("she lives at the old   vicarage", True),
        ("Visit Tŷ Gwyn on Monday.", True),
        ("A vicarage is an old house.", False),  # not the whole line
        ("She moved to Little Snoring.", False),  # the post town alone
        ("Post code ev4 7qt.", True),
        ("Write to S.WHITFIELD@EXAMPLE.ORG", True),
    ],
)
def test_what_counts_as_a_mention(text: str, mentioned: bool) -> None:
    contacts = [contact_patterns(_mother(("The Old Vicarage", "Tŷ Gwyn", "Little Snoring")))]
    assert (mentioned_owner(text, contacts) == "p-mother") is mentioned

"""Spec §4 rule 4 (as widened on 2026-12-01) and issue 9: no spelling of a withheld address reaches the person it is withheld from.

The mother in the domestic-abuse example lives at Flat 3, 17 Linden Court, Eastvale EV4 7QT
(s.whitfield@example.org); her address is withheld from the father and from his solicitor, who
holds copies on his behalf (000 §4.5.8, §4.14.5; 002 §12.13-12.14; R16, R49). Every disguise the
issue found getting through is tried here in each printed field, the amendment's new text and the
chair's rejection note; and the same words about another street must hold nobody's copy.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from pipeline.contract.amendment import Amendment
from pipeline.contract.export import Address, Person
from pipeline.contract.load import load_document, load_export
from pipeline.errors import ContractError
from pipeline.planning.mentions import contact_patterns, identifying, mentioned_owner
from pipeline.planning.plan import DistributionPlan, PlannedCopy, copy_key
from pipeline.planning.recipients import plan_distribution
from pipeline.procedure.calendar import WorkingCalendar
from pipeline.procedure.profile import Profile
from tests.address_attacks import copies_after_amendment, father_side_export, put
from tests.conftest import amendment_document, example


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        # a street line identifies a home; "Flat 3" alone does not: it is read with the next line
        (("Flat 3", "17 Linden Court", "Eastvale"), (False, True, False)),
        # a house name stands before the street line, or on any line but the last without one
        (("The Old Vicarage", "Church Green", "Little Snoring"), (True, True, False)),
        (("Rosebank", "Kingsway", "Northby"), (True, True, False)),
        (("Flat 3", "Rosebank", "Eastvale"), (False, True, False)),  # issue 9: was missed
        (("Tŷ Gwyn", "Heol y Bont", "Cwm Fawr"), (True, True, False)),
        # a one-word line that is a common word is no house name
        (("Flat", "17 Linden Court", "Eastvale"), (False, True, False)),
        # after the street line, a line of neither kind is a locality, the post town or a county
        (("Flat 3", "17 Linden Court", "Northby", "Westshire"), (False, True, False, False)),
        (("17 Linden Court", "Westfield", "Eastvale"), (True, False, False)),
        # the last line is the post town, a bare place name (spec: "not a bare town name")
        (("9 Orchard Row", "Northby"), (True, False)),
        # a number alone on a line is read with the street after it, never matched alone
        (("23", "Linden Court", "Eastvale"), (False, True, False)),
    ],
)
def test_which_lines_identify_a_home(lines: tuple[str, ...], expected: tuple[bool, ...]) -> None:
    assert identifying(lines) == expected


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


# Every disguise issue 9 lists as having reached the father, grouped as the issue groups them.
DISGUISES = [
    # the street without its number, or abbreviated
    "Linden Court",
    "17 Linden Ct",
    "No. 17, Linden Ct.",
    "seventeen Linden Court",
    "Linden Court, Eastvale",
    # look-alike letters: Cyrillic е and о, a dotless ı, l7 for 17
    "Lind\u0435n C\u043eurt",
    "L\u0131nden Court",
    "l7 Linden Court",
    # the postcode with other punctuation, or Cyrillic Е and Т
    "EV4.7QT",
    "EV4/7QT",
    "EV4_7QT",
    "(EV4) 7QT",
    "\u0415V4 7Q\u0422",
    # the e-mail written out, or with a look-alike letter inside it
    "s.whitfield[at]example.org",
    "s.whitfield at example dot org",
    "s.whitfi\u0435ld@example.org",
    # markup inside the words, printed literally
    "17 <b>Linden</b> Court",
    # an invisible combining character, a zero-width space
    "17 Lin\u0301den Court",
    "17 Linden\u200b Court",
    # the house name on the second line
    "Rosebank",
    # found by review: a letter split from the next, fillers that print as nothing, a Greek
    # lunate sigma, ASCII look-alikes inside words, a comment inside a word
    "Lin-den Court",
    "L i n d e n Court",
    "Lin<!-- -->den Court",
    "Linden\u3164Court",
    "Linden \u03f9ourt",
    "L1nden Court",
    "Linden C0urt",
    "<Linden Court>",
]
# The same words about somewhere else, and the near misses the rule leaves alone.
ELSEWHERE = [
    "Larch Court",
    "17 Larch Ct",
    "Lindenhurst Court",
    "the linden tree in the park",
    "the court hearing on Monday",
    "EV4 7QX",
    "EV5 7QT",
    "s.whitfield@example.com",
    "t.whitfield at example dot org",
    "She moved to Eastvale.",  # the post town alone
    "Rosebanks",
    "on 17 November",  # a number alone is no mention
    "Flat 3, 42 Canal Street",  # another flat 3
]


def _sentence(spelling: str) -> str:
    return f"Mr Whitfield was reminded that {spelling} is not to be visited."


@pytest.mark.parametrize("spelling", DISGUISES)
def test_each_disguise_is_a_mention(spelling: str) -> None:
    contacts = [contact_patterns(_mother(("Flat 3", "Rosebank", "17 Linden Court", "Eastvale")))]
    assert mentioned_owner(_sentence(spelling), contacts) == "p-mother"


@pytest.mark.parametrize("text", ELSEWHERE)
def test_the_same_words_about_elsewhere_are_no_mention(text: str) -> None:
    contacts = [contact_patterns(_mother(("Flat 3", "Rosebank", "17 Linden Court", "Eastvale")))]
    assert mentioned_owner(_sentence(text), contacts) is None


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
        ("Write to s.whitfield(at)example.org", True),
    ],
)
def test_what_counts_as_a_mention(text: str, mentioned: bool) -> None:
    contacts = [contact_patterns(_mother(("The Old Vicarage", "Tŷ Gwyn", "Little Snoring")))]
    assert (mentioned_owner(text, contacts) == "p-mother") is mentioned


@pytest.mark.parametrize(
    ("street", "written"),
    [
        ("12 Marlowe Road", "Marlowe Rd"),
        ("12 Marlowe Rd", "Marlowe Road"),  # both ways
        ("3 Ash Street", "Ash St."),
        ("4 Beech Avenue", "Beech Ave"),
        ("5 Cedar Close", "Cedar Cl"),
        ("6 Elm Drive", "Elm Dr"),
        ("7 Fir Lane", "Fir Ln"),
        ("8 Hazel Place", "Hazel Pl"),
        ("9 Holly Crescent", "Holly Cres"),
        ("10 Ivy Terrace", "Ivy Terr"),
        ("11 Lime Gardens", "Lime Gdns"),
        ("12 Oak Square", "Oak Sq"),
        ("13 Heol y Bont", "heol-y-bont"),
    ],
)
def test_street_words_are_read_in_each_spelling(street: str, written: str) -> None:
    contacts = [contact_patterns(_mother((street, "Northby"), "NB1 1AA"))]
    assert mentioned_owner(f"She is staying on {written} for now.", contacts) == "p-mother"


def test_a_common_word_line_is_not_looked_for_alone() -> None:
    contacts = [contact_patterns(_mother(("Flat", "17 Linden Court", "Eastvale")))]
    assert mentioned_owner("The flat was cold.", contacts) is None


def test_a_locality_or_county_after_the_street_is_no_house_name() -> None:
    # Found by review: "Northby" before a county line was taken for a house name, so every
    # letter naming the council ("Northby Borough Council") was held for the father.
    contacts = [contact_patterns(_mother(("Flat 3", "17 Linden Court", "Northby", "Westshire")))]
    assert mentioned_owner("Northby Borough Council, Northby Family Centre", contacts) is None
    assert mentioned_owner("She is at 17 Linden Court.", contacts) == "p-mother"


def test_a_number_alone_on_a_line_is_read_with_the_street() -> None:
    contacts = [contact_patterns(_mother(("23", "Linden Court", "Eastvale")))]
    assert mentioned_owner("The conference on 23 November", contacts) is None
    assert mentioned_owner("She is at 23 Linden Ct.", contacts) == "p-mother"


@pytest.mark.parametrize(
    ("text", "mentioned"),
    [
        ("St Luke's Church, St Luke's Road", False),  # a saint after a comma, not Church St
        ("Church St, Eastvale", True),
        ("She moved to church st.", True),
        ("17 Church Street", True),
    ],
)
def test_st_after_punctuation_is_a_saint_not_a_street(text: str, mentioned: bool) -> None:
    contacts = [contact_patterns(_mother(("17 Church Street", "Eastvale")))]
    assert (mentioned_owner(text, contacts) == "p-mother") is mentioned


@pytest.mark.parametrize("written", ["Saint Mary's Road", "St. Marys Rd", "St Mary's Road"])
def test_st_as_saint_both_ways(written: str) -> None:
    contacts = [contact_patterns(_mother(("4 St Mary's Road", "Eastvale")))]
    assert mentioned_owner(f"Seen on {written} today", contacts) == "p-mother"


@pytest.mark.parametrize("written", ["MarIowe Road", "Mar|owe Road", "rnarlowe road", "Marl0we Rd"])
def test_ascii_look_alikes_inside_words(written: str) -> None:
    contacts = [contact_patterns(_mother(("12 Marlowe Road", "Northby"), "NB1 1AA"))]
    assert mentioned_owner(f"She is on {written}.", contacts) == "p-mother"


# ---- every path: the plan holds the father's and his solicitor's copies, and no one else's ------

# Where a spelling is put, and the documents of the father's that print it.
FIELDS: dict[str, tuple[str, ...]] = {
    "record.sections[0].paragraphs[0]": ("record",),
    "decisions[0].recommendations[0]": ("decision_letter", "record"),
    "plan.children[0].outcomes[0].actions[0].action": ("outline_plan", "record"),
    "conference.venue": ("outline_plan", "record"),
    "people[13].agency": ("record",),  # the GP's practice, printed as their role in attendance
}
FATHER_SIDE = ("p-father", "p-father-sol")


def _dv_with_father_solicitor(mother_lines: list[str] | None = None) -> dict[str, Any]:
    data = father_side_export()
    if mother_lines is not None:
        next(p for p in data["people"] if p["id"] == "p-mother")["address"]["lines"] = mother_lines
    return data


def _plan(data: dict[str, Any], profiles: dict[str, Profile]) -> DistributionPlan:
    export = load_export(json.dumps(data).encode(), profiles.keys())
    calendar = WorkingCalendar.for_nation(export.authority.nation)
    return plan_distribution(export, profiles["default"], calendar)


@pytest.fixture(scope="module")
def baseline(profiles: dict[str, Profile]) -> dict[tuple[str, str], str]:
    plan = _plan(_dv_with_father_solicitor(["Flat 3", "Rosebank", "17 Linden Court", "Eastvale"]), profiles)
    return {(c.recipient, copy_key(c)): c.status for c in plan.copies}


@pytest.mark.parametrize("path", FIELDS)
@pytest.mark.parametrize("spelling", DISGUISES)
def test_the_plan_holds_the_father_side_copies_printing_it(
    path: str, spelling: str, profiles: dict[str, Profile], baseline: dict[tuple[str, str], str]
) -> None:
    data = _dv_with_father_solicitor(["Flat 3", "Rosebank", "17 Linden Court", "Eastvale"])
    put(data, path, _sentence(spelling))
    plan = _plan(data, profiles)
    printed = FIELDS[path]
    for copy in plan.copies:
        was = baseline[(copy.recipient, copy_key(copy))]
        if copy.recipient in FATHER_SIDE and copy.document in printed:
            assert copy.status == "held", (copy.recipient, copy.document)
            assert copy.reason is not None and path in copy.reason
            assert "p-mother" in copy.reason
            # the reason names the field, never the text
            for word in ("Linden", "Rosebank", "EV4", "whitfield@", "7QT"):
                assert word.casefold() not in copy.reason.casefold()
        else:
            assert copy.status == was, (copy.recipient, copy.document, copy.reason)


@pytest.mark.parametrize("path", FIELDS)
@pytest.mark.parametrize("text", ELSEWHERE[:4])
def test_the_same_text_about_another_street_holds_no_one(
    path: str, text: str, profiles: dict[str, Profile], baseline: dict[tuple[str, str], str]
) -> None:
    data = _dv_with_father_solicitor(["Flat 3", "Rosebank", "17 Linden Court", "Eastvale"])
    put(data, path, _sentence(text))
    plan = _plan(data, profiles)
    assert {(c.recipient, copy_key(c)): c.status for c in plan.copies} == baseline


def test_the_route_through_the_social_worker_is_guarded_too(profiles: dict[str, Profile]) -> None:
    # The mother's address withheld from the social worker who hands the father's record over:
    # the record names her street, so it is held although the father alone would not see it.
    data = example("initial-domestic-abuse")
    mother = next(p for p in data["people"] if p["id"] == "p-mother")
    mother["address_withheld_from"] = ["p-sw"]
    put(data, "record.sections[0].paragraphs[0]", _sentence("Linden Ct"))
    plan = _plan(data, profiles)
    record = next(c for c in plan.copies if c.recipient == "p-father" and c.document == "record")
    assert record.via == "p-sw"
    assert record.status == "held"
    assert record.reason is not None and "through whom it goes" in record.reason
    letter = next(c for c in plan.copies if c.recipient == "p-father" and c.document == "decision_letter")
    assert letter.status == "ready"  # not through the social worker


# ---- the amendment path: the new text and the chair's note -------------------------------------


def _copies_after(
    profiles: dict[str, Profile], amendment: Amendment, requester: str, data: dict[str, Any] | None = None
) -> dict[str, PlannedCopy]:
    export = load_export(json.dumps(data or _dv_with_father_solicitor()).encode(), profiles.keys())
    return copies_after_amendment(export, profiles["default"], amendment, requester)


@pytest.mark.parametrize("spelling", ["Linden Ct.", "EV4.7QT", "s.whitfield[at]example.org"])
def test_an_agreed_correction_naming_her_street_is_held_for_the_father_side(
    spelling: str, profiles: dict[str, Profile]
) -> None:
    # Issue 9: "settled at 17 Linden Ct." went to the father and his solicitor as a notice.
    s1 = example("initial-domestic-abuse")["record"]["sections"][0]["paragraphs"][0]
    agreed = amendment_document(
        profiles,
        requested_by="p-mother",
        changes=[
            {
                "section": "s1",
                "kind": "factual_correction",
                "replace": s1[:40],
                "with": f"{s1[:40]} (Ms Whitfield is now settled at {spelling})",
            }
        ],
    )
    copies = _copies_after(profiles, agreed, "p-mother/record")
    notices = {k: c for k, c in copies.items() if "/amendment_notice" in k}
    father_side = {k: c for k, c in notices.items() if k.split("/")[0] in FATHER_SIDE}
    assert len(father_side) == 2
    for copy in father_side.values():
        assert copy.status == "held"
        assert copy.reason is not None and "changes[0].with" in copy.reason
        assert "Linden" not in copy.reason and "EV4" not in copy.reason
    others = [c for k, c in notices.items() if k.split("/")[0] not in FATHER_SIDE]
    assert others and all(c.status == "ready" for c in others)


def _rejected(profiles: dict[str, Profile], note: str) -> PlannedCopy:
    """The father's rejection letter when the chair rejects his request with `note`."""
    s1 = example("initial-domestic-abuse")["record"]["sections"][0]["paragraphs"][0]
    rejected = amendment_document(
        profiles,
        requested_by="p-father",
        changes=[
            {"section": "s1", "kind": "meaning_changed", "replace": s1[:40], "with": "Untrue."}
        ],
        decision={"status": "rejected", "by": "p-chair", "on": "2026-12-04", "note": note},
    )
    return _copies_after(profiles, rejected, "p-father/record")[
        "p-father/amendment_rejection-AMD-0412-01"
    ]


def test_a_rejection_note_naming_her_street_is_held_for_the_father(
    profiles: dict[str, Profile],
) -> None:
    # Issue 9: "contact with Ms Whitfield at Linden Ct is not permitted" went to the father.
    letter = _rejected(
        profiles, "The record stands; contact with Ms Whitfield at Linden Ct is not permitted."
    )
    assert letter.status == "held"
    assert letter.reason is not None and "decision.note" in letter.reason
    assert "Linden" not in letter.reason


def test_a_plain_rejection_note_is_not_held(profiles: dict[str, Profile]) -> None:
    assert _rejected(profiles, "It stands.").status == "ready"


# ---- bidi controls: refused at validation, the field named ---------------------------------------


@pytest.mark.parametrize("char", ["\u202e", "\u202a", "\u202b", "\u202c", "\u202d", "\u2066", "\u2067", "\u2068", "\u2069"])
def test_bidi_controls_are_refused_in_an_export(char: str, profiles: dict[str, Profile]) -> None:
    data = example("initial-domestic-abuse")
    data["record"]["sections"][0]["paragraphs"][0] = f"Seen at {char}truoC nedniL 71"
    with pytest.raises(ContractError) as refused:
        load_export(json.dumps(data).encode(), profiles.keys())
    paths = [issue.path for issue in refused.value.issues]
    assert paths == ["record.sections[0].paragraphs[0]"]
    assert f"U+{ord(char):04X}" in str(refused.value)


def test_bidi_controls_are_refused_in_an_amendment(profiles: dict[str, Profile]) -> None:
    data = example("amendment-agreed")
    data["decision"]["note"] = "\u2067truoC nedniL 71\u2069"
    with pytest.raises(ContractError) as refused:
        load_document(json.dumps(data).encode(), profiles.keys())
    assert [issue.path for issue in refused.value.issues] == ["decision.note"]


def test_right_to_left_text_itself_is_accepted(profiles: dict[str, Profile]) -> None:
    # Arabic and Hebrew need no bidi controls: only the controls are refused.
    data = example("initial-domestic-abuse")
    data["record"]["sections"][0]["paragraphs"][0] = "قالت الأم إنها تريد الأفضل لأطفالها."
    load_export(json.dumps(data).encode(), profiles.keys())


def test_a_notice_naming_a_heading_that_mentions_her_street_is_held(
    profiles: dict[str, Profile],
) -> None:
    # Found by review: the notice prints the changed section's heading, which the plan's guard
    # did not read; it now names that field.
    s1 = example("initial-domestic-abuse")["record"]["sections"][0]["paragraphs"][0]
    agreed = amendment_document(
        profiles,
        requested_by="p-mother",
        changes=[
            {"section": "s1", "kind": "factual_correction", "replace": s1[:40], "with": s1[:40]}
        ],
    )
    data = _dv_with_father_solicitor()
    put(data, "record.sections[0].heading", "Visit to Linden Ct")
    copies = _copies_after(profiles, agreed, "p-mother/record", data)
    notice = copies["p-father/amendment_notice-AMD-0412-01"]
    assert notice.status == "held"
    assert notice.reason is not None and "record.sections[0].heading" in notice.reason
    assert copies["p-police/amendment_notice-AMD-0412-01"].status == "ready"

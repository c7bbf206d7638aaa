"""Spellings of a withheld address, made the ways issue 9 found them getting through, and a check that the plan holds exactly the copies they would reach.

Shared by `tests/test_address_attacks.py` (Hypothesis, in CI) and
`scripts/address_attacks_at_scale.py` (the same check on as many cases as asked). Pure: a case is
made from a `random.Random`, so the script needs no Hypothesis and a failing case is reproduced
from its seed.

The conference is the domestic-abuse example with a solicitor authorised for the father. The
mother's address (one of `ADDRESSES`, all fictional) is withheld from the father and his
solicitor (000 §4.5.8, §4.14.5; 002 §12.13-12.14; spec §4 rule 4). A spelling of one part of it,
disguised by one to four transformations, is written into one printed field, an agreed
amendment's new text or the chair's rejection note. Expected: every copy for the father's side
that prints that field is held, with a reason that names the field and not the text; every other
copy is exactly as it was without the spelling. The control case writes the same disguises of
another address, withheld from nobody: nothing changes.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pipeline.contract.amendment import Amendment
from pipeline.contract.export import Export
from pipeline.contract.load import load_document, load_export
from pipeline.planning.amendments import AmendmentInput, conference_copies
from pipeline.planning.plan import PlannedCopy, copy_key
from pipeline.planning.recipients import plan_distribution
from pipeline.procedure.calendar import WorkingCalendar
from pipeline.procedure.profile import Profile, load_profiles

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
FATHER_SIDE = frozenset({"p-father", "p-father-sol"})


@dataclass(frozen=True)
class Home:
    """A fictional address: its lines (the last the post town), postcode and e-mail."""

    lines: tuple[str, ...]
    postcode: str
    email: str


ADDRESSES = (
    Home(("Flat 3", "17 Linden Court", "Eastvale"), "EV4 7QT", "s.whitfield@example.org"),
    Home(("Flat 3", "Rosebank", "Eastvale"), "EV4 7QT", "sarah.w@example.org"),
    Home(("22 Marlowe Road", "Northby"), "NB3 9XY", "sw.home@mail.example.net"),
    Home(("Tŷ Gwyn", "14 Heol y Bont", "Cwm Fawr"), "CF31 4AB", "s_whitfield@example.co.uk"),
    Home(("Apartment 10", "Quayside Mews", "Eastvale"), "EV1 0LX", "whitfield.s@example.org"),
)
# Addresses of nobody in the export, sharing no word with any of the above: the control.
ELSEWHERE = (
    Home(("5 Birchfield Close", "Westby"), "WB2 6RS", "j.doe@example.com"),
    Home(("Ivy Cottage", "Mill Lane", "Southam"), "SM7 2PQ", "k.roe@example.net"),
)

# Where a spelling is written, and the documents of the father's that print it.
FIELDS: dict[str, tuple[str, ...]] = {
    "record.sections[0].paragraphs[0]": ("record",),
    "record.sections[4].heading": ("record",),
    "decisions[0].recommendations[0]": ("decision_letter", "record"),
    "decisions[1].dissent[0].view": ("decision_letter", "record"),  # R17, issue 16 part 4
    "plan.children[0].outcomes[0].actions[0].action": ("outline_plan", "record"),
    "plan.children[0].risks[0]": ("outline_plan", "record"),
    "plan.contingency[0]": ("outline_plan", "record"),
    "conference.venue": ("outline_plan", "record"),
    "authority.complaints_contact": ("decision_letter",),
    "people[13].agency": ("record",),
    "distribution.authorisations[1].purpose": ("decision_letter", "outline_plan", "record"),
}
AMENDMENT_FIELDS = ("changes[0].with", "decision.note")

_CONFUSABLE = {
    "a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441", "x": "\u0445",
    "y": "\u0443", "i": "\u0131", "s": "\u0455", "A": "\u0410", "B": "\u0412", "E": "\u0415",
    "H": "\u041d", "K": "\u041a", "M": "\u041c", "O": "\u039f", "P": "\u0420", "C": "\u0421",
    "T": "\u0422", "X": "\u03a7", "N": "\u039d", "Y": "\u03a5", "Z": "\u0396", "v": "\u03bd",
}  # fmt: skip
_INVISIBLE = ("\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\ufeff")
_COMBINING = ("\u0301", "\u0300", "\u0308", "\u0327", "\u034f")
_SEPARATORS = ("  ", ", ", " - ", "\n", ". ", " / ", "_", "\u00a0", " ,", "\t")
_ABBREVIATE = {
    "Court": "Ct", "Road": "Rd", "Street": "St", "Avenue": "Ave", "Close": "Cl", "Drive": "Dr",
    "Lane": "Ln", "Place": "Pl", "Crescent": "Cres", "Terrace": "Terr", "Gardens": "Gdns",
    "Square": "Sq", "Mews": "Mews",
}  # fmt: skip
_NUMBER_WORDS = {"3": "three", "10": "ten", "14": "fourteen", "17": "seventeen", "22": "twenty-two"}


# ---- what part of the address is spelt --------------------------------------------------------


def _parts(home: Home) -> list[str]:
    """The parts of an address that rule 4 protects: identifying lines, a street line's name
    without its number, the postcode, the e-mail."""
    parts = [line for line in home.lines[:-1] if line not in ("Flat 3", "Apartment 10")]
    for line in home.lines[:-1]:
        words = line.split()
        if words[0].isdigit() and len(words) > 1:
            parts.append(" ".join(words[1:]))
    return [*parts, home.postcode, home.email]


# ---- disguises ----------------------------------------------------------------------------------


def _case(text: str, rng: random.Random) -> str:
    return rng.choice([str.upper, str.lower, str.title, str.swapcase])(text)


def _abbreviate(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    out = []
    for word in words:
        short = _ABBREVIATE.get(word)
        out.append(short + rng.choice(["", "."]) if short and rng.random() < 0.8 else word)
    return " ".join(out)


def _respace(text: str, rng: random.Random) -> str:
    return "".join(rng.choice(_SEPARATORS) if c == " " else c for c in text)


def _confuse(text: str, rng: random.Random) -> str:
    return "".join(
        _CONFUSABLE[c] if c in _CONFUSABLE and rng.random() < 0.5 else c for c in text
    )


def _digit_lookalikes(text: str, rng: random.Random) -> str:
    table = {"1": ("l", "I"), "0": ("O", "o")}
    return "".join(rng.choice(table[c]) if c in table and rng.random() < 0.7 else c for c in text)


def _invisible(text: str, rng: random.Random) -> str:
    out = []
    for c in text:
        out.append(c)
        if rng.random() < 0.25:
            out.append(rng.choice(_INVISIBLE))
        elif c.isalpha() and rng.random() < 0.15:
            out.append(rng.choice(_COMBINING))
    return "".join(out)


def _markup(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    i = rng.randrange(len(words))
    tag = rng.choice(["b", "i", "em", "span", "u"])
    words[i] = f"<{tag}>{words[i]}</{tag}>"
    if rng.random() < 0.2:  # or the whole part in angle brackets, printed as written
        return "<" + " ".join(text.split(" ")) + ">"
    if len(words[i]) > 3 and rng.random() < 0.5:  # a tag inside the word too
        cut = rng.randrange(1, len(words[i]))
        words[i] = words[i][:cut] + "<br/>" + words[i][cut:]
    return " ".join(words)


def _full_width(text: str, rng: random.Random) -> str:
    return "".join(
        chr(ord(c) + 0xFEE0) if "!" <= c <= "~" and rng.random() < 0.5 else c for c in text
    )


def _number_words(text: str, rng: random.Random) -> str:
    # A house number written out ("seventeen Linden Court"); a postcode's digits are not words.
    number, _, rest = text.partition(" ")
    if number in _NUMBER_WORDS and rest and not _POSTCODE.fullmatch(text):
        return f"{_NUMBER_WORDS[number]} {rest}"
    return text


def _email_spelt(text: str, rng: random.Random) -> str:
    if "@" not in text:
        return text
    at = rng.choice([" at ", "[at]", "(at)", " [at] ", " AT ", "@"])
    local, domain = text.split("@", 1)
    dot = rng.choice([" dot ", ".", " . ", "[dot]", " DOT "])
    return local + at + domain.replace(".", dot)


_POSTCODE = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}")


def _postcode_punctuated(text: str, rng: random.Random) -> str:
    if not _POSTCODE.fullmatch(text):
        return text
    outward, inward = text.split(" ")
    return rng.choice(
        [
            f"{outward}.{inward}",
            f"{outward}/{inward}",
            f"{outward}_{inward}",
            f"({outward}) {inward}",
            f"{outward}{inward}",
            " ".join(outward + inward),
            f"{outward}-{inward}",
        ]
    )


DISGUISES: tuple[Callable[[str, random.Random], str], ...] = (
    _case,
    _abbreviate,
    _respace,
    _confuse,
    _digit_lookalikes,
    _invisible,
    _markup,
    _full_width,
    _number_words,
    _email_spelt,
    _postcode_punctuated,
)


def disguise(text: str, rng: random.Random) -> str:
    """`text` with one to four disguises, in a random order. Structural ones (which read the
    words and separators) go first, character-level ones after, as a person would type them."""
    chosen = rng.sample(DISGUISES, rng.randint(1, 4))
    # Case first: a look-alike letter put in and then re-cased may no longer look alike (Greek
    # Ν lower-cased is ν, which reads as v), which is not how a disguise is made.
    structural = [d for d in chosen if d in (_case, _abbreviate, _number_words, _email_spelt,
                                              _postcode_punctuated, _markup)]  # fmt: skip
    for step in structural + [d for d in chosen if d not in structural]:
        text = step(text, rng)
    return text


# ---- the case and its check ---------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    home: Home  # the mother's address
    spelt: Home  # the address whose part is spelt (hers, or one of nobody's for the control)
    part: str
    written: str
    field: str
    sentence: str

    @property
    def control(self) -> bool:
        return self.spelt is not self.home


def make_case(rng: random.Random, control: bool | None = None) -> Case:
    home = rng.choice(ADDRESSES)
    control = rng.random() < 0.2 if control is None else control
    spelt = rng.choice(ELSEWHERE) if control else home
    part = rng.choice(_parts(spelt))
    written = disguise(part, rng)
    field = rng.choice([*FIELDS, *AMENDMENT_FIELDS])
    before = rng.choice(["Ms Whitfield said", "It was agreed that", "Note:", ""])
    after = rng.choice(["is not to be visited.", "was discussed.", "", "(see above)"])
    return Case(home, spelt, part, written, field, f"{before} {written} {after}".strip())


@cache
def _profiles() -> dict[str, Profile]:
    return load_profiles()


FATHER_SOLICITOR_AUTHORISATION = {
    "person": "p-father-sol",
    "documents": ["decision_letter", "outline_plan", "record"],
    "basis": "parent_consent",
    "on_behalf_of": "p-father",
    "authorised_by": "p-chair",
    "authorised_on": "2026-11-23",
    "purpose": "advice to Mr Whitfield",
}


def father_side_export() -> dict[str, Any]:
    """The domestic-abuse example with a solicitor authorised for the father, a dissent and a
    complaints contact: every field `FIELDS` names stands in it (a fresh copy each call)."""
    return json.loads(_skeleton())


@cache
def _skeleton() -> str:
    data = json.loads((EXAMPLES / "initial-domestic-abuse.json").read_text(encoding="utf-8"))
    data["distribution"]["authorisations"].append(FATHER_SOLICITOR_AUTHORISATION)
    data["decisions"][1]["dissent"] = [{"person": "p-hv", "view": "The health visitor disagreed."}]
    data["authority"]["complaints_contact"] = "the Complaints Team, 0300 555 0100"
    assert data["people"][13]["id"] == "p-gp"
    return json.dumps(data)


def _export_data(case: Case) -> dict[str, Any]:
    data = father_side_export()
    mother = next(p for p in data["people"] if p["id"] == "p-mother")
    mother["address"] = {"lines": list(case.home.lines), "postcode": case.home.postcode}
    mother["email"] = case.home.email
    if case.field in FIELDS:
        put(data, case.field, case.sentence)
    return data


def put(data: dict[str, Any], path: str, text: str) -> None:
    """Write `text` at a JSON path such as `plan.children[0].risks[0]`."""
    target: Any = data
    steps = path.replace("]", "").replace("[", ".").split(".")
    for step in steps[:-1]:
        target = target[int(step)] if step.isdigit() else target[step]
    last = steps[-1]
    target[int(last) if last.isdigit() else last] = text


def _amendment(case: Case, paragraph: str) -> tuple[Amendment, str]:
    """An agreed correction to s1 carrying the spelling, from the mother; or a rejected request
    of the father's whose rejection note carries it."""
    data = json.loads((EXAMPLES / "amendment-agreed.json").read_text(encoding="utf-8"))
    replace = paragraph[:40]
    if case.field == "changes[0].with":
        data["requested_by"] = "p-mother"
        change = {"replace": replace, "with": f"{replace} ({case.sentence})"}
        requester = "p-mother/record"
    else:
        data["requested_by"] = "p-father"
        change = {"replace": replace, "with": "That is not what was said."}
        data["decision"] = {"status": "rejected", "by": "p-chair", "on": "2026-12-04",
                            "note": case.sentence}  # fmt: skip
        requester = "p-father/record"
    data["changes"] = [{"section": "s1", "kind": "factual_correction", **change}]
    document = load_document(json.dumps(data).encode(), _profiles().keys())
    assert isinstance(document, Amendment)
    return document, requester


def copies_of(case: Case) -> dict[str, PlannedCopy]:
    """Every copy the conference calls for with the spelling in place, by copy key."""
    profiles = _profiles()
    export = load_export(json.dumps(_export_data(case)).encode(), profiles.keys())
    profile = profiles["default"]
    calendar = WorkingCalendar.for_nation(export.authority.nation)
    plan = plan_distribution(export, profile, calendar)
    if case.field in FIELDS:
        return {copy_key(c): c for c in plan.copies}
    assert export.record is not None
    amendment, requester = _amendment(case, export.record.sections[0].paragraphs[0])
    return copies_after_amendment(export, profile, amendment, requester)


def copies_after_amendment(
    export: Export, profile: Profile, amendment: Amendment, requester: str
) -> dict[str, PlannedCopy]:
    """Every copy the conference calls for once `amendment` arrives from `requester` (a record
    copy key), every record copy of the plan having been delivered, by copy key."""
    calendar = WorkingCalendar.for_nation(export.authority.nation)
    plan = plan_distribution(export, profile, calendar)
    holders = {copy_key(c): frozenset[str]() for c in plan.copies if c.document == "record"}
    return conference_copies(
        export,
        profile,
        calendar,
        lambda e: plan_distribution(e, profile, calendar),
        [AmendmentInput(1, amendment, requester)],
        holders,
    ).copies


@cache
def _baseline(home: Home) -> dict[str, tuple[str, str | None]]:
    plain = Case(home, home, "", "", "record.sections[0].heading", "Introductions")
    return {key: (c.status, c.reason) for key, c in copies_of(plain).items()}


def _prints(case: Case, copy: PlannedCopy) -> bool:
    """Whether the copy prints the field the spelling is in."""
    if case.field.startswith("distribution.authorisations[1]"):
        return copy.authorisation == 1  # the purpose is stamped on that authorisation's copies
    if case.field in FIELDS:
        return copy.document in FIELDS[case.field]
    if case.field == "changes[0].with":
        # the notice shows the new text, and a record made now carries it
        return copy.document in ("amendment_notice", "record")
    return copy.document == "amendment_rejection"


def problems(case: Case) -> list[str]:
    """What is wrong with the plan for `case`; empty when the guard did exactly its job."""
    found: list[str] = []
    baseline = _baseline(case.home)
    for key, copy in copies_of(case).items():
        reached = (
            not case.control
            and copy.recipient in FATHER_SIDE
            and _prints(case, copy)
        )
        if reached:
            # A record made after an agreed amendment carries its text in the section it changed.
            named = (
                "record.sections[0].paragraphs[0]"
                if case.field == "changes[0].with" and copy.document == "record"
                else case.field
            )
            if copy.status != "held":
                found.append(f"{key} is {copy.status}, not held")
            elif copy.reason is None or named not in copy.reason:
                found.append(f"{key}: the reason does not name {named}: {copy.reason}")
            elif any(
                w.casefold() in copy.reason.casefold() for w in case.part.split() if len(w) > 3
            ):
                found.append(f"{key}: the reason repeats the address")
            continue
        was = baseline.get(key)
        if was is None:  # a notice or rejection letter, which the baseline does not have
            if copy.status != "ready":
                found.append(f"{key} is {copy.status}: {copy.reason}")
        elif was[0] != copy.status:
            found.append(f"{key} was {was[0]}, is {copy.status}: {copy.reason}")
    return found

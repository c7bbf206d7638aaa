"""A person's address and e-mail → every form of them that counts as a mention, and where free text makes one (spec §4 rule 4).

A person's address and e-mail never reach the people in their `address_withheld_from` (domestic
abuse: 000 §4.5.8, §4.14.5; 002 §12.13-12.14). Redaction leaves out the address block; this module
finds the harder case, free text that mentions the address, so that the copy is held for the chair,
and gives the byte check the same forms to look for in the rendered files.

What counts as a mention (spec §4 rule 4 as widened on 2026-12-01), compared in the one
normal form of `pipeline.comparison` (case, spacing, punctuation, invisible characters, look-alike
letters and digits all ignored):
- each address line that is not the post town, matched whole;
- a street line also without its house or flat number ("Linden Court" for "17 Linden Court");
- the common abbreviations of street words, read both ways (Court/Ct, Road/Rd, ...);
- a house name on any line but the last ("Rosebank" on the second line), unless the line is one
  common word ("Flat");
- the postcode on its letters and digits alone (EV4 7QT, EV4.7QT, (EV4) 7QT);
- the e-mail, also written out: "user at domain dot tld", "[at]", "(at)".
A bare town name (the last line) is not a mention: naming a town says little, and holding every
record that says "Northby" would hold them all.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from pipeline.comparison import match_form, pattern_forms
from pipeline.contract.export import Address, Export, Person
from pipeline.planning.readers import contacts_withheld_from

# Street words and the abbreviations a person or a case system writes for them (Royal Mail's
# common forms), each group read both ways.
_ABBREVIATIONS: tuple[frozenset[str], ...] = tuple(
    frozenset(group.split())
    for group in (
        "court ct crt",
        "road rd",
        "street st str saint",
        "avenue ave av",
        "close cl",
        "drive dr",
        "lane ln",
        "place pl",
        "crescent cres cresc",
        "terrace terr ter tce",
        "gardens gdns",
        "square sq",
        "grove gr gro",
        "parade pde",
        "park pk",
        "mount mt",
        "walk wlk",
        "heights hts",
    )
)
_SPELLINGS: dict[str, frozenset[str]] = {word: group for group in _ABBREVIATIONS for word in group}

# Words that make an address line a street or building line rather than a bare place name,
# Welsh ones among them (heol, stryd, ffordd, lôn, maes: Tŷ Gwyn, Heol y Bont).
_STREET_WORDS = frozenset(_SPELLINGS) | frozenset(
    ["way", "row", "hill", "rise", "wharf", "yard", "cottages", "cottage", "house", "flat", "apartment", "apt", "farm", "lodge", "manor", "quay", "path", "boulevard", "embankment", "circus", "approach", "meadow", "meadows", "wynd", "brae", "gate", "mews", "green", "heol", "stryd", "ffordd", "lon", "maes", "stryt", "tower", "towers", "building", "block", "estate", "chambers", "mill"]
)
# Words that say which dwelling, not where: dropped with the number to leave the street's name;
# a line of one of them alone ("Flat") is no house name.
_UNIT_WORDS = frozenset(
    ["flat", "flats", "apartment", "apt", "unit", "no", "number", "room", "suite", "floor", "ground", "first", "second", "third", "top", "upper", "lower", "rear", "front", "basement", "annexe", "block"]
)


@dataclass(frozen=True, slots=True)
class WithheldContact:
    """One person's contact details that may not reach a recipient.

    `patterns`: every form that counts as a mention, searched for in `match_form` text (the plan's
    guard, the render-time guard, and the byte check on extracted text); `forms`: the whole lines,
    postcode and e-mail as text, which the byte check also looks for with separators dropped, so
    that a line broken by layout is still found."""

    owner: str
    patterns: tuple[re.Pattern[str], ...]
    forms: tuple[str, ...]


def _words(text: str) -> list[str]:
    return match_form(text).split()


def _is_number(word: str) -> bool:
    return any(c.isdigit() for c in word)


def _unit_only(words: list[str]) -> bool:
    """A line that says which dwelling and not where ("Flat 3", "Apartment 10", "23")."""
    return bool(words) and all(w in _UNIT_WORDS or _is_number(w) for w in words)


def _real_street(words: list[str]) -> bool:
    return not _unit_only(words) and any(_is_number(w) or w in _STREET_WORDS for w in words)


def identifying(lines: Sequence[str]) -> tuple[bool, ...]:
    """Which address lines identify where someone lives, each on its own.

    A street line (a street word, or a number with a name) does, wherever it stands. A house name
    ("The Old Vicarage", "Rosebank") does: a line of neither kind before the street line, or on
    any line but the last where there is no street line. A line after the street line that is
    neither is a locality, the post town or a county: a place name, not a home. A line that only
    says which dwelling ("Flat 3", "23") identifies nothing alone: it is read with the line after
    it (`_identifying_words`).
    """
    words = [_words(line) for line in lines]
    street = next((i for i, w in enumerate(words) if _real_street(w)), None)
    last = len(lines) - 1
    return tuple(
        bool(w)
        and not _unit_only(w)
        and (_real_street(w) or (i != last and (street is None or i < street)))
        for i, w in enumerate(words)
    )


def street_name(line: str) -> list[str] | None:
    """The words of a street line without its house or flat number ("17 Linden Court" → linden
    court), or None where nothing is left that names a street, or nothing was taken away."""
    words = _words(line)
    kept = [w for w in words if not _is_number(w) and w not in _UNIT_WORDS]
    if kept == words:
        return None
    # A name needs a word of its own: "Flat 3" leaves nothing, "3 The Court" leaves only "the".
    named = [w for w in kept if w not in _STREET_WORDS and w != "the" and len(w) >= 3]
    return kept if named else None


def _identifying_words(address: Address) -> Iterator[tuple[list[str], str | None]]:
    """Each identifying line's words (with the line as written), and its street's name where
    that differs (with None). A line that only says which dwelling ("Flat 3") is read together
    with the identifying line after it: "Flat 3 17 Linden Court"."""
    lines = address.lines
    marks = identifying(lines)
    for position, line in enumerate(lines):
        if not marks[position]:
            continue
        before = lines[position - 1] if position > 0 else None
        if (
            before is not None
            and _unit_only(_words(before))
            and any(_is_number(w) for w in _words(before))
        ):
            joined = f"{before} {line}"
            yield _words(joined), joined
        yield _words(line), line
        name = street_name(line)
        if name is not None:
            yield name, None


def _word_alternatives(word: str) -> list[str]:
    return sorted(_SPELLINGS.get(word, {word}))


# Where the text may put punctuation or spacing, or nothing: in the strict match form
# (`match_form(strict=True)`) punctuation is the token '|'.
_ANY_SEP = "(?: \\| | ?)"
# Letters that ASCII look-alikes stand in for, as the confusables table reads them (1, I and |
# for l; 0 for o; rn for m; cl for d; vv for w). '|' is punctuation, so a separator stands for it.
_LOOKALIKE = {
    "l": "(?:[l1i]| \\| )",
    "i": "(?:[i1l]| \\| )",
    "o": "[o0]",
    "m": "(?:m|rn)",
    "d": "(?:d|cl)",
    "w": "(?:w|vv)",
    "1": "[1li]",
    "0": "[0o]",
}
# Abbreviations that are also other words before a name (St Luke's, Dr Smith): between them and
# the word before, spacing only, so "Church, St Luke's Road" is not "Church St".
_AMBIGUOUS = frozenset({"st", "saint", "dr"})


def _spelling_pattern(word: str) -> str:
    """One spelling of a word, letter by letter: any letter may be split from the next by
    spacing or punctuation ("Lin-den", "L i n d e n"), and may be its ASCII look-alike."""
    return _ANY_SEP.join(_LOOKALIKE.get(c, re.escape(c)) for c in word)


def _word_pattern(word: str) -> str:
    spellings = _word_alternatives(word)
    if len(spellings) == 1:
        return _spelling_pattern(spellings[0])
    return "(?:" + "|".join(_spelling_pattern(w) for w in spellings) + ")"


def _words_pattern(words: list[str]) -> str:
    """Whole words in order, each in any of its spellings; between them spacing, punctuation or
    nothing (markup or a zero-width join may have run them together) — but only spacing before
    an abbreviation that could begin a name."""
    parts: list[str] = []
    for i, word in enumerate(words):
        if i:
            ambiguous = bool(_AMBIGUOUS & set(_word_alternatives(word)))
            parts.append(" ?" if ambiguous else _ANY_SEP)
        parts.append(_word_pattern(word))
    return "".join(parts)


def _spelled_forms(words: list[str]) -> Iterator[str]:
    """Every spelling of a line's words as text, street words abbreviated or written out."""
    for choice in itertools.product(*(_word_alternatives(w) for w in words)):
        yield " ".join(choice)


def _postcode_chars(postcode: str) -> str:
    return match_form(postcode).replace(" ", "")


def _email_parts(email: str) -> tuple[list[str], list[str]]:
    local, _, domain = email.rpartition("@")
    return _words(local), _words(domain)


def _email_pattern(email: str) -> str | None:
    local, domain = _email_parts(email)
    if not local or not domain:
        return None
    # '.', '@' (punctuation: '|'), or written out: ' dot ', ' at ', '[at]', '(at)'
    dot = "(?: (?:\\| )?dot(?: \\|)? | \\| | ?)"
    at = "(?: (?:\\| )?at(?: \\|)? | \\| | ?)"
    return dot.join(map(_spelling_pattern, local)) + at + dot.join(map(_spelling_pattern, domain))


def _email_forms(email: str) -> Iterator[str]:
    """The e-mail as text, and written out: each '.' kept or 'dot', the '@' kept or 'at'."""
    yield email
    local, domain = _email_parts(email)
    if not local or not domain:
        return
    joins = len(local) + len(domain) - 2
    if joins > 6:  # an address of many parts: its fully written-out form only
        yield " ".join(local) + " at " + " dot ".join(domain)
        return
    for at, *dots in itertools.product(("@", " at "), *([(".", " dot ")] * joins)):
        marks = iter(dots)
        yield (
            local[0]
            + "".join(next(marks) + word for word in local[1:])
            + at
            + domain[0]
            + "".join(next(marks) + word for word in domain[1:])
        )


def _bounded(body: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){body}(?!\w)")


@lru_cache(maxsize=1024)
def contact_patterns(person: Person) -> WithheldContact:
    """Every form of `person`'s address and e-mail that counts as a mention of them."""
    bodies: list[str] = []
    forms: list[str] = []
    if person.address is not None:
        for words, line in _identifying_words(person.address):
            bodies.append(_words_pattern(words))
            if line is not None:
                forms.append(line)
                forms.extend(_spelled_forms(words))
        chars = _postcode_chars(person.address.postcode)
        if len(chars) >= 2:
            bodies.append(_ANY_SEP.join(_LOOKALIKE.get(c, re.escape(c)) for c in chars))
            forms.append(person.address.postcode)
    if person.email:
        body = _email_pattern(person.email)
        if body is not None:
            bodies.append(body)
        forms.extend(_email_forms(person.email))
    unique_bodies = list(dict.fromkeys(bodies))
    return WithheldContact(
        person.id, tuple(_bounded(b) for b in unique_bodies), tuple(dict.fromkeys(forms))
    )


def withheld_contacts(export: Export, persons: Iterable[str]) -> tuple[WithheldContact, ...]:
    """Contact details withheld from any of `persons`: everyone who reads the copy (the
    recipient, whom they act for, the social worker it passes through)."""
    return tuple(contact_patterns(person) for person in contacts_withheld_from(export, persons))


def _searchable(text: str) -> tuple[str, ...]:
    # Field texts repeat across a conference's copies; a whole printed document does not.
    return _searchable_cached(text) if len(text) <= 2000 else _searchable_forms(text)


@lru_cache(maxsize=4096)
def _searchable_cached(text: str) -> tuple[str, ...]:
    return _searchable_forms(text)


def _searchable_forms(text: str) -> tuple[str, ...]:
    """The forms of `text` a mention is looked for in: its match form and, where a bidi override
    would show the stored characters in reverse, that reversed order too (validation refuses
    such characters in exports; this keeps the guard whole for text from anywhere else)."""
    forms = list(pattern_forms(text))
    if any(c in text for c in "\u202e\u2067\u202b"):
        forms.extend(pattern_forms(text[::-1]))
    return tuple(forms)


def mentioned_owner(text: str, contacts: Iterable[WithheldContact]) -> str | None:
    """The id of the person whose withheld contact details `text` mentions, or None."""
    contacts = tuple(contacts)
    if not contacts:
        return None
    for form in _searchable(text):
        for contact in contacts:
            if any(pattern.search(form) for pattern in contact.patterns):
                return contact.owner
    return None


def first_mention(
    fields: Iterable[tuple[str, str]],
    contacts: Iterable[WithheldContact],
    authority: Address | None = None,
) -> tuple[str, str] | None:
    """The first (JSON path, owner) where a field's text mentions withheld contact details.

    `authority`: the council's own address. In the council's words about itself (`authority.*`,
    such as the complaints contact "Town Hall, Market Street") a form that is part of that address
    names the council, not the mother who lives on the same street."""
    contacts = tuple(contacts)
    if not contacts:
        return None
    own = _public_contacts(contacts, authority)
    for path, text in fields:
        owner = mentioned_owner(text, own if path.startswith("authority.") else contacts)
        if owner is not None:
            return path, owner
    return None


def _public_contacts(
    contacts: tuple[WithheldContact, ...], authority: Address | None
) -> tuple[WithheldContact, ...]:
    if authority is None:
        return contacts
    forms = [f for line in (*authority.lines, authority.postcode) for f in pattern_forms(line)]
    return tuple(
        dataclasses.replace(
            contact,
            patterns=tuple(p for p in contact.patterns if not any(p.search(f) for f in forms)),
        )
        for contact in contacts
    )


def mention_reason(where: str, owner: str, via: str | None) -> str:
    """Why a copy is held for a mention: names the field (or the document) and whose details,
    never the text (spec §4 rule 4)."""
    return (
        f"held for the chair: {where} mentions the contact details of {owner}, which are withheld "
        "from this recipient"
        + (f" or from {via}, through whom it goes" if via else "")
        + " (spec §4 rule 4)"
    )

"""A person's address and e-mail → every form of them that counts as a mention, and where free text makes one (spec §4 rule 4).

A person's address and e-mail never reach the people in their `address_withheld_from` (domestic
abuse: 000 §4.5.8, §4.14.5; 002 §12.13-12.14). Redaction leaves out the address block; this module
finds the harder case, free text that mentions the address, so that the copy is held for the chair,
and gives the byte check the same forms to look for in the rendered files.

What counts as a mention (spec §4 rule 4 as widened on 2026-12-01; issue 9), compared in the one
normal form of `redaction.comparison` (case, spacing, punctuation, invisible characters, look-alike
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

import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from pipeline.export_model import Address, Export, Person
from redaction.comparison import match_form, match_forms

# Street words and the abbreviations a person or a case system writes for them (Royal Mail's
# common forms), each group read both ways.
_ABBREVIATIONS: tuple[frozenset[str], ...] = tuple(
    frozenset(group.split())
    for group in (
        "court ct crt",
        "road rd",
        "street st str",
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
    """way row hill rise wharf yard cottages cottage house flat apartment apt farm lodge manor quay
    path boulevard embankment circus approach meadow meadows wynd brae gate mews green heol stryd
    ffordd lon maes stryt tower towers building block estate chambers mill""".split()
)
# Words that say which dwelling, not where: dropped with the number to leave the street's name;
# a line of one of them alone ("Flat") is no house name.
_UNIT_WORDS = frozenset(
    """flat flats apartment apt unit no number room suite floor ground first second third top
    upper lower rear front basement annexe block""".split()
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


def is_street_line(line: str, position: int = 0, count: int = 1) -> bool:
    """Whether an address line identifies where someone lives, rather than naming a town.

    A house number or a street word does, on any line. The last line is the post town, a bare
    place name. Any other line does too: a house name ("The Old Vicarage", "Rosebank") stands on
    any line but the last, unless it is one common word ("Flat").
    """
    words = _words(line)
    if any(_is_number(w) for w in words):
        return True
    if not words or all(w in _UNIT_WORDS for w in words):
        return False  # "Flat" alone says which dwelling, not where
    if any(w in _STREET_WORDS for w in words):
        return True
    return position != count - 1


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
    that differs (with None)."""
    lines = address.lines
    for position, line in enumerate(lines):
        if not is_street_line(line, position, len(lines)):
            continue
        yield _words(line), line
        name = street_name(line)
        if name is not None:
            yield name, None


def _word_alternatives(word: str) -> list[str]:
    return sorted(_SPELLINGS.get(word, {word}))


def _digits_pattern(chars: str) -> str:
    # Text folds look-alike letters only in a token that is all number ("l7"); in a mixed one
    # ("CF3l") the pattern accepts them where the address has a 1 or a 0.
    return "".join(
        "[1li]" if c == "1" else "[0o]" if c == "0" else re.escape(c) for c in chars
    )


def _words_pattern(words: list[str]) -> str:
    # Whole words in order; between them a space or none (markup or a zero-width join may have
    # run them together); each street word in any of its spellings.
    parts = []
    for word in words:
        spellings = _word_alternatives(word)
        parts.append(
            _digits_pattern(spellings[0])
            if len(spellings) == 1
            else "(?:" + "|".join(map(re.escape, spellings)) + ")"
        )
    return " ?".join(parts)


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
    dot = "(?: dot | ?)"  # '.', or written out as ' dot '
    at = "(?: at | ?)"  # '@', '[at]', '(at)' or ' at ' (punctuation is already a space)
    return dot.join(map(re.escape, local)) + at + dot.join(map(re.escape, domain))


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
            bodies.append(" ?".join(map(_digits_pattern, chars)))
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


def withholds_from(person: Person, readers: Iterable[str]) -> bool:
    """Whether `person`'s address and e-mail are withheld from any of `readers` (spec §4 rule 4)."""
    return bool(frozenset(readers) & frozenset(person.address_withheld_from))


def withheld_contacts(export: Export, persons: Iterable[str]) -> tuple[WithheldContact, ...]:
    """Contact details withheld from any of `persons`: everyone who reads the copy (the
    recipient, whom they act for, the social worker it passes through)."""
    readers = frozenset(persons)
    return tuple(
        contact_patterns(person) for person in export.people if withholds_from(person, readers)
    )


@lru_cache(maxsize=8192)
def _searchable(text: str) -> tuple[str, ...]:
    """The forms of `text` a mention is looked for in: its match form and, where a bidi override
    would show the stored characters in reverse, that reversed order too (validation refuses
    such characters in exports; this keeps the guard whole for text from anywhere else)."""
    forms = list(match_forms(text))
    if any(c in text for c in "\u202e\u2067\u202b"):
        forms.extend(match_forms(text[::-1]))
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
    fields: Iterable[tuple[str, str]], contacts: Iterable[WithheldContact]
) -> tuple[str, str] | None:
    """The first (JSON path, owner) where a field's text mentions withheld contact details."""
    contacts = tuple(contacts)
    if not contacts:
        return None
    for path, text in fields:
        owner = mentioned_owner(text, contacts)
        if owner is not None:
            return path, owner
    return None


def mention_reason(where: str, owner: str, via: str | None) -> str:
    """Why a copy is held for a mention: names the field (or the document) and whose details,
    never the text (spec §4 rule 4)."""
    return (
        f"held for the chair: {where} mentions the contact details of {owner}, which are withheld "
        "from this recipient"
        + (f" or from {via}, through whom it goes" if via else "")
        + " (spec §4 rule 4)"
    )

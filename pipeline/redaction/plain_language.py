"""Free text → plain words for family-facing documents: acronyms written out from the profile's
glossary, and ISO dates written out as the letters write dates.

003 §2 asks for reports "free of jargon and without acronyms or abbreviation"; R79 for every
family document: "dates written out, never ISO". The glossary is profile data, so
an authority adds its own acronyms there. Professional views get `PlainWords.none()`: their words
are printed as written.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from pipeline.procedure.profile_types import Profile
from pipeline.redaction.facts import Term

# A date as the export writes it (2027-01-15), standing alone: not part of a longer number or code
# ("REF-2027-01-15-3" is a reference, not a date).
_ISO_DATE = re.compile(r"(?<![\w-])(\d{4})-(\d{2})-(\d{2})(?![\w-])")


def written_out(day: date) -> str:
    """A day as every letter writes it (templates/_words.html `day`): Friday 15 January 2027."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def _date_words(match: re.Match[str]) -> str:
    try:
        day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return match.group(0)  # not a real day (2026-02-30): left as written, not guessed at
    return written_out(day)


@dataclass(frozen=True)
class PlainWords:
    """Writes out each glossary acronym where it stands as a whole word (case as written), and
    each valid ISO date."""

    pattern: re.Pattern[str] | None
    glossary: Mapping[str, str]
    dates: bool = True
    # The profile's [terms], explained in the family copies that use them (`pipeline.redaction.terms`).
    terms: tuple[Term, ...] = ()

    @classmethod
    def from_profile(cls, profile: Profile) -> PlainWords:
        """The profile's glossary and terms: how its family copies are written."""
        terms = tuple(Term(t, s.value, s.source) for t, s in profile.terms.items())
        return dataclasses.replace(cls.from_glossary(profile.glossary), terms=terms)

    @classmethod
    def from_glossary(cls, glossary: Mapping[str, str]) -> PlainWords:
        if not glossary:
            return cls(None, {})
        # Longest first, so that an acronym inside a longer one is not replaced first.
        alternatives = "|".join(re.escape(k) for k in sorted(glossary, key=len, reverse=True))
        return cls(re.compile(rf"(?<![\w&])({alternatives})(?![\w&])"), dict(glossary))

    @classmethod
    def none(cls) -> PlainWords:
        return cls(None, {}, dates=False)

    def plain(self, text: str) -> str:
        if self.dates:
            text = _ISO_DATE.sub(_date_words, text)
        if self.pattern is None:
            return text
        return self.pattern.sub(lambda m: self.glossary[m.group(1)], text)

"""Free text → plain words for family-facing documents: acronyms written out from the profile's glossary.

003 §2 asks for reports "free of jargon and without acronyms or abbreviation"; R79 for every
family document. The glossary is profile data, so an authority adds its own acronyms there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class PlainWords:
    """Writes out each glossary acronym where it stands as a whole word (case as written)."""

    pattern: re.Pattern[str] | None
    glossary: Mapping[str, str]

    @classmethod
    def from_glossary(cls, glossary: Mapping[str, str]) -> PlainWords:
        if not glossary:
            return cls.none()
        # Longest first, so that an acronym inside a longer one is not replaced first.
        alternatives = "|".join(re.escape(k) for k in sorted(glossary, key=len, reverse=True))
        return cls(re.compile(rf"(?<![\w&])({alternatives})(?![\w&])"), dict(glossary))

    @classmethod
    def none(cls) -> PlainWords:
        return cls(None, {})

    def plain(self, text: str) -> str:
        if self.pattern is None:
            return text
        return self.pattern.sub(lambda m: self.glossary[m.group(1)], text)

"""What a reader's language asks of one copy: the value the plan carries (`planning.languages` decides it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ReaderLanguage:
    """`language`: the reader's code as the export gives it. `english`, `own`: the help line in
    English and, where the profile supplies it, in theirs; both None on a bilingual letter.
    `template_language`: "cy" for a bilingual Welsh letter. `translation`: a task is owed."""

    language: str
    english: str | None
    own: str | None
    template_language: str | None
    translation: bool
    source: str

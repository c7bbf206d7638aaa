"""A planned copy's reader language → what its view carries: the language-help line and the
template language of a bilingual letter (000 §4.14.9; 002 §22.15; R81, R82).

The plan decided both (`pipeline.planning.languages`); the view only carries them, so readers of
one language share one view and one layout, and a reader of another gets their own.
"""

from __future__ import annotations

from pipeline.planning.plan import PlannedCopy
from pipeline.redaction.facts import LanguageHelp


def language_help(copy: PlannedCopy) -> LanguageHelp | None:
    """The line near the top, in English and, where the profile gives it, the reader's language."""
    need = copy.language
    if need is None or need.english is None:
        return None
    return LanguageHelp(need.language, need.english, need.own)


def template_language(copy: PlannedCopy) -> str | None:
    """ "cy" for a Welsh speaker's bilingual letter (the Welsh template exists for it)."""
    return copy.language.template_language if copy.language is not None else None

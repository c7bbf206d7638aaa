"""Who may see a piece of content: a Viewer against the chair's visibility decisions (spec §4 rules 1-3, 5).

Pure and shared: the distribution plan uses it to find the free text that reaches each recipient,
and the redaction stage builds each recipient's view with it, so both read the rules the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from pipeline.contract.export import Section, Visibility

Audience = Literal["professional", "family"]


@dataclass(frozen=True, slots=True)
class Viewer:
    """Whose eyes a copy is for.

    `audience` family covers parents, carers, family members, children, supporters and anyone with a
    copy on their behalf (rule 1). `persons` is the recipient and whoever they hold the copy for:
    content withheld from any of them is withheld from the copy (rules 2 and 5). `present_for` is
    set only for a record limited to the agenda items the person attended (rule 3).
    """

    audience: Audience
    persons: frozenset[str]
    present_for: frozenset[str] | None = None

    def may_see(self, visibility: Visibility | None) -> bool:
        if visibility is None:
            return True
        # 000 §4.14.5, 002 §12.8: the chair's confidential material stays out of family-side copies.
        if visibility.confidential and self.audience == "family":
            return False
        return not (self.persons & frozenset(visibility.withheld_from))

    def may_see_section(self, section: Section) -> bool:
        # 000 §4.5.10, 002 §12.14: only sections of agenda items attended; an untagged section
        # cannot be shown to have been attended, so it is left out too (spec §4 rule 3).
        if self.present_for is not None and section.agenda_item not in self.present_for:
            return False
        return self.may_see(section.visibility)

    def may_see_agenda_title(self, item: str, sections: Iterable[Section]) -> bool:
        """An agenda title in the record names what its sections hold, so it is shown only where
        every section recorded under it is shown (spec §4 rule 6: no heading of withheld content)."""
        if self.present_for is not None and item not in self.present_for:
            return False
        return all(self.may_see_section(s) for s in sections if s.agenda_item == item)

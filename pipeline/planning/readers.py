"""Who reads a copy, and what each reader may see: a Viewer against the chair's visibility decisions (spec §4 rules 1-5).

Pure and shared: the distribution plan uses it to find the free text that reaches each copy's
readers, the redaction stage builds each view with it, and the leak check lists what is withheld
with it, so every stage reads the rules the same way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, Protocol

from pipeline.contract.amendment import Amendment, Change
from pipeline.contract.export import Export, Person, Section, Visibility

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


class RoutedCopy(Protocol):
    """What `readers_of` needs of a planned copy: whose copy it is and whom it passes through."""

    @property
    def viewer(self) -> Viewer: ...

    @property
    def via(self) -> str | None: ...


def readers_of(copy: RoutedCopy) -> Viewer:
    """Everyone whose eyes a copy reaches: the recipient, whom they act for, and the social worker
    it passes through (R32). What is withheld from any of them is withheld from the copy (spec §4
    rules 2, 4): the plan, the view, the withheld-strings list and the render-time guard all ask
    this one question."""
    if copy.via is None or copy.via in copy.viewer.persons:
        return copy.viewer
    return dataclasses.replace(copy.viewer, persons=copy.viewer.persons | {copy.via})


def contacts_withheld_from(export: Export, readers: Iterable[str]) -> tuple[Person, ...]:
    """The people whose address and e-mail are withheld from any of `readers`, in export order
    (spec §4 rule 4: their `address_withheld_from`)."""
    return export.withholding_contacts_from(readers)


def changes_held(
    export: Export, viewer: Viewer, amendment: Amendment
) -> tuple[tuple[int, Change, Section], ...]:
    """Each change of `amendment` (with its place in the amendment) to a section the reader's copy
    of the record holds; the rest are not named to them (spec §5: nobody learns of a section they
    could not see)."""
    sections = {s.id: s for s in export.record.sections} if export.record is not None else {}
    held = []
    for i, change in enumerate(amendment.changes):
        section = sections.get(change.section)
        if section is not None and viewer.may_see_section(section):
            held.append((i, change, section))
    return tuple(held)


def withheld_persons(export: Export) -> frozenset[str]:
    """Everyone the chair withheld any section, report or action from (spec §4 rule 2): a copy
    passing through anyone else can carry nothing past them."""
    named: set[str] = set()
    if export.record is not None:
        for section in export.record.sections:
            named.update(section.visibility.withheld_from if section.visibility else ())
        for report in export.record.appended_reports:
            named.update(report.visibility.withheld_from if report.visibility else ())
    if export.plan is not None:
        for child_plan in export.plan.children:
            for outcome in child_plan.outcomes:
                for action in outcome.actions:
                    named.update(action.visibility.withheld_from if action.visibility else ())
    for conference_report in export.conference_reports():
        visibility = conference_report.visibility
        named.update(visibility.withheld_from if visibility else ())
        for report_section in conference_report.sections:
            visibility = report_section.visibility
            named.update(visibility.withheld_from if visibility else ())
    return frozenset(named)


def route_reason(where: str, via: str) -> str:
    """Why a copy is held for content its recipient may see and the social worker it passes
    through may not: names the field and who, never the text (spec §4 rules 2, 4)."""
    return (
        f"held for the chair: content withheld from a reader on the copy's route: {where} is "
        f"withheld from {via}, through whom it goes (spec §4 rules 2, 4; R32)"
    )

"""What every cross-field check shares: the list issues are added to, and the export's UK date."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from pipeline.contract.export import Export
from pipeline.errors import FieldIssue

UK = ZoneInfo("Europe/London")
FAMILY_ROLES = frozenset({"parent", "carer", "family_member"})


def export_date(export: Export) -> date:
    """The UK calendar date on which the export was made."""
    return export.exported_at.astimezone(UK).date()


@dataclass
class Issues:
    """Every problem found so far: each check appends, so an administrator sees them all at once."""

    found: list[FieldIssue] = field(default_factory=list)

    def add(self, path: str, message: str) -> None:
        self.found.append(FieldIssue(path, message))


def role_of(export: Export, person_id: str) -> str | None:
    """The role of the person `person_id` names, or None for a dangling reference."""
    try:
        return export.person(person_id).role
    except KeyError:
        return None  # a dangling reference, reported by the reference check

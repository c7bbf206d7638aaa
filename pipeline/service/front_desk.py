"""The store on a given day → the front desk's dashboard: what needs a person today, most urgent first, in names and words.

What is overdue, due, held, waiting and open is `service.status_report`'s to work out (the same
as `cpc status`, over the same rows); here each of its lines becomes an item a person can read:
the conference and its family, the recipient by name and role, the document in words, the due
date, who is to act, and the url of the copy's page. The conference's and the copy's pages are
`front_desk_stories`' (re-exported here, as the web imports them from here).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from pipeline.contract.export import Export
from pipeline.procedure.profile import Profile
from pipeline.service.front_desk_items import (
    ADMINISTRATOR,
    ADMINISTRATOR_WORDS,
    DashboardItems,
    Item,
    Kind,
)
from pipeline.service.front_desk_reading import Readings, read_all
from pipeline.service.front_desk_stories import (
    ConferenceStory,
    CopyStory,
    conference_story,
    copy_story,
)
from pipeline.service.ingest import quarantined_files
from pipeline.service.status_report import status_report
from pipeline.store.db import Store

__all__ = [
    "ConferenceStory",
    "CopyStory",
    "Dashboard",
    "Item",
    "Section",
    "conference_story",
    "copy_story",
    "dashboard",
]

# Most urgent first: what failed, then by due date, then what waits on a person's decision.
SECTIONS: tuple[tuple[Kind, str], ...] = (
    ("failed", "Failed deliveries"),
    ("not_planned", "Conferences that cannot be planned"),
    ("overdue", "Overdue copies"),
    ("due_today", "Copies due today"),
    ("due_tomorrow", "Copies due tomorrow"),
    ("held", "Held copies waiting for the chair"),
    ("with_social_worker", "Copies with a social worker, not yet handed over"),
    ("task", "Open tasks"),
    ("amendment", "Amendments waiting for the chair"),
    ("quarantined", "Quarantined files"),
    ("check", "Timeliness checks not met"),
)
LATE_DAYS = 14  # as `cpc status`: conferences whose copies went late in this many days


@dataclass(frozen=True, slots=True)
class Section:
    kind: Kind
    title: str
    items: tuple[Item, ...]


@dataclass(frozen=True, slots=True)
class Dashboard:
    today: date
    sections: tuple[Section, ...]

    @property
    def counts(self) -> tuple[tuple[str, int], ...]:
        """(section title, how many) for the top of the page, in the sections' order."""
        return tuple((s.title, len(s.items)) for s in self.sections)

    def section(self, kind: Kind) -> Section:
        return next(s for s in self.sections if s.kind == kind)

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(item for s in self.sections for item in s.items)


def dashboard(
    store: Store,
    profiles: dict[str, Profile],
    *,
    today: date,
    conference: str | None = None,
    person: str | None = None,
    due_by: date | None = None,
    quarantine: Path | None = None,
    may_see: Callable[[Export | None], bool] | None = None,
) -> Dashboard:
    """The dashboard on `today`, of the conferences `cpc status` is about.

    Filters: `conference` (its id); `person` responsible (a person id or name, or
    "administrator": the chair for held copies and amendments, the social worker for hand-overs,
    a task's owner, an administrator for failures, quarantined files and copies still to go);
    `due_by`: only items due on or before that day (items without a due date are left out).
    `quarantine`: the quarantine folder, whose files are listed with their reasons.
    `may_see`: whether a conference's items are shown, given its export (None: one that cannot
    be read now); every conference's if not given."""
    rows = store.status_rows(late_since=today - timedelta(days=LATE_DAYS))
    readings = read_all(store, profiles, rows.exports)
    report = status_report(
        today,
        rows.copies,
        rows.tasks,
        rows.deliveries,
        rows.conferences,
        quarantined_files(quarantine) if quarantine is not None else [],
        rows.amendments,
        readings.not_made,
        names=readings.names,
        unreadable=readings.unreadable,
    )
    copies = {(r.conference_id, r.copy_key): r for r in rows.copies if r.in_plan}
    items = DashboardItems(readings.conferences, copies)
    sections = tuple(
        Section(
            kind,
            title,
            tuple(
                i
                for i in items.of(kind, report)
                if _kept(i, conference, person, due_by) and _seen(i, readings, may_see)
            ),
        )
        for kind, title in SECTIONS
    )
    return Dashboard(today, sections)


def _seen(
    item: Item, readings: Readings, may_see: Callable[[Export | None], bool] | None
) -> bool:
    if may_see is None or item.conference is None:
        return True
    read = readings.conferences.get(item.conference)
    return may_see(read.export if read is not None else None)


def _kept(item: Item, conference: str | None, person: str | None, due_by: date | None) -> bool:
    if conference is not None and item.conference != conference:
        return False
    if due_by is not None and (item.due is None or item.due > due_by):
        return False
    if person is not None:
        wanted = person.strip().casefold()
        if item.responsible_id is None:
            return item.responsible == ADMINISTRATOR and wanted in ADMINISTRATOR_WORDS
        named = (item.responsible_id, item.responsible_name or "")
        return wanted in (n.casefold() for n in named)
    return True

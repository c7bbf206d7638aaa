"""The store's open conferences on a day → their reports as the web desk shows them: names and the status's words, for the conferences the account may see (R41, R42, R50).

The states and their words are `service.report_status`'s, so the desk and `cpc status` never
say a report's state differently; the people are named as the rest of the desk names them
(`service.front_desk_words`). A conference whose export cannot be read now is left out here:
the dashboard lists it as not planned.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from pipeline.contract.export import Export
from pipeline.procedure.profile import Profile
from pipeline.service.front_desk_words import conference_url, people_of, person_words
from pipeline.service.report_status import ReportLine, stored_conference_reports
from pipeline.store.db import Store


@dataclass(frozen=True, slots=True)
class ReaderWords:
    """One family reader's copy of one report, in words."""

    reader: str  # "Mark Whitfield (father)"
    state: str  # "shared on 8 December 2026", "not yet shared (late)"
    not_shared: bool


@dataclass(frozen=True, slots=True)
class ReportWords:
    """One report as a row of the desk."""

    conference: str
    conference_url: str
    report: str
    title: str
    agency: str
    author: str
    due_to_chair: date
    due_to_family: date
    state: str  # "received late"
    late: bool
    family: tuple[ReaderWords, ...]

    @property
    def not_shared(self) -> tuple[ReaderWords, ...]:
        return tuple(f for f in self.family if f.not_shared)


@dataclass(frozen=True, slots=True)
class DeskReports:
    """The reports of the conferences shown: the late ones, and each reader not yet given one."""

    reports: tuple[ReportWords, ...]

    @property
    def late(self) -> tuple[ReportWords, ...]:
        return tuple(r for r in self.reports if r.late)

    @property
    def not_shared(self) -> tuple[tuple[ReportWords, ReaderWords], ...]:
        return tuple((r, f) for r in self.reports for f in r.not_shared)

    @property
    def to_act_on(self) -> int:
        """How many lines the dashboard lists: reports late, and readers not yet given one."""
        return len(self.late) + len(self.not_shared)


def desk_reports(
    store: Store,
    profiles: Mapping[str, Profile],
    *,
    today: date,
    may_see: Callable[[Export], bool],
    conference: str | None = None,
) -> DeskReports:
    """The reports of the open conferences (or of `conference` alone, open or not) that
    `may_see` allows, in conference and then export order."""
    wanted = {conference} if conference is not None else set(store.open_conference_ids())
    reports: list[ReportWords] = []
    for stored in store.current_exports(conference):
        if stored.conference_id not in wanted:
            continue
        read = stored_conference_reports(
            stored, profiles, store.deliveries(stored.conference_id), today, store.export_raw
        )
        if read is None or not may_see(read[0]):
            continue
        export, lines = read
        reports += (_words(line, export) for line in lines)
    return DeskReports(tuple(reports))


def _words(line: ReportLine, export: Export) -> ReportWords:
    people = people_of(export)
    not_shared = {f.person for f in line.not_shared()}
    return ReportWords(
        conference=line.conference,
        conference_url=conference_url(line.conference),
        report=line.report,
        title=line.title,
        agency=line.agency,
        author=person_words(people, line.author) or "",
        due_to_chair=line.due_to_chair,
        due_to_family=line.due_to_family,
        state=line.state_words,
        late=line.late,
        family=tuple(
            ReaderWords(person_words(people, f.person) or "", f.words, f.person in not_shared)
            for f in line.family
        ),
    )

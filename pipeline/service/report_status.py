"""Each open conference's stored export, its profile and calendar, its deliveries and a day → every report's state with the chair and with each family reader (R41, R42, R50).

Pure once the exports are read: `cpc status` and the web desk both ask here, and print the
same words (`CHAIR_WORDS`, `FAMILY_WORDS`, `SECTION_TITLES`). Every deadline is
`planning.reports`' (000 §4.7.7-4.7.9; 002 §15-16), never worked out again here. A family
reader's copy of a report is, in this order: shared (the export says when: `shared_with`),
sent (their report pack, which holds it, was delivered by the service), or not yet shared
(due, or late once the profile's sharing deadline has passed).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from pipeline.contract.export import Export
from pipeline.contract.load import load_export
from pipeline.errors import CpcError
from pipeline.planning.reports import ReportDue, ReportState, report_deadlines
from pipeline.procedure.calendar import WorkingCalendar
from pipeline.procedure.profile import Profile
from pipeline.store.rows import StoredDelivery, StoredExport

FamilyState = Literal["shared", "shared_late", "sent", "sent_late", "due", "late"]
NOT_YET_SHARED: frozenset[FamilyState] = frozenset({"due", "late"})
LATE_WITH_CHAIR: frozenset[ReportState] = frozenset({"late", "received_late"})

# The words both the terminal and the desk print, so the two never say it differently.
CHAIR_WORDS: Mapping[ReportState, str] = {
    "due": "due",
    "late": "late",
    "received": "received",
    "received_late": "received late",
}
FAMILY_WORDS: Mapping[FamilyState, str] = {
    "shared": "shared",
    "shared_late": "shared late",
    "sent": "sent",
    "sent_late": "sent late",
    "due": "not yet shared (due)",
    "late": "not yet shared (late)",
}
SECTION_TITLES = {
    "late": "Reports late to the chair",
    "due": "Reports due to the chair",
    "not_shared": "Reports not yet shared with the family",
}
Names = Callable[[str, str], str | None]  # (conference, person id) → the person in words


@dataclass(frozen=True, slots=True)
class FamilyLine:
    """One family reader's copy of one report: its state, and the day it was shared or sent."""

    person: str
    state: FamilyState
    on: date | None

    @property
    def words(self) -> str:
        said = FAMILY_WORDS[self.state]
        return f"{said} on {self.on:%-d %B %Y}" if self.on is not None else said


@dataclass(frozen=True, slots=True)
class ReportLine:
    """One report of one conference, as the chair and the family have it on the day asked."""

    conference: str
    report: str
    title: str
    agency: str
    author: str
    due_to_chair: date
    state: ReportState
    due_to_family: date
    family: tuple[FamilyLine, ...]

    @property
    def state_words(self) -> str:
        return CHAIR_WORDS[self.state]

    @property
    def late(self) -> bool:
        return self.state in LATE_WITH_CHAIR

    def not_shared(self) -> tuple[FamilyLine, ...]:
        return tuple(f for f in self.family if f.state in NOT_YET_SHARED)

    def to_json(self, names: Names) -> dict[str, Any]:
        return {
            "conference": self.conference,
            "report": self.report,
            "title": self.title,
            "agency": self.agency,
            "author": self.author,
            "author_name": names(self.conference, self.author),
            "due_to_chair": self.due_to_chair.isoformat(),
            "state": self.state_words,
            "due_to_family": self.due_to_family.isoformat(),
            "family": [
                {
                    "person": f.person,
                    "name": names(self.conference, f.person),
                    "state": FAMILY_WORDS[f.state],
                    "on": f.on.isoformat() if f.on is not None else None,
                }
                for f in self.family
            ],
        }


def report_lines(
    conference_id: str,
    export: Export,
    profile: Profile,
    calendar: WorkingCalendar,
    deliveries: Sequence[StoredDelivery],
    today: date,
) -> tuple[ReportLine, ...]:
    """The conference's reports in export order (none for cpc-export/1). `deliveries`: the
    conference's, any state (only a sent report pack counts)."""
    sent = _packs_sent(conference_id, deliveries)
    dues = report_deadlines(export, profile, calendar)
    return tuple(_line(conference_id, due, sent, today) for due in dues)


def _line(conference_id: str, due: ReportDue, sent: Mapping[str, date], today: date) -> ReportLine:
    report = due.report
    family = []
    for copy in due.family:
        state: FamilyState
        on = copy.shared_on
        if on is None and copy.person in sent:
            # Their report pack holds every report that had reached the chair
            # (planning.reports.reports_for_reader), this one among them.
            on = sent[copy.person]
            state = "sent" if on <= due.to_family.on else "sent_late"
        else:
            state = due.share_state(copy, today)
        family.append(FamilyLine(copy.person, state, on))
    return ReportLine(
        conference=conference_id,
        report=report.id,
        title=report.title,
        agency=report.agency,
        author=report.author,
        due_to_chair=due.to_chair.on,
        state=due.chair_state(today),
        due_to_family=due.to_family.on,
        family=tuple(family),
    )


def _packs_sent(conference_id: str, deliveries: Sequence[StoredDelivery]) -> dict[str, date]:
    """Each family reader's first report pack sent: the day it left the service."""
    first: dict[str, date] = {}
    for d in deliveries:
        if (
            d.conference_id == conference_id
            and d.document == "report_pack"
            and d.state == "sent"
            and d.sent_on is not None
        ):
            first[d.recipient] = min(d.sent_on, first.get(d.recipient, d.sent_on))
    return first


def stored_report_lines(
    exports: Sequence[StoredExport],
    deliveries: Sequence[StoredDelivery],
    profiles: Mapping[str, Profile],
    today: date,
) -> tuple[ReportLine, ...]:
    """Every report of the conferences of `exports` (their current stored revisions), read
    as the service reads them (`service.conference.read_conference_copies`). One that cannot
    be read now is left out: the status and the desk say so where they list it."""
    lines: list[ReportLine] = []
    for stored in exports:
        try:
            export = load_export(stored.raw, profiles.keys())
        except CpcError:
            continue
        if not export.conference_reports():
            continue
        profile = profiles[export.authority.procedure_profile or "default"]
        calendar = profile.working_calendar(export.authority.nation)
        lines += report_lines(
            stored.conference_id,
            export,
            profile,
            calendar,
            [d for d in deliveries if d.conference_id == stored.conference_id],
            today,
        )
    return tuple(lines)


def report_sections(lines: Sequence[ReportLine], names: Names) -> dict[str, list[dict[str, Any]]]:
    """The "Reports" section of `cpc status`: reports late to the chair (not yet received, or
    received after their deadline), reports due to the chair, and each family reader not yet
    given a report, one row each; and every report with each reader's copy (its JSON only)."""
    return {
        "every_report": [line.to_json(names) for line in lines],
        "late": [line.to_json(names) for line in lines if line.late],
        "due": [line.to_json(names) for line in lines if line.state == "due"],
        "not_shared": [
            {
                "conference": line.conference,
                "report": line.report,
                "title": line.title,
                "reader": f.person,
                "reader_name": names(line.conference, f.person),
                "due_to_family": line.due_to_family.isoformat(),
                "state": FAMILY_WORDS[f.state],
            }
            for line in lines
            for f in line.not_shared()
        ],
    }

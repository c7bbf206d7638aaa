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
from pipeline.planning.reports import ReportDue, ReportState, report_deadlines, reports_for_reader
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
Earlier = Callable[[int], Export | None]  # an earlier revision of the conference's export


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
    *,
    revision: int | None = None,
    earlier: Earlier = lambda _revision: None,
) -> tuple[ReportLine, ...]:
    """The conference's reports in export order (none for cpc-export/1). `deliveries`: the
    conference's, any state (only a sent report pack counts). `revision`: the export's; a pack
    sent of another revision counts for the reports that revision's pack held, read with
    `earlier` (None: one that cannot be read, which counts for none)."""
    sent = _packs_sent(conference_id, export, deliveries, revision, earlier)
    dues = report_deadlines(export, profile, calendar)
    return tuple(_line(conference_id, due, sent, today) for due in dues)


def _line(
    conference_id: str, due: ReportDue, sent: Mapping[tuple[str, str], date], today: date
) -> ReportLine:
    report = due.report
    family = []
    for copy in due.family:
        state: FamilyState
        on = copy.shared_on
        if on is None and (copy.person, report.id) in sent:
            on = sent[(copy.person, report.id)]
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


def _packs_sent(
    conference_id: str,
    export: Export,
    deliveries: Sequence[StoredDelivery],
    revision: int | None,
    earlier: Earlier,
) -> dict[tuple[str, str], date]:
    """(reader, report) → the day the first report pack holding that report left the service
    for them. A pack holds the reports that had reached the chair in its own revision
    (planning.reports.reports_for_reader): a pack sent before a report arrived does not
    count for it, or a parent would be shown to have a report they never had."""
    first: dict[tuple[str, str], date] = {}
    for d in deliveries:
        if not (
            d.conference_id == conference_id
            and d.document == "report_pack"
            and d.state == "sent"
            and d.sent_on is not None
        ):
            continue
        then = export if revision is None or d.revision == revision else earlier(d.revision)
        reader = next((p for p in then.people if p.id == d.recipient), None) if then else None
        if then is None or reader is None:
            continue
        for report in reports_for_reader(then, reader):
            key = (d.recipient, report.id)
            first[key] = min(d.sent_on, first.get(key, d.sent_on))
    return first


def stored_report_lines(
    exports: Sequence[StoredExport],
    deliveries: Sequence[StoredDelivery],
    profiles: Mapping[str, Profile],
    today: date,
    earlier_raw: Callable[[str, int], bytes] | None = None,
) -> tuple[ReportLine, ...]:
    """Every report of the conferences of `exports` (their current stored revisions), read
    as the service reads them (`service.conference.read_conference_copies`). One that cannot
    be read now is left out: the status and the desk say so where they list it.
    `earlier_raw(conference, revision)`: an earlier revision's stored bytes (the store's
    `export_raw`), for a pack sent of it; without it such a pack counts for no report."""
    lines: list[ReportLine] = []
    for stored in exports:
        read = stored_conference_reports(
            stored,
            profiles,
            [d for d in deliveries if d.conference_id == stored.conference_id],
            today,
            earlier_raw,
        )
        if read is not None:
            lines += read[1]
    return tuple(lines)


def stored_conference_reports(
    stored: StoredExport,
    profiles: Mapping[str, Profile],
    deliveries: Sequence[StoredDelivery],
    today: date,
    earlier_raw: Callable[[str, int], bytes] | None = None,
) -> tuple[Export, tuple[ReportLine, ...]] | None:
    """One stored export, read as the service reads it, and its reports' lines; None if it
    cannot be read now or holds no report (cpc-export/1). `deliveries`: the conference's."""
    try:
        export = load_export(stored.raw, profiles.keys())
    except CpcError:
        return None
    if not export.conference_reports():
        return None
    profile = profiles[export.authority.procedure_profile or "default"]
    calendar = profile.working_calendar(export.authority.nation)
    lines = report_lines(
        stored.conference_id,
        export,
        profile,
        calendar,
        deliveries,
        today,
        revision=stored.revision,
        earlier=earlier_export(stored.conference_id, profiles, earlier_raw),
    )
    return export, lines


def earlier_export(
    conference_id: str,
    profiles: Mapping[str, Profile],
    raw: Callable[[str, int], bytes] | None,
) -> Earlier:
    """An earlier revision of one conference's export, read from its stored bytes; None if
    it cannot be read (a pack of it then counts for no report)."""

    def read(revision: int) -> Export | None:
        if raw is None:
            return None
        try:
            return load_export(raw(conference_id, revision), profiles.keys())
        except CpcError:
            return None

    return read


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

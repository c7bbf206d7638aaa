"""An Export's reports, its Profile and a WorkingCalendar → each report's deadlines, who in the family reads it, and what the record appends (R19, R41, R42, R50).

Pure. The one place these questions are answered: the plan's report pack copies, checks and
tasks, the views of the pack and the record, and `cpc status` all ask here.

- Each report reaches the chair a profile period before the conference (000 §4.7.8-4.7.9;
  002 §15.7, §16.8), the social worker's countersigned where the profile asks (002 §15.1).
- Each parent and carer the conference invites is given every report a period before it (000
  §4.7.7; 002 §15.4, §16.7), in one report pack; a parent excluded from the whole conference is
  given the social worker's report (000 §4.5.10; 002 §12.8).
- After the conference the social worker's report travels with the record, any other only with
  its author's permission (002 §22.2, §22.5).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Literal

from pipeline.contract.export import Export, Person
from pipeline.contract.export_v2 import Report
from pipeline.planning.readers import Viewer
from pipeline.procedure.calendar import WorkingCalendar, hours_after_uk, uk_date
from pipeline.procedure.profile import Period, Profile

ReportState = Literal["received", "received_late", "due", "late"]
ShareState = Literal["shared", "shared_late", "due", "late"]
PARENT_ROLES = frozenset({"parent", "carer"})
SOCIAL_WORK = "social_work_assessment"


@dataclass(frozen=True, slots=True)
class Deadline:
    """A day something is due by, and the profile value it comes from."""

    on: date
    period: Period
    source: str

    def words(self) -> str:
        return f"{self.period} before the conference ({self.on:%a} {self.on.isoformat()})"


@dataclass(frozen=True, slots=True)
class FamilyCopy:
    """One family reader of one report: whom, and the day it was shared with them, if it was."""

    person: str
    shared_on: date | None


@dataclass(frozen=True, slots=True)
class ReportDue:
    """One report's deadlines and how far it has got, as the export tells it."""

    report: Report
    to_chair: Deadline
    countersign: Deadline | None  # None: the profile asks no countersignature of this report
    to_family: Deadline
    family: tuple[FamilyCopy, ...]

    def chair_state(self, as_of: date) -> ReportState:
        submitted = self.report.submitted_on
        if submitted is not None:
            return "received" if submitted <= self.to_chair.on else "received_late"
        return "late" if as_of > self.to_chair.on else "due"

    def share_state(self, copy: FamilyCopy, as_of: date) -> ShareState:
        if copy.shared_on is not None:
            return "shared" if copy.shared_on <= self.to_family.on else "shared_late"
        return "late" if as_of > self.to_family.on else "due"


def stage_word(export: Export) -> Literal["initial", "review"]:
    """Pre-birth and transfer-in conferences are initial conferences (000 §4.1.16, §4.1.18)."""
    return "review" if export.conference.kind == "review" else "initial"


def report_deadlines(
    export: Export, profile: Profile, calendar: WorkingCalendar
) -> tuple[ReportDue, ...]:
    """Every report of the export with its deadlines, in export order (none for cpc-export/1)."""
    reports = export.conference_reports()
    if not reports:
        return ()
    stage = stage_word(export)
    to_family = _deadline(export, profile, calendar, f"to_family_{stage}")
    assert to_family is not None  # the registry allows no "none" for it
    readers = pack_readers(export)
    dues = []
    for report in reports:
        author = "social_worker" if report.kind == SOCIAL_WORK else "agency"
        to_chair = _deadline(export, profile, calendar, f"{author}_to_chair_{stage}")
        assert to_chair is not None
        countersign = (
            _deadline(export, profile, calendar, "countersigned_before")
            if report.kind == SOCIAL_WORK
            else None
        )
        shared = {s.person: s.shared_on for s in report.shared_with}
        # A report the chair withholds whole from a reader (confidential, or withheld from
        # them: spec §4 rules 1, 2; 000 §4.14.5) is not theirs to be given: it is never due
        # to them, or the plan and the desk would ask for it to be shared.
        family = tuple(
            FamilyCopy(person.id, shared.get(person.id))
            for person in readers
            if report in reports_for_reader(export, person)
            and Viewer("family", frozenset({person.id})).may_see(report.visibility)
        )
        dues.append(ReportDue(report, to_chair, countersign, to_family, family))
    return tuple(dues)


def family_deadline(export: Export, profile: Profile, calendar: WorkingCalendar) -> Deadline:
    """The day the family's report pack is due (000 §4.7.7; 002 §15.4)."""
    deadline = _deadline(export, profile, calendar, f"to_family_{stage_word(export)}")
    assert deadline is not None
    return deadline


def _deadline(
    export: Export, profile: Profile, calendar: WorkingCalendar, key: str
) -> Deadline | None:
    value = profile.report_period(key)
    if value.value is None:
        return None
    c = export.conference
    period = value.value
    if period.unit == "hours":
        # "48 hours before conference" (002 §15.1): from its start, or its day's start if no
        # time is given (the earliest it can be).
        start = time.fromisoformat(c.start_time) if c.start_time else None
        moment: datetime = hours_after_uk(c.date, start, -period.amount)
        return Deadline(uk_date(moment), period, value.source)
    return Deadline(period.before(c.date, calendar), period, value.source)


def pack_readers(export: Export) -> tuple[Person, ...]:
    """The parents and carers the family's reports go to: everyone with that role or parental
    responsibility whom the conference invites or excluded (000 §4.7.7, §4.5.10; 002 §15.4,
    §12.8), in export order."""
    readers = []
    for person in export.people:
        family = person.role in PARENT_ROLES or (
            person.role == "family_member" and person.parental_responsibility
        )
        exclusion = export.exclusion_of(person.id)
        # 000 §4.5.10; 002 §12.8 (R50): "those excluded" are given the social worker's
        # report, whether or not they hold parental responsibility.
        excluded_whole = (
            person.role == "family_member" and exclusion is not None and exclusion.extent == "whole"
        )
        if not family and not excluded_whole:
            continue
        attendance = export.attendance_of(person.id)
        invited = attendance is not None and attendance.invited
        if invited or exclusion is not None:
            readers.append(person)
    return tuple(readers)


def reports_for_reader(export: Export, person: Person) -> tuple[Report, ...]:
    """The reports in one reader's pack: every report that has reached the chair; for a parent
    excluded from the whole conference, the social worker's only (000 §4.5.10; 002 §12.8)."""
    exclusion = export.exclusion_of(person.id)
    whole = exclusion is not None and exclusion.extent == "whole"
    return tuple(
        r
        for r in export.conference_reports()
        if r.submitted_on is not None and (not whole or r.kind == SOCIAL_WORK)
    )


def left_out_of_pack(export: Export, person: Person) -> int:
    """How many reports that reached the chair are not in this reader's pack (for its marker)."""
    submitted = [r for r in export.conference_reports() if r.submitted_on is not None]
    return len(submitted) - len(reports_for_reader(export, person))


def appended_to_record(export: Export, attended_parts: bool) -> Iterator[Report]:
    """The reports the record carries (002 §22.2, §22.5; R19): the social worker's, and any
    other whose author permits it. A record limited to the parts a person attended carries the
    social worker's report only (000 §4.5.10; 002 §12.8): the others were presented in parts
    the export cannot place."""
    for report in export.conference_reports():
        if report.kind == SOCIAL_WORK or (
            report.author_permits_appending and not attended_parts and _presented(report)
        ):
            yield report


def not_appended(export: Export) -> Iterator[Report]:
    """Reports presented that the record does not carry: their author gave no permission (R19)."""
    for report in export.conference_reports():
        if (
            report.kind != SOCIAL_WORK
            and not report.author_permits_appending
            and _presented(report)
        ):
            yield report


def _presented(report: Report) -> bool:
    """002 §22.2 appends "reports presented at conference": an agency's report that never
    reached the chair was not, and its draft text must not travel with the record."""
    return report.submitted_on is not None

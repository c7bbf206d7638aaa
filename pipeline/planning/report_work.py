"""Each report's deadlines (`planning.reports`) → the family's report packs, the plan's checks (in time to the chair, countersigned, shared with the family) and the tasks they set (R41, R42).

Pure. A check is worked out as of the day the export was made: a report not in by then and past
its deadline is a problem; not in and not yet due is unknown (it may still come). `cpc status`
asks the same questions of today (`ReportDue.chair_state`, `share_state`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date

from pipeline.contract.export import Export
from pipeline.contract.issues import export_date
from pipeline.planning.copy_making import CopyMaker
from pipeline.planning.plan import Check, CheckStatus, PlannedCopy, Task
from pipeline.planning.readers import Viewer
from pipeline.planning.reports import (
    Deadline,
    ReportDue,
    family_deadline,
    pack_readers,
    report_deadlines,
)
from pipeline.procedure.calendar import WorkingCalendar
from pipeline.procedure.profile import Profile

CHAIR_RULE = "R42"
FAMILY_RULE = "R41"
DISCUSS_SOURCE = "000 §4.7.7, §4.7.9; 002 §15.4, §16.7"


def _day(day: date) -> str:
    return f"{day:%a} {day.isoformat()}"


def _named(export: Export, due: ReportDue) -> str:
    report = due.report
    return f"{report.title} ({report.agency}, {export.person(report.author).name})"


def report_checks(export: Export, profile: Profile, calendar: WorkingCalendar) -> Iterator[Check]:
    """Per report: reached the chair in time; countersigned in time (where asked); shared with
    each parent in time. None for a cancelled conference: nothing is due for it."""
    if export.conference.stage == "cancelled":
        return
    as_of = export_date(export)
    for due in report_deadlines(export, profile, calendar):
        yield _to_chair(export, due, as_of)
        if due.countersign is not None:
            yield _countersigned(export, due, due.countersign, as_of)
        if due.family:
            yield _shared(export, due, as_of)


def _to_chair(export: Export, due: ReportDue, as_of: date) -> Check:
    name, deadline = _named(export, due), due.to_chair
    source = f"{CHAIR_RULE}; {deadline.source}"
    state = due.chair_state(as_of)
    submitted = due.report.submitted_on
    if submitted is not None:
        on_time = state == "received"
        detail = f"{name}: reached the chair {_day(submitted)}, " + (
            f"by {deadline.words()}" if on_time else f"late: due {deadline.words()}"
        )
        return Check("report_to_chair", "ok" if on_time else "problem", detail, source)
    if state == "late":
        detail = (
            f"{name}: not received by the chair when the export was made ({_day(as_of)}); "
            f"it was due {deadline.words()}"
        )
        return Check("report_to_chair", "problem", detail, source)
    detail = f"{name}: not received yet; due {deadline.words()}"
    return Check("report_to_chair", "unknown", detail, source)


def _countersigned(export: Export, due: ReportDue, deadline: Deadline, as_of: date) -> Check:
    name = _named(export, due)
    source = f"{CHAIR_RULE}; {deadline.source}"
    signed = due.report.countersigned_on
    if signed is not None:
        ok = signed <= deadline.on
        detail = f"{name}: countersigned {_day(signed)}, " + (
            f"by {deadline.words()}" if ok else f"late: due {deadline.words()}"
        )
        return Check("report_countersigned", "ok" if ok else "problem", detail, source)
    if as_of > deadline.on:
        detail = f"{name}: not countersigned when the export was made; due {deadline.words()}"
        return Check("report_countersigned", "problem", detail, source)
    detail = f"{name}: not countersigned yet; due {deadline.words()}"
    return Check("report_countersigned", "unknown", detail, source)


def _shared(export: Export, due: ReportDue, as_of: date) -> Check:
    name, deadline = _named(export, due), due.to_family
    source = f"{FAMILY_RULE}; {deadline.source}"
    parts: list[str] = []
    states = []
    for copy in due.family:
        state = due.share_state(copy, as_of)
        states.append(state)
        who = export.person(copy.person).name
        if copy.shared_on is not None:
            parts.append(
                f"{who} {_day(copy.shared_on)}{' (late)' if state == 'shared_late' else ''}"
            )
        else:
            parts.append(f"{who} not recorded{' (late)' if state == 'late' else ''}")
    status: CheckStatus = (
        "problem"
        if any(s in ("shared_late", "late") for s in states)
        else "unknown"
        if "due" in states
        else "ok"
    )
    detail = f"{name}: shared with the family by {deadline.words()}: " + "; ".join(parts)
    return Check("report_shared_with_family", status, detail, source)


def report_packs(
    export: Export, profile: Profile, calendar: WorkingCalendar, make: CopyMaker
) -> Iterator[PlannedCopy]:
    """R41, R50; 000 §4.7.7, §4.5.10; 002 §15.4, §12.8: each parent's copy of the reports, in
    their view, by the profile's period before the conference, by their usual route."""
    if not export.conference_reports():
        return
    deadline = family_deadline(export, profile, calendar)
    for person in pack_readers(export):
        yield make.finish(
            person.id,
            "report_pack",
            "family",
            Viewer("family", frozenset({person.id})),
            deadline.on,
            f"R41; {deadline.source}",
            recipient_class="parent",
            subject=person.id,
        )


def report_tasks(
    export: Export,
    profile: Profile,
    calendar: WorkingCalendar,
    copies: Sequence[PlannedCopy],
    social_worker: str | None,
) -> Iterator[Task]:
    """The work the reports need before the conference, each with its owner and due date:
    the author sends a report not yet in (and has the social worker's countersigned, 002
    §15.1); the social worker goes through the family's reports with each parent given a pack,
    so their comments reach the conference (000 §4.7.9; 002 §15.4)."""
    if export.conference.stage != "scheduled":
        return
    chair = export.conference.chair
    for due in report_deadlines(export, profile, calendar):
        report = due.report
        if report.submitted_on is None:
            yield Task(
                "submit_report",
                report.author,
                chair,
                "report",
                due.to_chair.on,
                f"{CHAIR_RULE}; {due.to_chair.source}",
                report=report.id,
            )
        if due.countersign is not None and report.countersigned_on is None:
            yield Task(
                "countersign_report",
                report.author,
                chair,
                "report",
                due.countersign.on,
                f"{CHAIR_RULE}; {due.countersign.source}",
                report=report.id,
            )
    for copy in copies:
        if copy.document == "report_pack":
            yield Task(
                "discuss_report",
                social_worker,
                copy.recipient,
                "report_pack",
                copy.due,
                DISCUSS_SOURCE,
            )

"""Run events, summaries and status reports → what a person at a terminal or a log collector reads.

On a terminal a distribution run shows a progress bar; otherwise (cron, systemd) each event is one
JSON line on stderr, so a log collector can count and alert without parsing prose.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from pipeline.procedure.calendar import UK_TIME
from pipeline.terminal_text import printable

if TYPE_CHECKING:
    # Only the shapes of what is printed: the commands that print them have the service loaded.
    from pipeline.service.history import History
    from pipeline.service.run import Report, RunSummary
    from pipeline.service.status_report import StatusReport


@contextmanager
def run_reporter(stream: TextIO) -> Iterator[Report]:
    if not stream.isatty():

        def log(event: str, fields: dict[str, Any]) -> None:
            line = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "event": event, **fields}
            stream.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")
            stream.flush()

        yield log
        return
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(file=stream),
    )
    task = progress.add_task("delivering", total=None)

    def show(event: str, fields: dict[str, Any]) -> None:
        if event == "chosen":
            progress.update(task, total=(progress.tasks[task].total or 0) + fields["copies"])
        elif event in ("delivered", "held", "failed"):
            progress.advance(task)
        if event == "failed":
            progress.console.print(
                Text.assemble(
                    ("failed ", "red"),
                    printable(f"{fields['conference']} {fields['copy']}: {fields['error']} "),
                    printable(f"({fields.get('retry', '')})"),
                )
            )
        elif event in ("not_planned", "error"):
            # One line on the screen; the traceback of an unexpected fault is in the JSON log.
            progress.console.print(
                Text.assemble(
                    ("not sent ", "red"),
                    printable(f"{fields['conference']}: {fields['error']}"),
                )
            )

    with progress:
        yield show


def print_summary(summary: RunSummary, dry_run: bool) -> None:
    out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    if dry_run:
        table = Table(title=f"Would send ({len(summary.would_send)})")
        for heading in ("conference", "copy", "channel"):
            table.add_column(heading)
        for conference, key, channel in summary.would_send:
            table.add_row(conference, key, channel)
        out.print(table)
    else:
        sent = ", ".join(f"{n} by {channel}" for channel, n in sorted(summary.delivered.items()))
        out.print(f"Delivered: {sum(summary.delivered.values())} ({sent or 'none'})")
        for batch in summary.post_batches:
            out.print(f"Post batch: {batch} (with its list for the post room, .csv)")
    if summary.held:
        held = Table(title=f"Held for the chair ({len(summary.held)})")
        for heading in ("conference", "copy", "reason"):
            held.add_column(heading, overflow="fold")
        for conference, key, reason in summary.held:
            held.add_row(conference, key, Text(reason))
        out.print(held)
    if summary.refused:
        refused = Table(
            title=f"REFUSED ({len(summary.refused)}): not tried again until a corrected export "
            "(a new revision) or the chair's withdrawal"
        )
        for heading in ("conference", "copy", "error"):
            refused.add_column(heading, overflow="fold")
        for conference, key, error in summary.refused:
            refused.add_row(conference, key, Text(printable(error)))
        out.print(refused)
    if summary.failed:
        failed = Table(title=f"FAILED ({len(summary.failed)}): tried again next run")
        for heading in ("conference", "copy", "error"):
            failed.add_column(heading, overflow="fold")
        for conference, key, error in summary.failed:
            failed.add_row(conference, key, Text(printable(error)))
        out.print(failed)
    if summary.not_planned:
        skipped = Table(
            title=f"NOT PLANNED ({len(summary.not_planned)}): nothing of these was sent; "
            "every other conference was"
        )
        for heading in ("conference", "why"):
            skipped.add_column(heading, overflow="fold")
        for conference, why in summary.not_planned:
            skipped.add_row(conference, Text(printable(why)))
        out.print(skipped)
    if summary.late:
        late = Table(title=f"Delivered late ({len(summary.late)})")
        for heading in ("conference", "copy", "working days late"):
            late.add_column(heading)
        for conference, key, days in summary.late:
            late.add_row(conference, key, str(days))
        out.print(late)


# Column headings in words where the field's name is not one (plain words).
HEADINGS = {
    "recipient_name": "recipient",
    "via_name": "via",
    "social_worker_name": "social worker",
    "owner_name": "owner",
    "for_name": "for",
    "requested_by_name": "requested by",
    "late_by_working_days": "working days late",
    "next": "what happens next",
    "failed_at": "failed at",
    "delivered_at": "delivered at",
    "notify_status": "Notify status",
    "author_name": "author",
    "due_to_chair": "due to the chair",
    "due_to_family": "due to the family",
    "reader_name": "family reader",
}


def _table(
    out: Console, title: str, rows: tuple[dict[str, Any], ...], columns: tuple[str, ...]
) -> None:
    if not rows:
        out.print(f"{title}: none")
        return
    table = Table(title=f"{title} ({len(rows)})")
    for column in columns:
        table.add_column(HEADINGS.get(column, column.replace("_", " ")), overflow="fold")
    for row in rows:
        table.add_row(*(Text(plain(row.get(c))) for c in columns))
    out.print(table)


def plain(value: Any) -> str:
    """A value as an administrator reads it: yes/no, not True/False; a time in UK time with its
    zone; nothing for None; control characters escaped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return _uk_time(value)
    if isinstance(value, str) and _looks_like_moment(value):
        return _uk_time(datetime.fromisoformat(value))
    return printable(str(value), keep_newlines=True)


def _looks_like_moment(text: str) -> bool:
    if len(text) < 19 or text[10] != "T":
        return False
    try:
        return datetime.fromisoformat(text).tzinfo is not None
    except ValueError:
        return False


def _uk_time(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UK_TIME).strftime("%Y-%m-%d %H:%M %Z")


def print_status(report: StatusReport) -> None:
    out = Console(highlight=False, width=None if sys.stdout.isatty() else 180)
    out.print(Text(f"Status on {report.today.isoformat()} (store: {report.store})", style="bold"))
    copy_columns = ("conference", "copy", "recipient_name", "due", "status", "via_name", "reason")
    # Failures first: each is something a person may have to act on today.
    _table(
        out,
        "FAILED: not delivered",
        report.failed,
        ("conference", "copy", "recipient_name", "due", "channel", "error", "next", "failed_at"),
    )
    _table(
        out,
        "NOT PLANNED: conferences that cannot be planned or sent (the others are)",
        report.not_planned,
        ("conference", "revision", "why"),
    )
    _table(out, "Overdue: still to go, past their due date", report.overdue, copy_columns)
    _table(
        out,
        f"Delivered late in the last {report.late_days} days",
        report.late,
        (
            "conference",
            "copy",
            "recipient_name",
            "due",
            "sent_on",
            "late_by_working_days",
            "channel",
        ),
    )
    _table(out, "Due today", report.due_today, copy_columns)
    _table(out, "Due tomorrow", report.due_tomorrow, copy_columns)
    _table(
        out,
        "Held: for the chair to decide",
        report.held,
        ("conference", "copy", "recipient_name", "due", "hold", "releasable", "reason"),
    )
    _table(out, "Waiting", report.waiting, copy_columns)
    _table(
        out,
        "With the social worker, not yet handed over",
        report.awaiting_handover,
        ("conference", "copy", "recipient_name", "social_worker_name", "sent_to_social_worker"),
    )
    _table(
        out,
        "Open tasks",
        report.open_tasks,
        ("conference", "task", "owner_name", "for_name", "document", "report", "due", "overdue"),
    )
    _table(
        out,
        "Quarantined files",
        tuple({"file": q.file, "reason": q.reason} for q in report.quarantined),
        ("file", "reason"),
    )
    _table(out, "In the inbox, never taken", report.not_files, ("path", "reason"))
    _table(
        out,
        "Amendments waiting for the chair's decision",
        report.pending_amendments,
        ("conference", "amendment", "requested_by_name", "received_on", "late"),
    )
    _table(
        out, "Amendment notices and letters to send", report.amendment_letters_to_send, copy_columns
    )
    _reports(out, report.reports)
    problems = tuple(c for c in report.checks if c["status"] != "ok")
    _table(
        out,
        "Timeliness checks not met or unknown",
        problems,
        ("conference", "check", "status", "detail"),
    )


def _reports(out: Console, sections: Mapping[str, Sequence[dict[str, Any]]]) -> None:
    """The conferences' reports (000 §4.7.7-4.7.9): late and due to the chair, and each family
    reader not yet given one, in the words the desk uses too (`service.report_status`)."""
    from pipeline.service.report_status import SECTION_TITLES

    out.print(Text("Reports", style="bold"))
    report_columns = ("conference", "title", "agency", "author_name", "due_to_chair", "state")
    for section in ("late", "due"):
        _table(out, SECTION_TITLES[section], tuple(sections.get(section, ())), report_columns)
    _table(
        out,
        SECTION_TITLES["not_shared"],
        tuple(sections.get("not_shared", ())),
        ("conference", "title", "reader_name", "due_to_family", "state"),
    )


def print_history(history: History) -> None:
    out = Console(highlight=False, width=None if sys.stdout.isatty() else 180)
    out.print(Text(f"History of {history.conference} (store: {history.store})", style="bold"))
    _table(out, "Revisions", history.revisions, ("revision", "export_id", "received_at", "source"))
    _table(out, "Versions of the record", history.record_versions, ("version", "made_by", "on"))
    _table(
        out,
        "Amendments",
        history.amendments,
        (
            "amendment",
            "requested_by",
            "received_on",
            "window_ends",
            "late",
            "status",
            "decided_by",
            "decided_on",
            "notices_sent",
            "problem",
        ),
    )
    _table(
        out,
        "Deliveries",
        tuple(d | {"files": "\n".join(d["files"])} for d in history.deliveries),
        (
            "recipient_name",
            "document",
            "edition",
            "state",
            "channel",
            "notify_status",
            "via_name",
            "due",
            "sent_on",
            "delivered_at",
            "late_by_working_days",
            "received_on",
            "error",
            "next",
            "files",
        ),
    )
    _table(
        out,
        "Hand-overs recorded (the latest of a copy is its receipt date)",
        history.handovers,
        ("copy", "on", "recorded_by", "correction", "note", "recorded_at"),
    )
    _table(out, "Checks", history.checks, ("check", "status", "detail"))

"""The `cpc` command: the only place that turns the pipeline's exceptions into messages and exit codes."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy.exc import SQLAlchemyError

from pipeline.calendar import uk_date
from pipeline.cli_output import print_history, print_status, print_summary, run_reporter
from pipeline.compose import Composer
from pipeline.config import Config, load_config
from pipeline.contract import load_document, load_export
from pipeline.copy_state import RELEASABLE
from pipeline.deliver_email import SmtpSettings
from pipeline.distribute import RunSettings, load_conference
from pipeline.distribute import distribute as run_distribution
from pipeline.distribution import plan_distribution
from pipeline.errors import ContractError, CpcError
from pipeline.export_model import Export
from pipeline.history import conference_history
from pipeline.inbox import InboxFolders, IngestOutcome, ingest_file, scan
from pipeline.ingest import StoreSink, quarantined_files
from pipeline.outbox import write_outbox
from pipeline.plan_types import DistributionPlan
from pipeline.process import render_files
from pipeline.profile import Profile, load_profiles
from pipeline.status_report import status_report
from pipeline.store import Store
from pipeline.watcher import watch as run_watcher

app = typer.Typer(
    help="Child protection conference documents: validate exports and plan their distribution.",
    no_args_is_help=True,
    add_completion=False,
)

ProfilesDir = Annotated[
    list[Path] | None,
    typer.Option(
        "--profiles-dir",
        envvar="CPC_PROFILES_DIR",
        help="Folder of an authority's own procedure profiles (NAME.toml), beside the shipped ones.",
        file_okay=False,
    ),
]


def _profiles(dirs: list[Path] | None) -> dict[str, Profile]:
    try:
        return load_profiles(dirs or ())
    except CpcError as exc:
        _fail(str(exc), code=2)


def _fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def profile_for(export: Export, profiles: dict[str, Profile]) -> Profile:
    """The export's named profile (checked to exist when it was validated), else the default."""
    return profiles[export.authority.procedure_profile or "default"]


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Export or amendment files to check.")],
    profiles_dir: ProfilesDir = None,
) -> None:
    """Check files against the contract; exit 0 if all are valid, 1 if any is not."""
    profiles = _profiles(profiles_dir)
    invalid = 0
    for path in files:
        try:
            document = load_document(path.read_bytes(), profiles.keys(), str(path))
        except OSError as exc:
            invalid += 1
            typer.echo(f"{path}: cannot read the file ({exc.strerror})")
            continue
        except ContractError as exc:
            invalid += 1
            typer.echo(f"{path}: INVALID")
            for issue in exc.issues:
                typer.echo(f"  - {issue}")
            if exc.note:
                typer.echo(f"  ({exc.note})")
            continue
        typer.echo(f"{path}: valid ({document.format})")
    raise typer.Exit(1 if invalid else 0)


@app.command()
def plan(
    file: Annotated[Path, typer.Argument(help="A cpc-export/1 file.")],
    output_format: Annotated[
        Literal["table", "json"], typer.Option("--format", help="table or json")
    ] = "table",
    profiles_dir: ProfilesDir = None,
) -> None:
    """Show who receives which document, in which view, by when; and the timeliness checks."""
    profiles = _profiles(profiles_dir)
    try:
        export = load_export(file.read_bytes(), profiles.keys(), str(file))
    except OSError as exc:
        _fail(f"{file}: cannot read the file ({exc.strerror})")
    except ContractError as exc:
        _fail(str(exc))
    profile = profile_for(export, profiles)
    calendar = profile.working_calendar(export.authority.nation)
    result = plan_distribution(export, profile, calendar)
    if output_format == "json":
        sys.stdout.write(json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n")
    else:
        _print_table(result, export)


@app.command()
def process(
    files: Annotated[list[Path], typer.Argument(help="cpc-export/1 files.")],
    outbox: Annotated[
        Path,
        typer.Option(
            "--outbox",
            help="Folder to write the documents into (a preview: not the delivery outbox, whose "
            "folders `cpc distribute` owns).",
            file_okay=False,
        ),
    ] = Path("preview"),
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Processes laying out documents in parallel.")
    ] = 1,
    profiles_dir: ProfilesDir = None,
) -> None:
    """Validate, plan and render every ready copy into OUTBOX/<conference>/<recipient>/, with a manifest."""
    _profiles(profiles_dir)  # a bad profile folder is reported once, before any work
    failed = 0
    for done in render_files(files, tuple(profiles_dir or ()), workers):
        if done.error is not None or done.plan is None:
            failed += 1
            typer.echo(done.error, err=True)
            continue
        try:
            result = write_outbox(outbox, done.plan, done.export_id, done.export_sha, done.rendered)
        except CpcError as exc:
            failed += 1
            typer.echo(f"{done.file}: {exc}", err=True)
            continue
        counts: dict[str, int] = {}
        for item in done.rendered:
            counts[item.status] = counts.get(item.status, 0) + 1
        summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        typer.echo(
            f"{done.file}: {done.plan.conference}: {summary}; {len(result.written)} files written, "
            f"{len(result.unchanged)} unchanged, {len(result.removed)} removed ({result.manifest})"
        )
    raise typer.Exit(1 if failed else 0)


def _print_table(result: DistributionPlan, export: Export) -> None:
    # Piped into a file or log there is no terminal width to fit; keep rows on one line there.
    out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    out.print(
        Text(
            f"{result.conference} revision {result.revision}, stage {result.stage}, "
            f"profile {result.profile}",
            style="bold",
        )
    )
    copies = Table(title="Copies", show_lines=False)
    for heading in ("recipient", "document", "view", "due", "status", "via / channel", "reason"):
        copies.add_column(heading, overflow="fold")
    for copy in result.copies:
        who = f"{export.name_of(copy.recipient)} ({copy.recipient})"
        if copy.on_behalf_of:
            who += f"\n for {copy.on_behalf_of}"
        route = f"via {copy.via} by {copy.handover_by}" if copy.via else (copy.channel or "-")
        style = {"ready": "green", "waiting": "yellow", "held": "red"}[copy.status]
        copies.add_row(
            Text(who),
            copy.document,
            copy.view,
            copy.due.isoformat(),
            Text(copy.status, style=style),
            Text(route),
            Text(copy.reason or ""),
        )
    out.print(copies)
    if result.not_sent:
        not_sent = Table(title="Not sent, by rule")
        for heading in ("recipient", "document", "reason"):
            not_sent.add_column(heading, overflow="fold")
        for item in result.not_sent:
            not_sent.add_row(Text(item.recipient), item.document, Text(item.reason))
        out.print(not_sent)
    if result.tasks:
        tasks = Table(title="Tasks")
        for heading in ("task", "owner", "for", "document", "due"):
            tasks.add_column(heading)
        for task in result.tasks:
            tasks.add_row(
                task.kind,
                Text(task.owner or "-"),
                Text(task.recipient),
                task.document,
                str(task.due),
            )
        out.print(tasks)
    checks = Table(title="Checks")
    for heading in ("check", "status", "detail", "source"):
        checks.add_column(heading, overflow="fold")
    for check in result.checks:
        style = {"ok": "green", "problem": "red", "unknown": "yellow"}[check.status]
        checks.add_row(
            check.name, Text(check.status, style=style), Text(check.detail), Text(check.source)
        )
    out.print(checks)


# ---- the service: inbox, store, delivery (issue 4) -------------------------------------------------

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        envvar="CPC_CONFIG",
        help="The service's TOML configuration (folders, store, channels, SMTP). None: folders "
        "under the current directory.",
        dir_okay=False,
    ),
]
TodayOption = Annotated[
    datetime | None,
    typer.Option(
        "--today", formats=["%Y-%m-%d"], help="Run as on this date (default: today in the UK)."
    ),
]


def _config(path: Path | None) -> Config:
    try:
        return load_config(path, os.environ)
    except CpcError as exc:
        _fail(str(exc), code=2)


def _open_store(config: Config) -> Store:
    try:
        return Store.open(config.store_url())
    except SQLAlchemyError as exc:
        _fail(f"cannot open the state store at {config.store_url()}: {exc}", code=2)


def _today(value: datetime | None) -> date:
    return value.date() if value is not None else uk_date(datetime.now(UTC))


def _sink(config: Config, store: Store, profiles: dict[str, Profile]) -> StoreSink:
    return StoreSink(store, profiles, Composer.at(), lambda message: typer.echo(message, err=True))


def _print_outcome(outcome: IngestOutcome) -> None:
    if outcome.outcome == "quarantined":
        typer.echo(f"{outcome.source}: QUARANTINED: {outcome.reason} ({outcome.moved_to})")
    else:
        typer.echo(f"{outcome.source}: {outcome.outcome} ({outcome.moved_to})")


@app.command()
def ingest(
    files: Annotated[
        list[Path] | None,
        typer.Argument(help="Files to take in (default: every file now in the inbox)."),
    ] = None,
    config_path: ConfigOption = None,
) -> None:
    """Take exports and amendments into the store; move each to processed/, or to quarantine/ with a reason."""
    config = _config(config_path)
    profiles = _profiles(list(config.folders.profiles))
    folders = InboxFolders.at(config.folders.inbox, config.quarantine, config.processed)
    folders.ensure()
    store = _open_store(config)
    sink = _sink(config, store, profiles)
    paths = files if files else [seen.path for seen in scan(folders)]
    quarantined = 0
    for path in paths:
        outcome = ingest_file(path, folders, sink, profiles.keys(), config.intake.max_bytes)
        if outcome is None:
            typer.echo(f"{path}: not found (taken by another process?)", err=True)
            continue
        quarantined += outcome.outcome == "quarantined"
        _print_outcome(outcome)
    store.close()
    raise typer.Exit(1 if quarantined else 0)


@app.command()
def watch(config_path: ConfigOption = None) -> None:
    """Watch the inbox and take each file once it is whole, until interrupted (Ctrl-C)."""
    config = _config(config_path)
    profiles = _profiles(list(config.folders.profiles))
    folders = InboxFolders.at(config.folders.inbox, config.quarantine, config.processed)
    folders.ensure()
    store = _open_store(config)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    typer.echo(f"watching {folders.root} (Ctrl-C to stop)", err=True)
    try:
        run_watcher(
            folders,
            _sink(config, store, profiles),
            profiles.keys(),
            settle_seconds=config.intake.settle_seconds,
            rescan_seconds=config.intake.rescan_seconds,
            max_bytes=config.intake.max_bytes,
            stop=stop,
            on_outcome=_print_outcome,
        )
    except KeyboardInterrupt:
        stop.set()
    finally:
        store.close()


def _run_settings(
    config: Config, today: date, real_day: bool, dry_run: bool, workers: int | None
) -> RunSettings:
    smtp = None
    if config.smtp.host:
        smtp = SmtpSettings(
            host=config.smtp.host,
            port=config.smtp.port,
            starttls=config.smtp.starttls,
            username=config.smtp.username,
            password=config.smtp_password(os.environ),
            sender=config.smtp.sender,
            timeout=config.smtp.timeout_seconds,
        )
    sent_at = (
        datetime.now(UTC)
        if real_day
        else datetime.combine(today, time(9, 0), tzinfo=ZoneInfo("Europe/London"))
    )
    return RunSettings(
        today=today,
        sent_at=sent_at,
        outbox=config.folders.outbox,
        spool=config.folders.state / "spool",
        channels=config.channels,
        smtp=smtp,
        message_id_domain=config.smtp.message_id_domain,
        profile_dirs=tuple(config.folders.profiles),
        workers=config.rendering.workers if workers is None else workers,
        document_timeout=config.rendering.document_timeout_seconds,
        dry_run=dry_run,
    )


@app.command()
def distribute(
    today: TodayOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be sent; change nothing.")
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", min=0, help="Worker processes for rendering (0: in this process)."
        ),
    ] = None,
    config_path: ConfigOption = None,
) -> None:
    """Deliver every ready copy not yet delivered, through each recipient's channel; exit 1 if any failed."""
    config = _config(config_path)
    profiles = _profiles(list(config.folders.profiles))
    store = _open_store(config)
    settings = _run_settings(config, _today(today), today is None, dry_run, workers)
    try:
        with run_reporter(sys.stderr) as report:
            summary = run_distribution(store, profiles, settings, report)
    except CpcError as exc:
        store.close()
        _fail(str(exc))
    store.close()
    print_summary(summary, dry_run)
    raise typer.Exit(1 if summary.failed else 0)


@app.command()
def status(
    today: TodayOption = None,
    output_format: Annotated[
        Literal["table", "json"], typer.Option("--format", help="table or json")
    ] = "table",
    config_path: ConfigOption = None,
) -> None:
    """What is overdue, due today and tomorrow, held (for the chair), waiting, and still to do."""
    config = _config(config_path)
    store = _open_store(config)
    report = status_report(
        _today(today),
        store.copy_rows(),
        store.task_rows(),
        store.deliveries(),
        store.conference_rows(),
        quarantined_files(config.quarantine),
        store.amendment_rows(),
        _amendments_not_made(store, _profiles(list(config.folders.profiles))),
    )
    store.close()
    if output_format == "json":
        sys.stdout.write(json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n")
    else:
        print_status(report)


def _amendments_not_made(store: Store, profiles: dict[str, Profile]) -> list[tuple[str, str, str]]:
    """Agreed amendments the record no longer has the text for: the chair must look again."""
    agreed = {r["conference_id"] for r in store.amendment_rows() if r["status"] == "agreed"}
    return [
        (conference_id, amendment_id, why)
        for conference_id in sorted(agreed)
        for amendment_id, why in load_conference(store, conference_id, profiles).read.current.failed
    ]


def _held_copy_for_the_chair(
    config_path: Path | None, conference_id: str, copy: str, by: str
) -> tuple[Store, dict[str, Any]]:
    """The store and the copy's row, once `by` is shown to be the conference's chair: only the
    chair decides on a held copy (spec §4 rule 7), as on an amendment (002 §22.7)."""
    config = _config(config_path)
    profiles = _profiles(list(config.folders.profiles))
    store = _open_store(config)
    stored = store.current_exports(conference_id)
    if not stored:
        _fail(f"{conference_id}: no such conference in the store")
    export = load_export(stored[0].raw, profiles.keys())
    chair = export.person(export.conference.chair)
    if by not in (chair.id, chair.name):
        _fail(
            f"{conference_id}: only the conference chair may decide on a held copy; "
            f"--by {by!r} is not the chair of this conference (spec §4 rule 7)"
        )
    try:
        return store, store.copy_row(conference_id, copy)
    except CpcError as exc:
        _fail(str(exc))


@app.command()
def release(
    conference: Annotated[str, typer.Argument(help="Conference id, e.g. CPC-2026-0412.")],
    copy: Annotated[
        str, typer.Argument(help="The copy, as `cpc status` names it: recipient/document.")
    ],
    by: Annotated[str, typer.Option("--by", help="The chair deciding (their id or name).")],
    why: Annotated[str, typer.Option("--why", help="The reason, for the audit log.")],
    config_path: ConfigOption = None,
) -> None:
    """Record the chair's release of a held copy; the next run sends it."""
    store, row = _held_copy_for_the_chair(config_path, conference, copy, by)
    if row["status"] != "held":
        _fail(f"{conference} {copy} is {row['status']}, not held: there is nothing to release")
    if row["hold_kind"] not in RELEASABLE:
        _fail(
            f"{conference} {copy} cannot be released: {row['reason']}. A copy that would show "
            "the reader something withheld from them never goes (spec §4 rule 4); a changed "
            "record needs an agreed amendment (spec §5). Correct the export (a new revision) or "
            "withdraw the copy."
        )
    store.record_decision(
        conference,
        copy,
        "released",
        by=by,
        why=why,
        fingerprint=row["fingerprint"],
        hold_kind=row["hold_kind"],
        revision=row["revision"],
    )
    store.close()
    typer.echo(f"{conference} {copy}: released by {by}; it goes with the next distribution run")


@app.command()
def withdraw(
    conference: Annotated[str, typer.Argument(help="Conference id.")],
    copy: Annotated[
        str, typer.Argument(help="The copy, as `cpc status` names it: recipient/document.")
    ],
    by: Annotated[str, typer.Option("--by", help="The chair deciding (their id or name).")],
    why: Annotated[str, typer.Option("--why", help="The reason, for the audit log.")],
    config_path: ConfigOption = None,
) -> None:
    """Record the chair's decision that a copy is never sent."""
    store, row = _held_copy_for_the_chair(config_path, conference, copy, by)
    if row["status"] in ("delivered", "sending", "withdrawn"):
        # A copy being sent may already have left (a file written, an e-mail accepted): it is
        # not for the chair to unsend. A stuck one says why on every run until put right.
        _fail(f"{conference} {copy} is already {row['status']}: it cannot be withdrawn")
    store.record_decision(
        conference, copy, "withdrawn", by=by, why=why, fingerprint=row["fingerprint"]
    )
    store.close()
    typer.echo(f"{conference} {copy}: withdrawn by {by}; it will not be sent")


@app.command("handed-over")
def handed_over(
    conference: Annotated[str, typer.Argument(help="Conference id.")],
    copy: Annotated[
        str, typer.Argument(help="The copy, as `cpc status` names it: recipient/document.")
    ],
    by: Annotated[
        str, typer.Option("--by", help="Who confirms it (the social worker, or who records it).")
    ],
    on: Annotated[
        datetime | None,
        typer.Option(
            "--on", formats=["%Y-%m-%d"], help="The day it was handed over (default: today)."
        ),
    ] = None,
    note: Annotated[str, typer.Option("--note", help="Anything to keep with the record.")] = "",
    config_path: ConfigOption = None,
) -> None:
    """Record that the lead social worker handed a copy over: the recipient's receipt date."""
    config = _config(config_path)
    store = _open_store(config)
    try:
        delivery = store.record_handover(conference, copy, on=_today(on), by=by, note=note)
    except CpcError as exc:
        _fail(str(exc))
    store.close()
    typer.echo(f"{conference} {copy}: handed over on {delivery.handed_over_on}, recorded")


@app.command("task-done")
def task_done(
    conference: Annotated[str, typer.Argument(help="Conference id.")],
    task: Annotated[
        str,
        typer.Option(
            "--task", help="translation, interpreter, braille, audio, easy_read or hand_over."
        ),
    ],
    recipient: Annotated[
        str, typer.Option("--for", help="The recipient the task is for (their id).")
    ],
    document: Annotated[str, typer.Option("--document", help="The document, e.g. record.")],
    by: Annotated[str, typer.Option("--by", help="Who did it, or who records it.")],
    on: Annotated[
        datetime | None,
        typer.Option("--on", formats=["%Y-%m-%d"], help="The day it was done (default: today)."),
    ] = None,
    config_path: ConfigOption = None,
) -> None:
    """Record that a task the plan set (a translation, an interpreter, a hand-over) was done."""
    config = _config(config_path)
    store = _open_store(config)
    try:
        store.record_task_done(conference, task, recipient, document, on=_today(on), by=by)
    except CpcError as exc:
        _fail(str(exc))
    store.close()
    typer.echo(f"{conference}: {task} for {recipient}'s {document} recorded as done")


@app.command()
def history(
    conference: Annotated[str, typer.Argument(help="Conference id, e.g. CPC-2026-0412.")],
    output_format: Annotated[
        Literal["table", "json"], typer.Option("--format", help="table or json")
    ] = "table",
    config_path: ConfigOption = None,
) -> None:
    """Every revision, version of the record, amendment and delivery of one conference."""
    config = _config(config_path)
    profiles = _profiles(list(config.folders.profiles))
    store = _open_store(config)
    if not store.current_exports(conference):
        _fail(f"{conference}: no such conference in the store")
    current = load_conference(store, conference, profiles)
    result = conference_history(
        conference,
        store.revisions(conference),
        current.stored.revision,
        current.read.current.applied,
        current.read.current.failed,
        store.amendment_rows(conference),
        store.deliveries(conference),
    )
    store.close()
    if output_format == "json":
        sys.stdout.write(json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n")
    else:
        print_history(result)


if __name__ == "__main__":  # pragma: no cover
    app()

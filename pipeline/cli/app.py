"""The `cpc` command: the only place that turns the pipeline's exceptions into messages and exit codes."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import traceback
from datetime import date, datetime, time
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy.exc import SQLAlchemyError

from pipeline import clock
from pipeline.cli.output import print_history, print_status, print_summary, run_reporter
from pipeline.config import Config, load_config
from pipeline.contract.export import Export
from pipeline.contract.load import load_document, load_export
from pipeline.delivery.email import SmtpSettings
from pipeline.delivery.preview import write_outbox
from pipeline.errors import ContractError, CpcError, InboxBusy
from pipeline.files import PRIVATE_FILE, PRIVATE_FOLDER, make_private, private_folder
from pipeline.intake.inbox import (
    InboxFolders,
    IngestOutcome,
    ingest_file,
    non_files,
    requeue_changed,
    scan,
)
from pipeline.intake.watch import watch as run_watcher
from pipeline.planning.copy_state import RELEASABLE
from pipeline.planning.plan import DistributionPlan
from pipeline.planning.recipients import plan_distribution
from pipeline.procedure.calendar import uk_date
from pipeline.procedure.profile import Profile, load_profiles
from pipeline.rendering.fonts import installed_fonts_can_print
from pipeline.rendering.html import Composer
from pipeline.service.history import conference_history
from pipeline.service.ingest import StoreSink, quarantined_files
from pipeline.service.preview_render import render_files
from pipeline.service.run import RunSettings, RunTools, load_conference, plain_error
from pipeline.service.run import distribute as run_distribution
from pipeline.service.status_report import status_report
from pipeline.store.db import Store, describe_url
from pipeline.terminal_text import printable


class _Cpc(typer.Typer):
    """The command, with the last net under every command: a fault that reaches here (a store
    locked by another process, a full disk, a fault in cpc itself) is said in one line, with
    its traceback in one JSON line for the log, and exit 2 or 3; never a traceback alone."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except SQLAlchemyError as exc:
            _last_words(f"cpc: the state store could not be used ({_first_line(exc)}); if "
                        "another cpc is writing to it, try again when it is done", exc, 2)
        except OSError as exc:
            _last_words(f"cpc: {printable(str(exc))}", exc, 2)
        except Exception as exc:
            _last_words(f"cpc: an unexpected fault ({type(exc).__name__}: "
                        f"{_first_line(exc)}); nothing more was done", exc, 3)


def _first_line(exc: BaseException) -> str:
    return printable(str(exc).strip().splitlines()[0] if str(exc).strip() else "")


def _last_words(message: str, exc: BaseException, code: int) -> NoReturn:
    sys.stderr.write(message + "\n")
    line = {
        "at": clock.now().isoformat(timespec="seconds"),
        "event": "error",
        "error": message,
        "traceback": "".join(traceback.format_exception(exc)),
    }
    sys.stderr.write(json.dumps(line, ensure_ascii=False) + "\n")
    raise SystemExit(code)


app = _Cpc(
    help="Child protection conference documents: validate exports and plan their distribution.",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cpc {package_version('cpc-pipeline')}")
        raise typer.Exit(0)


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Show the version and exit.", callback=_version, is_eager=True
        ),
    ] = False,
) -> None:
    """Child protection conference documents: validate exports, plan and deliver every copy."""

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
            document = load_document(
                path.read_bytes(), profiles.keys(), str(path), installed_fonts_can_print
            )
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
        except CpcError as exc:  # the fonts could not be asked what they print: nothing is proved
            _fail(str(exc), code=2)
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
        export = load_export(
            file.read_bytes(), profiles.keys(), str(file), installed_fonts_can_print
        )
    except OSError as exc:
        _fail(f"{file}: cannot read the file ({exc.strerror})")
    except CpcError as exc:  # ContractError, or the fonts could not be asked what they print
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
    config_path: ConfigOption = None,
) -> None:
    """Validate, plan and render every ready copy into OUTBOX/<conference>/<recipient>/, with a manifest."""
    _refuse_service_folder(outbox, _config(config_path))
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


def _refuse_service_folder(outbox: Path, config: Config) -> None:
    """A preview writes its own files and removes what its manifest no longer lists: pointed at
    the delivery outbox (or a folder holding a store) it would delete what the history records
    as delivered. Refused, naming the folder."""
    target = outbox.resolve()
    service = {
        "the delivery outbox": config.folders.outbox,
        "the state folder": config.folders.state,
        "the inbox": config.folders.inbox,
        "processed/": config.processed,
        "quarantine/": config.quarantine,
    }
    for what, folder in service.items():
        if not folder.exists():
            continue  # no service there: nothing of it to lose
        folder = folder.resolve()
        if target == folder or target.is_relative_to(folder) or folder.is_relative_to(target):
            _fail(
                f"--outbox {outbox}: that is (or holds, or is inside) {what} ({folder}), which "
                "`cpc distribute` owns; a preview there could remove delivered files. Name a "
                "folder of its own, e.g. preview/",
                code=2,
            )
    if target.is_dir():
        for pattern in ("cpc.sqlite3", "*/cpc.sqlite3", "distribute.lock", "*/distribute.lock"):
            found = next(iter(target.glob(pattern)), None)
            if found is not None:
                _fail(
                    f"--outbox {outbox}: it holds a delivery store ({found}); a preview there "
                    "could remove delivered files. Name a folder of its own, e.g. preview/",
                    code=2,
                )


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


# ---- the service: inbox, store, delivery -------------------------------------------------

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
        "--today", formats=["%Y-%m-%d"], metavar="YYYY-MM-DD", help="Run as on this date (default: today in the UK)."
    ),
]


def _config(path: Path | None) -> Config:
    try:
        return load_config(path, os.environ)
    except CpcError as exc:
        _fail(str(exc), code=2)


def _open_store(config: Config, *, create: bool = False) -> Store:
    """The configured store. Only `ingest` and `watch` may make one (and say so): a command that
    reads or decides on a store that is not there refuses, rather than report an empty one as
    all clear."""
    where = describe_url(config.store_url())
    try:
        store = Store.open(config.store_url(), create=create)
    except CpcError as exc:
        _fail(str(exc), code=2)
    except SQLAlchemyError as exc:
        _fail(f"cannot open the state store at {where}: {exc}", code=2)
    if store.created:
        typer.echo(f"made a new state store at {where}", err=True)
    return store


def _real_today() -> date:
    """Today's date in the UK, by the real clock."""
    return uk_date(clock.now())


def _today(value: datetime | None) -> date:
    return value.date() if value is not None else _real_today()


def _not_after_today(option: str, value: datetime | None) -> date:
    """The date a person gave for something that has happened: refused if after today."""
    day = _today(value)
    today = _real_today()
    if day > today:
        _fail(
            f"{option} {day.isoformat()} is after today ({today.isoformat()}): only what has "
            "already happened can be recorded"
        )
    return day


def _service_folders(config: Config) -> InboxFolders:
    """The inbox's folders, with processed/, quarantine/ and the state folder private (0700):
    they keep every export taken in, with every address."""
    for folder in (config.quarantine, config.processed, config.folders.state):
        private_folder(folder)
        make_private(folder, PRIVATE_FOLDER)
    folders = InboxFolders.at(config.folders.inbox, config.quarantine, config.processed)
    folders.ensure()
    return folders


def _sink(config: Config, store: Store, profiles: dict[str, Profile]) -> StoreSink:
    return StoreSink(
        store, profiles, Composer.at(), lambda message: typer.echo(message, err=True), _log_fault
    )


def _log_fault(what: str, fault: BaseException) -> None:
    """An unexpected error: its traceback as one JSON line on stderr, for the log."""
    trace = "".join(traceback.format_exception(fault))
    line = {"event": "unexpected_error", "while": what, "error": repr(fault), "traceback": trace}
    sys.stderr.write(json.dumps(line, ensure_ascii=False) + "\n")


def _print_outcome(outcome: IngestOutcome) -> None:
    # A file moved into processed/ or quarantine/ keeps the mode it was dropped with: it holds
    # every address of the export, so it is made the service's own.
    if outcome.moved_to is not None:
        make_private(Path(outcome.moved_to), PRIVATE_FILE)
    if outcome.fault is not None:
        _log_fault(f"taking {outcome.source}", outcome.fault)
    if outcome.outcome == "quarantined":
        typer.echo(f"{outcome.source}: QUARANTINED: {outcome.reason} ({outcome.moved_to})")
    elif outcome.outcome == "left":
        typer.echo(f"{outcome.source}: LEFT: {outcome.reason}", err=True)
    elif outcome.outcome == "requeued":
        typer.echo(f"{outcome.source}: {outcome.reason} ({outcome.moved_to})")
    else:
        typer.echo(f"{outcome.source}: {outcome.outcome} ({outcome.moved_to})")


def _print_note(message: str, fault: BaseException | None = None) -> None:
    if fault is not None:
        _log_fault(message, fault)
    typer.echo(message, err=True)


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
    for path in files or ():
        # A name given that is not a file is a mistake to say, not a file to skip.
        if not path.exists():
            _fail(f"{path}: no such file; nothing was taken in")
        if not path.is_file():
            _fail(f"{path}: not a file (a folder?); name export or amendment files; nothing was "
                  "taken in")
    try:
        folders = _service_folders(config)
    except OSError as exc:
        _fail(f"cannot make the inbox folders ({exc.strerror}: {exc.filename}); nothing taken")
    store = _open_store(config, create=True)
    sink = _sink(config, store, profiles)
    not_done = 0
    try:
        if not files:
            for outcome in requeue_changed(folders):
                _print_outcome(outcome)
            for non_file in non_files(folders):
                typer.echo(f"{non_file.path}: {non_file.reason}", err=True)
        paths = files if files else [seen.path for seen in scan(folders)]
        for path in paths:
            outcome = ingest_file(path, folders, sink, profiles.keys(), config.intake.max_bytes)
            if outcome is None:
                typer.echo(f"{path}: not found (taken by another process?)", err=True)
                continue
            not_done += outcome.outcome in ("quarantined", "left")
            _print_outcome(outcome)
    except OSError as exc:  # the quarantine folder itself unreadable, say: one line, not a trace
        _fail(f"cannot go on taking files ({exc.strerror}: {exc.filename})")
    finally:
        store.close()
    raise typer.Exit(1 if not_done else 0)


@app.command()
def watch(config_path: ConfigOption = None) -> None:
    """Watch the inbox and take each file once it is whole, until interrupted (Ctrl-C)."""
    config = _config(config_path)
    profiles = _profiles(list(config.folders.profiles))
    try:
        folders = _service_folders(config)
    except OSError as exc:
        _fail(f"cannot make the inbox folders ({exc.strerror}: {exc.filename})", code=2)
    store = _open_store(config, create=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
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
            on_note=_print_note,
            on_started=lambda: typer.echo(f"watching {folders.root} (Ctrl-C to stop)", err=True),
        )
    except KeyboardInterrupt:
        stop.set()
    except InboxBusy as exc:
        _fail(str(exc), code=2)
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
        clock.now()
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
    ctx: typer.Context,
    today: TodayOption = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Say what would be sent; change nothing (may look ahead: --today).",
            metavar="",
        ),
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
    run_day = _today(today)
    real_today = _real_today()
    if run_day > real_today and not dry_run:
        # A real run on a later date would write that date into the delivery history, which is
        # never rewritten: only a dry run may look ahead.
        _fail(
            f"--today {run_day.isoformat()} is after today ({real_today.isoformat()}): a real run "
            "records what it sends on the day it runs; use --dry-run to see what a later day "
            "would send"
        )
    store = _open_store(config)
    settings = _run_settings(config, run_day, today is None, dry_run, workers)
    try:
        with run_reporter(sys.stderr) as report:
            # A test gives its fake renderer or channels as the context's object; else the real ones.
            tools = ctx.obj if isinstance(ctx.obj, RunTools) else RunTools()
            summary = run_distribution(
                store, profiles, settings, report, renderer=tools.renderer, channels=tools.channels
            )
    except CpcError as exc:
        store.close()
        _fail(str(exc))
    store.close()
    print_summary(summary, dry_run)
    raise typer.Exit(1 if summary.any_failed else 0)


@app.command()
def status(
    today: TodayOption = None,
    output_format: Annotated[
        Literal["table", "json"], typer.Option("--format", help="table or json")
    ] = "table",
    late_days: Annotated[
        int,
        typer.Option(
            "--late-days", min=1, help="List copies delivered late in this many days before today."
        ),
    ] = 14,
    config_path: ConfigOption = None,
) -> None:
    """Failed, overdue and late copies, copies due today and tomorrow, held, waiting, and still to do."""
    config = _config(config_path)
    profiles = _profiles(list(config.folders.profiles))
    store = _open_store(config)
    names, not_made, unreadable = _read_all(store, profiles)
    report = status_report(
        _today(today),
        store.copy_rows(),
        store.task_rows(),
        store.deliveries(),
        store.conference_rows(),
        quarantined_files(config.quarantine),
        store.amendment_rows(),
        not_made,
        names=names,
        late_days=late_days,
        store=describe_url(config.store_url()),
        unreadable=unreadable,
        not_files=[
            (str(found.path), found.reason)
            for found in non_files(
                InboxFolders.at(config.folders.inbox, config.quarantine, config.processed)
            )
        ],
    )
    store.close()
    if output_format == "json":
        sys.stdout.write(json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n")
    else:
        print_status(report)


def _read_all(
    store: Store, profiles: dict[str, Profile]
) -> tuple[dict[tuple[str, str], tuple[str, str]], list[tuple[str, str, str]], dict[str, str]]:
    """Every stored conference read and planned as a run would (milliseconds each), for the
    status: (conference, person id) → (name, role); the agreed amendments the record no longer
    has the text for (the chair must look again); and the conferences that cannot be read or
    planned now, with why (reported, never a traceback)."""
    names: dict[tuple[str, str], tuple[str, str]] = {}
    not_made: list[tuple[str, str, str]] = []
    unreadable: dict[str, str] = {}
    for stored in store.current_exports():
        conference_id = stored.conference_id
        try:
            names.update(_people(conference_id, load_export(stored.raw, profiles.keys())))
            current = load_conference(store, conference_id, profiles).read.current
        except Exception as exc:
            unreadable[conference_id] = plain_error(exc)
            continue
        not_made += [(conference_id, amendment_id, why) for amendment_id, why in current.failed]
    return names, not_made, unreadable


def _people(conference_id: str, export: Export) -> dict[tuple[str, str], tuple[str, str]]:
    """(conference, person id) → (name, role) of one conference's people and children."""
    names = {(conference_id, p.id): (p.name, p.role) for p in export.people}
    names.update({(conference_id, c.id): (c.name, "child") for c in export.children})
    return names


def _chair_store(
    config_path: Path | None, conference_id: str, by: str
) -> tuple[Store, Export]:
    """The store and the conference's export, once `by` is shown to be the conference's chair:
    only the chair decides on a held copy (spec §4 rule 7), as on an amendment (002 §22.7)."""
    config = _config(config_path)
    profiles = _profiles(list(config.folders.profiles))
    store = _open_store(config)
    stored = store.current_exports(conference_id)
    if not stored:
        _fail(
            f"{conference_id}: no such conference in the store at "
            f"{describe_url(config.store_url())}"
        )
    try:
        export = load_export(stored[0].raw, profiles.keys())
    except CpcError as exc:
        _fail(f"{conference_id}: the stored export cannot be read now: {exc}")
    chair = export.person(export.conference.chair)
    if by not in (chair.id, chair.name):
        _fail(
            f"{conference_id}: only the conference chair may decide on a held copy; "
            f"--by {by!r} is not the chair of this conference (spec §4 rule 7)"
        )
    return store, export


CopiesArgument = Annotated[
    list[str],
    typer.Argument(help="One or more copies, as `cpc status` names them: recipient/document."),
]


def _each_copy(
    store: Store, conference: str, copies: list[str], decide: Any
) -> NoReturn:
    """Apply `decide(row)` to each copy named; each refused one is said (a message starting
    "!", or a CpcError), and the rest still done (a decision is per copy). Exit 1 if any was
    refused."""
    refused = 0
    for key in copies:
        try:
            row = store.copy_row(conference, key)
            message = decide(row)
        except CpcError as exc:
            message = f"!{exc}"
        if message.startswith("!"):
            refused += 1
            typer.echo(message[1:], err=True)
        else:
            typer.echo(message)
    store.close()
    raise typer.Exit(1 if refused else 0)


@app.command()
def release(
    conference: Annotated[str, typer.Argument(help="Conference id, e.g. CPC-2026-0412.")],
    copies: CopiesArgument,
    by: Annotated[str, typer.Option("--by", help="The chair deciding (their id or name).")],
    why: Annotated[str, typer.Option("--why", help="The reason, for the audit log.")],
    config_path: ConfigOption = None,
) -> None:
    """Record the chair's release of held copies; the next run sends them."""
    store, _ = _chair_store(config_path, conference, by)

    def decide(row: dict[str, Any]) -> str:
        copy = row["copy_key"]
        if row["status"] != "held":
            return f"!{conference} {copy} is {row['status']}, not held: there is nothing to release"
        if row["hold_kind"] not in RELEASABLE:
            return (
                f"!{conference} {copy} cannot be released: {row['reason']}. A copy that would "
                "show the reader something withheld from them never goes (spec §4 rule 4); a "
                "changed record needs an agreed amendment (spec §5). Correct the export (a new "
                "revision) or withdraw the copy."
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
        return f"{conference} {copy}: released by {by}; it goes with the next distribution run"

    _each_copy(store, conference, copies, decide)


@app.command()
def withdraw(
    conference: Annotated[str, typer.Argument(help="Conference id.")],
    copies: CopiesArgument,
    by: Annotated[str, typer.Option("--by", help="The chair deciding (their id or name).")],
    why: Annotated[str, typer.Option("--why", help="The reason, for the audit log.")],
    config_path: ConfigOption = None,
) -> None:
    """Record the chair's decision that copies are never sent."""
    store, _ = _chair_store(config_path, conference, by)
    pending = {d.copy_key for d in store.deliveries(conference, state="pending")}

    def decide(row: dict[str, Any]) -> str:
        copy = row["copy_key"]
        if row["status"] in ("delivered", "sending", "withdrawn") or copy in pending:
            # A copy being sent may already have left (a file written, an e-mail accepted): it
            # is not for the chair to unsend. One refused for good (`failed`) may be withdrawn.
            status = "being sent" if copy in pending else row["status"]
            return f"!{conference} {copy} is already {status}: it cannot be withdrawn"
        store.record_decision(
            conference, copy, "withdrawn", by=by, why=why, fingerprint=row["fingerprint"]
        )
        return f"{conference} {copy}: withdrawn by {by}; it will not be sent"

    _each_copy(store, conference, copies, decide)


@app.command("handed-over")
def handed_over(
    conference: Annotated[str, typer.Argument(help="Conference id.")],
    copies: CopiesArgument,
    by: Annotated[
        str, typer.Option("--by", help="Who confirms it (the social worker, or who records it).")
    ],
    on: Annotated[
        datetime | None,
        typer.Option(
            "--on",
            formats=["%Y-%m-%d"],
            metavar="YYYY-MM-DD",
            help="The day it was handed over (default: today). Not after today, nor before the "
            "copy reached the social worker.",
        ),
    ] = None,
    correct: Annotated[
        bool,
        typer.Option(
            "--correct",
            metavar="",
            help="Correct a hand-over date recorded by mistake: the new date is the receipt "
            "date from now on; the first one and who made each stay on record. Give the reason "
            "with --note.",
        ),
    ] = False,
    note: Annotated[str, typer.Option("--note", help="Anything to keep with the record.")] = "",
    config_path: ConfigOption = None,
) -> None:
    """Record that the lead social worker handed copies over: the recipient's receipt date."""
    if correct and (on is None or not note.strip()):
        _fail("--correct needs --on (the right date) and --note (why the first one was wrong)")
    day = _not_after_today("--on", on)
    config = _config(config_path)
    store = _open_store(config)

    def decide(row: dict[str, Any]) -> str:
        delivery = store.record_handover(
            conference,
            row["copy_key"],
            on=day,
            by=by,
            note=note,
            today=_real_today(),
            correction=correct,
        )
        verb = "corrected to" if correct else "handed over on"
        return f"{conference} {row['copy_key']}: {verb} {delivery.handed_over_on}, recorded by {by}"

    _each_copy(store, conference, copies, decide)


@app.command("task-done")
def task_done(
    conference: Annotated[str, typer.Argument(help="Conference id.")],
    task: Annotated[
        str,
        typer.Option(
            "--task", help="translation, interpreter, braille, audio, easy_read, hand_over or verbal_invitation."
        ),
    ],
    recipient: Annotated[
        str, typer.Option("--for", help="The recipient the task is for (their id).")
    ],
    document: Annotated[str, typer.Option("--document", help="The document, e.g. record.")],
    by: Annotated[str, typer.Option("--by", help="Who did it, or who records it.")],
    on: Annotated[
        datetime | None,
        typer.Option(
            "--on",
            formats=["%Y-%m-%d"],
            metavar="YYYY-MM-DD",
            help="The day it was done (default: today; not after today).",
        ),
    ] = None,
    config_path: ConfigOption = None,
) -> None:
    """Record that a task the plan set (a translation, an interpreter, a hand-over) was done."""
    day = _not_after_today("--on", on)
    config = _config(config_path)
    store = _open_store(config)
    try:
        store.record_task_done(
            conference, task, recipient, document, on=day, by=by, today=_real_today()
        )
    except CpcError as exc:
        _fail(str(exc))
    store.close()
    typer.echo(f"{conference}: {task} for {recipient}'s {document} recorded as done on {day}")


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
    where = describe_url(config.store_url())
    if not store.current_exports(conference):
        _fail(f"{conference}: no such conference in the store at {where}")
    try:
        current = load_conference(store, conference, profiles)
    except Exception as exc:
        _fail(f"{conference}: the stored export cannot be read now: {plain_error(exc)}")
    result = conference_history(
        conference,
        store.revisions(conference),
        current.stored.revision,
        current.read.current.applied,
        current.read.current.failed,
        store.amendment_rows(conference),
        store.deliveries(conference),
        handovers=store.handover_rows(conference),
        copy_rows=store.copy_rows(conference),
        names=_people(conference, current.export),
        today=_real_today(),
        store=where,
    )
    store.close()
    if output_format == "json":
        sys.stdout.write(json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n")
    else:
        print_history(result)


if __name__ == "__main__":  # pragma: no cover
    app()

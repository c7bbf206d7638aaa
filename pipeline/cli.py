"""The `cpc` command: the only place that turns the pipeline's exceptions into messages and exit codes."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Literal, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from pipeline.calendar import WorkingCalendar
from pipeline.contract import load_document, load_export
from pipeline.distribution import plan_distribution
from pipeline.errors import ContractError, CpcError
from pipeline.export_model import Export
from pipeline.outbox import write_outbox
from pipeline.plan_types import DistributionPlan
from pipeline.process import render_files
from pipeline.profile import Profile, load_profiles

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
    calendar = WorkingCalendar.for_nation(export.authority.nation, profile.closure_days)
    result = plan_distribution(export, profile, calendar)
    if output_format == "json":
        sys.stdout.write(json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n")
    else:
        _print_table(result, export)


@app.command()
def process(
    files: Annotated[list[Path], typer.Argument(help="cpc-export/1 files.")],
    outbox: Annotated[
        Path, typer.Option("--outbox", help="Folder to write the documents into.", file_okay=False)
    ] = Path("outbox"),
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


if __name__ == "__main__":  # pragma: no cover
    app()

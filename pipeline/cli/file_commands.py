"""`cpc validate`, `plan` and `process`: files named on the command line → verdicts, a plan, a preview.

None of them touches the store: they read the files given and the profiles, and `process` writes
only its own preview folder.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from pipeline.cli.base import (
    ConfigOption,
    ProfilesDir,
    app,
    config_from,
    fail,
    fail_with,
    not_after_today,
    profile_for,
    profiles_from,
)
from pipeline.cli.exit_codes import DONE, ENVIRONMENT, REFUSED
from pipeline.contract.load import load_document, load_export
from pipeline.errors import ContractError, CpcError
from pipeline.rendering.fonts import installed_fonts_can_print

if TYPE_CHECKING:
    # `process` imports the renderer, the preview writer and the service inside its body, and
    # `plan` its routing: `cpc validate` and `cpc plan` start without WeasyPrint, docx, pikepdf
    # or the store (tests/test_cli_startup.py).
    from pipeline.config import Config
    from pipeline.contract.export import Export
    from pipeline.planning.plan import DistributionPlan


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Export or amendment files to check.")],
    profiles_dir: ProfilesDir = None,
) -> None:
    """Check files against the contract; exit 0 if all are valid, 1 if any is not."""
    profiles = profiles_from(profiles_dir)
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
            fail(str(exc), ENVIRONMENT)
        typer.echo(f"{path}: valid ({document.format})")
    raise typer.Exit(1 if invalid else 0)


@app.command()
def plan(
    file: Annotated[Path, typer.Argument(help="A cpc-export/1 file.")],
    output_format: Annotated[
        Literal["table", "json"], typer.Option("--format", help="table or json")
    ] = "table",
    profiles_dir: ProfilesDir = None,
    config_path: ConfigOption = None,
) -> None:
    """Show who receives which document, in which view, by when; and the timeliness checks."""
    from pipeline.planning.recipients import plan_distribution
    from pipeline.service.routing_config import configured_routing

    profiles = profiles_from(profiles_dir)
    try:
        export = load_export(
            file.read_bytes(), profiles.keys(), str(file), installed_fonts_can_print
        )
    except OSError as exc:
        fail(f"{file}: cannot read the file ({exc.strerror})")
    except CpcError as exc:  # ContractError, or the fonts could not be asked what they print
        fail_with(exc, "plan")
    profile = profile_for(export, profiles)
    calendar = profile.working_calendar(export.authority.nation)
    # By the service's channels where a configuration is given (--config, $CPC_CONFIG).
    routing = configured_routing(config_from(config_path))
    result = plan_distribution(export, profile, calendar, routing)
    if output_format == "json":
        sys.stdout.write(json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n")
    else:
        _print_table(result, export)


@app.command()
def process(
    ctx: typer.Context,
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
    today: Annotated[
        datetime | None,
        typer.Option(
            "--today",
            formats=["%Y-%m-%d"],
            metavar="YYYY-MM-DD",
            help="Date the documents as issued on this day (default: today in the UK; not after "
            "today, nor before the export was made).",
        ),
    ] = None,
    profiles_dir: ProfilesDir = None,
    config_path: ConfigOption = None,
) -> None:
    """Validate, plan and render every ready copy into OUTBOX/<conference>/<recipient>/, with a manifest."""
    from pipeline.delivery.preview import write_outbox
    from pipeline.service.preview_render import PreviewTools, render_files

    # As `cpc distribute --today`: a document is dated the day it could be issued, and nothing
    # is issued on a day still to come.
    issued_on = not_after_today(
        "--today",
        today,
        why="a preview dates its documents the day they are issued, which cannot be a later day",
    )
    _refuse_service_folder(outbox, config_from(config_path))
    profiles_from(profiles_dir)  # a bad profile folder is reported once, before any work
    # A test gives its fake renderer as the context's object; else the real one.
    tools = ctx.obj if isinstance(ctx.obj, PreviewTools) else PreviewTools()
    failed = 0
    for done in render_files(
        files, tuple(profiles_dir or ()), workers, tools.renderer, issued_on
    ):
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
    raise typer.Exit(REFUSED if failed else DONE)


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
            fail(
                f"--outbox {outbox}: that is (or holds, or is inside) {what} ({folder}), which "
                "`cpc distribute` owns; a preview there could remove delivered files. Name a "
                "folder of its own, e.g. preview/",
                ENVIRONMENT,
            )
    if target.is_dir():
        for pattern in ("cpc.sqlite3", "*/cpc.sqlite3", "distribute.lock", "*/distribute.lock"):
            found = next(iter(target.glob(pattern)), None)
            if found is not None:
                fail(
                    f"--outbox {outbox}: it holds a delivery store ({found}); a preview there "
                    "could remove delivered files. Name a folder of its own, e.g. preview/",
                    ENVIRONMENT,
                )


def _print_table(result: DistributionPlan, export: Export) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

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


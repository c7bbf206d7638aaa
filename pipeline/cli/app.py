"""The `cpc` command: the only place that turns the pipeline's exceptions into messages and exit codes.

`app` is built in `pipeline.cli.base`; each command group registers on it from its own module
(`file_commands`: validate, plan, process; `intake_commands`: ingest, watch; `run_commands`:
distribute), imported here in the order `cpc -h` lists them. The reports (status, history) and
the chair's and social worker's decisions are here. Words and exit codes for errors come from
one table, `pipeline.cli.exit_codes`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from pipeline.cli import (
    file_commands,
    intake_commands,
    run_commands,
    web_commands,
    worker_commands,
)
from pipeline.cli.base import ConfigOption, TodayOption, app
from pipeline.cli.base import config_from as _config
from pipeline.cli.base import fail as _fail
from pipeline.cli.base import open_store as _open_store
from pipeline.cli.base import profiles_from as _profiles
from pipeline.cli.base import real_today as _real_today
from pipeline.cli.base import today_from as _today

if TYPE_CHECKING:
    # Each command imports the service and the store inside its body: a command that does not
    # use them (`cpc validate`, `cpc plan`, `cpc --help`) starts without them.
    from pipeline.contract.export import Export
    from pipeline.procedure.profile import Profile
    from pipeline.store.db import Store, StoredExport

# The command groups register on `app` when imported; named so the import is not unused.
COMMAND_GROUPS = (file_commands, intake_commands, run_commands, worker_commands, web_commands)
__all__ = ["COMMAND_GROUPS", "app"]


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
    from pipeline.cli.output import print_status
    from pipeline.intake.inbox import InboxFolders, non_files
    from pipeline.service.ingest import quarantined_files
    from pipeline.service.report_status import report_sections, stored_report_lines
    from pipeline.service.status_report import status_report, who
    from pipeline.store.db import describe_url

    config = _config(config_path)
    profiles = _profiles(list(config.folders.profiles))
    store = _open_store(config)
    day = _today(today)
    # Only the conferences with open work, and those that went late in the window: a finished
    # conference's rows are not read (pipeline.store.open_work says which and why).
    rows = store.status_rows(late_since=day - timedelta(days=late_days))
    names, not_made, unreadable = _read_all(store, profiles, rows.exports)
    reports = report_sections(
        stored_report_lines(rows.exports, rows.deliveries, profiles, day, store.export_raw),
        lambda conference, person: who(names, conference, person),
    )
    report = status_report(
        day,
        rows.copies,
        rows.tasks,
        rows.deliveries,
        rows.conferences,
        quarantined_files(config.quarantine),
        rows.amendments,
        not_made,
        names=names,
        late_days=late_days,
        store=describe_url(config.store_url()),
        unreadable=unreadable,
        reports=reports,
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
    store: Store, profiles: dict[str, Profile], exports: Sequence[StoredExport]
) -> tuple[dict[tuple[str, str], tuple[str, str]], list[tuple[str, str, str]], dict[str, str]]:
    """Each of `exports` read and planned as a run would (milliseconds each), for the
    status: (conference, person id) → (name, role); the agreed amendments the record no longer
    has the text for (the chair must look again); and the conferences that cannot be read or
    planned now, with why (reported, never a traceback)."""
    from pipeline.contract.load import load_export
    from pipeline.service.run import load_conference, plain_error

    names: dict[tuple[str, str], tuple[str, str]] = {}
    not_made: list[tuple[str, str, str]] = []
    unreadable: dict[str, str] = {}
    for stored in exports:
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


# The chair's decisions, hand-overs and tasks done (`cpc release`, `withdraw`, `handed-over`,
# `task-done`) are registered here, in their place in `cpc --help`.
import pipeline.cli.decisions  # noqa: E402, F401


@app.command()
def history(
    conference: Annotated[str, typer.Argument(help="Conference id, e.g. CPC-2026-0412.")],
    output_format: Annotated[
        Literal["table", "json"], typer.Option("--format", help="table or json")
    ] = "table",
    config_path: ConfigOption = None,
) -> None:
    """Every revision, version of the record, amendment and delivery of one conference."""
    from pipeline.cli.output import print_history
    from pipeline.service.history import conference_history
    from pipeline.service.run import load_conference, plain_error
    from pipeline.store.db import describe_url

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


# `cpc user add/disable/list`, the web accounts, registered last in `cpc --help`.
from pipeline.cli import user_commands  # noqa: E402, F401

if __name__ == "__main__":  # pragma: no cover
    app()

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
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn

import typer

from pipeline.cli import file_commands, intake_commands, run_commands
from pipeline.cli.base import ConfigOption, TodayOption, app
from pipeline.cli.base import config_from as _config
from pipeline.cli.base import fail as _fail
from pipeline.cli.base import not_after_today as _not_after_today
from pipeline.cli.base import open_store as _open_store
from pipeline.cli.base import profiles_from as _profiles
from pipeline.cli.base import real_today as _real_today
from pipeline.cli.base import today_from as _today
from pipeline.cli.output import print_history, print_status
from pipeline.contract.export import Export
from pipeline.contract.load import load_export
from pipeline.errors import CpcError
from pipeline.intake.inbox import InboxFolders, non_files
from pipeline.planning.copy_state import RELEASABLE
from pipeline.procedure.profile import Profile
from pipeline.service.history import conference_history
from pipeline.service.ingest import quarantined_files
from pipeline.service.run import load_conference, plain_error
from pipeline.service.status_report import status_report
from pipeline.store.db import Store, describe_url

# The command groups register on `app` when imported; named so the import is not unused.
COMMAND_GROUPS = (file_commands, intake_commands, run_commands)
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

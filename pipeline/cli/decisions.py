"""`cpc release`, `withdraw`, `handed-over` and `task-done`: a person's decision → recorded, or refused in one line.

Whether a decision applies is `pipeline.service.decisions`'s to say; here its refusals become
messages and exit codes: each copy named is decided on its own, a refused one is said on stderr
and the rest still done, exit 1 if any was refused. Each is audited with the operating-system
user who typed it (`os:<login>`) beside the `--by` they named: `--by` is a claim, the login is not.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from pipeline.cli.base import ConfigOption, app
from pipeline.cli.base import config_from as _config
from pipeline.cli.base import fail as _fail
from pipeline.cli.base import not_after_today as _not_after_today
from pipeline.cli.base import open_store as _open_store
from pipeline.cli.base import profiles_from as _profiles
from pipeline.cli.base import real_today as _real_today
from pipeline.cli.user_commands import os_user
from pipeline.errors import CpcError, StoreError, StoreUnavailable

if TYPE_CHECKING:
    # The store and the service's decisions are imported when a decision is recorded.
    from pipeline.contract.export import Export
    from pipeline.store.db import Store
    from pipeline.store.rows import CopyRow


def _chair_store(config_path: Path | None, conference_id: str, by: str) -> tuple[Store, Export]:
    """The store and the conference's export, once `by` (the chair's id, or their name) is
    shown to be the conference's chair: only the chair decides on a held copy (spec §4 rule 7),
    as on an amendment (002 §22.7)."""
    from pipeline.contract.load import load_export
    from pipeline.service import decisions
    from pipeline.store.db import describe_url

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
    try:
        decisions.require_chair(
            export,
            decisions.person_id_for(export, by),
            refused=lambda _chair: StoreError(
                f"{conference_id}: only the conference chair may decide on a held copy; "
                f"--by {by!r} is not the chair of this conference (spec §4 rule 7)"
            ),
        )
    except CpcError as exc:
        _fail(str(exc))
    return store, export


CopiesArgument = Annotated[
    list[str],
    typer.Argument(help="One or more copies, as `cpc status` names them: recipient/document."),
]


def _each_copy(
    store: Store, conference: str, copies: list[str], decide: Callable[[CopyRow], str]
) -> NoReturn:
    """Apply `decide(row)` to each copy named; each refused one (a CpcError) is said, and the
    rest still done (a decision is per copy). Exit 1 if any was refused."""
    refused = 0
    for key in copies:
        try:
            message = decide(store.copy_row(conference, key))
        except StoreUnavailable:
            raise  # not this copy's refusal: the store could not be used (exit 2)
        except CpcError as exc:
            refused += 1
            typer.echo(str(exc), err=True)
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
    from pipeline.service import decisions

    store, _ = _chair_store(config_path, conference, by)

    def decide(row: CopyRow) -> str:
        decisions.release(store, row, by=by, why=why, user=os_user())
        return (
            f"{conference} {row.copy_key}: released by {by}; it goes with the next distribution run"
        )

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
    from pipeline.service import decisions

    store, _ = _chair_store(config_path, conference, by)
    pending = {d.copy_key for d in store.deliveries(conference, state="pending")}

    def decide(row: CopyRow) -> str:
        decisions.withdraw(store, row, by=by, why=why, pending=pending, user=os_user())
        return f"{conference} {row.copy_key}: withdrawn by {by}; it will not be sent"

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
    from pipeline.service import decisions

    if correct and (on is None or not note.strip()):
        _fail("--correct needs --on (the right date) and --note (why the first one was wrong)")
    day = _not_after_today("--on", on)
    config = _config(config_path)
    store = _open_store(config)

    def decide(row: CopyRow) -> str:
        delivery = decisions.record_handover(
            store,
            conference,
            row.copy_key,
            on=day,
            by=by,
            note=note,
            today=_real_today(),
            correction=correct,
            user=os_user(),
        )
        verb = "corrected to" if correct else "handed over on"
        return f"{conference} {row.copy_key}: {verb} {delivery.handed_over_on}, recorded by {by}"

    _each_copy(store, conference, copies, decide)


@app.command("task-done")
def task_done(
    conference: Annotated[str, typer.Argument(help="Conference id.")],
    task: Annotated[
        str,
        typer.Option(
            "--task",
            help="translation, interpreter, braille, audio, easy_read, hand_over, verbal_invitation, "
            "explain_in_person, submit_report, countersign_report or discuss_report.",
        ),
    ],
    recipient: Annotated[
        str, typer.Option("--for", help="The recipient the task is for (their id).")
    ],
    document: Annotated[str, typer.Option("--document", help="The document, e.g. record.")],
    by: Annotated[str, typer.Option("--by", help="Who did it, or who records it.")],
    report: Annotated[
        str | None,
        typer.Option(
            "--report",
            metavar="ID",
            help="The report the task is about: required for submit_report and "
            "countersign_report, refused for any other task.",
        ),
    ] = None,
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
    from pipeline.service import decisions

    day = _not_after_today("--on", on)
    config = _config(config_path)
    store = _open_store(config)
    try:
        decisions.record_task_done(
            store,
            conference,
            task,
            recipient,
            document,
            on=day,
            by=by,
            today=_real_today(),
            report=report,
            user=os_user(),
        )
    except StoreUnavailable:
        raise  # the store could not be used, not a refusal (exit 2)
    except CpcError as exc:
        _fail(str(exc))
    store.close()
    about = f" (report {report})" if report else ""
    typer.echo(
        f"{conference}: {task}{about} for {recipient}'s {document} recorded as done on {day}"
    )

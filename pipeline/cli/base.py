"""The one `cpc` Typer app, its shared options, and the steps every command begins with.

The command modules (`file_commands`, `intake_commands`, `run_commands`, and `app` itself) register on
`app` here; `pipeline.cli.app` imports them all, so `pipeline.cli.app.app` is the whole command.
Every error a command turns into words and an exit code goes through `pipeline.cli.exit_codes`.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from pipeline import clock
from pipeline.cli.exit_codes import ENVIRONMENT, REFUSED, ExitCode, last_said, said
from pipeline.errors import CpcError, StoreUnavailable
from pipeline.procedure.calendar import uk_date
from pipeline.procedure.profile import Profile, load_profiles

if TYPE_CHECKING:
    # Imported by the commands that use them, not at start: `cpc validate` and `cpc plan` never
    # open the store (SQLAlchemy alone is ~0.2 s of every command's start).
    from pipeline.config import Config
    from pipeline.contract.export import Export
    from pipeline.store.db import Store


class _Cpc(typer.Typer):
    """The command, with the last net under every command: a fault that reaches here (a store
    locked by another process, a full disk, a fault in cpc itself) is said in one line, with
    its traceback in one JSON line for the log, and exit 2 or 3; never a traceback alone."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except Exception as exc:
            last = last_said(exc)
            _last_words(last.message, exc, last.code)


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
        # importlib.metadata costs ~20 ms: asked only for --version.
        from importlib.metadata import version as package_version

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


def fail(message: str, code: ExitCode = REFUSED) -> NoReturn:
    """Say why on stderr and exit with `code` (a refusal, 1, unless said otherwise)."""
    typer.echo(message, err=True)
    raise typer.Exit(code)


def fail_with(exc: BaseException, command: str | None = None) -> NoReturn:
    """Say an error in the table's words and exit with the table's code for it."""
    answer = said(exc, command)
    fail(answer.message, answer.code)


def profiles_from(dirs: list[Path] | None) -> dict[str, Profile]:
    try:
        return load_profiles(dirs or ())
    except CpcError as exc:
        fail_with(exc)


def profile_for(export: Export, profiles: dict[str, Profile]) -> Profile:
    """The export's named profile (checked to exist when it was validated), else the default."""
    return profiles[export.authority.procedure_profile or "default"]


def config_from(path: Path | None) -> Config:
    from pipeline.config import load_config

    try:
        return load_config(path, os.environ)
    except CpcError as exc:
        fail_with(exc)


def open_store(config: Config, *, create: bool = False) -> Store:
    """The configured store. Only `ingest` and `watch` may make one (and say so): a command that
    reads or decides on a store that is not there refuses, rather than report an empty one as
    all clear."""
    from pipeline.store.db import Store, describe_url

    where = describe_url(config.store_url())
    try:
        store = Store.open(
            config.store_url(), create=create, busy_timeout=config.store_busy_timeout_seconds
        )
    except StoreUnavailable as exc:
        # The store's message already says "cannot open the state store at <where>: ...".
        fail(str(exc), ENVIRONMENT)
    except CpcError as exc:
        fail_with(exc)
    if store.created:
        typer.echo(f"made a new state store at {where}", err=True)
    return store


def real_today() -> date:
    """Today's date in the UK, by the real clock."""
    return uk_date(clock.now())


def today_from(value: datetime | None) -> date:
    return value.date() if value is not None else real_today()


def not_after_today(
    option: str,
    value: datetime | None,
    why: str = "only what has already happened can be recorded",
) -> date:
    """The date a person gave for something that has happened: refused, saying `why`, if
    after today."""
    day = today_from(value)
    today = real_today()
    if day > today:
        fail(f"{option} {day.isoformat()} is after today ({today.isoformat()}): {why}")
    return day

"""`cpc user add`, `disable` and `list`: the server's operator → the web accounts that may sign in to `cpc serve`.

The operator at the server's shell adds and disables accounts; the people who use the web front
desk never do. Each change is audited with the operating-system user who made it (`os:<login>`),
and a refusal is one line on stderr with the exit codes of every command (1: refused).
"""

from __future__ import annotations

import getpass
import os
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from pipeline.cli.base import ConfigOption, app, config_from, fail_with, open_store
from pipeline.errors import AccountError
from pipeline.terminal_text import printable

if TYPE_CHECKING:
    from pipeline.service.accounts import Account

# Read instead of a prompt when set, so a set-up script or the demo can add an account.
PASSWORD_VARIABLE = "CPC_NEW_PASSWORD"

user_app = typer.Typer(
    help="Web accounts: who may sign in to `cpc serve`, with which role.",
    no_args_is_help=True,
)
app.add_typer(user_app, name="user")


def os_user() -> str:
    """Who is at the server's shell, as the audit log names them: "os:<login name>"."""
    try:
        return f"os:{getpass.getuser()}"
    except OSError:
        # No login name in the environment nor the password database (a bare container):
        # the user id still says who it was.
        return f"os:uid-{os.getuid()}"


def _new_password() -> str:
    given = os.environ.get(PASSWORD_VARIABLE)
    if given is not None:
        return given
    password: str = typer.prompt(
        "Password (at least 12 characters)", hide_input=True, confirmation_prompt=True
    )
    return password


@user_app.command("add")
def add(
    email: Annotated[str, typer.Argument(help="The person's work email, as in the exports.")],
    role: Annotated[
        str,
        typer.Option("--role", help="administrator, chair, social_worker or auditor."),
    ],
    config_path: ConfigOption = None,
) -> None:
    """Add an account; its password is read from CPC_NEW_PASSWORD, else asked twice, hidden."""
    from pipeline.service import accounts

    config = config_from(config_path)
    password = _new_password()
    try:
        # Checked before the store is opened: a refused account leaves no new empty store.
        accounts.check_new_account(email, role, password)
    except AccountError as exc:
        fail_with(exc)
    # An account may be the first thing made on a new server, before any export arrives, so
    # this command, like ingest and watch, makes the store if there is none (and says so).
    store = open_store(config, create=True)
    try:
        account = accounts.add_user(
            store,
            email,
            role,  # type: ignore[arg-type]  # checked against the roles by add_user
            password,
            user=os_user(),
        )
    except AccountError as exc:
        store.close()
        fail_with(exc)
    store.close()
    typer.echo(f"added {account.email} as {account.role}")


@user_app.command("disable")
def disable(
    email: Annotated[str, typer.Argument(help="The account's email.")],
    config_path: ConfigOption = None,
) -> None:
    """Disable an account: it can no longer sign in, and its sessions stop working."""
    from pipeline.service import accounts

    store = open_store(config_from(config_path))
    try:
        account = accounts.disable_user(store, email, user=os_user())
    except AccountError as exc:
        store.close()
        fail_with(exc)
    store.close()
    typer.echo(f"disabled {account.email}; it can no longer sign in")


@user_app.command("list")
def list_accounts(config_path: ConfigOption = None) -> None:
    """Every account: email, role, enabled or disabled, and when it was made."""
    from pipeline.service import accounts

    store = open_store(config_from(config_path))
    try:
        found = accounts.list_users(store)
    except AccountError as exc:
        store.close()
        fail_with(exc)
    store.close()
    if not found:
        typer.echo("no accounts yet: add one with `cpc user add EMAIL --role ROLE`")
        return
    _print_accounts(found)


def _print_accounts(found: list[Account]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from pipeline.procedure.calendar import UK_TIME

    out = Console(highlight=False, width=None if sys.stdout.isatty() else 180)
    table = Table(title=f"Accounts ({len(found)})")
    for heading in ("email", "role", "state", "created"):
        table.add_column(heading, overflow="fold")
    for account in found:
        table.add_row(
            Text(printable(account.email)),
            Text(account.role),
            Text("disabled" if account.disabled else "enabled"),
            Text(account.created_at.astimezone(UK_TIME).strftime("%Y-%m-%d %H:%M %Z")),
        )
    out.print(table)

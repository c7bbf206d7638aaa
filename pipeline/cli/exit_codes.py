"""An error → the exit code and the words `cpc` says for it: the one table (README, "Commands").

0 all done; 1 refused: bad input, a conflict, a failure a person fixes by changing the file or the
command; 2 the configuration or the machine cannot be used (an administrator fixes it); 3 a fault
in cpc itself. The rows follow `pipeline.errors`' five categories; a specific class has its own
row only where what `cpc` has always said needs it. The first row that matches wins.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal

from pipeline.errors import (
    BadInput,
    ConfigurationProblem,
    Conflict,
    DeliveryProblem,
    InboxBusy,
    InternalFault,
    RenderError,
    StoreUnavailable,
)
from pipeline.terminal_text import printable

ExitCode = Literal[0, 1, 2, 3]
DONE: Final[ExitCode] = 0
REFUSED: Final[ExitCode] = 1
ENVIRONMENT: Final[ExitCode] = 2
FAULT: Final[ExitCode] = 3


def first_line(exc: BaseException) -> str:
    """The first line of an error's own message, safe for a terminal."""
    text = str(exc).strip()
    return printable(text.splitlines()[0] if text else "")


def _own_words(exc: BaseException) -> str:
    # A CpcError's message is written for the person who reads it.
    return str(exc)


def _store_words(exc: BaseException) -> str:
    return (
        f"cpc: the state store could not be used ({first_line(exc)}); if another cpc is "
        "writing to it, try again when it is done"
    )


def _system_words(exc: BaseException) -> str:
    return f"cpc: {printable(str(exc))}"


def _fault_words(exc: BaseException) -> str:
    return (
        f"cpc: an unexpected fault ({type(exc).__name__}: {first_line(exc)}); "
        "nothing more was done"
    )


@dataclass(frozen=True, slots=True)
class Row:
    """Errors of `kind` exit with `code`, said by `words`. A kind named "module:Class" is looked
    up only in modules already imported: an error of a library never imported cannot be raised,
    so `cpc validate` need not import SQLAlchemy (~0.2 s) just to say it did not happen."""

    kind: type[BaseException] | str
    code: ExitCode
    words: Callable[[BaseException], str]

    def matches(self, exc: BaseException) -> bool:
        if isinstance(self.kind, str):
            module_name, _, class_name = self.kind.partition(":")
            kind = getattr(sys.modules.get(module_name), class_name, None)
            return isinstance(kind, type) and isinstance(exc, kind)
        return isinstance(exc, self.kind)


# Rows a command's own handler uses: what it expected could go wrong.
EXPECTED: Final[tuple[Row, ...]] = (
    # A second `cpc watch` on one inbox is a machine set up wrong, not a file to fix (README).
    Row(InboxBusy, ENVIRONMENT, _own_words),
    # The machine cannot render as written (fontconfig cannot be asked what it prints).
    Row(RenderError, ENVIRONMENT, _own_words),
    Row(BadInput, REFUSED, _own_words),
    Row(Conflict, REFUSED, _own_words),
    Row(DeliveryProblem, REFUSED, _own_words),
    Row(ConfigurationProblem, ENVIRONMENT, _own_words),
    Row(InternalFault, FAULT, _own_words),
)

# Rows for what no command caught: the last net under every command.
UNCAUGHT: Final[tuple[Row, ...]] = (
    Row(StoreUnavailable, ENVIRONMENT, _store_words),
    # Intake re-raises a store fault of no known kind as SQLAlchemy's own, so the inbox names it.
    Row("sqlalchemy.exc:SQLAlchemyError", ENVIRONMENT, _store_words),
    Row(OSError, ENVIRONMENT, _system_words),
    Row(Exception, FAULT, _fault_words),
)

# Where one command has always answered otherwise than its category, (command, kind) → code.
# `plan` refuses a file it cannot plan, whatever stopped it (exit 1), fonts included.
BY_COMMAND: Final[dict[tuple[str, type[BaseException] | str], ExitCode]] = {
    ("plan", RenderError): REFUSED,
}


@dataclass(frozen=True, slots=True)
class Said:
    """What `cpc` says for one error, and the code it exits with."""

    code: ExitCode
    message: str


def said(exc: BaseException, command: str | None = None) -> Said:
    """The exit code and words for an error a command expected (the table's first match)."""
    for row in EXPECTED:
        if row.matches(exc):
            code = BY_COMMAND.get((command or "", row.kind), row.code)
            return Said(code, row.words(exc))
    return last_said(exc)


def last_said(exc: BaseException) -> Said:
    """The exit code and words for an error that reached the last net uncaught."""
    for row in UNCAUGHT:
        if row.matches(exc):
            return Said(row.code, row.words(exc))
    return Said(FAULT, _fault_words(exc))

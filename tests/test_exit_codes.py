"""The one table from an error to what `cpc` says and its exit code (pipeline/cli/exit_codes.py).

1: refused (bad input, a conflict, a delivery that failed); 2: the configuration or the machine;
3: a fault in cpc. The commands' own tests (test_cli, test_guards, test_intake_faults, test_fonts)
pin the codes end to end; this pins the table's rows, so a new error class lands in its category.
"""

from __future__ import annotations

import errno

import pytest
from sqlalchemy.exc import OperationalError

from pipeline.cli.exit_codes import ENVIRONMENT, FAULT, REFUSED, last_said, said
from pipeline.errors import (
    AmendmentRefused,
    ConfigError,
    ContractError,
    DeliveryError,
    FieldIssue,
    InboxBusy,
    NoStore,
    ProfileError,
    RenderError,
    RunInProgress,
    StaleExport,
    StoreError,
    StoreUnavailable,
    UnreadableFile,
)

LOCKED = "(sqlite3.OperationalError) database is locked"


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ContractError([FieldIssue("a", "b")]), REFUSED),  # a person fixes the file
        (AmendmentRefused("no"), REFUSED),
        (StoreError("no such copy"), REFUSED),  # a decision that does not apply
        (RunInProgress("another run"), REFUSED),  # a conflict: try again when it is done
        (StaleExport("later revision"), REFUSED),
        (DeliveryError("refused"), REFUSED),
        (ConfigError("bad key"), ENVIRONMENT),  # an administrator fixes the configuration
        (ProfileError("bad profile"), ENVIRONMENT),
        (NoStore("no store at x"), ENVIRONMENT),
        (InboxBusy("another watch"), ENVIRONMENT),  # README: a second watch refuses, exit 2
        (RenderError("cannot ask fontconfig"), ENVIRONMENT),  # validate without fontconfig
        (UnreadableFile("not a PDF"), FAULT),  # cpc could not read back what it made
    ],
)
def test_each_category_has_its_code_and_its_own_words(error: Exception, code: int) -> None:
    answer = said(error)
    assert answer.code == code
    assert answer.message == str(error)


def test_plan_refuses_a_file_it_cannot_plan_whatever_stopped_it() -> None:
    assert said(RenderError("cannot ask fontconfig"), "plan").code == REFUSED
    assert said(RenderError("cannot ask fontconfig"), "validate").code == ENVIRONMENT


@pytest.mark.parametrize(
    "error",
    [
        StoreUnavailable(LOCKED),  # what the store raises in place of SQLAlchemy's error
        OperationalError("SELECT 1", {}, Exception("database is locked")),  # until it does
    ],
)
def test_a_store_that_cannot_be_used_is_said_in_the_stores_words(error: Exception) -> None:
    answer = last_said(error)
    assert answer.code == ENVIRONMENT
    assert answer.message.startswith("cpc: the state store could not be used (")
    assert "database is locked" in answer.message
    assert answer.message.endswith(
        "); if another cpc is writing to it, try again when it is done"
    )


def test_a_full_disk_is_said_as_the_system_says_it() -> None:
    answer = last_said(OSError(errno.ENOSPC, "No space left on device"))
    assert (answer.code, answer.message) == (ENVIRONMENT, "cpc: [Errno 28] No space left on device")


def test_anything_else_is_a_fault_in_cpc_named_in_one_line() -> None:
    answer = last_said(RuntimeError("where\nnext"))
    assert answer.code == FAULT
    assert answer.message == "cpc: an unexpected fault (RuntimeError: where); nothing more was done"
    # A CpcError no command caught is a fault too, as it always was at the last net.
    assert last_said(StoreError("x")).code == FAULT

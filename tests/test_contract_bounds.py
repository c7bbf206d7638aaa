"""The contract's upper bounds: revisions and dates the store and the calendar can hold (issue 10 item 4).

A revision must fit a 32-bit INTEGER column; every date and timestamp lies in 1900-01-01 to
2100-12-31 (a timestamp both as written and in UTC), so that due dates computed months and working
days later stay far inside Python's calendar and `holidays`. Refused at validation, naming the field.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pipeline.cli.app import app
from pipeline.contract.load import load_document
from pipeline.contract.types import MAX_REVISION
from pipeline.errors import ContractError
from tests.conftest import example
from tests.mutations import Mutation, put
from tests.test_contract_broken import KNOWN_PROFILES as KNOWN

runner = CliRunner()

REFUSED = [
    # (example, mutation, the field named, words of the message)
    ("initial-domestic-abuse", put("revision", 2**63), "revision", "at most 2147483647"),
    ("initial-domestic-abuse", put("revision", MAX_REVISION + 1), "revision", "at most"),
    (
        "initial-domestic-abuse",
        put("exported_at", "9999-12-31T23:59:59-23:59"),
        "exported_at",
        "1900-01-01 to 2100-12-31",
    ),
    # Written inside the range, but in UTC (and in the UK) it is already 2101.
    (
        "initial-domestic-abuse",
        put("exported_at", "2100-12-31T23:59:59-05:00"),
        "exported_at",
        "outside the dates",
    ),
    ("initial-domestic-abuse", put("conference.date", "9999-12-01"), "conference.date", "2100"),
    ("review-plan-ends", put("children[0].date_of_birth", "1899-12-31"), "children[0].date_of_birth", "1900"),
    ("amendment-agreed", put("decision.on", "9999-12-31"), "decision.on", "outside the dates"),
    ("amendment-agreed", put("received_on", "0001-01-01"), "received_on", "outside the dates"),
]


@pytest.mark.parametrize(("name", "mutation", "path", "words"), REFUSED)
def test_a_value_past_the_bounds_is_refused_naming_the_field(
    name: str, mutation: Mutation, path: str, words: str
) -> None:
    """issue 10 item 4: these passed validation and broke the store or the calendar."""
    data = example(name)
    mutation(data)
    with pytest.raises(ContractError) as caught:
        load_document(json.dumps(data).encode(), KNOWN)
    [issue] = [i for i in caught.value.issues if i.path == path]
    assert words in issue.message


def test_the_largest_revision_and_the_last_date_are_accepted() -> None:
    """The bounds themselves are inside: a revision of 2^31-1 validates."""
    data: dict[str, Any] = example("initial-domestic-abuse")
    put("revision", MAX_REVISION)(data)
    assert load_document(json.dumps(data).encode(), KNOWN).revision == MAX_REVISION  # type: ignore[union-attr]


@pytest.mark.parametrize("command", ["validate", "plan"])
def test_validate_and_plan_name_the_field_without_a_traceback(tmp_path: Path, command: str) -> None:
    """issue 10 item 4: `cpc validate` and `cpc plan` gave tracebacks on these."""
    data = example("initial-domestic-abuse")
    put("exported_at", "9999-12-31T23:59:59-23:59")(data)
    put("revision", 2**63)(data)
    path = tmp_path / "x.json"
    path.write_text(json.dumps(data))
    result = runner.invoke(app, [command, str(path)])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    output = result.output + (result.stderr if result.stderr_bytes else "")
    assert "revision: must be at most 2147483647" in output
    assert "exported_at: is '9999-12-31T23:59:59-23:59', outside the dates" in output

"""Commands that change the record refuse what cannot be true, and say so (issue 10 item 2).

Each guard is run through the real `cpc` command on a real store, with the real clock stood on a
day of the test's choosing (`real_now`, tests/conftest.py); each refusal names the refused value
and exits non-zero, and the record is left as it was.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

import pipeline.clock
from pipeline.cli.app import app
from tests import service_harness
from tests.backends import Database, on_both_stores
from tests.conftest import EXAMPLES, example
from tests.fake_renderer import FAKE

# The run's guards on both stores (SQLite, PostgreSQL: tests.backends), through `distributed`
# and `fresh`; the tests of the store's own file (missing, made, not a database, a preview
# beside it) are SQLite's alone: a PostgreSQL store is a server's database, not a file here.

DV = "CPC-2026-0412"  # initial-domestic-abuse.json; p-mother's record goes through p-sw
RUN_DAY = "2026-11-24"
# The real clock for these tests: 10:00 UTC on the day after the run.
REAL_NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)

runner = CliRunner()
SetNow = Callable[[datetime], None]


@pytest.fixture(scope="module")
def distributed(
    tmp_path_factory: pytest.TempPathFactory, module_database: Database
) -> Iterator[service_harness.Service]:
    """The DV conference taken in and delivered on RUN_DAY, the real clock at REAL_NOW."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pipeline.clock, "now", lambda: REAL_NOW)
        service = service_harness.Service(
            tmp_path_factory.mktemp("guards"), renderer=FAKE, database_url=module_database.url
        )
        service.drop(example("initial-domestic-abuse"))
        service.distribute(RUN_DAY)
    yield service


@pytest.fixture
def today(real_now: SetNow) -> datetime:
    real_now(REAL_NOW)
    return REAL_NOW


def fresh(tmp_path: Path) -> service_harness.Service:
    service = service_harness.Service(tmp_path, renderer=FAKE)
    service.drop(example("initial-domestic-abuse"))
    return service


def audit_actions(service: service_harness.Service) -> list[str]:
    store = service.store()
    try:
        return [line.action for line in store.audit_lines(DV)]
    finally:
        store.close()


# ---- distribute ----------------------------------------------------------------------------------


@on_both_stores
def test_a_real_run_after_today_is_refused_and_records_nothing(
    tmp_path: Path, today: datetime
) -> None:
    service = fresh(tmp_path)
    output = service.cpc("distribute", "--today", "2026-11-26", "--workers", "0", code=1)
    assert "--today 2026-11-26 is after today (2026-11-25)" in output
    assert "--dry-run" in output
    assert service.sent(DV) == []
    # Only a dry run may look ahead.
    ahead = service.cpc("distribute", "--today", "2026-11-26", "--dry-run", "--workers", "0")
    assert "Would send (" in ahead
    assert service.sent(DV) == []


def test_each_delivery_records_the_real_time_beside_the_runs_date(
    distributed: service_harness.Service,
) -> None:
    for delivery in distributed.sent(DV):
        assert delivery.sent_on == date(2026, 11, 24)
        assert delivery.delivered_at == REAL_NOW


# ---- handed-over and task-done -------------------------------------------------------------------


def test_a_hand_over_after_today_is_refused(
    distributed: service_harness.Service, today: datetime
) -> None:
    output = distributed.cpc(
        "handed-over", DV, "p-mother/record", "--by", "p-sw", "--on", "2027-06-01", code=1
    )
    assert "--on 2027-06-01 is after today (2026-11-25)" in output
    (delivery,) = distributed.sent(DV, "p-mother/record")
    assert delivery.handed_over_on is None


def test_a_hand_over_before_the_copy_reached_the_social_worker_is_refused(
    distributed: service_harness.Service, today: datetime
) -> None:
    output = distributed.cpc(
        "handed-over", DV, "p-mother/record", "--by", "p-sw", "--on", "2026-11-23", code=1
    )
    assert "handed over on 2026-11-23, before it reached the social worker on 2026-11-24" in output


def test_a_task_done_after_today_or_before_the_copy_reached_the_social_worker_is_refused(
    distributed: service_harness.Service, today: datetime
) -> None:
    args = ("task-done", DV, "--task", "hand_over", "--for", "p-father", "--document", "record")
    future = distributed.cpc(*args, "--by", "p-sw", "--on", "2026-12-02", code=1)
    assert "--on 2026-12-02 is after today (2026-11-25)" in future
    early = distributed.cpc(*args, "--by", "p-sw", "--on", "2026-11-20", code=1)
    assert "--on 2026-11-20" in early and "had not reached the social worker on 2026-11-24" in early
    status = json.loads(distributed.cpc("status", "--today", "2026-11-25", "--format", "json"))
    assert any(t["task"] == "hand_over" and t["for"] == "p-father" for t in status["open_tasks"])


@on_both_stores
def test_a_mistaken_hand_over_date_is_corrected_with_who_and_why_and_nothing_rewritten(
    tmp_path: Path, today: datetime
) -> None:
    service = fresh(tmp_path)
    service.distribute(RUN_DAY)
    service.cpc("handed-over", DV, "p-mother/record", "--by", "p-sw", "--on", "2026-11-25")
    # Correcting needs the right date and the reason.
    missing = service.cpc("handed-over", DV, "p-mother/record", "--by", "p-tm", "--correct", code=1)
    assert "--correct needs --on" in missing
    service.cpc(
        "handed-over", DV, "p-mother/record", "--by", "p-tm", "--correct",
        "--on", "2026-11-24", "--note", "handed over at the Monday visit, not Tuesday",
    )  # fmt: skip
    (delivery,) = service.sent(DV, "p-mother/record")
    assert delivery.handed_over_on == delivery.received_on == date(2026, 11, 24)
    history = json.loads(service.cpc("history", DV, "--format", "json"))
    assert [(h["on"], h["recorded_by"], h["correction"]) for h in history["handovers"]] == [
        ("2026-11-25", "p-sw", False),
        ("2026-11-24", "p-tm", True),
    ]
    assert audit_actions(service)[-2:] == ["handed_over", "handover_corrected"]
    # A correction is held to the same truths as the first record.
    future = service.cpc(
        "handed-over", DV, "p-mother/record", "--by", "p-tm", "--correct",
        "--on", "2026-11-30", "--note", "x", code=1,
    )  # fmt: skip
    assert "--on 2026-11-30 is after today" in future
    # A copy never recorded as handed over has nothing to correct.
    nothing = service.cpc(
        "handed-over", DV, "p-father/record", "--by", "p-tm", "--correct",
        "--on", "2026-11-24", "--note", "x", code=1,
    )  # fmt: skip
    assert "nothing to correct" in nothing


@on_both_stores
def test_several_copies_are_handed_over_in_one_command(tmp_path: Path, today: datetime) -> None:
    service = fresh(tmp_path)
    service.distribute(RUN_DAY)
    output = service.cpc(
        "handed-over", DV, "p-mother/record", "p-father/record", "--by", "p-sw",
        "--on", "2026-11-25",
    )  # fmt: skip
    assert output.count("handed over on 2026-11-25") == 2
    for key in ("p-mother/record", "p-father/record"):
        (delivery,) = service.sent(DV, key)
        assert delivery.handed_over_on == date(2026, 11, 25)


# ---- the preview and the store -------------------------------------------------------------------


def test_a_preview_into_the_delivery_outbox_is_refused_and_deletes_nothing(
    distributed: service_harness.Service,
) -> None:
    before = sorted(p for p in distributed.outbox().rglob("*") if p.is_file())
    assert before
    export = str(EXAMPLES / "initial-domestic-abuse.json")
    for target in (distributed.outbox(), distributed.root):
        output = distributed.cpc("process", export, "--outbox", str(target), code=2)
        assert f"--outbox {target}" in output
    assert sorted(p for p in distributed.outbox().rglob("*") if p.is_file()) == before


def test_a_preview_into_a_folder_holding_a_store_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "other-service"
    (elsewhere / "state").mkdir(parents=True)
    (elsewhere / "state" / "cpc.sqlite3").write_bytes(b"")
    export = str(EXAMPLES / "initial-domestic-abuse.json")
    result = runner.invoke(app, ["process", export, "--outbox", str(elsewhere)])
    assert result.exit_code == 2
    assert f"--outbox {elsewhere}: it holds a delivery store" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ("status",),
        ("history", DV),
        ("release", DV, "p-police/record", "--by", "p-chair", "--why", "x"),
        ("withdraw", DV, "p-police/record", "--by", "p-chair", "--why", "x"),
        ("handed-over", DV, "p-mother/record", "--by", "p-sw"),
        (
            "task-done",
            DV,
            "--task",
            "translation",
            "--for",
            "p-mother",
            "--document",
            "record",
            "--by",
            "p-sw",
        ),
        ("distribute", "--today", "2026-11-24"),
    ],
)
def test_commands_that_read_or_decide_refuse_to_make_a_store(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    """`cpc status` in the wrong folder used to make an empty store and report all clear."""
    config = tmp_path / "cpc.toml"
    config.write_text('[folders]\nstate = "state"\n')
    result = runner.invoke(app, [*args, "--config", str(config)])
    assert result.exit_code != 0
    store = tmp_path / "state" / "cpc.sqlite3"
    assert f"no state store at {store}" in result.output
    assert not store.exists()


def test_ingest_makes_the_store_and_says_so_the_first_time(tmp_path: Path) -> None:
    service = service_harness.Service(tmp_path)
    store = tmp_path / "state" / "cpc.sqlite3"
    first = service.drop(example("initial-domestic-abuse"))
    assert f"made a new state store at {store}" in first
    second = example("review-plan-ends")
    assert "made a new state store" not in service.drop(second)
    status = service.cpc("status", "--today", "2026-11-25")
    assert f"store: {store}" in status


def test_ingest_of_a_missing_file_or_a_folder_is_an_error_naming_it(tmp_path: Path) -> None:
    service = service_harness.Service(tmp_path)
    missing = tmp_path / "nonexistent.json"
    output = service.cpc("ingest", str(missing), code=1)
    assert f"{missing}: no such file" in output
    folder = tmp_path / "a-folder"
    folder.mkdir()
    output = service.cpc("ingest", str(folder), code=1)
    assert f"{folder}: not a file" in output
    assert "Traceback" not in output


def test_a_store_that_is_not_a_database_is_said_in_one_line(tmp_path: Path) -> None:
    """No traceback reaches the administrator: the store named, exit 2."""
    state = tmp_path / "state"
    state.mkdir()
    (state / "cpc.sqlite3").write_bytes(b"this is not a database" * 100)
    config = tmp_path / "cpc.toml"
    config.write_text('[folders]\nstate = "state"\n')
    result = runner.invoke(app, ["status", "--config", str(config)])
    assert result.exit_code == 2
    assert f"cannot open the state store at {state / 'cpc.sqlite3'}" in result.output
    assert "Traceback" not in result.output


def test_watch_makes_the_store_and_says_so(tmp_path: Path) -> None:
    """`cpc watch` as a service starts it: in a child process, stopped by SIGTERM."""
    config = tmp_path / "cpc.toml"
    config.write_text('[folders]\ninbox = "inbox"\nstate = "state"\n[intake]\nrescan_seconds = 1\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("CPC_")}
    child = subprocess.Popen(
        [sys.executable, "-c", "from pipeline.cli.app import app; app(prog_name='cpc')",
         "watch", "--config", str(config)],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )  # fmt: skip
    try:
        assert child.stderr is not None
        lines = []
        for line in child.stderr:  # the child says where it watches once it is ready
            lines.append(line)
            if line.startswith("watching"):
                break
    finally:
        child.send_signal(signal.SIGTERM)
        child.wait(timeout=60)
        if child.stderr is not None:
            child.stderr.close()
    store = tmp_path / "state" / "cpc.sqlite3"
    assert f"made a new state store at {store}\n" in lines
    assert store.exists()

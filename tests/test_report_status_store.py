"""A task about one report in the store: its column and migration, kept done across re-plans by its report, and `cpc task-done --report` (000 §4.7.8-4.7.9; 002 §15.1, §15.7)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig

from pipeline.store.db import MIGRATIONS, Store
from pipeline.store.schema import audit_log
from tests.backends import Database
from tests.conftest import example
from tests.service_harness import Service
from tests.test_store import accepted

CONFERENCE = "CPC-2026-0431"  # examples/v2-initial-reports.json


def _task(kind: str, report: str | None, due: date, **more: Any) -> dict[str, Any]:
    # A task as the plan writes it (`Task.to_json()`), its source and due date with it.
    return {
        "kind": kind,
        "owner": more.get("owner", "p-school"),
        "recipient": more.get("recipient", "p-chair"),
        "document": more.get("document", "report"),
        "due": due.isoformat(),
        "source": "R42; 000 §4.7.9",
        "report": report,
    }


# Two reports not yet with the chair: the same kind, recipient and document, told apart only
# by their report (planning.report_work.report_tasks).
TASKS = [
    _task("submit_report", "r-school", date(2026, 12, 9)),
    _task("submit_report", "r-hv", date(2026, 12, 9), owner="p-hv"),
    _task("translation", None, date(2026, 12, 7), owner="p-sw", recipient="p-mother",
          document="record"),
]  # fmt: skip


@pytest.fixture
def store(tmp_path: Path, database: Database) -> Store:
    opened = database.open(tmp_path)
    opened.take(accepted(example("v2-initial-reports")), "a.json")
    yield opened  # type: ignore[misc]
    opened.close()


def _plan(store: Store, tasks: list[dict[str, Any]]) -> None:
    store.save_plan(CONFERENCE, 1, [], [], tasks)


def _done(store: Store) -> dict[tuple[str, str | None], date | None]:
    return {(t.kind, t.report): t.done_on for t in store.task_rows(CONFERENCE)}


def test_each_report_task_is_stored_with_its_report_and_a_task_about_none_without(
    store: Store,
) -> None:
    _plan(store, TASKS)
    assert _done(store) == {
        ("submit_report", "r-school"): None,
        ("submit_report", "r-hv"): None,
        ("translation", None): None,
    }


def test_one_report_marked_done_leaves_the_other_open_and_stays_done_when_planned_again(
    store: Store,
) -> None:
    _plan(store, TASKS)
    assert store.record_task_done(
        CONFERENCE, "submit_report", "p-chair", "report",
        on=date(2026, 12, 8), by="p-hv", report="r-hv",
    )  # fmt: skip
    # The same task of the same report is no longer open; one about no report is not this one.
    assert not store.record_task_done(
        CONFERENCE, "submit_report", "p-chair", "report",
        on=date(2026, 12, 8), by="p-hv", report="r-hv",
    )  # fmt: skip
    assert not store.record_task_done(
        CONFERENCE, "submit_report", "p-chair", "report", on=date(2026, 12, 8), by="p-hv"
    )
    _plan(store, list(reversed(TASKS)))
    assert _done(store) == {
        ("submit_report", "r-school"): None,
        ("submit_report", "r-hv"): date(2026, 12, 8),
        ("translation", None): None,
    }
    with store.reading() as connection:
        (line,) = [
            json.loads(r.detail) if isinstance(r.detail, str) else r.detail
            for r in connection.execute(
                sa.select(audit_log.c.detail).where(audit_log.c.action == "task_done")
            )
        ]
    assert line["report"] == "r-hv"


def test_migration_0010_adds_the_report_to_tasks_stored_before_it(
    tmp_path: Path, database: Database
) -> None:
    """A store at 0009 with a task keeps the task, about no report, once opened (and so
    migrated); going back down drops the column."""
    url = database.url_for(tmp_path)
    if url.startswith("sqlite"):
        (tmp_path / "state").mkdir()
    engine = sa.create_engine(url)
    settings = AlembicConfig()
    settings.set_main_option("script_location", str(MIGRATIONS))
    old_tasks = sa.table(
        "tasks",
        *(sa.column(c) for c in ("conference_id", "kind", "owner", "recipient", "document")),
        sa.column("due", sa.Date),
        sa.column("in_plan", sa.Boolean),
        sa.column("done_on", sa.Date),
    )
    with engine.begin() as connection:
        settings.attributes["connection"] = connection
        command.upgrade(settings, "0009")
        connection.execute(
            old_tasks.insert().values(
                conference_id="CPC-OLD", kind="hand_over", owner="p-sw", recipient="p-mother",
                document="record", due=date(2026, 1, 5), in_plan=True, done_on=date(2026, 1, 6),
            )
        )  # fmt: skip
    engine.dispose()
    store = Store.open(url)
    try:
        (row,) = store.task_rows("CPC-OLD")
        assert (row.kind, row.report, row.done_on) == ("hand_over", None, date(2026, 1, 6))
    finally:
        store.close()
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        settings.attributes["connection"] = connection
        command.downgrade(settings, "0009")
        columns = {c["name"] for c in sa.inspect(connection).get_columns("tasks")}
    engine.dispose()
    assert "report" not in columns
    assert "done_on" in columns


# ---- cpc task-done --report ---------------------------------------------------------------------


@pytest.fixture
def service(tmp_path: Path, database: Database) -> Service:
    svc = Service(tmp_path / "svc")
    svc.drop(example("v2-initial-reports"))
    store = svc.store()
    _plan(store, TASKS)
    store.close()
    return svc


def _task_done(service: Service, *more: str, code: int = 0) -> str:
    return service.cpc(
        "task-done", CONFERENCE, "--task", "submit_report", "--for", "p-chair",
        "--document", "report", "--by", "p-chair", "--on", "2026-12-01", *more, code=code,
    )  # fmt: skip


def _open_tasks(service: Service) -> set[tuple[str, str | None]]:
    status = json.loads(service.cpc("status", "--today", "2026-12-01", "--format", "json"))
    return {(t["task"], t["report"]) for t in status["open_tasks"]}


def test_task_done_with_report_closes_that_reports_task_only(service: Service) -> None:
    # The status names each open task's report, as --report wants it.
    assert _open_tasks(service) == {
        ("submit_report", "r-school"),
        ("submit_report", "r-hv"),
        ("translation", None),
    }
    out = _task_done(service, "--report", "r-school")
    assert _open_tasks(service) == {("submit_report", "r-hv"), ("translation", None)}
    assert "submit_report (report r-school)" in out
    store = service.store()
    assert _done(store)[("submit_report", "r-school")] == date(2026, 12, 1)
    assert _done(store)[("submit_report", "r-hv")] is None
    store.close()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        # A report task without its report: which of the two would it be?
        ((), "name it with --report ID"),
        # A report no task is about.
        (("--report", "r-nobody"), "no open submit_report task about report r-nobody"),
    ],
)
def test_task_done_refuses_a_report_task_without_its_report(
    service: Service, args: tuple[str, ...], words: str
) -> None:
    assert words in _task_done(service, *args, code=1)


def test_task_done_refuses_a_report_for_a_task_about_none(service: Service) -> None:
    out = service.cpc(
        "task-done", CONFERENCE, "--task", "translation", "--for", "p-mother",
        "--document", "record", "--by", "p-sw", "--on", "2026-12-01", "--report", "r-sw",
        code=1,
    )  # fmt: skip
    assert "a translation task is about no report" in out
    store = service.store()
    assert _done(store)[("translation", None)] is None
    store.close()

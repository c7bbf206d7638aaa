"""Costs follow the work, not the history: with many finished conferences stored, `cpc status`, `cpc distribute` and its dry run read only the conferences with open work, and the export_id reuse check is one indexed lookup (issue 14).

Not timed: each test records the SQL statements a command runs (SQLAlchemy's cursor events) and
asks SQLite how it runs each (EXPLAIN QUERY PLAN). A statement that reads a whole table of the
store, or a count of statements that grows when finished conferences are added, is the history
being read again. The finished conferences are real ones (the examples, taken in and delivered
by a real run) copied under new ids, as `bench/store_scaling.py` makes them.

SQLite's alone, but for the one test marked `on_both_stores`: what they measure is SQLite's query
plans and its virtual machine's steps, and the finished history is made in a SQLite folder
(`bench/store_scaling.Folder`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bench.store_scaling import Folder, fill_history, finish_everything, finished_templates
from pipeline import clock
from pipeline.errors import StaleDocument
from pipeline.intake.accept import read_document
from pipeline.procedure.profile import load_profiles
from pipeline.store.db import Store
from pipeline.store.schema import amendments, conferences, copies, deliveries, tasks
from tests.backends import on_both_stores
from tests.conftest import example
from tests.fake_renderer import FAKE
from tests.service_harness import Service

# The store's tables: none may be read whole by a command about today's work.
TABLES = (
    "received_documents",
    "conferences",
    "copies",
    "deliveries",
    "decisions",
    "tasks",
    "handovers",
    "audit_log",
    "amendments",
)
OPEN = ("CPC-O-00", "CPC-O-01")
DV = "CPC-2026-0412"


@contextmanager
def statements() -> Iterator[list[tuple[str, Any]]]:
    """Every SELECT any engine runs meanwhile, with its parameters."""
    seen: list[tuple[str, Any]] = []

    def record(_c: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)


@contextmanager
def sqlite_steps() -> Iterator[list[int]]:
    """Thousands of steps SQLite's virtual machine runs meanwhile, on connections opened
    meanwhile: what the statements read, however they are written (an index can be read
    whole as well as a table)."""
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0  # go on

    def counted(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.set_progress_handler(count, 1000)

    sa.event.listen(sa.pool.Pool, "connect", counted)
    try:
        yield steps
    finally:
        sa.event.remove(sa.pool.Pool, "connect", counted)


def whole_table_reads(database: Path, seen: list[tuple[str, Any]]) -> list[str]:
    """The statements SQLite answers by reading one of the store's tables whole."""
    found = []
    with sqlite3.connect(database) as connection:
        for statement, parameters in seen:
            plan = connection.execute(f"EXPLAIN QUERY PLAN {statement}", parameters).fetchall()
            for *_ids, detail in plan:
                words = detail.split()
                if words[0] == "SCAN" and words[1] in TABLES:
                    found.append(f"{detail}: {' '.join(statement.split())[:160]}")
    return found


class History:
    """A service folder with finished conferences and two just taken in (their copies ready)."""

    def __init__(self, root: Path, finished: int) -> None:
        self.folder = Folder(root)
        finished_templates(self.folder)
        self.added = 0
        self.steps = 0  # thousands of SQLite steps the last command took
        self.add_finished(finished)
        for conference_id, name in zip(
            OPEN, ("review-plan-ends", "initial-domestic-abuse"), strict=True
        ):
            self.folder.cpc("ingest", str(self.folder.export_file(name, conference_id)))
        self.database = root / "state" / "cpc.sqlite3"
        self.today = clock.now().date()

    def add_finished(self, count: int) -> list[str]:
        store = self.folder.store()
        try:
            made = fill_history(store, count, start=self.added)
        finally:
            store.close()
        self.added += count
        return made

    def cpc(self, *args: str) -> tuple[str, list[tuple[str, Any]]]:
        with statements() as seen, sqlite_steps() as steps:
            output = self.folder.cpc(*args)
        self.steps = steps[0]
        return output, list(seen)

    def status(self) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
        output, seen = self.cpc("status", "--format", "json", "--today", self.today.isoformat())
        return json.loads(output), seen


def conferences_named(status: dict[str, Any]) -> set[str]:
    return {
        item["conference"]
        for value in status.values()
        if isinstance(value, list)
        for item in value
        if isinstance(item, dict) and "conference" in item
    }


@pytest.fixture
def history(tmp_path: Path) -> History:
    return History(tmp_path / "service", finished=40)


def test_status_reads_only_the_conferences_with_open_work(history: History) -> None:
    status, seen = history.status()
    assert whole_table_reads(history.database, seen) == []
    # What a person is shown is about the open conferences, none of the finished ones.
    assert conferences_named(status) == set(OPEN)
    due = {item["conference"] for item in status["due_today"] + status["overdue"]}
    assert due <= set(OPEN)
    steps = history.steps
    history.add_finished(120)
    again, seen_again = history.status()
    assert again == status
    assert len(seen_again) == len(seen)  # four times the history, the same statements
    assert history.steps <= steps * 1.1 + 5  # and the same reading (B-trees a level deeper)


def test_a_finished_conference_that_went_late_lately_is_still_shown_then_not(
    history: History,
) -> None:
    (late, long_ago) = history.add_finished(2)
    store = history.folder.store()
    with store.transaction() as connection:
        for conference_id, sent_on in (
            (late, history.today - timedelta(days=3)),
            (long_ago, history.today - timedelta(days=30)),
        ):
            first = connection.execute(
                sa.select(sa.func.min(deliveries.c.id)).where(
                    deliveries.c.conference_id == conference_id
                )
            ).scalar()
            connection.execute(
                deliveries.update()
                .where(deliveries.c.id == first)
                .values(sent_on=sent_on, late_by=2)
            )
    store.close()
    status, seen = history.status()
    assert whole_table_reads(history.database, seen) == []
    assert [item["conference"] for item in status["late"]] == [late]
    on_time = [
        c
        for c in status["checks"]
        if c["conference"] == late and c["check"] == "documents_sent_on_time"
    ]
    assert [c["status"] for c in on_time] == ["problem"]
    assert "by 2 working days" in on_time[0]["detail"]
    assert long_ago not in conferences_named(status)  # past the 14 days: in `cpc history`
    wider = json.loads(history.folder.cpc("status", "--format", "json", "--late-days", "40"))
    assert {item["conference"] for item in wider["late"]} == {late, long_ago}


def test_the_dry_run_looks_only_at_the_conferences_with_open_work(history: History) -> None:
    output, seen = history.cpc("distribute", "--dry-run", "--today", history.today.isoformat())
    assert whole_table_reads(history.database, seen) == []
    assert all(name in output for name in OPEN)
    assert "CPC-H-" not in output and "CPC-T-" not in output
    steps = history.steps
    history.add_finished(120)
    again, seen_again = history.cpc("distribute", "--dry-run", "--today", history.today.isoformat())
    assert again == output
    assert len(seen_again) == len(seen)
    assert history.steps <= steps * 1.1 + 5


def test_a_run_reads_no_finished_conference_and_sends_the_open_ones(history: History) -> None:
    output, seen = history.cpc("distribute", "--workers", "0")
    assert whole_table_reads(history.database, seen) == []
    assert "CPC-H-" not in output and "CPC-T-" not in output
    store = history.folder.store()
    try:
        sent = {d.conference_id for d in store.deliveries() if d.sent_on == history.today}
        untouched = {r.conference_id for r in store.copy_rows() if r.status != "delivered"}
    finally:
        store.close()
    assert set(OPEN) <= sent
    assert not any(c.startswith("CPC-H-") for c in sent | untouched)


def test_taking_in_an_export_reads_an_index_for_the_export_id_not_every_export(
    history: History,
) -> None:
    store = history.folder.store()
    raw = json.dumps(example("pre-birth-scheduled") | {"export_id": "EXP-NEW"}).encode()
    document = read_document(raw, "new.json", load_profiles().keys())
    try:
        with statements() as seen:
            assert store.take(document, "new.json") == "new"
    finally:
        store.close()
    assert whole_table_reads(history.database, seen) == []
    with sqlite3.connect(history.database) as connection:
        plans = [
            " ".join(str(row[-1]) for row in connection.execute(f"EXPLAIN QUERY PLAN {s}", p))
            for s, p in seen
            if "received_documents.document_id =" in s
        ]
    assert plans and all("ix_received_documents_kind_document_id" in plan for plan in plans)


def test_a_reused_export_id_is_refused_among_many_as_before(history: History) -> None:
    """Spec §1: a changed file reusing an export_id already taken (here a finished
    conference's, long ago) is refused, and the store is as it was."""
    store = history.folder.store()
    data = example("initial-domestic-abuse")
    data["conference"]["id"] = "CPC-NEW-1"
    data["export_id"] = "EXP-H-000007"
    document = read_document(json.dumps(data).encode(), "reused.json", load_profiles().keys())
    try:
        with pytest.raises(StaleDocument, match="export_id EXP-H-000007 was already taken"):
            store.take(document, "reused.json")
        assert store.current_exports("CPC-NEW-1") == []
    finally:
        store.close()


def _finished_store(tmp_path: Path) -> tuple[Store, str]:
    folder = Folder(tmp_path / "service")
    finished_templates(folder)
    store = folder.store()
    (conference_id,) = fill_history(store, 1)
    return store, conference_id


def _first(table: sa.Table, conference_id: str) -> Any:
    return sa.select(sa.func.min(table.c.id)).where(table.c.conference_id == conference_id)


# Each thing that leaves work open, as the store records it, made on a finished conference.
OPENED_BY = [
    # a new revision or an agreed amendment, not planned yet
    (conferences, "conference", {"planned_at": None}),
    # its current revision cannot be planned
    (conferences, "conference", {"plan_failed": True, "plan_error": "profile gone"}),
    # an agreed amendment the record no longer has the text for: the chair looks again
    (conferences, "conference", {"amendments_not_made": 1}),
    *(
        (copies, "first", {"status": status})
        for status in ("ready", "waiting", "held", "sending", "failed")
    ),
    # begun, not finished (a transient failure stays pending)
    (deliveries, "first", {"state": "pending"}),
    # with the social worker, not handed over yet
    (deliveries, "first", {"via": "p-sw", "handed_over_on": None}),
    # a task of the plan not done
    (tasks, "first", {"done_on": None}),
]


@pytest.mark.parametrize(("table", "which", "values"), OPENED_BY)
def test_what_leaves_work_open(
    tmp_path: Path, table: sa.Table, which: str, values: dict[str, Any]
) -> None:
    store, conference_id = _finished_store(tmp_path)
    try:
        assert conference_id not in store.open_conference_ids()
        with store.transaction() as connection:
            where = (
                table.c.conference_id == conference_id
                if which == "conference"
                else table.c.id == _first(table, conference_id).scalar_subquery()
            )
            connection.execute(table.update().where(where).values(**values))
        assert conference_id in store.open_conference_ids()
        assert conference_id in {r.conference_id for r in store.open_rows()}
    finally:
        store.close()


def test_a_pending_amendment_leaves_work_open_and_a_decided_one_does_not(tmp_path: Path) -> None:
    store, conference_id = _finished_store(tmp_path)
    row = {
        "amendment_id": "AMD-1",
        "conference_id": conference_id,
        "requested_by": "p-mother",
        "requester_copy_key": "p-mother/record",
        "received_on": date(2026, 1, 5),
        "window_ends": date(2026, 1, 12),
        "late": False,
        "sequence": 1,
        "raw": b"{}",
        "first_seen_at": clock.now(),
    }
    try:
        with store.transaction() as connection:
            connection.execute(amendments.insert().values(status="pending", **row))
        assert conference_id in store.open_conference_ids()
        with store.transaction() as connection:
            connection.execute(amendments.update().values(status="rejected"))
        assert conference_id not in store.open_conference_ids()
    finally:
        store.close()


@on_both_stores
def test_an_agreed_amendment_that_could_not_be_made_keeps_a_finished_conference_shown(
    tmp_path: Path,
) -> None:
    """The chair agreed a correction to a text a later revision had already changed: it is not
    made, and however finished the copies are, the status says so until the chair acts."""
    service = Service(tmp_path / "service", 'family = "folder"', renderer=FAKE)
    service.drop(example("initial-domestic-abuse"))
    service.distribute("2026-11-27")
    service.drop(example("amendment-agreed") | {"decision": {"status": "pending"}})
    revised = example("initial-domestic-abuse") | {"revision": 2, "export_id": "EXP-DV-R2"}
    (s4,) = (s for s in revised["record"]["sections"] if s["id"] == "s4")
    s4["paragraphs"][0] = s4["paragraphs"][0].replace("fell to 81%", "fell to 79%")
    service.drop(revised)
    service.drop(example("amendment-agreed"))
    service.distribute("2026-12-01")
    store = service.store()
    held = [r.copy_key for r in store.copy_rows(DV) if r.status == "held"]
    store.close()
    # The chair withdraws the records the changed revision holds back; the rest went.
    service.cpc("withdraw", DV, *held, "--by", "p-chair", "--why", "superseded")
    store = service.store()
    try:
        finish_everything(store, date(2026, 12, 1))
        (row,) = [r for r in store.open_rows() if r.conference_id == DV]
    finally:
        store.close()
    status = json.loads(service.cpc("status", "--format", "json", "--today", "2026-12-02"))
    assert [(a["conference"], a["amendment"]) for a in status["amendments_not_made"]] == [
        (DV, "AMD-0412-01")
    ]
    assert "no longer in section s4" in status["amendments_not_made"][0]["why"]
    assert row.revision == 2


def test_a_store_made_before_open_work_was_kept_is_brought_up_to_it(tmp_path: Path) -> None:
    """Migration 0006 on a store with history: a conference that could not be planned is still
    open work, and one with an agreed amendment is planned again by the next run (which counts
    the amendments it could not make), so none is lost from the status on upgrade."""
    from alembic import command
    from alembic.config import Config as AlembicConfig

    from pipeline.store.db import MIGRATIONS

    url = f"sqlite:///{tmp_path / 'cpc.sqlite3'}"
    engine = sa.create_engine(url)
    settings = AlembicConfig()
    settings.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        settings.attributes["connection"] = connection
        command.upgrade(settings, "0005")
        for number, plan_error in enumerate(("profile gone", None, None)):
            connection.exec_driver_sql(
                "INSERT INTO received_documents (id, sha256, kind, conference_id, document_id,"
                " revision, source_name, received_at, raw) VALUES (?, ?, 'export', ?, ?, 1,"
                " 'x.json', '2025-01-01 00:00:00', x'7b7d')",
                (number + 1, f"{number:064d}", f"CPC-M-{number}", f"EXP-M-{number}"),
            )
            connection.exec_driver_sql(
                "INSERT INTO conferences (conference_id, revision, document_id, stage, profile,"
                " checks, planned_at, plan_error) VALUES (?, 1, ?, 'initial', 'default', '[]',"
                " '2025-01-02 00:00:00', ?)",
                (f"CPC-M-{number}", number + 1, plan_error),
            )
        connection.exec_driver_sql(
            "INSERT INTO amendments (amendment_id, conference_id, requested_by,"
            " requester_copy_key, received_on, window_ends, late, status, sequence, raw,"
            " first_seen_at) VALUES ('AMD-M', 'CPC-M-1', 'p-mother', 'p-mother/record',"
            " '2025-01-03', '2025-01-10', 0, 'agreed', 1, x'7b7d', '2025-01-03 00:00:00')"
        )
    engine.dispose()
    store = Store.open(url)
    try:
        assert [r.conference_id for r in store.troubled_rows()] == ["CPC-M-0"]
        assert [r.conference_id for r in store.unplanned_rows()] == ["CPC-M-1"]
        assert store.open_conference_ids() == ["CPC-M-0", "CPC-M-1"]
    finally:
        store.close()


def test_a_finished_conference_planned_lately_still_shows_its_checks_not_met_then_not(
    history: History,
) -> None:
    """A conference taken in and sent today has no open work, but what its checks found (a
    professional who neither came nor sent a report, say) is today's news: shown while it was
    planned within the --late-days window, then in `cpc history` only."""
    (lately, long_ago) = history.add_finished(2)
    store = history.folder.store()
    with store.transaction() as connection:
        for conference_id, days in ((lately, 2), (long_ago, 30)):
            planned = datetime.combine(history.today - timedelta(days=days), time(9), tzinfo=UTC)
            connection.execute(
                conferences.update()
                .where(conferences.c.conference_id == conference_id)
                .values(planned_at=planned)
            )
    store.close()
    status, seen = history.status()
    assert whole_table_reads(history.database, seen) == []
    shown = {c["conference"] for c in status["checks"] if c["status"] == "problem"}
    assert lately in shown
    assert long_ago not in conferences_named(status)

"""A run on a PostgreSQL store shared by several machines: one run at a time across them, and a run spread over `cpc worker`s through the job queue.

Every machine here is a real process with its own state folder; all share one database of a
throw-away PostgreSQL server (tests/postgres_server.py) and one outbox and spool folder, as
machines sharing the database and the outbox storage do. What each reader receives (R29-R32:
each copy once, by its channel) is checked by `problems_after_recovery`, the same check as the
crash trials: every ready copy sent exactly once, nothing pending, every folder file once with
its recorded bytes, every posted copy in one envelope of one batch, the spool empty.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from pipeline.service.job_queue import JobOfRun, enqueue, queue_app
from pipeline.store.db import Store
from tests.postgres_server import PostgresServer
from tests.test_distribute_crash import (
    CHILD,
    ROOT,
    TODAY,
    TRIAL_EXPORTS,
    _clean_environment,
    ingest,
    make_service,
    problems_after_recovery,
)
from tests.worker_trials import _config

QUEUED = "queued for a worker"


class Machines:
    """Several `cpc` configurations (one state folder each) on one database and shared storage."""

    def __init__(self, root: Path, url: str) -> None:
        self.root = root
        self.url = url
        self.shared = root / "shared"
        self.ingest_config = make_service(root / "ingest", TRIAL_EXPORTS)
        self.ingest_config.write_text(_config(url, self.shared, root / "ingest" / "state"))
        ingest(self.ingest_config)

    def config(self, name: str, *, own_spool: bool = False) -> Path:
        folder = self.root / name
        folder.mkdir(parents=True, exist_ok=True)
        text = _config(self.url, self.shared, folder / "state")
        if own_spool:  # the spool in the machine's own state folder (a run in one process)
            text = text.replace(f'spool = "{self.shared / "spool"}"\n', "")
        config = folder / "cpc.toml"
        config.write_text(text)
        return config

    def start(self, config: Path, *args: str, name: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-c", CHILD, *args, "--config", str(config)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_clean_environment({"CRASH_RENDER": "fake", "PGAPPNAME": name}),
            cwd=ROOT,
        )

    def problems(self) -> list[str]:
        return problems_after_recovery(
            self.root,
            store_url=self.url,
            outbox=self.shared / "outbox",
            spool=self.shared / "spool",
        )

    def audit_actions(self) -> Counter[str]:
        store = Store.open(self.url)
        try:
            return Counter(line.action for line in store.audit_lines())
        finally:
            store.close()


def _holds_advisory_lock(conninfo: str, name: str) -> bool:
    with psycopg.connect(conninfo, autocommit=True) as connection:
        row = connection.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND a.application_name = %s",
            (name,),
        ).fetchone()
    return bool(row and row[0])


def _conninfo(server: PostgresServer, url: str) -> str:
    return server.conninfo(sa.engine.make_url(url).database or "")


def _wait_for_lock(
    server: PostgresServer, url: str, name: str, child: subprocess.Popen[str]
) -> None:
    deadline = time.monotonic() + 60
    while not _holds_advisory_lock(_conninfo(server, url), name):
        assert child.poll() is None, f"{name} ended before it held the run: {child.stderr.read()}"
        assert time.monotonic() < deadline, f"{name} never held the run"
        time.sleep(0.02)


@pytest.fixture
def machines(postgres_server: PostgresServer, tmp_path: Path) -> Machines:
    return Machines(tmp_path, postgres_server.new_database())


def test_two_runs_on_two_machines_sharing_one_database_deliver_each_copy_once(
    machines: Machines,
    postgres_server: PostgresServer,
) -> None:
    # Each with its own state folder and spool: the file lock of one is not the other's, so
    # only the database's lock keeps the second out.
    first_config = machines.config("first", own_spool=True)
    second_config = machines.config("second", own_spool=True)
    args = ("distribute", "--today", TODAY, "--workers", "0")
    first = machines.start(first_config, *args, name="first")
    _wait_for_lock(postgres_server, machines.url, "first", first)
    second = machines.start(second_config, *args, name="second")
    _, second_err = second.communicate(timeout=120)
    _, first_err = first.communicate(timeout=300)

    assert first.returncode == 0, first_err
    assert second.returncode == 1, second_err
    assert "another cpc distribute holds the run on this database" in second_err
    assert "this run did nothing" in second_err
    assert not (machines.root / "second" / "state" / "spool").exists()
    problems = problems_after_recovery(
        machines.root,
        store_url=machines.url,
        outbox=machines.shared / "outbox",
        spool=machines.root / "first" / "state" / "spool",
    )
    assert problems == []


def test_a_run_queued_for_two_workers_delivers_each_copy_once_and_batches_the_post_after_them(
    machines: Machines,
) -> None:
    run = machines.start(
        machines.config("run"), "distribute", "--queue", "--today", TODAY, name="run"
    )
    workers = [
        machines.start(machines.config(f"worker-{n}"), "worker", "--name", f"w{n}", name=f"w{n}")
        for n in range(2)
    ]
    out, err = run.communicate(timeout=300)
    for worker in workers:
        worker.terminate()  # SIGTERM: a worker ends after the job in hand
    worker_logs = [w.communicate(timeout=60)[1] for w in workers]

    assert run.returncode == 0, err
    assert all(w.returncode == 0 for w in workers), worker_logs
    assert machines.problems() == []
    # One job per conference, queued with its audit line, and the workers delivered them.
    actions = machines.audit_actions()
    assert actions[QUEUED] == len(TRIAL_EXPORTS)
    assert actions["queued job finished"] == len(TRIAL_EXPORTS)
    delivered_by = [log.count('"event": "delivered"') for log in worker_logs]
    assert sum(delivered_by) > 0
    # The post: one batch, made by the run after both jobs finished (a worker only begins it).
    batches = list((machines.shared / "outbox" / "post").glob("*.csv"))
    assert len(batches) == 1
    assert all('"channel": "post"' not in log for log in worker_logs)
    events = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    finished = [i for i, e in enumerate(events) if e["event"] == "jobs" and e["waiting"] == 0]
    posted = [
        i for i, e in enumerate(events) if e["event"] == "delivered" and e["channel"] == "post"
    ]
    assert finished and posted and min(posted) > finished[0]
    # The summary says what the workers delivered, as a run in one process would.
    assert "delivered" in out.lower()


def test_a_run_queued_with_no_worker_waits_then_stops_without_the_post_batch(
    machines: Machines,
) -> None:
    config = machines.config("run")
    config.write_text(config.read_text().replace("wait_minutes = 10", "wait_minutes = 0.05"))
    run = machines.start(config, "distribute", "--queue", "--today", TODAY, name="run")
    out, err = run.communicate(timeout=120)

    assert run.returncode == 1, err
    assert "is a cpc worker running?" in out + err
    assert not (machines.shared / "outbox" / "post").exists()
    # Nothing was sent, and the jobs wait for a worker.
    store = Store.open(machines.url)
    try:
        assert [d for d in store.deliveries() if d.state == "sent"] == []
        assert len(store.queued_jobs("cpc-distribute", ("todo",))) == len(TRIAL_EXPORTS)
    finally:
        store.close()


def test_a_queued_run_and_a_worker_on_a_sqlite_store_are_refused(tmp_path: Path) -> None:
    config = make_service(tmp_path / "svc", TRIAL_EXPORTS)
    ingest(config)
    for args in (("distribute", "--queue", "--today", TODAY), ("worker", "--once")):
        done = subprocess.run(
            [sys.executable, "-c", CHILD, *args, "--config", str(config)],
            capture_output=True,
            text=True,
            env=_clean_environment({"CRASH_RENDER": "fake"}),
            cwd=ROOT,
            check=False,
        )
        assert done.returncode == 2, done.stderr
        assert "needs a PostgreSQL store" in done.stderr
    assert not (tmp_path / "svc" / "outbox").exists()
    shutil.rmtree(tmp_path / "svc")


def test_a_job_left_doing_by_a_lost_machine_does_not_stop_the_next_run(
    machines: Machines,
) -> None:
    """A whole site lost power mid-run: a job of the last run is left `doing`, its worker silent
    for a day. The next run gives it back (or ends it) before queuing the conference again, so
    the conference's lock is free and every copy goes once."""
    store = Store.open(machines.url)
    try:
        app = queue_app(store, sync=True)
        with app.open():
            [stale] = enqueue(
                store,
                app,
                [
                    JobOfRun(
                        "CPC-2026-0777",
                        "last-night",
                        date(2026, 12, 17),
                        datetime(2026, 12, 17, 9, 0, tzinfo=UTC),
                    )
                ],
            )
        conninfo = store.libpq_conninfo
    finally:
        store.close()
    with psycopg.connect(conninfo, autocommit=True) as connection:
        row = connection.execute(
            "INSERT INTO procrastinate_workers (last_heartbeat) "
            "VALUES (now() - interval '1 day') RETURNING id"
        ).fetchone()
        assert row is not None
        connection.execute(
            "UPDATE procrastinate_jobs SET status = 'doing', worker_id = %s WHERE id = %s",
            (row[0], stale),
        )
    run = machines.start(
        machines.config("run"), "distribute", "--queue", "--today", TODAY, name="run"
    )
    worker = machines.start(machines.config("worker"), "worker", "--name", "w", name="w")
    _, err = run.communicate(timeout=300)
    worker.terminate()
    worker.communicate(timeout=60)

    assert run.returncode == 0, err
    assert machines.problems() == []

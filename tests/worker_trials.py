"""Crash trials of a run spread over `cpc worker`s on PostgreSQL: workers SIGKILLed at random moments, restarted, and each copy still delivered exactly once.

A trial: one PostgreSQL database copied from an ingested one (pre-birth-scheduled.json and
initial-domestic-abuse.json, as the single-process trials of tests/test_distribute_crash.py),
`cpc distribute --queue` in a child process with a state folder of its own, and `workers`
`cpc worker` children, each with its own state folder, all sharing the database, the outbox and
the spool (as machines sharing the database and the outbox storage do). While the run waits
for its jobs, a worker chosen at random is killed with SIGKILL after a random time and a new one
started in its folder, until `kills` have been made or the run has finished. Then the workers
are stopped, and the state is checked by the same `problems_after_recovery` as the
single-process trials: every ready copy sent once, nothing pending, every folder file once with
its recorded bytes, every posted copy in one envelope of one batch, nothing left in the spool.

The killed worker's job is found by its missing heartbeat (`stalled_seconds`) and given to the
other worker (or to the restarted one), so each kill costs about that long. Renderings are
the fake renderer's (tests/fake_renderer.py), each conference taking as long as its layout would.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa

from pipeline.store.locks import lock_key
from tests.postgres_server import PostgresServer
from tests.test_distribute_crash import (
    CHILD,
    EXAMPLES,
    ROOT,
    TODAY,
    TRIAL_EXPORTS,
    KillPoint,
    _clean_environment,
    ingest,
    make_service,
    problems_after_recovery,
)

# A worker heard from less often than this is taken for dead: short, so a trial's kills cost
# seconds; the heartbeat is at most half of it (the configuration refuses more).
STALLED_SECONDS = 1.0
HEARTBEAT_SECONDS = 0.5


def _config(url: str, shared: Path, state: Path) -> str:
    return (
        f'database_url = "{url}"\n'
        "[folders]\n"
        f'inbox = "inbox"\nstate = "{state}"\noutbox = "{shared / "outbox"}"\n'
        f'spool = "{shared / "spool"}"\n'
        f"[queue]\nstalled_seconds = {STALLED_SECONDS}\nheartbeat_seconds = {HEARTBEAT_SECONDS}\n"
        "retry_wait_seconds = 0\nwait_minutes = 10\n"
    )


@dataclass
class QueueTemplate:
    """An ingested PostgreSQL database each trial copies."""

    server: PostgresServer
    url: str
    conferences: int


def prepare_queue(server: PostgresServer, workdir: Path, copies: int = 4) -> QueueTemplate:
    """`copies` of each trial export under conference ids of their own (more jobs in a run, so
    more moments for a kill), ingested into a database the trials copy."""
    url = server.new_database()
    root = workdir / "ingest"
    config = make_service(root, ())
    config.write_text(_config(url, workdir / "ingest-shared", root / "state"))
    for number in range(copies):
        for name in TRIAL_EXPORTS:
            data = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
            data["conference"]["id"] = f"{data['conference']['id']}-{number}"
            data["export_id"] = f"{data['export_id']}-{number}"
            target = root / "inbox" / "exports" / f"{number}-{name}"
            target.write_text(json.dumps(data), encoding="utf-8")
    ingest(config)
    return QueueTemplate(server, url, copies * len(TRIAL_EXPORTS))


@dataclass
class QueueTrial:
    name: str
    kills: int
    seconds: float
    problems: list[str] = field(default_factory=list)
    distribute_output: str = ""
    # Of the kills, how many found the job's conference with a delivery begun and not sent.
    kills_mid_delivery: int = 0


def _busy_workers(conninfo: str) -> set[tuple[str, int]]:
    """(worker name, the conference lock it holds) for each worker doing a job now."""
    with psycopg.connect(conninfo, autocommit=True) as connection:
        # A worker doing a job holds its conference's advisory lock; each worker's connections
        # carry its name (PGAPPNAME).
        return {
            (str(row[0]), int(row[1]) * 2**32 + int(row[2]))
            for row in connection.execute(
                "SELECT a.application_name, l.classid, l.objid FROM pg_locks l "
                "JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database()"
            )
        }


def _begun_not_sent(conninfo: str, lock: int) -> bool:
    """Whether the conference whose advisory lock is `lock` has a delivery begun and not sent
    (other than the post's, which waits for the run's batch)."""
    with psycopg.connect(conninfo, autocommit=True) as connection:
        conferences = [
            str(row[0])
            for row in connection.execute(
                "SELECT DISTINCT conference_id FROM deliveries "
                "WHERE state = 'pending' AND channel <> 'post'"
            )
        ]
    return any(lock_key(f"conference {c}") % 2**64 == lock for c in conferences)


class _JobLengths:
    """How long the jobs seen from start to end took (a killed one is not counted)."""

    def __init__(self) -> None:
        self.started: dict[tuple[str, int], float] = {}
        self.lengths: list[float] = []

    def see(self, busy: set[tuple[str, int]]) -> None:
        now = time.monotonic()
        for held in busy:
            self.started.setdefault(held, now)
        for held in [h for h in self.started if h not in busy]:
            self.lengths.append(now - self.started.pop(held))

    def killed(self, held: tuple[str, int]) -> None:
        self.started.pop(held, None)

    def typical(self, default: float) -> float:
        """The upper quartile of the lengths seen (enough of the job to reach its deliveries)."""
        if len(self.lengths) < 3:
            return default
        ordered = sorted(self.lengths)
        return ordered[(3 * len(ordered)) // 4]


def _start(
    config: Path,
    render: str,
    *args: str,
    log: Path,
    name: str = "run",
    kill: dict[str, Any] | None = None,
) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-c", CHILD, *args, "--config", str(config)]
    with log.open("ab") as err:
        return subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=_clean_environment(
                {"CRASH_RENDER": render, "PGAPPNAME": name}
                | ({} if kill is None else {"CRASH_KILL": json.dumps(kill)})
            ),
            cwd=ROOT,
        )


def queue_trial(
    template: QueueTemplate,
    workdir: Path,
    name: str,
    *,
    kills: int,
    workers: int = 2,
    seed: str = "queue",
    longest_wait: float = 0.3,
    kill_point: KillPoint | None = None,
) -> QueueTrial:
    """A run over `workers` workers, `kills` of them SIGKILLed at random (fewer if the run ends
    first); every problem the state shows after."""
    chance = random.Random(f"{seed}-{name}")
    root = workdir / name
    shared = root / "shared"
    url = template.server.new_database(like=template.url)
    # What survives a kill is the point, not the layout: the fake renderer, taking as long as a
    # layout would (30 ms a copy, asleep), so a job lasts long enough for kills to land all
    # through it, in its layout and in its deliveries.
    render = "fake-slow"
    configs = []
    for role in ["run", *(f"worker-{n}" for n in range(workers))]:
        (root / role).mkdir(parents=True)
        config = root / role / "cpc.toml"
        config.write_text(_config(url, shared, root / role / "state"))
        configs.append(config)
    started = time.monotonic()
    run = _start(
        configs[0], render, "distribute", "--queue", "--today", TODAY, log=root / "run.log"
    )
    logs = [root / f"worker-{n}.log" for n in range(workers)]
    generation = [0] * workers

    def start_worker(n: int) -> subprocess.Popen[bytes]:
        generation[n] += 1
        name = f"w{n}-{generation[n]}"
        # With a kill point, the first worker's first process kills itself at that step.
        kill = (
            kill_point.spec(shared)
            if kill_point is not None and (n, generation[n]) == (0, 1)
            else None
        )
        return _start(
            configs[n + 1], render, "worker", "--name", name, log=logs[n], name=name, kill=kill
        )

    pool = [start_worker(n) for n in range(workers)]
    conninfo = template.server.conninfo(sa.engine.make_url(url).database or "")
    made = mid_delivery = 0
    jobs_seen = _JobLengths()
    try:
        while kill_point is not None and run.poll() is None:
            if generation[0] == 1 and pool[0].poll() is not None:
                made += pool[0].returncode == -signal.SIGKILL  # it reached the step
                pool[0] = start_worker(0)
            time.sleep(0.05)
        while run.poll() is None and made < kills:
            # Only a worker doing a job is killed, at a random moment of that same job (a kill of
            # an idle worker, or one still starting, would test nothing). The moment is drawn
            # over the length jobs have been seen to take on this machine, as loaded as it is.
            busy = _busy_workers(conninfo)
            jobs_seen.see(busy)
            names = {f"w{n}-{generation[n]}": n for n in range(workers)}
            jobs = sorted(held for held in busy if held[0] in names)
            if not jobs:
                time.sleep(0.02)
                continue
            target = chance.choice(jobs)
            time.sleep(chance.uniform(0.0, jobs_seen.typical(longest_wait)))
            busy = _busy_workers(conninfo)
            jobs_seen.see(busy)
            if target not in busy:
                continue  # that job ended first: no kill, look again
            in_delivery = _begun_not_sent(conninfo, target[1])
            victim = names[target[0]]
            pool[victim].send_signal(signal.SIGKILL)
            pool[victim].wait()
            jobs_seen.killed(target)
            made += 1
            mid_delivery += in_delivery
            pool[victim] = start_worker(victim)
        run.wait(timeout=600)
    finally:
        for worker in pool:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in pool:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        if run.poll() is None:
            run.kill()
            run.wait()
    output = (root / "run.log").read_text(errors="replace")
    result = QueueTrial(
        name,
        made,
        time.monotonic() - started,
        distribute_output=output,
        kills_mid_delivery=mid_delivery,
    )
    if run.returncode != 0:
        result.problems.append(f"cpc distribute --queue exited {run.returncode}: {output[-2000:]}")
    result.problems += problems_after_recovery(
        root, store_url=url, outbox=shared / "outbox", spool=shared / "spool"
    )
    return result

"""Benchmark-like conferences on a PostgreSQL store → the run spread over 1, 2 and 4 `cpc worker` processes, against the same run in one process with its render pool; wall times, copies/s and their ratios, printed and written to bench/workers_results.json.

Usage: PYTHONPATH=. .venv/bin/python bench/bench_workers.py [--conferences N] [--workers 1,2,4]
           [--pool W] [--workdir DIR] [--out FILE]

A benchmark, not a test: it asserts nothing about speed; it stops only if a run fails or does not
deliver every ready copy. What it measures is what it is: every process on this one machine
(2 cores here), sharing one PostgreSQL server started for the purpose (tests/postgres_server.py,
fsync off) and one local disk for the outbox and the spool. More workers than cores cannot make
layout faster here; what the figures show is the queue's own cost against the render pool, and
that adding workers does not lose or repeat work. On several machines each worker has its own
cores, and the run's wall time is then bound by the slowest worker's share and the post batch.

Each run starts from the same ingested database (copied with CREATE DATABASE ... TEMPLATE): the
conferences of bench/bench_service.py's `make_conferences` (the shipped examples with new ids),
real rendering, professionals by folder, family by post. Timed: from starting `cpc distribute`
to its exit (the workers were started with it and were waiting); within that, the jobs (queued →
the last job finished) and the rest (the run's start, re-planning, and the post batch made after
every job). The floor it compares with is the run in one process, `cpc distribute --workers P`
(the render pool of P processes) on a copy of the same database.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_service import make_conferences  # noqa: E402

from pipeline.store.db import Store  # noqa: E402
from tests.postgres_server import PostgresServer  # noqa: E402

CPC = [sys.executable, "-c", "from pipeline.cli.app import app; app(prog_name='cpc')"]


def _config(folder: Path, url: str, shared: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "cpc.toml"
    config.write_text(
        f'database_url = "{url}"\n[folders]\ninbox = "inbox"\nstate = "state"\n'
        f'outbox = "{shared / "outbox"}"\nspool = "{shared / "spool"}"\n'
        "[queue]\nstalled_seconds = 30\nheartbeat_seconds = 5\n"
    )
    return config


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("CPC_")} | {
        "PYTHONPATH": str(ROOT)
    }


def _events(stderr: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


def _all_sent(url: str, who: str) -> int:
    """The copies sent; stops the benchmark unless every ready copy was."""
    store = Store.open(url)
    try:
        ready = sum(1 for r in store.copy_rows() if r.in_plan and r.plan_status == "ready")
        sent = sum(1 for d in store.deliveries() if d.state == "sent")
    finally:
        store.close()
    if sent != ready:
        raise SystemExit(f"{who}: {sent} of {ready} ready copies sent")
    return sent


def _timed_distribute(config: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """`cpc distribute ARGS` to its exit, and its wall time."""
    started = time.monotonic()
    run = subprocess.run(
        [*CPC, "distribute", *args, "--config", str(config)],
        capture_output=True,
        text=True,
        env=_env(),
        check=False,
    )
    return run, time.monotonic() - started


def queued_run(server: PostgresServer, template: str, workers: int, root: Path) -> dict[str, Any]:
    url = server.new_database(like=template)
    shared = root / "shared"
    run_config = _config(root / "run", url, shared)
    pool = [
        subprocess.Popen(
            [
                *CPC,
                "worker",
                "--name",
                f"w{n}",
                "--config",
                str(_config(root / f"w{n}", url, shared)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=_env(),
        )
        for n in range(workers)
    ]
    time.sleep(3)  # the workers are up and waiting, as they are before a night's run
    run, wall = _timed_distribute(run_config, "--queue")
    for worker in pool:
        worker.terminate()
    for worker in pool:
        worker.wait(timeout=60)
    if run.returncode != 0:
        raise SystemExit(f"the queued run with {workers} workers failed:\n{run.stderr[-3000:]}")
    events = _events(run.stderr)
    queued = [datetime.fromisoformat(e["at"]) for e in events if e["event"] == "queued"]
    done = [
        datetime.fromisoformat(e["at"])
        for e in events
        if e["event"] == "jobs" and e["waiting"] == 0
    ]
    jobs_seconds = (done[-1] - queued[0]).total_seconds() if done and queued else None
    sent = _all_sent(url, f"{workers} workers")
    return {
        "mode": f"queue, {workers} worker(s)",
        "wall_s": wall,
        "jobs_s": jobs_seconds,
        "copies": sent,
    }


def pool_run(server: PostgresServer, template: str, processes: int, root: Path) -> dict[str, Any]:
    url = server.new_database(like=template)
    config = _config(root / "run", url, root / "shared")
    run, wall = _timed_distribute(config, "--workers", str(processes))
    if run.returncode != 0:
        raise SystemExit(f"the run in one process failed:\n{run.stderr[-3000:]}")
    sent = _all_sent(url, "in one process")
    return {
        "mode": f"one process, render pool of {processes}",
        "wall_s": wall,
        "jobs_s": None,
        "copies": sent,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conferences", type=int, default=30)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--pool", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "workers_results.json")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="cpc-bench-workers-"))
    server = PostgresServer()
    server.start()
    try:
        template = server.new_database()
        ingest_root = workdir / "ingest"
        make_conferences(args.conferences, ingest_root / "inbox" / "exports")
        config = _config(ingest_root, template, workdir / "ingest-shared")
        subprocess.run(
            [*CPC, "ingest", "--config", str(config)], check=True, env=_env(), capture_output=True
        )
        results = [pool_run(server, template, args.pool, workdir / "pool")]
        for count in (int(w) for w in args.workers.split(",")):
            results.append(queued_run(server, template, count, workdir / f"queue-{count}"))
    finally:
        server.stop()
    floor = results[0]["wall_s"]
    print(
        f"{args.conferences} conferences, {results[0]['copies']} copies, on {os.cpu_count()} cores "
        "(one machine: every worker shares its cores and one PostgreSQL server)"
    )
    print(f"{'mode':38} {'wall s':>8} {'jobs s':>8} {'copies/s':>9} {'vs floor':>9}")
    for r in results:
        jobs = "" if r["jobs_s"] is None else f"{r['jobs_s']:8.1f}"
        print(
            f"{r['mode']:38} {r['wall_s']:8.1f} {jobs:>8} {r['copies'] / r['wall_s']:9.1f} "
            f"{r['wall_s'] / floor:8.2f}x"
        )
    args.out.write_text(
        json.dumps(
            {
                "conferences": args.conferences,
                "cores": os.cpu_count(),
                "floor": "one process, render pool",
                "runs": results,
            },
            indent=1,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""`cpc distribute` killed with SIGKILL at random moments, many times → how often a re-run still delivers each copy exactly once, and every way it did not.

Usage: .venv/bin/python scripts/crash_trials.py [--trials N] [--seed S] [--real-rendering]
           [--kill-points] [--rerun in-process|child] [--workdir DIR] [--keep]
       .venv/bin/python scripts/crash_trials.py --queue-kills 200 [--queue-workers 2] [--seed S]

--queue-kills N: the run spread over `cpc worker`s on PostgreSQL instead (tests/worker_trials.py,
the trials of tests/test_worker_crash.py at larger numbers): a throw-away PostgreSQL server is
started, and trials of eight conferences each are run, a busy worker SIGKILLed at a random moment
of its job and restarted up to sixteen times a trial, until N kills have been made, then a worker
killed right after each step of a delivery (the kill points that are a worker's); each trial is
checked as the single-process ones are.

The trials of tests/test_distribute_crash.py (the same functions), at larger numbers: each starts
from the same freshly ingested state (pre-birth-scheduled.json and initial-domestic-abuse.json),
runs `cpc distribute --today 2026-12-18 --workers 0` in a child process, SIGKILLs it after a
seeded fraction of a full run (timed from the moment the child has imported the pipeline), runs
`cpc distribute` again to the end and checks the store, the outbox and the spool. Unlike the test,
a failing trial does not stop the run; at the end the script prints where the kills landed and
each kind of problem with the trials that showed it.

By default the child replays the renderings of one real run (rendering is pure and gives the same
bytes each time), so a trial takes about two seconds and every kill lands where state changes;
--real-rendering lays every document out again in every trial (about eight seconds a trial, and
most kills then land during layout). --kill-points also runs the test's fixed kill points once
each. Exit status: 0 if every trial passed, 1 if any did not.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # `tests` is not installed; import it from the checkout

from tests.test_distribute_crash import (  # noqa: E402
    KILL_POINTS,
    TRIAL_EXPORTS,
    Prepared,
    Recorded,
    TrialResult,
    prepare,
    random_delay,
    run_child,
    run_to_completion,
    trial,
)


def _rerun_in_child(config: Path, recorded: Recorded | None, prepared: Prepared) -> str:
    render = "" if recorded is None else f"replay:{prepared.recorded_path}"
    child = run_child(config, render=render)
    if child.returncode != 0:
        raise AssertionError(f"the run after the kill failed: {child.stderr}")
    return ""


def _kind(problem: str) -> str:
    """A problem with its paths, keys and names blurred, to group trials by kind of failure."""
    blurred = re.sub(r"^post \(.*?\):", "post <letter>:", problem)
    blurred = re.sub(r"^\S+: ", "<path>: ", blurred)
    blurred = re.sub(r"^CPC-\d{4}-\d{4} \S+: ", "<copy>: ", blurred)
    return re.sub(r"\d+", "N", blurred)


def queue_trials(kills: int, workers: int, seed: str, workdir: Path, keep: bool) -> int:
    from tests.postgres_server import PostgresServer
    from tests.test_distribute_crash import on_the_test_day
    from tests.worker_trials import prepare_queue, queue_trial

    server = PostgresServer()
    server.start()
    started = time.monotonic()
    made = mid_delivery = 0
    failed: list[str] = []
    trials = 0
    try:
        with on_the_test_day():
            template = prepare_queue(server, workdir / "template")
            print(
                f"{template.conferences} conferences, {workers} workers, in {workdir}", flush=True
            )
            while made < kills:
                name = f"trial-{trials:04d}"
                result = queue_trial(
                    template, workdir, name, kills=min(16, kills - made), workers=workers, seed=seed
                )
                trials += 1
                made += result.kills
                mid_delivery += result.kills_mid_delivery
                mark = "ok" if not result.problems else f"{len(result.problems)} problem(s)"
                print(
                    f"{name}: {result.kills:2d} kills ({result.kills_mid_delivery:2d} with a "
                    f"delivery begun and not sent) in {result.seconds:5.1f} s: {mark}",
                    flush=True,
                )
                for problem in result.problems:
                    print(f"    {problem}")
                if result.problems:
                    failed.append(name)
                elif not keep:
                    shutil.rmtree(workdir / name)
            for point, spec in KILL_POINTS.items():
                if point.startswith("batch"):
                    continue  # the post batch is the run's, not a worker's
                result = queue_trial(template, workdir, point, kills=0, kill_point=spec)
                reached = "reached" if result.kills else "NOT REACHED"
                mark = "ok" if not result.problems and result.kills else "problem"
                print(f"kill point {point}: {reached}, {mark}", flush=True)
                for problem in result.problems:
                    print(f"    {problem}")
                if result.problems or not result.kills:
                    failed.append(point)
    finally:
        server.stop()
    print()
    print(f"{trials} trials, {made} kills of busy workers, in {time.monotonic() - started:.0f} s")
    print(f"  kills with a delivery begun and not yet sent: {mid_delivery}")
    print(f"  trials with problems (a copy lost, sent twice, or left pending): {len(failed)}")
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--seed", default="crash")
    parser.add_argument("--real-rendering", action="store_true")
    parser.add_argument("--kill-points", action="store_true")
    parser.add_argument("--rerun", choices=("in-process", "child"), default="in-process")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the trials' folders")
    parser.add_argument("--queue-kills", type=int, default=0)
    parser.add_argument("--queue-workers", type=int, default=2)
    args = parser.parse_args()

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="cpc-crash-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if args.queue_kills:
        return queue_trials(args.queue_kills, args.queue_workers, args.seed, workdir, args.keep)
    started = time.monotonic()
    print(f"preparing in {workdir} ({', '.join(TRIAL_EXPORTS)}) ...", flush=True)
    prepared = prepare(workdir / "prepared")
    print(
        f"{prepared.ready_copies} ready copies; a full run takes {prepared.full_run:.2f} s with "
        f"replayed rendering, {prepared.full_run_real_rendering:.2f} s with real rendering",
        flush=True,
    )
    full_run = prepared.full_run_real_rendering if args.real_rendering else prepared.full_run

    def rerun(config: Path, recorded: Recorded | None) -> str:
        if args.rerun == "child":
            return _rerun_in_child(config, recorded, prepared)
        return run_to_completion(config, recorded)

    results: list[TrialResult] = []
    for number in range(args.trials):
        delay = random_delay(prepared, number, args.seed) * full_run / prepared.full_run
        result = trial(
            prepared,
            workdir,
            f"trial-{number:04d}",
            kill_after=delay,
            real_rendering=args.real_rendering,
            rerun=rerun,
        )
        results.append(result)
        mark = "ok" if not result.problems else f"{len(result.problems)} problem(s)"
        print(
            f"trial {number:4d}: kill at {delay:5.2f} s "
            f"{'(run had ended)' if not result.killed else ''}"
            f"[{result.at_kill.sent:2d} sent, {result.at_kill.pending:2d} pending] {mark}",
            flush=True,
        )
        if not args.keep and not result.problems:
            shutil.rmtree(workdir / result.name)
    if args.kill_points:
        for point, spec in KILL_POINTS.items():
            root = workdir / point
            result = trial(
                prepared,
                workdir,
                point,
                kill=spec.spec(root),
                real_rendering=args.real_rendering,
                rerun=rerun,
            )
            results.append(result)
            mark = "ok" if not result.problems else f"{len(result.problems)} problem(s)"
            print(f"kill point {point}: {mark}", flush=True)

    random_results = results[: args.trials]
    print()
    print(f"{len(results)} trials in {time.monotonic() - started:.0f} s")
    print(f"  killed during the run: {sum(r.killed for r in random_results)} of {args.trials}")
    phases = Counter(r.at_kill.phase() for r in random_results if r.killed)
    for phase, count in phases.most_common():
        print(f"    {count:4d} {phase}")
    failed = [r for r in results if r.problems]
    print(f"  trials with problems after the re-run: {len(failed)}")
    kinds: dict[str, list[str]] = defaultdict(list)
    for result in failed:
        for kind in sorted({_kind(p) for p in result.problems}):
            kinds[kind].append(result.name)
    for kind, names in sorted(kinds.items(), key=lambda item: -len(item[1])):
        shown = ", ".join(names[:6]) + (" ..." if len(names) > 6 else "")
        print(f"    {len(names):4d} x {kind}")
        print(f"           {shown}")
    if failed:
        print(f"  the failing trials' folders are kept under {workdir}")
    elif not args.keep and args.workdir is None:
        shutil.rmtree(workdir)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

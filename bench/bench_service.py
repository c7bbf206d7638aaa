"""100 conferences made from the shipped exports → wall time of `cpc ingest` and of `cpc distribute --workers 2`, peak memory and documents per second, printed and written to bench/service_results.json.

Usage: .venv/bin/python bench/bench_service.py [--conferences N] [--workers W] [--workdir DIR]
           [--out FILE]

A benchmark, not a test: it asserts nothing about speed, only that the run delivered everything.
The conferences are the three cpc-export/1 examples (initial-domestic-abuse, review-plan-ends,
pre-birth-scheduled) taken in turn, each with a new conference id (CPC-2027-NNNN) and export_id
(BENCH-EXP-NNNN) and otherwise unchanged, so each is "of the size of the examples"; every one is
validated with `load_export` before it is dropped in the inbox.

Both commands run as an operator runs them: `cpc` in a child process on a configuration file
(folders under the work folder; professionals and authorised readers by folder, family by post).
`cpc distribute` renders in a pool of W forkserver worker processes (pebble, as configured) and
delivers in the parent. Its phases are timed from the JSON event lines it writes on stderr,
stamped as they arrive: start-up, recovery and re-planning until the "rendering" event; rendering
and delivering until the last "delivered" event; then the post batch and exit.

Memory: `ru_maxrss` from wait4() for each command (the command and the descendants it reaped;
forkserver workers are reaped by the fork server, which the command does not wait for, so this is
in practice the parent alone), the bench's own getrusage(RUSAGE_SELF and RUSAGE_CHILDREN), and
the peak resident set of the whole process tree (the command, the fork server, its workers)
sampled from /proc every 0.1 s: the sum over the tree and the largest single process, and about
twenty of the samples as a timeline (seconds, the command alone, the whole tree).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.contract.load import load_export  # noqa: E402
from pipeline.procedure.profile import load_profiles  # noqa: E402
from pipeline.store.db import Store  # noqa: E402

EXAMPLES = ROOT / "examples"
SOURCES = ("initial-domestic-abuse.json", "review-plan-ends.json", "pre-birth-scheduled.json")
# The run's day: today in the UK (a run refuses a day still to come).
TODAY = datetime.now(ZoneInfo("Europe/London")).date().isoformat()
PAGE = os.sysconf("SC_PAGE_SIZE")


def make_conferences(count: int, inbox: Path) -> list[str]:
    """`count` exports in the inbox, each an example with new ids; returns the conference ids."""
    profiles = load_profiles()
    sources = [json.loads((EXAMPLES / name).read_text(encoding="utf-8")) for name in SOURCES]
    inbox.mkdir(parents=True, exist_ok=True)
    made = []
    for number in range(1, count + 1):
        data = copy.deepcopy(sources[(number - 1) % len(sources)])
        data["conference"]["id"] = f"CPC-2027-{number:04d}"
        data["export_id"] = f"BENCH-EXP-{number:04d}"
        raw = json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")
        export = load_export(raw, profiles.keys(), f"conference {number}")
        made.append(export.conference.id)
        (inbox / f"{export.conference.id}.json").write_bytes(raw)
    return made


# ---- memory of a process tree ---------------------------------------------------------------------


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: the fields after it are fixed.
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    return children


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as handle:
            return int(handle.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


@dataclass
class TreeMemory:
    """Peak resident set of a process and its descendants, sampled."""

    root: int
    peak_total: int = 0
    peak_single: int = 0
    peak_processes: int = 0
    samples: int = 0
    timeline: list[tuple[float, int, int]] = field(default_factory=list)  # (s, command, tree)
    _stop: threading.Event = field(default_factory=threading.Event)
    _started: float = field(default_factory=time.monotonic)

    def sample(self) -> None:
        children = _children_map()
        tree, todo = [], [self.root]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo.extend(children.get(pid, ()))
        sizes = [_rss(pid) for pid in tree]
        self.peak_total = max(self.peak_total, sum(sizes))
        self.peak_single = max(self.peak_single, max(sizes, default=0))
        self.peak_processes = max(self.peak_processes, sum(1 for s in sizes if s))
        self.samples += 1
        self.timeline.append((time.monotonic() - self._started, sizes[0], sum(sizes)))

    def run(self, interval: float = 0.1) -> None:
        while not self._stop.wait(interval):
            self.sample()

    def stop(self) -> None:
        self._stop.set()


# ---- running a command ----------------------------------------------------------------------------


@dataclass
class Timed:
    seconds: float
    returncode: int
    maxrss_bytes: int  # from wait4: the command and the descendants it reaped
    tree: TreeMemory
    events: list[tuple[float, dict[str, Any]]]
    stdout: str
    stderr_other: list[str]


def run_cpc(args: list[str], config: Path) -> Timed:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CPC_")}
    command = [sys.executable, "-c", "from pipeline.cli.app import app; app(prog_name='cpc')"]
    started = time.monotonic()
    child = subprocess.Popen(
        [*command, *args, "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )
    tree = TreeMemory(child.pid)
    sampler = threading.Thread(target=tree.run, daemon=True)
    sampler.start()
    events: list[tuple[float, dict[str, Any]]] = []
    other: list[str] = []
    output: list[bytes] = []

    def read_stdout() -> None:
        assert child.stdout is not None
        output.append(child.stdout.read())

    reader = threading.Thread(target=read_stdout, daemon=True)
    reader.start()
    assert child.stderr is not None
    for line in child.stderr:
        text = line.decode("utf-8", errors="replace").strip()
        try:
            event = json.loads(text)
        except json.JSONDecodeError:
            other.append(text)
            continue
        events.append((time.monotonic() - started, event))
    reader.join()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.monotonic() - started
    tree.stop()
    sampler.join()
    child.returncode = os.waitstatus_to_exitcode(status)
    child.stdout.close()  # type: ignore[union-attr]
    child.stderr.close()
    return Timed(
        seconds,
        child.returncode,
        usage.ru_maxrss * 1024,
        tree,
        events,
        b"".join(output).decode("utf-8", errors="replace"),
        other,
    )


def _mb(value: int) -> float:
    return round(value / 2**20, 1)


def _timeline(tree: TreeMemory, points: int = 20) -> list[list[float]]:
    """About `points` samples, evenly spread: [seconds, command MB, whole tree MB]."""
    step = max(1, len(tree.timeline) // points)
    chosen = tree.timeline[::step]
    if tree.timeline and chosen[-1] != tree.timeline[-1]:
        chosen.append(tree.timeline[-1])
    return [[round(t, 1), _mb(command), _mb(total)] for t, command, total in chosen]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conferences", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "service_results.json")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="cpc-bench-service-") as scratch:
        root = args.workdir or Path(scratch)
        root.mkdir(parents=True, exist_ok=True)
        config = root / "cpc.toml"
        config.write_text(
            '[folders]\ninbox = "inbox"\nstate = "state"\noutbox = "outbox"\n', encoding="utf-8"
        )
        made = make_conferences(args.conferences, root / "inbox" / "exports")
        print(f"{len(made)} conferences in {root / 'inbox' / 'exports'}", flush=True)

        ingest = run_cpc(["ingest"], config)
        if ingest.returncode != 0:
            print(ingest.stdout, *ingest.stderr_other, sep="\n", file=sys.stderr)
            return 1
        print(f"cpc ingest: {ingest.seconds:.1f} s", flush=True)

        distribute = run_cpc(
            ["distribute", "--today", TODAY, "--workers", str(args.workers)], config
        )
        if distribute.returncode != 0:
            print(distribute.stdout, *distribute.stderr_other, sep="\n", file=sys.stderr)
            return 1
        print(f"cpc distribute --workers {args.workers}: {distribute.seconds:.1f} s", flush=True)

        store = Store.open(f"sqlite:///{root / 'state' / 'cpc.sqlite3'}")
        try:
            deliveries = store.deliveries()
            ready = sum(
                1 for r in store.copy_rows() if r.in_plan and r.plan_status == "ready"
            )
        finally:
            store.close()
        states = Counter(d.state for d in deliveries)
        if states["pending"] or states["sent"] != ready:
            print(f"not everything was delivered: {dict(states)} of {ready}", file=sys.stderr)
            return 1
        outbox = root / "outbox"
        documents = [p for p in outbox.rglob("*") if p.is_file() and p.parent != outbox / "post"]
        posted_files = sum(len(d.files) for d in deliveries if d.channel == "post")
        batches = sorted((outbox / "post").glob("*.pdf"))
        folder_bytes = sum(p.stat().st_size for p in documents)

    own = resource.getrusage(resource.RUSAGE_SELF)
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    rendering_at = next(t for t, e in distribute.events if e["event"] == "rendering")
    delivered_at = [t for t, e in distribute.events if e["event"] == "delivered"]
    files_delivered = len(documents) + posted_files
    results = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "environment": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "packages": {
                name: metadata.version(name)
                for name in ("weasyprint", "pebble", "sqlalchemy", "pikepdf", "docxtpl")
            },
        },
        "conferences": len(made),
        "made_from": list(SOURCES),
        "workers": args.workers,
        "today": TODAY,
        "copies_ready": ready,
        "copies_rendered": sum(e["copies"] for _, e in distribute.events if e["event"] == "chosen"),
        "deliveries": dict(Counter(d.channel for d in deliveries)),
        "files_delivered": files_delivered,
        "files_in_outbox_folders": len(documents),
        "bytes_in_outbox_folders": folder_bytes,
        "post_batches": len(batches),
        "seconds": {
            "ingest": round(ingest.seconds, 2),
            "distribute": round(distribute.seconds, 2),
            "distribute_until_rendering_starts": round(rendering_at, 2),
            "distribute_rendering_and_delivering": round(
                (max(delivered_at) if delivered_at else rendering_at) - rendering_at, 2
            ),
            "distribute_post_batch_and_exit": round(
                distribute.seconds - (max(delivered_at) if delivered_at else rendering_at), 2
            ),
        },
        "per_second": {
            "conferences_ingested": round(len(made) / ingest.seconds, 2),
            "documents_delivered": round(files_delivered / distribute.seconds, 2),
            "copies_delivered": round(len(deliveries) / distribute.seconds, 2),
        },
        "memory_mb": {
            "ingest_maxrss_wait4": _mb(ingest.maxrss_bytes),
            "distribute_maxrss_wait4": _mb(distribute.maxrss_bytes),
            "distribute_tree_peak_total_sampled": _mb(distribute.tree.peak_total),
            "distribute_tree_peak_single_process_sampled": _mb(distribute.tree.peak_single),
            "distribute_tree_peak_processes": distribute.tree.peak_processes,
            "bench_rusage_self_maxrss": _mb(own.ru_maxrss * 1024),
            "bench_rusage_children_maxrss": _mb(reaped.ru_maxrss * 1024),
            "distribute_timeline_s_command_tree": _timeline(distribute.tree),
        },
        "notes": (
            "documents = files delivered (PDF and DOCX in folders, handover sheets, posted PDFs); "
            "a copy is one delivery. Rendering is in forkserver workers; the tree peak is the sum "
            "of the resident sets of the command, the fork server and its workers."
        ),
    }
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

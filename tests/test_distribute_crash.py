"""A distribution run killed with SIGKILL at any moment, then run again, delivers every ready copy exactly once (issue 4).

Each trial starts from the same freshly ingested state (pre-birth-scheduled.json and
initial-domestic-abuse.json: 41 ready copies by folder and by post, three through the social
worker), runs `cpc distribute --today 2026-12-18 --workers 0` in a child process, kills it with
SIGKILL, runs the same command again to the end, and checks what the store, the outbox and the
spool hold (`problems_after_recovery`):

- every ready copy in the plan has exactly one `sent` delivery and none is left `pending`;
- each folder delivery's files are in its folder once, with the recorded sha256, and the outbox
  folders hold nothing else (no second copy, no half-written temporary file);
- every posted delivery is enclosed in exactly one envelope row of one batch CSV, one envelope
  per person per batch, and each batch PDF has the pages its CSV lists (whole sheets);
- no delivery's folder is left in the spool.

The random trials kill the child after a seeded fraction of a full run, timed from the moment
the child has imported the pipeline (the kill lands in the run, not in Python's start-up). The
fixed trials kill it right after a named step (a SIGKILL the child sends itself), one for each
gap between two durable steps of a delivery.

Rendering is pure and deterministic (the same export gives the same bytes), so the trials replay
the renderings of one run instead of laying every document out again: that keeps twenty trials
inside a minute and puts every kill where state changes. In the suite the one run renders with
the fake renderer (tests/fake_renderer.py: what survives a kill is the point, not the layout);
`scripts/crash_trials.py` records real renderings, runs the same trials at larger numbers, and
renders for real throughout if asked.
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import io
import json
import os
import pickle
import random
import select
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from typer.testing import CliRunner

import pipeline.clock
import pipeline.service.run
from pipeline.cli.app import app
from pipeline.contract.load import load_export
from pipeline.delivery.preview import RenderedCopy
from pipeline.procedure.profile import load_profiles
from pipeline.rendering.handover_sheet import DOCUMENT_NAMES
from pipeline.service.render_pool import CopyJob
from pipeline.store.db import Store
from tests.conftest import TEST_NOW

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
TRIAL_EXPORTS = ("pre-birth-scheduled.json", "initial-domestic-abuse.json")
TODAY = "2026-12-18"
CONFIG = '[folders]\ninbox = "inbox"\nstate = "state"\noutbox = "outbox"\n'
RANDOM_TRIALS = 20
READY = "ready"

# The child: optionally replay recorded renderings, optionally kill itself at a named step, say
# it is ready (imports done), then run `cpc` with the arguments given.
CHILD = r"""
import hashlib, importlib, json, os, pickle, signal, sys

# The trials run on a day after the real one (issue 10 refuses that to a real run): the child's
# real clock stands where the suite's does (tests/conftest.py TEST_NOW).
from datetime import datetime
import pipeline.clock
_now = datetime.fromisoformat(os.environ["CRASH_NOW"])
pipeline.clock.now = lambda: _now

render = os.environ.get("CRASH_RENDER", "")
if render in ("fake", "fake-slow"):  # the fake renderer throughout (tests/worker_trials.py)
    from tests.fake_renderer import FAKE
    import pipeline.service.run as distribute
    import pipeline.service.queue_worker as queue_worker
    fake = FAKE
    if render == "fake-slow":  # as long as a layout takes, without its CPU: kills land in it
        import time
        def fake(raw, profile_dirs, jobs, *rest):
            time.sleep(0.03 * len(jobs))
            return FAKE(raw, profile_dirs, jobs, *rest)
    distribute.render_jobs = queue_worker.render_jobs = fake
elif render:
    import pipeline.service.run as distribute
    mode, path = render.split(":", 1)
    real = distribute.render_jobs
    if mode == "record-fake":  # the fake renderer's files recorded: what is laid out is not the point
        from tests.fake_renderer import FAKE as real
        mode = "record"
    if mode == "record":
        recorded = {}
        def render_jobs(raw, profile_dirs, jobs, *rest):
            out = real(raw, profile_dirs, jobs, *rest)
            if not any(getattr(r, "amendments", ()) for r in rest):
                digest = hashlib.sha256(raw).hexdigest()
                recorded.update({(digest, job): item for job, item in zip(jobs, out)})
            with open(path + ".part", "wb") as handle:
                pickle.dump(recorded, handle)
            os.replace(path + ".part", path)
            return out
    else:
        with open(path, "rb") as handle:
            recorded = pickle.load(handle)
        def render_jobs(raw, profile_dirs, jobs, *rest):
            if any(getattr(r, "amendments", ()) for r in rest):
                return real(raw, profile_dirs, jobs, *rest)
            digest = hashlib.sha256(raw).hexdigest()
            return tuple(
                recorded[(digest, job)] if (digest, job) in recorded
                else real(raw, profile_dirs, (job,), *rest)[0]
                for job in jobs
            )
    distribute.render_jobs = render_jobs
    import pipeline.service.queue_worker as queue_worker  # a worker's jobs render the same way
    queue_worker.render_jobs = render_jobs

kill = json.loads(os.environ.get("CRASH_KILL", "null"))
if kill:
    def resolve(name):
        module, _, attribute = name.partition(":")
        owner = importlib.import_module(module)
        *path, last = attribute.split(".")
        for part in path:
            owner = getattr(owner, part)
        return owner, last

    owner, last = resolve(kill["target"])
    original = getattr(owner, last)
    calls = [0]
    def counts(args):
        under = kill.get("path_under")
        return under is None or any(str(a).startswith(under) for a in args)
    def target(*args, **kwargs):
        hit = counts(args) and calls[0] + 1 == kill["nth"]
        if counts(args):
            calls[0] += 1
        if hit and kill["when"] == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        result = original(*args, **kwargs)
        if hit:
            os.kill(os.getpid(), signal.SIGKILL)
        return result
    setattr(owner, last, target)

from pipeline.cli.app import app
sys.stdout.write("ready\n")
sys.stdout.flush()
app(prog_name="cpc")
"""


# ---- a service in a folder -----------------------------------------------------------------------


def make_service(root: Path, exports: tuple[str, ...] = TRIAL_EXPORTS) -> Path:
    """The configuration and an inbox holding the exports; returns the configuration file."""
    (root / "inbox" / "exports").mkdir(parents=True)
    for name in exports:
        shutil.copyfile(EXAMPLES / name, root / "inbox" / "exports" / name)
    config = root / "cpc.toml"
    config.write_text(CONFIG, encoding="utf-8")
    return config


def child_command(config: Path, today: str = TODAY) -> list[str]:
    return [
        sys.executable,
        "-c",
        CHILD,
        "distribute",
        "--today",
        today,
        "--workers",
        "0",
        "--config",
        str(config),
    ]


def _clean_environment(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CPC_", "CRASH_"))}
    return env | {"CRASH_NOW": TEST_NOW.isoformat()} | extra


@contextmanager
def on_the_test_day() -> Iterator[None]:
    """The real clock at TEST_NOW in this process too (scripts/crash_trials.py runs without
    pytest's fixture): TODAY is after the real day, which a real run otherwise refuses."""
    real = pipeline.clock.now
    pipeline.clock.now = lambda: TEST_NOW  # type: ignore[assignment]
    try:
        yield
    finally:
        pipeline.clock.now = real  # type: ignore[assignment]


@dataclass
class ChildRun:
    returncode: int
    seconds: float  # from "ready" (imports done) to exit
    killed: bool
    stderr: str


def run_child(
    config: Path,
    *,
    render: str = "",
    kill: dict[str, Any] | None = None,
    kill_after: float | None = None,
    timeout: float = 300.0,
) -> ChildRun:
    """Run `cpc distribute` in a child; with `kill_after`, SIGKILL it that many seconds after it
    said it was ready (if it has not finished by then)."""
    extra = {"CRASH_RENDER": render} if render else {}
    if kill is not None:
        extra["CRASH_KILL"] = json.dumps(kill)
    stderr = config.parent / "child-stderr.txt"
    with (
        stderr.open("wb") as err,
        subprocess.Popen(
            child_command(config),
            stdout=subprocess.PIPE,
            stderr=err,
            env=_clean_environment(extra),
            cwd=ROOT,
        ) as child,
    ):
        assert child.stdout is not None
        ready, _, _ = select.select([child.stdout], [], [], timeout)
        line = child.stdout.readline() if ready else b""
        started = time.monotonic()
        if line != b"ready\n":
            child.kill()
            child.wait()
            raise RuntimeError(f"the child did not start: {stderr.read_text(errors='replace')}")
        killed = False
        if kill_after is not None:
            try:
                child.wait(timeout=kill_after)
            except subprocess.TimeoutExpired:
                child.send_signal(signal.SIGKILL)
                killed = True
        child.stdout.read()
        returncode = child.wait(timeout=timeout)
        seconds = time.monotonic() - started
    return ChildRun(
        returncode,
        seconds,
        killed or returncode == -signal.SIGKILL,
        stderr.read_text(errors="replace"),
    )


def ingest(config: Path) -> None:
    """`cpc ingest` through the real command, in a child process."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from pipeline.cli.app import app; app(prog_name='cpc')",
            "ingest",
            "--config",
            str(config),
        ],
        capture_output=True,
        env=_clean_environment({}),
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")


# ---- renderings recorded once, replayed in every trial -------------------------------------------

Recorded = dict[tuple[str, CopyJob], RenderedCopy]


def load_recorded(path: Path) -> Recorded:
    with path.open("rb") as handle:
        recorded: Recorded = pickle.load(handle)
    return recorded


@contextmanager
def replayed_rendering(recorded: Recorded | None) -> Iterator[None]:
    """In this process, `distribute` takes its renderings from `recorded` (those it has)."""
    if recorded is None:
        yield
        return
    real = pipeline.service.run.render_jobs

    def render_jobs(
        raw: bytes, profile_dirs: tuple[Path, ...], jobs: tuple[CopyJob, ...], *rest: Any
    ) -> tuple[RenderedCopy, ...]:
        # Keyed as the child keys them: by the export's bytes and the job. What else the call
        # carries (the records already delivered) changes a rendering only through amendments,
        # and a conference with amendments is always rendered for real.
        if any(getattr(r, "amendments", ()) for r in rest):
            return real(raw, profile_dirs, jobs, *rest)
        digest = hashlib.sha256(raw).hexdigest()
        return tuple(
            recorded[(digest, job)]
            if (digest, job) in recorded
            else real(raw, profile_dirs, (job,), *rest)[0]
            for job in jobs
        )

    pipeline.service.run.render_jobs = render_jobs  # type: ignore[assignment]
    try:
        yield
    finally:
        pipeline.service.run.render_jobs = real  # type: ignore[assignment]


def run_to_completion(config: Path, recorded: Recorded | None, today: str = TODAY) -> str:
    """`cpc distribute` again, in this process (no second start-up), until it is done."""
    with replayed_rendering(recorded), on_the_test_day():
        result = CliRunner().invoke(
            app,
            ["distribute", "--today", today, "--workers", "0", "--config", str(config)],
            env={k: None for k in os.environ if k.startswith("CPC_")},
        )
    if result.exit_code != 0:
        raise AssertionError(f"the run after the kill failed: {result.output}")
    return result.stdout


# ---- what must hold after any kill and a complete run ---------------------------------------------


@dataclass
class Snapshot:
    """What a killed run left: deliveries by state, spool folders, temporary files in the outbox."""

    sent: int = 0
    pending: int = 0
    spool_folders: int = 0
    outbox_temporary: int = 0
    outbox_files: int = 0  # in recipients' folders under their own names (not the post's)
    post_batches: int = 0

    def phase(self) -> str:
        if self.sent == 0 and self.pending == 0:
            return "before the first delivery was begun"
        if self.pending:
            return "with a delivery begun and not finished"
        return "between deliveries"


def snapshot(root: Path) -> Snapshot:
    found = Snapshot()
    store_file = root / "state" / "cpc.sqlite3"
    store = Store.open(f"sqlite:///{store_file}")
    try:
        states = Counter(d.state for d in store.deliveries())
    finally:
        store.close()
    found.sent, found.pending = states["sent"], states["pending"]
    spool = root / "state" / "spool"
    found.spool_folders = len(list(spool.iterdir())) if spool.is_dir() else 0
    outbox = root / "outbox"
    if outbox.is_dir():
        found.outbox_temporary = sum(1 for p in outbox.rglob("*.tmp") if p.is_file())
        found.outbox_files = sum(
            1
            for p in outbox.rglob("*")
            if p.is_file() and p.suffix != ".tmp" and p.parent != outbox / "post"
        )
        found.post_batches = len(list((outbox / "post").glob("*.csv")))
    return found


def _pages_padded(rows: list[dict[str, str]]) -> int:
    # An envelope's pages are whole sheets already (each part padded): an odd count is a fault.
    return sum(int(r["pages"]) + int(r["pages"]) % 2 for r in rows)


def problems_after_recovery(
    root: Path,
    store_url: str | None = None,
    outbox: Path | None = None,
    spool: Path | None = None,
) -> list[str]:
    """Every way the state under `root` breaks "each ready copy delivered exactly once"; the
    store, outbox and spool are root's own unless named (workers sharing a database)."""
    problems: list[str] = []
    store = Store.open(store_url or f"sqlite:///{root / 'state' / 'cpc.sqlite3'}")
    try:
        ready = {
            (r.conference_id, r.copy_key)
            for r in store.copy_rows()
            if r.in_plan and r.plan_status == READY
        }
        deliveries = store.deliveries()
        exports = [load_export(s.raw, load_profiles().keys()) for s in store.current_exports()]
    finally:
        store.close()
    names = {(e.conference.id, p.id): p.name for e in exports for p in e.people}
    names |= {(e.conference.id, c.id): c.name for e in exports for c in e.children}

    sent = Counter((d.conference_id, d.copy_key) for d in deliveries if d.state == "sent")
    for d in deliveries:
        if d.state != "sent":
            problems.append(f"{d.conference_id} {d.copy_key}: a delivery is left {d.state}")
    for key in sorted(ready):
        if sent[key] != 1:
            problems.append(f"{key[0]} {key[1]}: {sent[key]} sent deliveries, not 1")
    for key in sorted(set(sent) - ready):
        problems.append(f"{key[0]} {key[1]}: delivered but not a ready copy of the plan")

    outbox = outbox or root / "outbox"
    expected: dict[Path, str] = {}
    for d in deliveries:
        if d.channel != "folder":
            continue
        who = f"{d.via}/to-hand-over/{d.recipient}" if d.via else d.recipient
        for file in d.files:
            path = outbox / d.conference_id / who / file["name"]
            if path in expected:
                problems.append(f"{path.relative_to(root)}: written by two deliveries")
            expected[path] = file["sha256"]
    for path, digest in sorted(expected.items()):
        if not path.is_file():
            problems.append(f"{path.relative_to(root)}: missing")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            problems.append(f"{path.relative_to(root)}: not the bytes recorded")
    present = (
        {p for p in outbox.rglob("*") if p.is_file() and p.parent != outbox / "post"}
        if outbox.is_dir()
        else set()
    )
    for path in sorted(present - set(expected)):
        problems.append(f"{path.relative_to(root)}: in the outbox but no delivery recorded it")

    rows: list[dict[str, str]] = []
    post = outbox / "post"
    for listing in sorted(post.glob("*.csv")) if post.is_dir() else []:
        batch_rows = list(csv.DictReader(io.StringIO(listing.read_text(encoding="utf-8-sig"))))
        rows += batch_rows
        pdf = listing.with_suffix(".pdf")
        if not pdf.is_file():
            problems.append(f"{listing.relative_to(root)}: no batch PDF beside it")
            continue
        with pikepdf.open(pdf) as batch:
            if len(batch.pages) != _pages_padded(batch_rows):
                problems.append(
                    f"{pdf.relative_to(root)}: {len(batch.pages)} pages, the CSV lists "
                    f"{_pages_padded(batch_rows)}"
                )
    # One envelope per person per batch, and every posted delivery enclosed in exactly one.
    envelopes = Counter((r["batch"], r["conference"], r["recipient"]) for r in rows)
    for key, count in sorted(envelopes.items()):
        if count != 1:
            problems.append(f"post {key}: {count} envelopes for one person in one batch")
    in_csv = Counter(
        (r["batch"], r["conference"], enclosure, r["recipient"])
        for r in rows
        for enclosure in r["enclosures"].split("; ")
        if enclosure not in ("covering letter", "hand-over sheet")
    )
    posted = Counter(
        (
            d.batch_id,
            d.conference_id,
            DOCUMENT_NAMES[d.document] + ("" if d.edition == "original" else " (updated)"),
            names[(d.conference_id, d.via or d.recipient)],
        )
        for d in deliveries
        if d.channel == "post" and d.state == "sent"
    )
    for key in sorted(set(in_csv) | set(posted), key=str):
        if in_csv[key] != posted[key]:
            problems.append(
                f"post {key}: {posted[key]} posted deliveries, {in_csv[key]} enclosed in batch CSVs"
            )

    spool = spool or root / "state" / "spool"
    for folder in sorted(spool.iterdir()) if spool.is_dir() else []:
        problems.append(f"{folder.relative_to(root)}: left in the spool")
    return problems


# ---- trials ---------------------------------------------------------------------------------------


@dataclass
class Prepared:
    """An ingested state to copy for each trial, the recorded renderings, and how long a full run
    takes with them (from the child's start of work to its exit)."""

    template: Path
    recorded_path: Path
    recorded: Recorded
    full_run: float
    full_run_real_rendering: float
    ready_copies: int


def prepare(workdir: Path, *, fake_rendering: bool = False) -> Prepared:
    """`fake_rendering`: the recorded renderings are the fake renderer's (tests/fake_renderer.py),
    small files made at once, for the suite, where what survives a kill is the point, not the
    layout; the real renderer's otherwise (`scripts/crash_trials.py`)."""
    template = workdir / "template"
    ingest(make_service(template))
    # One run, recording its renderings, then one replaying them: both must leave a correct
    # state, and the second gives the length of a full run as the trials see it.
    recorded_path = workdir / "renderings.pickle"
    real = workdir / "full-run-real"
    shutil.copytree(template, real)
    mode = "record-fake" if fake_rendering else "record"
    first = run_child(real / "cpc.toml", render=f"{mode}:{recorded_path}")
    assert first.returncode == 0, first.stderr
    assert problems_after_recovery(real) == []
    replayed = []
    for number in range(2):  # the shorter of two: the other xdist worker may be busy at first
        replay = workdir / f"full-run-replayed-{number}"
        shutil.copytree(template, replay)
        second = run_child(replay / "cpc.toml", render=f"replay:{recorded_path}")
        assert second.returncode == 0, second.stderr
        assert problems_after_recovery(replay) == []
        replayed.append(second.seconds)
    ready_copies = snapshot(replay).sent
    return Prepared(
        template,
        recorded_path,
        load_recorded(recorded_path),
        min(replayed),
        first.seconds,
        ready_copies,
    )


@dataclass
class TrialResult:
    name: str
    killed: bool
    kill_after: float | None
    at_kill: Snapshot
    problems: list[str] = field(default_factory=list)


def trial(
    prepared: Prepared,
    workdir: Path,
    name: str,
    *,
    kill_after: float | None = None,
    kill: dict[str, Any] | None = None,
    real_rendering: bool = False,
    rerun: Callable[[Path, Recorded | None], str] = run_to_completion,
) -> TrialResult:
    """Fresh state, a run killed (after `kill_after` seconds, or at the step `kill` names), a run
    to the end, and every problem the result shows."""
    root = workdir / name
    shutil.copytree(prepared.template, root)
    config = root / "cpc.toml"
    render = "" if real_rendering else f"replay:{prepared.recorded_path}"
    child = run_child(config, render=render, kill=kill, kill_after=kill_after)
    if not child.killed and child.returncode != 0:
        raise AssertionError(f"{name}: the run failed before any kill: {child.stderr}")
    at_kill = snapshot(root)
    rerun(config, None if real_rendering else prepared.recorded)
    return TrialResult(name, child.killed, kill_after, at_kill, problems_after_recovery(root))


def random_delay(prepared: Prepared, number: int, seed: str = "crash") -> float:
    """A seeded fraction of a full run: the same trial number kills at the same point of it."""
    return random.Random(f"{seed}-{number}").uniform(0.02, 1.0) * prepared.full_run


# ---- the tests -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    """Made once per session: under xdist the first worker prepares, the others wait and reuse
    it (the session's workers share the parent of their temporary folders)."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return prepare(tmp_path_factory.mktemp("crash"), fake_rendering=True)
    shared = tmp_path_factory.getbasetemp().parent / "crash-trials"
    shared.mkdir(exist_ok=True)
    with (shared / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = shared / "prepared.pickle"
        if done.exists():
            with done.open("rb") as handle:
                found: Prepared = pickle.load(handle)
            return found
        made = prepare(shared, fake_rendering=True)
        with done.open("wb") as handle:
            pickle.dump(made, handle)
        return made


@pytest.mark.parametrize("number", range(RANDOM_TRIALS))
def test_a_run_killed_at_a_random_moment_then_run_again_delivers_each_copy_once(
    prepared: Prepared, tmp_path: Path, number: int
) -> None:
    delay = random_delay(prepared, number)
    result = trial(prepared, tmp_path, f"trial-{number:02d}", kill_after=delay)
    assert result.problems == [], (
        f"killed {delay:.2f} s into a {prepared.full_run:.2f} s run "
        f"({result.at_kill.phase()}: {result.at_kill})"
    )


@dataclass(frozen=True)
class KillPoint:
    target: str  # module:attribute path of the step
    when: str  # "before" or "after" the call
    nth: int = 1  # the how-many-th call that counts
    outbox_only: bool = False  # count only calls naming a path in the outbox

    def spec(self, root: Path) -> dict[str, Any]:
        spec: dict[str, Any] = {"target": self.target, "when": self.when, "nth": self.nth}
        if self.outbox_only:
            spec["path_under"] = str(root / "outbox") + os.sep
        return spec


KILL_POINTS = {
    # the posted copies' bytes are in the spool; no delivery is recorded yet
    "spooled-not-begun": KillPoint("pipeline.delivery.channels:Spool.put_all", "after"),
    # one folder copy's first file is staged in its folder under a hidden name; nothing is begun
    "staged-not-begun": KillPoint("pipeline.delivery.channels:stage_file", "after"),
    # every copy of the first conference is staged or spooled; none is begun
    "all-staged-not-begun": KillPoint("pipeline.store.db:Store.begin_deliveries", "before"),
    # the conference's deliveries are begun in one transaction; nothing is renamed into place
    "begun-not-placed": KillPoint("pipeline.store.db:Store.begin_deliveries", "after"),
    # the first staged file is about to be renamed into place; none is yet
    "placing-first-file": KillPoint("os:replace", "before", outbox_only=True),
    # two staged files are renamed into place, the rest are still staged
    "between-renames": KillPoint("os:replace", "after", 2, outbox_only=True),
    # every file is in its folder and the folders synced; the deliveries are still pending
    "placed-not-recorded": KillPoint("pipeline.delivery.channel:place_in_folders", "after"),
    # the conference's folder copies are recorded sent in one transaction, nothing said yet
    "recorded-not-cleared": KillPoint("pipeline.store.db:Store.finish_deliveries", "after"),
    # a later conference's deliveries begun, after the first one's were finished
    "second-conference-begun": KillPoint("pipeline.store.db:Store.begin_deliveries", "after", 2),
    # the run's posted letters are given a batch; nothing of the batch is written
    "batch-assigned": KillPoint("pipeline.store.db:Store.assign_batch", "after"),
    # the batch's CSV is written, not its PDF
    "batch-csv-written": KillPoint("pipeline.delivery.post:put_in_place", "after"),
    # the batch's CSV and PDF are written; none of its letters is recorded sent
    "batch-written-not-recorded": KillPoint(
        "pipeline.delivery.post:put_in_place", "after", 2
    ),
    # the batch's letters are recorded sent; their spool folders are not yet cleared
    "batch-recorded-not-cleared": KillPoint("pipeline.store.db:Store.finish_batch", "after"),
}


# What the outbox and the store hold at the kill, for the steps of a folder delivery: the kill
# lands where its comment above says (a kill point that moved would otherwise pass unseen).
AT_KILL: dict[str, Callable[[Snapshot], bool]] = {
    "staged-not-begun": lambda s: (s.pending, s.outbox_temporary, s.outbox_files) == (0, 1, 0),
    "all-staged-not-begun": lambda s: s.pending == s.outbox_files == 0 < s.outbox_temporary,
    "begun-not-placed": lambda s: s.outbox_files == 0 < min(s.pending, s.outbox_temporary),
    "placing-first-file": lambda s: s.outbox_files == 0 < min(s.pending, s.outbox_temporary),
    "between-renames": lambda s: s.outbox_files == 2 and min(s.pending, s.outbox_temporary) > 0,
    "placed-not-recorded": lambda s: s.outbox_temporary == s.sent == 0 < s.outbox_files,
    "recorded-not-cleared": lambda s: s.outbox_temporary == 0 < min(s.sent, s.outbox_files),
}


@pytest.mark.parametrize("point", KILL_POINTS)
def test_a_run_killed_right_after_a_step_then_run_again_delivers_each_copy_once(
    prepared: Prepared, tmp_path: Path, point: str
) -> None:
    root = tmp_path / point
    result = trial(prepared, tmp_path, point, kill=KILL_POINTS[point].spec(root))
    assert result.killed, f"{point}: the run never reached the step"
    if point in AT_KILL:
        assert AT_KILL[point](result.at_kill), f"{point}: killed elsewhere ({result.at_kill})"
    assert result.problems == [], f"killed {point} ({result.at_kill})"

"""Transient faults while taking files in: a full disk, a locked store, an unwritable inbox, two watchers (issue 10 item 4).

Each runs the real `cpc ingest` or `cpc watch` in a child process on real folders and a real
SQLite file (and, for the two ingests at once and the unwritable outbox, on PostgreSQL too:
the full disk, the locked store are the SQLite file's faults). For each: nothing is quarantined that is not bad, nothing is lost, the fault is
said in one line per file with no traceback, and the next run after the fault clears finishes
the work. The full disk is a small tmpfs mounted for the test, which needs root (as CI runs);
the test is skipped, saying so, only where the mount is refused. The unwritable inbox drops
root's capabilities with setpriv, as tests/test_inbox.py does, since root writes anywhere.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.intake.inbox import REASON_SUFFIX, InboxFolders
from tests.backends import URL_ENV, on_both_stores, open_store
from tests.conftest import EXAMPLES

ROOT = Path(__file__).resolve().parents[1]
GOOD = (EXAMPLES / "pre-birth-scheduled.json").read_bytes()
BAD = b'{"format": "cpc-export/1", "revision": 9223372036854775808}'


def _env(base: Path) -> dict[str, str]:
    # The test's PostgreSQL database, if it has one, is the child's store too (tests.backends).
    env = {k: v for k, v in os.environ.items() if not k.startswith("CPC_") or k == URL_ENV}
    env |= {
        "CPC_INBOX": str(base / "inbox"),
        "CPC_STATE": str(base / "state"),
        "CPC_OUTBOX": str(base / "outbox"),
        "PYTHONPATH": str(ROOT),
    }
    return env


def cpc(
    base: Path, *args: str, prefix: tuple[str, ...] = (), env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, sys.executable, "-m", "pipeline.cli.app", *args],
        env=_env(base) | (env or {}),
        cwd=base,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _folders(base: Path) -> InboxFolders:
    folders = InboxFolders.at(base / "inbox")
    folders.ensure()
    return folders


def _drop(folders: InboxFolders) -> tuple[Path, Path]:
    good = folders.exports / "b-good.json"
    bad = folders.exports / "a-bad.json"  # first in name order: ahead of the good file
    good.write_bytes(GOOD)
    bad.write_bytes(BAD)
    return good, bad


def _open_store(base: Path) -> None:
    # The store exists before the fault: the fault is met while taking a file, not at start.
    open_store(base / "state").close()


def _kept(folder: Path) -> list[bytes]:
    return [p.read_bytes() for p in folder.iterdir() if not p.name.endswith(REASON_SUFFIX)]


def _assert_one_clear_line_each(run: subprocess.CompletedProcess[str], *names: str) -> None:
    output = run.stdout + run.stderr
    assert "Traceback" not in output, output
    for name in names:
        lines = [line for line in output.splitlines() if name in line]
        assert len(lines) == 1 and "LEFT" in lines[0], output


def _assert_finished(base: Path, folders: InboxFolders) -> None:
    """The next run after the fault: the good file taken, the bad one quarantined, inbox empty."""
    run = cpc(base, "ingest")
    assert "Traceback" not in run.stdout + run.stderr
    assert list(folders.exports.iterdir()) == []
    assert _kept(folders.processed) == [GOOD]
    assert _kept(folders.quarantine) == [BAD]
    assert "revision: must be at most 2147483647" in next(
        p.read_text() for p in folders.quarantine.iterdir() if p.name.endswith(REASON_SUFFIX)
    )


# ---- a full disk ---------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(disk: Path) -> Path:
    """Write a file until the disk is full, to the last byte."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (65536, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:
                pass
    finally:
        os.close(fd)
    return filler


def test_a_full_disk_leaves_every_file_and_the_next_run_finishes(small_disk: Path) -> None:
    """issue 10 item 4: with the store, inbox and quarantine on a full disk, neither the bad
    file (its reason cannot be written) nor the good one (the store cannot commit) is quarantined
    or lost; each is said in one line; once space is freed the next run takes both."""
    folders = _folders(small_disk)
    _open_store(small_disk)
    good, bad = _drop(folders)
    # A reader holds the store open, as `cpc status` or the watcher would, so its WAL and
    # shared-memory files stay: the disk then fills under a store that opens but cannot commit.
    reader = sqlite3.connect(small_disk / "state" / "cpc.sqlite3")
    reader.execute("SELECT count(*) FROM sqlite_master").fetchall()
    filler = _fill(small_disk)
    try:
        run = cpc(small_disk, "ingest")
    finally:
        reader.close()
    assert run.returncode == 1
    _assert_one_clear_line_each(run, "a-bad.json", "b-good.json")
    assert "no space left on device" in run.stderr or "full" in run.stderr, run.stderr
    assert good.read_bytes() == GOOD and bad.read_bytes() == BAD
    assert _kept(folders.quarantine) == [] and _kept(folders.processed) == []
    filler.unlink()
    _assert_finished(small_disk, folders)


# ---- a locked store ------------------------------------------------------------------------------


def test_a_full_disk_under_the_store_at_start_is_one_line_and_nothing_moves(
    small_disk: Path,
) -> None:
    """issue 10 item 4: with nothing holding the store open, a full disk stops `cpc ingest` before
    it takes anything: a message, no traceback, every file where it was; then the next run."""
    folders = _folders(small_disk)
    _open_store(small_disk)
    good, bad = _drop(folders)
    filler = _fill(small_disk)
    run = cpc(small_disk, "ingest")
    assert run.returncode != 0
    assert "Traceback" not in run.stdout + run.stderr
    assert "cannot open the state store" in run.stderr
    assert good.read_bytes() == GOOD and bad.read_bytes() == BAD
    assert list(folders.quarantine.iterdir()) == [] and _kept(folders.processed) == []
    filler.unlink()
    _assert_finished(small_disk, folders)


def test_a_store_locked_by_another_process_leaves_the_file_and_the_next_run_takes_it(
    tmp_path: Path,
) -> None:
    """issue 10 item 4: another connection holds the store's write lock (BEGIN EXCLUSIVE) past
    the store's busy timeout: the good file is left, said in one line, not quarantined; the bad
    one needs no store and is quarantined; after the lock is let go the next run takes the good
    one. (It waits out the store's busy timeout once: set to 2 s here, 30 s by default.)"""
    folders = _folders(tmp_path)
    _open_store(tmp_path)
    good, _ = _drop(folders)
    holder = sqlite3.connect(tmp_path / "state" / "cpc.sqlite3", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        run = cpc(tmp_path, "ingest", env={"CPC_STORE_BUSY_TIMEOUT": "2"})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert run.returncode == 1
    _assert_one_clear_line_each(run, "b-good.json")
    assert "locked" in run.stderr, run.stderr
    assert good.read_bytes() == GOOD
    assert _kept(folders.processed) == []
    assert _kept(folders.quarantine) == [BAD]  # bad whatever the store's state
    _assert_finished(tmp_path, folders)


# ---- an unwritable inbox -------------------------------------------------------------------------


def test_an_unwritable_inbox_leaves_every_file_and_the_next_run_finishes(tmp_path: Path) -> None:
    """issue 10 item 4: the pipeline may read the drop folder but not move files out of it: the
    bad file is not quarantined (its reason file is taken back), the good one is kept in the
    store but stays in the inbox; each is said in one line; once the permission is put right the
    next run quarantines the bad file and moves the good one to processed/ as a duplicate."""
    setpriv = shutil.which("setpriv")
    assert setpriv is not None, "setpriv (util-linux) is needed to drop root's capabilities"
    folders = _folders(tmp_path)
    _open_store(tmp_path)
    good, bad = _drop(folders)
    folders.exports.chmod(0o555)
    try:
        run = cpc(tmp_path, "ingest", prefix=(setpriv, "--inh-caps=-all", "--bounding-set=-all"))
    finally:
        folders.exports.chmod(0o755)
    assert run.returncode == 1
    _assert_one_clear_line_each(run, "a-bad.json", "b-good.json")
    assert "permission denied" in run.stderr, run.stderr
    assert good.read_bytes() == GOOD and bad.read_bytes() == BAD
    assert list(folders.quarantine.iterdir()) == [] and _kept(folders.processed) == []
    _assert_finished(tmp_path, folders)


# ---- two watchers --------------------------------------------------------------------------------


def test_a_second_watcher_on_one_inbox_refuses_to_start_and_the_first_takes_the_files(
    tmp_path: Path,
) -> None:
    """issue 10 item 4: two `cpc watch` on one inbox raced and one died with an IntegrityError;
    now the second refuses at once in one line (exit 2) while the first takes every file."""
    folders = _folders(tmp_path)
    _open_store(tmp_path)
    config = tmp_path / "cpc.toml"
    config.write_text("[intake]\nsettle_seconds = 0.3\nrescan_seconds = 0.5\n")
    first = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli.app", "watch", "--config", str(config)],
        env=_env(tmp_path) | {"CPC_INBOX": str(folders.root)},
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert first.stderr is not None
        assert "watching" in first.stderr.readline()
        second = cpc(tmp_path, "watch", "--config", str(config))
        assert second.returncode == 2
        assert "another cpc watch is already watching" in second.stderr
        assert "Traceback" not in second.stderr and len(second.stderr.splitlines()) == 1
        _drop(folders)
        deadline = time.monotonic() + 60
        while list(folders.exports.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        first.terminate()
        out, err = first.communicate(timeout=30)
    assert "Traceback" not in out + err
    assert _kept(folders.processed) == [GOOD] and _kept(folders.quarantine) == [BAD]


@on_both_stores
def test_two_ingests_at_once_lose_nothing_and_quarantine_nothing_good(tmp_path: Path) -> None:
    """issue 10 item 4: `cpc ingest` beside another (or beside `cpc watch`) on the same inbox:
    each file is taken once, whichever process takes it; a race on the store is transient (the
    file is left, then a duplicate), never an IntegrityError traceback or a quarantine."""
    folders = _folders(tmp_path)
    _open_store(tmp_path)
    files = {}
    for n in range(12):
        data = json.loads(GOOD)
        data["export_id"] = f"EXP-RACE-{n}"
        data["conference"]["id"] = f"CPC-RACE-{n}"
        files[n] = json.dumps(data).encode()
        (folders.exports / f"{n:02d}.json").write_bytes(files[n])
    command = [sys.executable, "-m", "pipeline.cli.app", "ingest"]
    racers = [
        subprocess.Popen(
            command,
            env=_env(tmp_path),
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [racer.communicate(timeout=300) for racer in racers]
    for out, err in outputs:
        assert "Traceback" not in out + err and "IntegrityError" not in out + err
    cpc(tmp_path, "ingest")  # anything left by the race is taken now
    assert list(folders.exports.iterdir()) == []
    assert list(folders.quarantine.iterdir()) == []
    assert sorted(_kept(folders.processed)) == sorted(files.values())


# ---- an unwritable outbox -------------------------------------------------------------------------


# SQLite only: the outbox's permissions, not the store, are the point (and it lays out for real).
def test_an_unwritable_outbox_fails_the_run_in_one_line_and_the_next_run_delivers(
    tmp_path: Path,
) -> None:
    """Issue 10: a delivery outbox the service cannot write to (a share remounted read-only, a
    permission changed) fails the run with exit 1 and a line per copy, no traceback, and nothing
    is recorded as sent; once the permission is put right the next run delivers every copy, once."""
    setpriv = shutil.which("setpriv")
    assert setpriv is not None, "setpriv (util-linux) is needed to drop root's capabilities"
    folders = _folders(tmp_path)
    (folders.exports / "good.json").write_bytes(GOOD)
    assert cpc(tmp_path, "ingest").returncode == 0
    outbox = tmp_path / "outbox"
    outbox.mkdir(mode=0o700, exist_ok=True)
    outbox.chmod(0o500)
    try:
        run = cpc(
            tmp_path, "distribute", "--workers", "0",
            prefix=(setpriv, "--inh-caps=-all", "--bounding-set=-all"),
        )  # fmt: skip
    finally:
        outbox.chmod(0o700)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    store = open_store(tmp_path / "state")
    try:
        assert not [d for d in store.deliveries() if d.state == "sent"]
    finally:
        store.close()
    again = cpc(tmp_path, "distribute", "--workers", "0")
    assert again.returncode == 0, again.stdout + again.stderr
    store = open_store(tmp_path / "state")
    try:
        sent = [d for d in store.deliveries() if d.state == "sent"]
        ready = [r for r in store.copy_rows() if r.in_plan and r.plan_status == "ready"]
    finally:
        store.close()
    assert sent and len(sent) == len({(d.conference_id, d.copy_key) for d in sent}) == len(ready)

"""The service's folders and files are the service's alone, whatever the umask (issue 10 item 3).

The store, the kept exports, the spool and the outbox hold every address, the withheld ones
included: made under the common umask 022 by the real commands, every folder is 0700 and every
file 0600 or stricter.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.store.db import Store
from tests import service_harness
from tests.backends import Database, sqlite_url
from tests.conftest import EXAMPLES, example
from tests.fake_renderer import FAKE


@pytest.fixture
def umask_022() -> Iterator[None]:
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


def modes(root: Path) -> dict[str, int]:
    """Every folder and file under `root` (itself included), with its permission bits."""
    found = {str(root): stat.S_IMODE(root.stat().st_mode)}
    for path in root.rglob("*"):
        found[str(path)] = stat.S_IMODE(path.lstat().st_mode)
    return found


def loose(root: Path) -> list[str]:
    """What others could read: a folder not 0700, a file with any group or other bit."""
    problems = []
    for name, mode in modes(root).items():
        path = Path(name)
        if (path.is_dir() and mode != 0o700) or (path.is_file() and mode & 0o077):
            problems.append(f"{name} {mode:o}")
    return problems


def test_service_folders_made_under_umask_022_are_private(
    tmp_path: Path, umask_022: None, database: Database
) -> None:
    service = service_harness.Service(tmp_path, renderer=FAKE)
    service.drop(example("initial-domestic-abuse"))  # family by post, professionals to folders
    bad = tmp_path / "inbox" / "exports" / "truncated.json"
    bad.write_bytes((EXAMPLES / "pre-birth-scheduled.json").read_bytes()[:300])
    assert stat.S_IMODE(bad.stat().st_mode) == 0o644  # dropped as any file is, under 022
    service.cpc("ingest", str(bad), code=1)
    service.distribute("2026-11-24")

    folders = {name: tmp_path / name for name in ("state", "processed", "quarantine", "outbox")}
    for name, folder in folders.items():
        assert folder.is_dir(), name
        assert any(p.is_file() for p in folder.rglob("*")), f"{name} has nothing in it to check"
        assert loose(folder) == [], name
    assert (tmp_path / "outbox" / "post").is_dir()
    assert (tmp_path / "state" / "spool").is_dir()

    if database.backend != "sqlite":
        return  # a PostgreSQL store is the server's files, not the service's
    # The store's -wal and -shm files exist while it is open: the same mode as the store.
    store = Store.open(sqlite_url(tmp_path / "state"))
    try:
        store.conference_rows()
        companions = [
            p for p in (tmp_path / "state").iterdir() if p.name.endswith(("-wal", "-shm"))
        ]
        assert companions
        for path in companions:
            assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
    finally:
        store.close()


def test_an_existing_store_readable_by_others_is_made_private(tmp_path: Path) -> None:
    """A store made before issue 10 (0644 in a 0755 folder) is tightened when next opened.
    SQLite only: the store file's own mode."""
    state = tmp_path / "state"
    state.mkdir()
    os.chmod(state, 0o755)
    url = sqlite_url(state)
    Store.open(url).close()
    os.chmod(state / "cpc.sqlite3", 0o644)
    Store.open(url).close()
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    assert stat.S_IMODE((state / "cpc.sqlite3").stat().st_mode) == 0o600

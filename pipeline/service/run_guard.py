"""One delivery run at a time: a lock the database holds for every machine that shares it, or a file lock on one machine's state folder.

Two runs at once would each choose the same ready copies; the store's compare-and-set would stop
the second from beginning a delivery the first began, but not from rendering them all again or
from batching the post twice. On PostgreSQL the guard is an advisory lock held by a connection of
its own: every machine on the database sees it, and the server drops it when its holder's
connection ends (a killed run included). On SQLite, whose processes share one machine, it is
flock on the state folder, which the kernel drops when the process ends.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.errors import RunInProgress
from pipeline.files import PRIVATE_FILE, private_folder
from pipeline.store.db import Store

RUN_LOCK = "cpc distribute: one run at a time"


@contextmanager
def one_run_at_a_time(store: Store, state_folder: Path) -> Iterator[None]:
    """Hold the run, or raise RunInProgress (this run then does nothing)."""
    if store.database_locks:
        with store.advisory_lock(RUN_LOCK) as held:
            if not held:
                raise RunInProgress(
                    "another cpc distribute holds the run on this database (on this machine or "
                    "another that shares it); this run did nothing"
                )
            yield
        return
    with _file_lock(state_folder / "distribute.lock"):
        yield


@contextmanager
def _file_lock(lock_path: Path) -> Iterator[None]:
    private_folder(lock_path.parent)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, PRIVATE_FILE)
    with os.fdopen(fd, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise RunInProgress(
                "another cpc distribute is running on this state folder; this run did nothing"
            ) from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)

"""A watched inbox folder → each whole file ingested as it arrives, until told to stop.

watchdog only tells the loop where to look soon; a full scan at the start and every
`rescan_seconds` is the source of truth, because watchdog drops events when the kernel's queue
overflows and sees none at all on many network shares. Everything but noting paths happens in
the calling thread, one file at a time. A fault while taking one file is that file's (see
`inbox`); a fault of the loop itself (a folder that cannot be listed) is reported and the loop
goes on. One watcher per inbox: a second refuses to start (`InboxBusy`).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Collection
from pathlib import Path

from watchdog.events import (
    EVENT_TYPE_CLOSED,
    EVENT_TYPE_CREATED,
    EVENT_TYPE_MODIFIED,
    EVENT_TYPE_MOVED,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

from pipeline.intake.accept import DEFAULT_MAX_BYTES
from pipeline.intake.inbox import (
    InboxFolders,
    IngestOutcome,
    SettleTracker,
    Sink,
    ingest_ready,
    is_candidate,
    look,
    non_files,
    requeue_changed,
    scan,
    watch_lock,
)

TICK_SECONDS = 0.2  # how long the loop sleeps between looks; also how soon it notices `stop`


class _NotedPaths(FileSystemEventHandler):
    """Runs in watchdog's thread: records which paths changed, and nothing else."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._paths: set[Path] = set()

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory:
            return  # a new or renamed folder is found by the next full scan
        if event.event_type == EVENT_TYPE_MOVED:
            changed = event.dest_path
        elif event.event_type in (EVENT_TYPE_CREATED, EVENT_TYPE_MODIFIED, EVENT_TYPE_CLOSED):
            changed = event.src_path
        else:
            return  # opened, closed without writing, deleted: nothing new to take
        with self._lock:
            self._paths.add(Path(os.fsdecode(changed)))

    def drain(self) -> set[Path]:
        with self._lock:
            paths, self._paths = self._paths, set()
        return paths


def _ignore_note(message: str, fault: BaseException | None = None) -> None:
    pass


def watch(
    folders: InboxFolders,
    sink: Sink,
    known_profiles: Collection[str],
    *,
    settle_seconds: float = 2.0,
    rescan_seconds: float = 30.0,
    max_bytes: int = DEFAULT_MAX_BYTES,
    stop: threading.Event,
    on_outcome: Callable[[IngestOutcome], None],
    on_note: Callable[[str, BaseException | None], None] = _ignore_note,
    on_started: Callable[[], None] = lambda: None,
) -> None:
    """Ingest files from the inbox as they become whole, until `stop` is set.

    Files already in the inbox are taken too. A file left by a transient fault is reported once
    (again only if the reason changes) and tried at each rescan; non-files in the inbox are
    noted once each. Raises InboxBusy if another watcher holds the inbox.
    """
    folders.ensure()
    with watch_lock(folders):
        _watch_locked(
            folders,
            sink,
            known_profiles,
            settle_seconds,
            rescan_seconds,
            max_bytes,
            stop,
            on_outcome,
            on_note,
            on_started,
        )


def _watch_locked(
    folders: InboxFolders,
    sink: Sink,
    known_profiles: Collection[str],
    settle_seconds: float,
    rescan_seconds: float,
    max_bytes: int,
    stop: threading.Event,
    on_outcome: Callable[[IngestOutcome], None],
    on_note: Callable[[str, BaseException | None], None],
    on_started: Callable[[], None],
) -> None:
    tracker = SettleTracker(settle_seconds)
    noted = _NotedPaths()
    observer = Observer()
    observer.schedule(noted, str(folders.root), recursive=True)
    left: dict[Path, str | None] = {}  # path → the reason last reported for leaving it
    not_files: set[tuple[Path, str]] = set()
    # Started before the first scan, so a file dropped in between is noted, not missed.
    observer.start()
    on_started()
    try:
        next_scan = time.monotonic()
        while not stop.is_set():
            try:
                next_scan = _one_pass(
                    folders, sink, known_profiles, max_bytes, tracker, noted, next_scan,
                    rescan_seconds, stop, on_outcome, on_note, left, not_files,
                )  # fmt: skip
            except Exception as exc:  # the loop goes on; the next full scan tries again
                on_note(f"the watch met an unexpected {type(exc).__name__}; going on", exc)
                next_scan = time.monotonic() + rescan_seconds
            stop.wait(TICK_SECONDS)
    finally:
        observer.stop()
        observer.join()


def _one_pass(
    folders: InboxFolders,
    sink: Sink,
    known_profiles: Collection[str],
    max_bytes: int,
    tracker: SettleTracker,
    noted: _NotedPaths,
    next_scan: float,
    rescan_seconds: float,
    stop: threading.Event,
    on_outcome: Callable[[IngestOutcome], None],
    on_note: Callable[[str, BaseException | None], None],
    left: dict[Path, str | None],
    not_files: set[tuple[Path, str]],
) -> float:
    """One look and the ingesting it allows; returns when the next full scan is due."""
    now = time.time()  # wall clock, because mtimes are
    changed = noted.drain()
    if time.monotonic() >= next_scan:
        for outcome in requeue_changed(folders):
            on_outcome(outcome)
        found = {(one.path, one.reason) for one in non_files(folders)}
        for path, reason in sorted(found - not_files):
            on_note(f"{path}: {reason}", None)
        not_files.clear()
        not_files.update(found)
        tracker.observe_all(scan(folders), now)
        next_scan = time.monotonic() + rescan_seconds
    else:
        # Noted paths, and those still settling: a writer on a network share makes
        # no events, and a settling file must be seen unchanged again to count.
        for path in changed | set(tracker.pending()):
            seen = look(path) if is_candidate(path, folders) else None
            if seen is None:
                tracker.forget(path)
            else:
                tracker.observe(seen, now)
    for outcome in ingest_ready(folders, tracker, sink, known_profiles, max_bytes):
        if outcome.outcome == "left":
            # Tried at every rescan until the fault clears; said once, not every 30 seconds.
            if left.get(outcome.source) == outcome.reason:
                continue
            left[outcome.source] = outcome.reason
        else:
            left.pop(outcome.source, None)
        on_outcome(outcome)
        if stop.is_set():
            break
    return next_scan

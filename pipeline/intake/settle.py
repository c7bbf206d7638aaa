"""Which inbox files are whole, and the one lock that lets a single `cpc watch` take them.

`SettleTracker` is pure state (the caller passes each look's time); `watch_lock` holds a flock
on the inbox folder itself, released by the kernel however the watcher dies.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.errors import InboxBusy
from pipeline.intake.folders import InboxFolders, Seen


@contextmanager
def watch_lock(folders: InboxFolders) -> Iterator[None]:
    """Hold the inbox's lock while one `cpc watch` runs; InboxBusy if another holds it.

    The lock is taken on the inbox folder itself (flock on a directory), so it needs no file
    written there and is released by the kernel when the watcher dies however it dies.
    """
    fd = os.open(folders.root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InboxBusy(
                f"another cpc watch is already watching {folders.root}; stop it first "
                "(two watchers on one inbox would race for every file)"
            ) from None
        yield
    finally:
        os.close(fd)


class SettleTracker:
    """Which files are whole: unchanged (size and mtime) across looks `settle_seconds` apart.

    A file counts as whole once two looks at least `settle_seconds` apart saw the same size and
    mtime, and at the later look its mtime was at least `settle_seconds` old. The mtime rule
    catches a writer that closes and reopens the file between chunks; the rule on our own looks
    keeps that true when the file server's clock is behind ours. Pure state: the caller passes
    the time of each look (wall-clock seconds, as mtimes are).
    """

    def __init__(self, settle_seconds: float) -> None:
        self.settle_seconds = settle_seconds
        # path → (size, mtime_ns, first look with this size and mtime, latest look)
        self._looks: dict[Path, tuple[int, int, float, float]] = {}

    def observe(self, seen: Seen, now: float) -> None:
        """Record one look; a changed size or mtime starts the wait again."""
        before = self._looks.get(seen.path)
        if before is not None and before[:2] == (seen.size, seen.mtime_ns):
            self._looks[seen.path] = (*before[:3], now)
        else:
            self._looks[seen.path] = (seen.size, seen.mtime_ns, now, now)

    def observe_all(self, seen: Iterable[Seen], now: float) -> None:
        """Record a full scan: files that are no longer there are forgotten."""
        present = list(seen)
        for path in set(self._looks) - {s.path for s in present}:
            del self._looks[path]
        for one in present:
            self.observe(one, now)

    def forget(self, path: Path) -> None:
        self._looks.pop(path, None)

    def pending(self) -> list[Path]:
        """Files being watched, settled or not: the ones to look at again."""
        return list(self._looks)

    def signature(self, path: Path) -> tuple[int, int] | None:
        """(size, mtime_ns) at the latest look, or None if the path is not tracked."""
        looks = self._looks.get(path)
        return None if looks is None else (looks[0], looks[1])

    def settled(self) -> list[Path]:
        """The files that are whole, in name order."""
        ready = [
            path
            for path, (_, mtime_ns, first, latest) in self._looks.items()
            if latest - first >= self.settle_seconds
            and latest - mtime_ns / 1e9 >= self.settle_seconds
        ]
        return sorted(ready, key=_order)


def _order(path: Path) -> tuple[str, str]:
    # By file name across both folders, so that revision 1 goes in before revision 2.
    return (path.name, str(path))

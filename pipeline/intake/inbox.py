"""Files in the inbox folders → taken by the store and moved to processed/, or moved to quarantine/ with a reason.

Layout: the inbox root holds `exports/` and `amendments/` (either format is accepted in either,
by content); `quarantine/` and `processed/` sit beside the root unless named. A file is taken
only once it is whole (`SettleTracker`), is read once, and leaves the inbox only after its bytes
are committed by the store or lie in quarantine with a reason file beside them; nothing in the
inbox is ever deleted.

Every fault while taking one file is that file's alone: a file that is wrong
is quarantined with the reason; a transient fault (full disk, locked store, permissions) or an
unexpected error leaves it where it is, reported, to be taken next time; the rest go on. A
quarantined file that changes in quarantine/ (its writer was not finished) goes back to the inbox
to be looked at again (`requeue_changed`).

CpcError
├── StaleDocument   (raised by a Sink) the store already holds a later or conflicting version
└── InboxBusy       another `cpc watch` holds the inbox's lock
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Collection, Iterator
from datetime import UTC, datetime
from pathlib import Path

from pipeline.errors import CpcError, RejectedFile, TransientFault
from pipeline.intake.accept import DEFAULT_MAX_BYTES, read_document
from pipeline.intake.folders import (
    IGNORED_SUFFIXES,
    SUBFOLDERS,
    InboxFolders,
    IngestOutcome,
    NonFile,
    Outcome,
    Seen,
    Sink,
    printable_name,
)
from pipeline.intake.quarantine import (
    KEPT_NAME_BYTES,
    REASON_SUFFIX,
    _move,
    _move_to_folder,
    _quarantine,
    _stamped_name,
    kept_name,
    requeue_changed,
)
from pipeline.intake.settle import SettleTracker, _order, watch_lock

# Callers import these from here, where the inbox's parts meet.
__all__ = [
    "IGNORED_SUFFIXES",
    "KEPT_NAME_BYTES",
    "REASON_SUFFIX",
    "SUBFOLDERS",
    "InboxFolders",
    "IngestOutcome",
    "NonFile",
    "Outcome",
    "Seen",
    "SettleTracker",
    "Sink",
    "_move",
    "ingest_file",
    "ingest_ready",
    "ingest_settled",
    "is_candidate",
    "kept_name",
    "look",
    "non_files",
    "printable_name",
    "requeue_changed",
    "scan",
    "watch_lock",
]


def is_ignored_name(name: str) -> bool:
    """Names a writer uses while a file is incomplete, and hidden files; taken once renamed."""
    return name.startswith(".") or name.lower().endswith(IGNORED_SUFFIXES)


def is_candidate(path: Path, folders: InboxFolders) -> bool:
    """Whether `path` names a file directly inside exports/ or amendments/ that is not ignored."""
    return path.parent in folders.drop_folders and not is_ignored_name(path.name)


def look(path: Path) -> Seen | None:
    """The size and mtime of `path` if it is a regular file (not a link), else None."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return Seen(path, st.st_size, st.st_mtime_ns)


def scan(folders: InboxFolders) -> list[Seen]:
    """Every candidate file in exports/ and amendments/, in name order."""
    found: list[Seen] = []
    for folder in folders.drop_folders:
        for entry in _entries(folder):
            if is_ignored_name(entry.name):
                continue
            seen = look(Path(entry.path))
            if seen is not None:
                found.append(seen)
    return sorted(found, key=lambda seen: _order(seen.path))


def non_files(folders: InboxFolders) -> list[NonFile]:
    """What lies in the inbox and will never be taken: links (never followed), pipes, folders,
    sockets and devices in exports/ and amendments/, and anything in the inbox root beside them.
    For `cpc ingest` and `cpc status` to report; nothing is moved."""
    found: list[NonFile] = []
    for folder in folders.drop_folders:
        for entry in _entries(folder):
            if is_ignored_name(entry.name):
                continue
            kind = _kind(Path(entry.path))
            if kind is not None:
                found.append(NonFile(Path(entry.path), f"{kind}, not a file: it is never taken"))
    for entry in _entries(folders.root):
        if entry.name in SUBFOLDERS or is_ignored_name(entry.name):
            continue
        found.append(
            NonFile(
                Path(entry.path),
                f"{_kind(Path(entry.path)) or 'a file'} in the inbox itself, not in exports/ or "
                "amendments/: it is never taken",
            )
        )
    return sorted(found, key=lambda one: str(one.path))


def _entries(folder: Path) -> list[os.DirEntry[str]]:
    try:
        return list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return []


_KINDS = (
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
)


def _kind(path: Path) -> str | None:
    """What `path` is, in words, if it is not a regular file (lstat: a link is not followed)."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return None
    return next((words for test, words in _KINDS if test(mode)), None)




def _utc_now() -> datetime:
    return datetime.now(UTC)


def ingest_file(
    path: Path,
    folders: InboxFolders,
    sink: Sink,
    known_profiles: Collection[str],
    max_bytes: int = DEFAULT_MAX_BYTES,
    *,
    expected: tuple[int, int] | None = None,
    clock: Callable[[], datetime] = _utc_now,
) -> IngestOutcome | None:
    """Read `path` once, give it to the sink, and move it to processed/ or quarantine/.

    Returns None, touching nothing, when the file vanished (another watcher took it) or changed
    since it was judged whole (`expected` is its (size, mtime_ns) then). Nothing but a signal
    escapes: a transient fault or an unexpected error leaves the file where it is, as a "left"
    outcome saying why, so that the files behind it are still taken.
    """
    try:
        return _ingest_file(path, folders, sink, known_profiles, max_bytes, expected, clock)
    except Exception as exc:  # contained to this file: the rest of the inbox goes on
        return _left(path, exc)


def _ingest_file(
    path: Path,
    folders: InboxFolders,
    sink: Sink,
    known_profiles: Collection[str],
    max_bytes: int,
    expected: tuple[int, int] | None,
    clock: Callable[[], datetime],
) -> IngestOutcome | None:
    try:
        read = _read_once(path, max_bytes, expected)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            raise  # a permission, say: transient, left where it is (_left)
        return None  # a link put in the file's place: never a candidate, so never followed
    if read is None:
        return None
    name = printable_name(path.name)
    try:
        accepted = read_document(read, name, known_profiles, max_bytes)
    except RejectedFile as exc:
        return _quarantine(path, folders, read, exc.reason, clock())
    except Exception as exc:
        # The checks are pure: the same bytes would fail the same way every time, so the file
        # goes aside (kept whole) rather than being tried forever; the error is logged.
        return _quarantine(
            path,
            folders,
            read,
            f"the pipeline could not check this file (an unexpected {type(exc).__name__}, "
            "logged); keep it for the pipeline's maintainers",
            clock(),
            fault=exc,
        )
    try:
        taken = sink.take(accepted, name)
    except TransientFault:
        raise
    except CpcError as exc:  # StaleDocument, or any refusal the store explains
        return _quarantine(path, folders, read, str(exc), clock())
    # Only now are the bytes in the store, so only now may the file leave the inbox. Should the
    # move fail, the file stays and is a duplicate next time, moved then.
    moved_to = _move_to_folder(path, folders.processed, _stamped_name(path, read, clock()))
    if moved_to is None:
        return None
    return IngestOutcome(path, "taken" if taken == "new" else "duplicate", None, moved_to)


# Faults of the machine, not of the file: they clear when space is freed, the other process lets
# go of the store, or an administrator fixes a permission.
TRANSIENT_ERRNOS = frozenset(
    {
        errno.ENOSPC,
        errno.EDQUOT,
        errno.EACCES,
        errno.EPERM,
        errno.EROFS,
        errno.EAGAIN,
        errno.EBUSY,
        errno.EMFILE,
        errno.ENFILE,
        errno.ENOMEM,
        errno.ETXTBSY,
        errno.EIO,
    }
)


def is_transient(exc: BaseException) -> bool:
    """Whether `exc` is a fault expected to clear, after which the same file is taken."""
    if isinstance(exc, TransientFault):
        return True
    return isinstance(exc, OSError) and exc.errno in TRANSIENT_ERRNOS


def _left(path: Path, exc: Exception) -> IngestOutcome:
    if is_transient(exc):
        words = (
            str(exc)
            if isinstance(exc, TransientFault)
            else f"{os.strerror(exc.errno or 0).lower()} ({_where(exc)})"  # type: ignore[attr-defined]
        )
        return IngestOutcome(
            path, "left", f"left in the inbox: {words}; it is taken once that is put right", path
        )
    return IngestOutcome(
        path,
        "left",
        f"left in the inbox: an unexpected {type(exc).__name__} (logged with its traceback); "
        "it is tried again next time",
        path,
        fault=exc,
    )


def _where(exc: OSError) -> str:
    return printable_name(str(exc.filename)) if exc.filename else "while taking the file"




def ingest_ready(
    folders: InboxFolders,
    tracker: SettleTracker,
    sink: Sink,
    known_profiles: Collection[str],
    max_bytes: int = DEFAULT_MAX_BYTES,
    *,
    clock: Callable[[], datetime] = _utc_now,
) -> Iterator[IngestOutcome]:
    """Ingest every file the tracker holds settled, in name order, yielding each outcome."""
    for path in tracker.settled():
        expected = tracker.signature(path)
        # Forgotten before ingesting: a file left in place (changed, or the sink failed) is
        # looked at afresh and must settle again before it is tried again.
        tracker.forget(path)
        outcome = ingest_file(
            path, folders, sink, known_profiles, max_bytes, expected=expected, clock=clock
        )
        if outcome is not None:
            yield outcome


def ingest_settled(
    folders: InboxFolders,
    tracker: SettleTracker,
    sink: Sink,
    known_profiles: Collection[str],
    max_bytes: int,
    now: float,
    *,
    clock: Callable[[], datetime] = _utc_now,
) -> list[IngestOutcome]:
    """One pass: look at every candidate file at `now` (wall-clock seconds), ingest what is settled."""
    tracker.observe_all(scan(folders), now)
    return list(ingest_ready(folders, tracker, sink, known_profiles, max_bytes, clock=clock))


def _read_once(path: Path, max_bytes: int, expected: tuple[int, int] | None) -> bytes | None:
    """At most max_bytes + 1 bytes of the file (enough to know it is too large), or None if it
    is not a regular file or changed while or since it was judged whole."""
    # O_NONBLOCK: a pipe put in the file's place would otherwise hang the open until written to.
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as handle:
        before = os.fstat(fd)
        if not stat.S_ISREG(before.st_mode):
            return None
        if expected is not None and (before.st_size, before.st_mtime_ns) != expected:
            return None
        data = handle.read(max_bytes + 1)
        after = os.fstat(fd)
    if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
        return None  # still being written
    return data

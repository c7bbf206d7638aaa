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
import fcntl
import hashlib
import os
import re
import stat
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, NamedTuple, Protocol

from pipeline.errors import CpcError, InboxBusy, RejectedFile, TransientFault
from pipeline.files import fsync_dir, write_atomically
from pipeline.intake.accept import DEFAULT_MAX_BYTES, Accepted, read_document

SUBFOLDERS = ("exports", "amendments")
IGNORED_SUFFIXES = (".tmp", ".part")  # names writers use until a file is complete


class Sink(Protocol):
    """Where accepted documents go: the store. `take` returns only once the bytes are durable."""

    def take(self, accepted: Accepted, source_name: str) -> Literal["new", "duplicate"]:
        """Commit the document; "duplicate" if these exact bytes were taken before."""
        ...


@dataclass(frozen=True, slots=True)
class InboxFolders:
    """The inbox root (with exports/ and amendments/ below it) and where files go after it."""

    root: Path
    quarantine: Path
    processed: Path

    @classmethod
    def at(
        cls, root: Path, quarantine: Path | None = None, processed: Path | None = None
    ) -> InboxFolders:
        """The folders for `root`; quarantine/ and processed/ beside it unless given."""
        root = Path(root).absolute()
        return cls(
            root,
            Path(quarantine).absolute() if quarantine else root.parent / "quarantine",
            Path(processed).absolute() if processed else root.parent / "processed",
        )

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    @property
    def amendments(self) -> Path:
        return self.root / "amendments"

    @property
    def drop_folders(self) -> tuple[Path, ...]:
        return tuple(self.root / name for name in SUBFOLDERS)

    def ensure(self) -> None:
        """Create any of the folders that is missing."""
        for folder in (*self.drop_folders, self.quarantine, self.processed):
            folder.mkdir(parents=True, exist_ok=True)


class Seen(NamedTuple):
    """One look at a candidate file."""

    path: Path
    size: int
    mtime_ns: int


Outcome = Literal["taken", "duplicate", "quarantined", "left", "requeued"]


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    """What became of one inbox file: where it went and, if quarantined or left, why.

    "left": a transient fault or an unexpected error; the file is still at `source` (`moved_to`
    is `source`) and is taken next time. "requeued": a quarantined file changed in quarantine/
    and was moved back to the inbox (`moved_to`). `fault` is the unexpected exception, with its
    traceback, for the caller to log; None for every reason the pipeline gives on purpose.
    """

    source: Path
    outcome: Outcome
    reason: str | None
    moved_to: Path
    fault: BaseException | None = None


@dataclass(frozen=True, slots=True)
class NonFile:
    """Something in the inbox that is not a file the pipeline takes, and what it is."""

    path: Path
    reason: str


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


def printable_name(name: str) -> str:
    """`name` as it may be written in a reason, a log line or the store: characters that do not
    print (a newline, bytes that are not UTF-8) written as escapes, so a name cannot forge a line."""
    if name.isprintable():
        return name
    return "".join(c if c.isprintable() else f"\\x{{{ord(c):x}}}" for c in name)


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


# A kept name is a stamp (16), "-", 8 hex, "-", perhaps a counter, then the dropped name, and the
# reason file adds ".reason.txt": with the dropped name cut to this many bytes the whole stays well
# inside the 255 bytes a file system allows one name, whatever was dropped.
KEPT_NAME_BYTES = 160


def kept_name(name: str) -> str:
    """The dropped name, cut to KEPT_NAME_BYTES bytes (its extension kept) for keeping beside a
    stamp; the whole name is written in the reason file and given to the store."""
    raw = os.fsencode(name)
    if len(raw) <= KEPT_NAME_BYTES:
        return name
    stem, dot, extension = raw.rpartition(b".")
    tail = dot + extension if dot and len(extension) <= 16 else b""
    head = raw[: KEPT_NAME_BYTES - len(tail) - 1]
    # Cut on a character boundary: UTF-8 continuation bytes are 0b10xxxxxx.
    while head and head[-1] & 0xC0 == 0x80:
        head = head[:-1]
    if head and head[-1] >= 0xC0:
        head = head[:-1]
    return os.fsdecode(head + b"~" + tail)


def _stamped_name(path: Path, read: bytes | None, when: datetime) -> str:
    # Time first so a folder listing is in order of arrival; the hash keeps two files of the
    # same name dropped in the same second apart.
    sha8 = hashlib.sha256(read).hexdigest()[:8] if read is not None else "unread"
    return f"{when.strftime('%Y%m%dT%H%M%SZ')}-{sha8}-{kept_name(path.name)}"


def _quarantine(
    path: Path,
    folders: InboxFolders,
    read: bytes,
    reason: str,
    when: datetime,
    *,
    fault: BaseException | None = None,
) -> IngestOutcome | None:
    """Write the reason file, then move the file beside it; None if the file vanished."""
    name = _free_name(folders.quarantine, _stamped_name(path, read, when), REASON_SUFFIX)
    reason_file = folders.quarantine / f"{name}{REASON_SUFFIX}"
    st = os.stat(path, follow_symlinks=False)
    text = _reason_text(path, folders, when, reason, read, (st.st_size, st.st_mtime_ns))
    write_atomically(reason_file, text.encode("utf-8"))
    # The reason goes first: a crash between the two leaves a reason with the file still in
    # the inbox (tried again), never a quarantined file nobody can explain.
    try:
        moved_to = _move(path, folders.quarantine / name)
    except Exception:
        reason_file.unlink(missing_ok=True)  # the file stays in the inbox, left (not a crash)
        raise
    if moved_to is None:
        reason_file.unlink(missing_ok=True)
        return None
    return IngestOutcome(path, "quarantined", reason, moved_to, fault=fault)


REASON_SUFFIX = ".reason.txt"


def _reason_text(
    path: Path,
    folders: InboxFolders,
    when: datetime,
    reason: str,
    read: bytes,
    signature: tuple[int, int],
) -> str:
    try:
        original = path.relative_to(folders.root).as_posix()
    except ValueError:
        original = str(path)
    # The size, mtime and hash of the file as quarantined: if its writer was not finished and
    # completes it inside quarantine/, requeue_changed sees it differ and sends it back.
    return (
        f"original name: {printable_name(original)}\n"
        f"quarantined at: {when.strftime('%Y-%m-%dT%H:%M:%SZ')}\n"
        f"reason: {' '.join(reason.splitlines())}\n"
        f"sha256: {hashlib.sha256(read).hexdigest()}\n"
        f"size: {signature[0]}\n"
        f"mtime_ns: {signature[1]}\n"
    )


def requeue_changed(folders: InboxFolders) -> list[IngestOutcome]:
    """Send back to the inbox each quarantined file that changed since it was quarantined.

    A writer that paused for longer than the settle time had its file quarantined half-written;
    when it finishes the file inside quarantine/, the file differs from the size and mtime its
    reason file recorded. It goes back to the folder it came from (under its kept name without
    the stamp) to be taken or quarantined afresh, and its stale reason file is removed.
    """
    requeued: list[IngestOutcome] = []
    for reason_file in sorted(folders.quarantine.glob(f"*{REASON_SUFFIX}")):
        kept = reason_file.with_name(reason_file.name.removesuffix(REASON_SUFFIX))
        recorded = _recorded(reason_file)
        if recorded is None:
            continue  # quarantined before signatures were recorded, or unreadable: left alone
        folder, signature = recorded
        try:
            st = os.lstat(kept)
        except FileNotFoundError:
            continue
        if not stat.S_ISREG(st.st_mode) or (st.st_size, st.st_mtime_ns) == signature:
            continue
        back = _free_back_name(folders.root / folder, _unstamped(kept.name))
        moved = _move(kept, back)
        if moved is None:
            continue
        reason_file.unlink(missing_ok=True)
        fsync_dir(reason_file.parent)
        requeued.append(
            IngestOutcome(
                kept,
                "requeued",
                "changed in quarantine/ after it was quarantined; back in the inbox to be "
                "looked at again",
                moved,
            )
        )
    return requeued


def _recorded(reason_file: Path) -> tuple[str, tuple[int, int]] | None:
    """(the drop folder it came from, (size, mtime_ns) when quarantined) from a reason file."""
    try:
        text = reason_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    fields = dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)
    try:
        signature = (int(fields["size"]), int(fields["mtime_ns"]))
    except (KeyError, ValueError):
        return None
    sub = fields.get("original name", "").split("/", 1)[0]
    # A file taken by `cpc ingest FILE` from elsewhere goes back to exports/, which takes either.
    return (sub if sub in SUBFOLDERS else SUBFOLDERS[0]), signature


def _unstamped(name: str) -> str:
    match = _STAMP.match(name)
    return name[match.end() :] if match else name


_STAMP = re.compile(r"^\d{8}T\d{6}Z-(?:[0-9a-f]{8}|unread)-(?:\d+-)?")


def _free_back_name(folder: Path, name: str) -> Path:
    target, counter = folder / name, 1
    while target.exists() or target.is_symlink():
        counter += 1
        target = folder / f"{counter}-{name}"
    return target


def _free_name(folder: Path, wanted: str, companion_suffix: str = "") -> str:
    """`wanted`, or `wanted` with a counter before the original name, if already taken."""
    stamp, sha8, original = wanted.split("-", 2)
    name, counter = wanted, 1
    while (folder / name).exists() or (
        companion_suffix and (folder / f"{name}{companion_suffix}").exists()
    ):
        counter += 1
        name = f"{stamp}-{sha8}-{counter}-{original}"
    return name


def _move_to_folder(path: Path, folder: Path, wanted: str) -> Path | None:
    return _move(path, folder / _free_name(folder, wanted))


def _move(
    source: Path, target: Path, rename: Callable[[Path, Path], None] = os.replace
) -> Path | None:
    """Move `source` to `target`, durably; None if `source` is gone (another watcher moved it)."""
    try:
        rename(source, target)
    except FileNotFoundError:
        if source.exists():
            raise  # the target folder is missing: a real problem, not a race
        return None
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        # Another file system: copy and make the copy durable before the original goes.
        try:
            with source.open("rb") as original:
                before = os.fstat(original.fileno())
                write_atomically(target, original)
        except FileNotFoundError:
            return None
        # The copy keeps the original's mtime: a quarantined file's reason records it, and a
        # new mtime would look like a writer finishing the file (requeue_changed).
        os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
        source.unlink()
    fsync_dir(target.parent)
    fsync_dir(source.parent)
    return target

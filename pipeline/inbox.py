"""Files in the inbox folders → taken by the store and moved to processed/, or moved to quarantine/ with a reason.

Layout: the inbox root holds `exports/` and `amendments/` (either format is accepted in either,
by content); `quarantine/` and `processed/` sit beside the root unless named. A file is taken
only once it is whole (`SettleTracker`), is read once, and leaves the inbox only after its bytes
are committed by the store or lie in quarantine with a reason file beside them; nothing in the
inbox is ever deleted.

CpcError
└── StaleDocument   (raised by a Sink) the store already holds a later or conflicting version
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, NamedTuple, Protocol

from pipeline.atomic_files import fsync_dir, write_atomically
from pipeline.errors import CpcError
from pipeline.intake import DEFAULT_MAX_BYTES, Accepted, RejectedFile, read_document

SUBFOLDERS = ("exports", "amendments")
IGNORED_SUFFIXES = (".tmp", ".part")  # names writers use until a file is complete


class StaleDocument(CpcError):
    """The store refuses a document it already holds in a later revision, or reused with other content."""


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


Outcome = Literal["taken", "duplicate", "quarantined"]


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    """What became of one inbox file: where it went and, if quarantined, why."""

    source: Path
    outcome: Outcome
    reason: str | None
    moved_to: Path


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
        try:
            entries = list(os.scandir(folder))
        except FileNotFoundError:
            continue
        for entry in entries:
            if is_ignored_name(entry.name):
                continue
            seen = look(Path(entry.path))
            if seen is not None:
                found.append(seen)
    return sorted(found, key=lambda seen: _order(seen.path))


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
    since it was judged whole (`expected` is its (size, mtime_ns) then). An exception from the
    sink that is not a CpcError leaves the file where it is and is raised again.
    """
    try:
        read = _read_once(path, max_bytes, expected)
    except FileNotFoundError:
        return None
    except PermissionError:
        # Still movable (a rename needs only the folder's permission), and an administrator
        # needs to hear of it; left in place it would be tried again forever. (Before OSError,
        # of which it is a kind.)
        return _quarantine(
            path,
            folders,
            None,
            "the file could not be read (permission denied); let the pipeline read it "
            "and drop it again",
            clock(),
        )
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            raise
        return None  # a link put in the file's place: never a candidate, so never followed
    if read is None:
        return None
    try:
        accepted = read_document(read, path.name, known_profiles, max_bytes)
    except RejectedFile as exc:
        return _quarantine(path, folders, read, exc.reason, clock())
    try:
        taken = sink.take(accepted, path.name)
    except CpcError as exc:  # StaleDocument, or any refusal the store explains
        return _quarantine(path, folders, read, str(exc), clock())
    # Only now are the bytes in the store, so only now may the file leave the inbox.
    moved_to = _move_to_folder(path, folders.processed, _stamped_name(path, read, clock()))
    if moved_to is None:
        return None
    return IngestOutcome(path, "taken" if taken == "new" else "duplicate", None, moved_to)


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


def _stamped_name(path: Path, read: bytes | None, when: datetime) -> str:
    # Time first so a folder listing is in order of arrival; the hash keeps two files of the
    # same name dropped in the same second apart.
    sha8 = hashlib.sha256(read).hexdigest()[:8] if read is not None else "unread"
    return f"{when.strftime('%Y%m%dT%H%M%SZ')}-{sha8}-{path.name}"


def _quarantine(
    path: Path, folders: InboxFolders, read: bytes | None, reason: str, when: datetime
) -> IngestOutcome | None:
    """Write the reason file, then move the file beside it; None if the file vanished."""
    name = _free_name(folders.quarantine, _stamped_name(path, read, when), REASON_SUFFIX)
    reason_file = folders.quarantine / f"{name}{REASON_SUFFIX}"
    write_atomically(reason_file, _reason_text(path, folders, when, reason).encode("utf-8"))
    # The reason goes first: a crash between the two leaves a reason with the file still in
    # the inbox (tried again), never a quarantined file nobody can explain.
    moved_to = _move(path, folders.quarantine / name)
    if moved_to is None:
        reason_file.unlink(missing_ok=True)
        return None
    return IngestOutcome(path, "quarantined", reason, moved_to)


REASON_SUFFIX = ".reason.txt"


def _reason_text(path: Path, folders: InboxFolders, when: datetime, reason: str) -> str:
    try:
        original = path.relative_to(folders.root).as_posix()
    except ValueError:
        original = str(path)
    return (
        f"original name: {original}\n"
        f"quarantined at: {when.strftime('%Y-%m-%dT%H:%M:%SZ')}\n"
        f"reason: {reason}\n"
    )


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
                write_atomically(target, original)
        except FileNotFoundError:
            return None
        source.unlink()
    fsync_dir(target.parent)
    fsync_dir(source.parent)
    return target

"""Bytes (or an open file) → a file on disk written whole or not at all, durably and privately; the one way the pipeline writes a file.

Written to a temporary name in the same folder, flushed, renamed into place, and the folder
synced, so a reader (or a crash) never sees half a file. A temporary file a killed process left
is cleared by the next write of the same file.

Everything the pipeline writes holds personal data (addresses, the withheld ones included), so
folders it makes are 0700 and files 0600 whatever the umask: `mkstemp` makes its file
0600, and `private_folder` sets each folder it creates to 0700 (a umask only takes bits away,
and `mkdir -p` makes parents with the umask's default).
"""

from __future__ import annotations

import glob
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO


def write_atomically(path: Path, data: bytes | BinaryIO) -> bool:
    """Write `data` to `path` unless it already holds exactly those bytes; True if written."""
    if isinstance(data, bytes) and path.exists() and path.read_bytes() == data:
        return False
    private_folder(path.parent)
    # No handler runs on SIGKILL: a killed writer's temporary file is cleared here, so no half
    # or stray copy stays beside the real one.
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        stale.unlink(missing_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            if isinstance(data, bytes):
                handle.write(data)
            else:
                shutil.copyfileobj(data, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
    return True


PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600


def private_folder(folder: Path) -> bool:
    """Make `folder` and any missing parent, each 0700; True if `folder` itself was made.

    A folder that exists is left as it is: one an operator made is theirs to set."""
    if folder.is_dir():
        return False
    private_folders_made(folder)
    return True


def private_folders_made(folder: Path) -> tuple[Path, ...]:
    """Make `folder` and any missing parent, each 0700; the folders this call made, outermost
    first (each one's entry in its parent is on disk only once that parent is synced)."""
    if folder.is_dir():
        return ()
    missing = []
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            break
        missing.append(candidate)
    made = []
    for candidate in reversed(missing):
        try:
            candidate.mkdir(mode=PRIVATE_FOLDER)
        except FileExistsError:
            continue  # made by another process meanwhile
        os.chmod(candidate, PRIVATE_FOLDER)
        made.append(candidate)
    return tuple(made)


def make_private(path: Path, mode: int) -> None:
    """Take group and other access away from a file or folder the pipeline owns."""
    if path.exists() and path.stat().st_mode & 0o077:
        os.chmod(path, mode)


def private_file(path: Path) -> bool:
    """Create an empty file 0600 if none is there (before a library creates it with the umask's
    mode); True if it was created."""
    private_folder(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, PRIVATE_FILE)
    except FileExistsError:
        return False
    os.close(fd)
    os.chmod(path, PRIVATE_FILE)
    return True


def fsync_dir(folder: Path) -> None:
    """A rename is durable only once the folder entry is on disk."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ---- many files, each folder synced once --------------------------------------------------------


def staged_path(path: Path, tag: str) -> Path:
    """Where a file waits, beside `path`, before it is renamed into place: hidden, ending .tmp
    (so `write_atomically` of the same name clears one left behind), and found again by `tag`."""
    return path.with_name(f".{path.name}.{tag}.tmp")


def tag_of_staged(path: Path) -> str | None:
    """The tag a `staged_path` was made with; None for a name that is not one."""
    name = path.name
    if not (name.startswith(".") and name.endswith(".tmp")):
        return None
    _, dot, tag = name[1:-4].rpartition(".")
    return tag if dot else None


def stage_file(path: Path, data: bytes, tag: str) -> Path:
    """Write `data` whole to `staged_path(path, tag)` and sync the file, not its folder: the
    caller renames it into place and syncs each folder once for all of its files
    (`sync_folders`). Any other temporary file of the same name (a killed writer's) is cleared."""
    private_folder(path.parent)
    temporary = staged_path(path, tag)
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        if stale != temporary:
            stale.unlink(missing_ok=True)
    # O_TRUNC: one left by a killed try with this tag holds these bytes or fewer; 0600 as mkstemp.
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC | os.O_NOFOLLOW
    fd = os.open(temporary, flags, PRIVATE_FILE)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), PRIVATE_FILE)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def write_all_atomically(files: Iterable[tuple[Path, bytes]]) -> None:
    """Write each file whole or not at all, as `write_atomically` does, but sync each folder
    once for all of its files (and the parent of each folder made), not once a file."""
    folders: list[Path] = []
    made: list[Path] = []
    for path, data in files:
        made.extend(private_folders_made(path.parent))
        temporary = stage_file(path, data, "whole")
        os.replace(temporary, path)
        folders.append(path.parent)
    sync_folders(folders, made)


def sync_folders(folders: Iterable[Path], made: Iterable[Path] = ()) -> None:
    """Each folder synced once (its renames are then on disk), and the parent of each folder
    made (its entry), however many files were renamed into each."""
    for folder in dict.fromkeys([*(m.parent for m in made), *folders]):
        fsync_dir(folder)

"""Bytes (or an open file) → a file on disk written whole or not at all, durably; the one way the pipeline writes a file.

Written to a temporary name in the same folder, flushed, renamed into place, and the folder
synced, so a reader (or a crash) never sees half a file. A temporary file a killed process left
is cleared by the next write of the same file.
"""

from __future__ import annotations

import glob
import os
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO


def write_atomically(path: Path, data: bytes | BinaryIO) -> bool:
    """Write `data` to `path` unless it already holds exactly those bytes; True if written."""
    if isinstance(data, bytes) and path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
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


def fsync_dir(folder: Path) -> None:
    """A rename is durable only once the folder entry is on disk."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

"""A file that cannot be taken → quarantine/ with a reason file beside it; one that changed there → back to the inbox.

Names kept in processed/ and quarantine/ are stamped (time, sha256 prefix) and cut to fit a file
system's name limit; every move is durable (fsync of both folders) and works across devices.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from pipeline.files import fsync_dir, write_atomically
from pipeline.intake.folders import SUBFOLDERS, InboxFolders, IngestOutcome, printable_name

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
    _, dot, extension = raw.rpartition(b".")
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
        outcome = requeue_if_changed(folders, reason_file.name.removesuffix(REASON_SUFFIX))
        if outcome is not None:
            requeued.append(outcome)
    return requeued


def requeue_if_changed(folders: InboxFolders, kept_name: str) -> IngestOutcome | None:
    """Send one quarantined file (its name in quarantine/) back to the inbox if it changed since
    it was quarantined, as `requeue_changed` does for each; None if it is unchanged, gone, not a
    regular file, or its reason file records no signature (nothing shows it was replaced)."""
    reason_file = folders.quarantine / f"{kept_name}{REASON_SUFFIX}"
    kept = folders.quarantine / kept_name
    recorded = _recorded(reason_file)
    if recorded is None:
        return None  # quarantined before signatures were recorded, or unreadable: left alone
    folder, signature = recorded
    try:
        st = os.lstat(kept)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(st.st_mode) or (st.st_size, st.st_mtime_ns) == signature:
        return None
    back = _free_back_name(folders.root / folder, _unstamped(kept.name))
    moved = _move(kept, back)
    if moved is None:
        return None
    reason_file.unlink(missing_ok=True)
    fsync_dir(reason_file.parent)
    return IngestOutcome(
        kept,
        "requeued",
        "changed in quarantine/ after it was quarantined; back in the inbox to be "
        "looked at again",
        moved,
    )


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

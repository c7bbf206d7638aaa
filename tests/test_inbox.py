"""inbox: files in the inbox folders → taken by the store and moved to processed/, or quarantined with a reason (issue 4)."""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import pytest

from pipeline.errors import StaleDocument
from pipeline.intake import inbox, quarantine
from pipeline.intake.accept import DEFAULT_MAX_BYTES, Accepted
from pipeline.intake.inbox import (
    REASON_SUFFIX,
    InboxFolders,
    IngestOutcome,
    Seen,
    SettleTracker,
    ingest_file,
    ingest_settled,
    scan,
)
from pipeline.procedure.profile import load_profiles
from tests.conftest import EXAMPLES, example
from tests.test_intake import broken_export, pdf_bytes

KNOWN = frozenset(load_profiles(()).keys())
EXPORT = (EXAMPLES / "initial-domestic-abuse.json").read_bytes()
AMENDMENT = (EXAMPLES / "amendment-agreed.json").read_bytes()
FIXED = datetime(2026, 11, 24, 20, 15, tzinfo=UTC)
STAMPED = re.compile(r"^20\d{6}T\d{6}Z-[0-9a-f]{8}-(\d+-)?")


class FakeSink:
    """An in-memory store: remembers bytes by sha256; can refuse as stale, or break."""

    def __init__(self, *, stale: str | None = None, broken: BaseException | None = None) -> None:
        self.stale = stale
        self.broken = broken
        self.by_sha: dict[str, bytes] = {}
        self.calls: list[tuple[str, str]] = []  # (source name, sha256), every call
        self._lock = threading.Lock()

    def take(self, accepted: Accepted, source_name: str) -> Literal["new", "duplicate"]:
        with self._lock:
            self.calls.append((source_name, accepted.sha256))
            if self.broken is not None:
                raise self.broken
            if self.stale is not None:
                raise StaleDocument(self.stale)
            if accepted.sha256 in self.by_sha:
                return "duplicate"
            self.by_sha[accepted.sha256] = accepted.raw
            return "new"


def variant(n: int) -> bytes:
    """A valid export with content of its own (a distinct sha256)."""
    data = example("pre-birth-scheduled")
    data["export_id"] = f"EXP-VARIANT-{n}"
    return json.dumps(data, indent=1).encode()


def make_folders(tmp_path: Path) -> InboxFolders:
    folders = InboxFolders.at(tmp_path / "inbox")
    folders.ensure()
    return folders


def drop(folder: Path, name: str, data: bytes, *, age: float = 0.0) -> Path:
    path = folder / name
    path.write_bytes(data)
    if age:
        old = time.time() - age
        os.utime(path, (old, old))
    return path


def reason_of(moved_to: Path) -> str:
    return moved_to.with_name(moved_to.name + REASON_SUFFIX).read_text(encoding="utf-8")


def assert_nothing_lost(originals: dict[str, bytes], folders: InboxFolders, sink: FakeSink) -> None:
    """Every original's bytes are in the store or in quarantine (issue 4: never delete unsaved)."""
    quarantined = [
        p.read_bytes()
        for p in folders.quarantine.iterdir()
        if not p.name.endswith(REASON_SUFFIX) and not p.name.startswith(".")
    ]
    kept = [p.read_bytes() for sub in folders.drop_folders for p in sub.iterdir()]
    for name, data in originals.items():
        assert data in sink.by_sha.values() or data in quarantined or data in kept, name


# --- the folders --------------------------------------------------------------------------------


def test_quarantine_and_processed_sit_beside_the_inbox_unless_named(tmp_path: Path) -> None:
    """issue 4: a rescan of the inbox never sees what was moved out of it."""
    folders = InboxFolders.at(tmp_path / "inbox")
    assert folders.quarantine == tmp_path / "quarantine"
    assert folders.processed == tmp_path / "processed"
    named = InboxFolders.at(tmp_path / "inbox", tmp_path / "q", tmp_path / "p")
    assert (named.quarantine, named.processed) == (tmp_path / "q", tmp_path / "p")
    folders.ensure()
    for folder in (folders.exports, folders.amendments, folders.quarantine, folders.processed):
        assert folder.is_dir()


def test_scan_lists_only_whole_named_regular_files_directly_in_the_drop_folders(
    tmp_path: Path,
) -> None:
    """issue 4: .part, .tmp and dot-files are ignored until renamed; links and folders never count."""
    folders = make_folders(tmp_path)
    drop(folders.exports, "b.json", EXPORT)
    drop(folders.amendments, "a.json", AMENDMENT)
    drop(folders.exports, "c.json.part", EXPORT)
    drop(folders.exports, "d.json.TMP", EXPORT)
    drop(folders.exports, ".e.json", EXPORT)
    (folders.exports / "sub").mkdir()
    drop(folders.exports / "sub", "f.json", EXPORT)
    drop(folders.root, "g.json", EXPORT)  # the root itself is not a drop folder
    (folders.exports / "h.json").symlink_to(folders.exports / "b.json")
    assert [seen.path for seen in scan(folders)] == [
        folders.amendments / "a.json",
        folders.exports / "b.json",
    ]


# --- SettleTracker --------------------------------------------------------------------------------

P = Path("/inbox/exports/x.json")


@pytest.mark.parametrize(
    ("looks", "settled"),
    [
        # one look is never enough, however old the file
        ([(P, 10, 0, 100.0)], False),
        # two looks 2 s apart, unchanged, mtime 100 s old: whole
        ([(P, 10, 0, 100.0), (P, 10, 0, 102.0)], True),
        # two looks too close together (a server clock far behind makes mtime look old)
        ([(P, 10, 0, 100.0), (P, 10, 0, 101.0)], False),
        # the size changed between looks: the wait starts again
        ([(P, 10, 0, 100.0), (P, 20, 0, 102.0)], False),
        ([(P, 10, 0, 100.0), (P, 20, 0, 102.0), (P, 20, 0, 104.0)], True),
        # same size, new mtime: a writer reopened the file and wrote again
        ([(P, 10, 0, 100.0), (P, 10, 101 * 10**9, 102.0)], False),
        # unchanged across the looks but written 1 s before the last: still being written to
        ([(P, 10, 103 * 10**9, 100.0), (P, 10, 103 * 10**9, 104.0)], False),
        ([(P, 10, 103 * 10**9, 100.0), (P, 10, 103 * 10**9, 105.0)], True),
    ],
)
def test_a_file_is_whole_once_unchanged_for_the_settle_time(
    looks: list[tuple[Path, int, int, float]], settled: bool
) -> None:
    """issue 4: a writer that closes and reopens between chunks never has a partial file taken."""
    tracker = SettleTracker(2.0)
    for path, size, mtime_ns, now in looks:
        tracker.observe(Seen(path, size, mtime_ns), now)
    assert tracker.settled() == ([P] if settled else [])


def test_the_tracker_forgets_files_a_full_scan_no_longer_finds_and_orders_by_name() -> None:
    """issue 4: files go in name order (revision 1 before revision 2), across both folders."""
    a, b, c = Path("/i/exports/b.json"), Path("/i/amendments/a.json"), Path("/i/exports/c.json")
    tracker = SettleTracker(1.0)
    tracker.observe_all([Seen(a, 1, 0), Seen(b, 1, 0), Seen(c, 1, 0)], 10.0)
    tracker.observe_all([Seen(a, 1, 0), Seen(b, 1, 0)], 11.0)
    assert tracker.settled() == [b, a]
    assert sorted(tracker.pending()) == sorted([a, b])
    assert tracker.signature(a) == (1, 0)
    tracker.forget(a)
    assert tracker.signature(a) is None


# --- ingest_file ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subfolder", "data", "kind"),
    [
        ("exports", EXPORT, "export"),
        ("amendments", AMENDMENT, "amendment"),
        # either format in either folder: the content decides
        ("amendments", EXPORT, "export"),
        ("exports", AMENDMENT, "amendment"),
    ],
)
def test_a_valid_document_is_taken_then_moved_to_processed(
    tmp_path: Path, subfolder: str, data: bytes, kind: str
) -> None:
    """issue 4: the file leaves the inbox only after the store has its bytes."""
    folders = make_folders(tmp_path)
    path = drop(folders.root / subfolder, "doc.json", data)
    sink = FakeSink()
    outcome = ingest_file(path, folders, sink, KNOWN, clock=lambda: FIXED)
    assert outcome is not None
    assert (outcome.outcome, outcome.reason, outcome.source) == ("taken", None, path)
    assert outcome.moved_to.parent == folders.processed
    assert outcome.moved_to.name.startswith("20261124T201500Z-")
    assert outcome.moved_to.name.endswith("-doc.json")
    assert outcome.moved_to.read_bytes() == data
    assert list(sink.by_sha.values()) == [data]
    assert not path.exists()


def test_the_same_content_twice_is_a_duplicate_moved_to_processed(tmp_path: Path) -> None:
    """issue 4: a second drop of the same bytes gives the store nothing new."""
    folders = make_folders(tmp_path)
    sink = FakeSink()
    first = ingest_file(drop(folders.exports, "x.json", EXPORT), folders, sink, KNOWN)
    second = ingest_file(drop(folders.exports, "x.json", EXPORT), folders, sink, KNOWN)
    assert first is not None and second is not None
    assert (first.outcome, second.outcome) == ("taken", "duplicate")
    assert second.moved_to.parent == folders.processed
    assert first.moved_to != second.moved_to
    assert second.moved_to.read_bytes() == EXPORT
    assert list(sink.by_sha.values()) == [EXPORT]


def test_a_stale_document_is_quarantined_with_the_stores_reason(tmp_path: Path) -> None:
    """issue 4: the store refuses a lower revision; the administrator reads why."""
    folders = make_folders(tmp_path)
    path = drop(folders.exports, "old.json", EXPORT)
    sink = FakeSink(stale="revision 1 is lower than revision 2, already taken")
    outcome = ingest_file(path, folders, sink, KNOWN)
    assert outcome is not None
    assert outcome.outcome == "quarantined"
    assert outcome.reason == "revision 1 is lower than revision 2, already taken"
    assert outcome.moved_to.parent == folders.quarantine
    assert outcome.moved_to.read_bytes() == EXPORT
    text = reason_of(outcome.moved_to)
    assert "original name: exports/old.json" in text
    assert "reason: revision 1 is lower than revision 2, already taken" in text
    assert not path.exists()


BAD_FILES = [
    # (name, bytes, words the reason file must hold)
    ("report.json", pdf_bytes(), "a PDF document"),
    ("empty.json", b"", "the file is empty"),
    ("huge.json", b"{" + b" " * (10 * 1024 * 1024) + b"}", "larger than 2 MB"),
    ("latin1.json", '{"name": "Zoë"}'.encode("latin-1"), "not UTF-8"),
    ("broken.json", broken_export(), "people[0].email: must be an e-mail address"),
]


@pytest.mark.parametrize(("name", "data", "words"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_a_bad_file_is_quarantined_whole_with_a_reason_file(
    tmp_path: Path, name: str, data: bytes, words: str
) -> None:
    """issue 4: the quarantined file is the original, byte for byte, and its reason names the problem."""
    folders = make_folders(tmp_path)
    path = drop(folders.exports, name, data)
    sink = FakeSink()
    outcome = ingest_file(path, folders, sink, KNOWN, clock=lambda: FIXED)
    assert outcome is not None
    assert outcome.outcome == "quarantined"
    assert outcome.reason is not None and words in outcome.reason
    assert outcome.moved_to.parent == folders.quarantine
    assert STAMPED.match(outcome.moved_to.name)
    assert outcome.moved_to.read_bytes() == data  # the 10 MB file too: moved, not re-written
    text = reason_of(outcome.moved_to)
    assert f"original name: exports/{name}\n" in text
    assert "quarantined at: 2026-11-24T20:15:00Z\n" in text
    assert words in text
    assert sink.calls == []
    assert not path.exists()


def test_two_files_quarantined_in_the_same_second_under_one_name_both_keep_their_reason(
    tmp_path: Path,
) -> None:
    """issue 4: quarantine names never collide, so no file or reason is overwritten."""
    folders = make_folders(tmp_path)
    sink = FakeSink()
    outcomes = [
        ingest_file(drop(folders.exports, "x.json", b""), folders, sink, KNOWN, clock=lambda: FIXED)
        for _ in range(3)
    ]
    moved = [o.moved_to for o in outcomes if o is not None]
    assert len(set(moved)) == 3
    for path in moved:
        assert path.read_bytes() == b""
        assert "the file is empty" in reason_of(path)
    assert len(list(folders.quarantine.iterdir())) == 6


def test_a_sink_that_fails_unexpectedly_leaves_the_file_in_the_inbox(tmp_path: Path) -> None:
    """issue 4, issue 10 item 4: if the store breaks, the file stays where it is, and the error is
    not hidden: a full disk is transient (said in words), anything else carries the exception."""
    folders = make_folders(tmp_path)
    path = drop(folders.exports, "x.json", EXPORT)
    sink = FakeSink(broken=OSError(errno.ENOSPC, "No space left on device"))
    outcome = ingest_file(path, folders, sink, KNOWN)
    assert outcome is not None and outcome.outcome == "left" and outcome.moved_to == path
    assert outcome.reason is not None and "no space left on device" in outcome.reason
    assert outcome.fault is None
    broken = ingest_file(path, folders, FakeSink(broken=TypeError("a bug")), KNOWN)
    assert broken is not None and broken.outcome == "left"
    assert isinstance(broken.fault, TypeError) and "TypeError" in (broken.reason or "")
    assert path.read_bytes() == EXPORT
    assert list(folders.quarantine.iterdir()) == []
    assert list(folders.processed.iterdir()) == []


def test_a_crash_after_the_reason_is_written_leaves_the_file_in_the_inbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """issue 4: the reason is written before the move, so no quarantined file is unexplained."""
    folders = make_folders(tmp_path)
    path = drop(folders.exports, "x.json", b"")

    def crash(source: Path, target: Path) -> Path | None:
        raise KeyboardInterrupt  # the process dies between the two steps

    monkeypatch.setattr(quarantine, "_move", crash)  # where the quarantine moves files
    with pytest.raises(KeyboardInterrupt):
        ingest_file(path, folders, FakeSink(), KNOWN)
    assert path.exists()
    [reason_file] = folders.quarantine.iterdir()
    assert reason_file.name.endswith(REASON_SUFFIX)


def test_a_file_that_vanished_before_reading_is_skipped_quietly(tmp_path: Path) -> None:
    """issue 4: another watcher took it; nothing is written anywhere."""
    folders = make_folders(tmp_path)
    sink = FakeSink()
    assert ingest_file(folders.exports / "gone.json", folders, sink, KNOWN) is None
    assert sink.calls == []
    assert list(folders.quarantine.iterdir()) == list(folders.processed.iterdir()) == []


@pytest.mark.parametrize("kind", ["symlink", "fifo"])
def test_a_link_or_pipe_in_a_files_place_is_neither_followed_nor_read(
    tmp_path: Path, kind: str
) -> None:
    """issue 4: only regular files are taken; a link is not followed, a pipe does not hang the read."""
    folders = make_folders(tmp_path)
    target = drop(tmp_path, "elsewhere.json", EXPORT)
    path = folders.exports / "x.json"
    if kind == "symlink":
        path.symlink_to(target)
    else:
        os.mkfifo(path)
    sink = FakeSink()
    assert ingest_file(path, folders, sink, KNOWN) is None
    assert sink.calls == []
    assert target.read_bytes() == EXPORT
    assert path.is_symlink() or path.is_fifo()


def test_a_file_changed_since_it_was_judged_whole_is_left_for_later(tmp_path: Path) -> None:
    """issue 4: the size and mtime read must be the ones that settled."""
    folders = make_folders(tmp_path)
    path = drop(folders.exports, "x.json", EXPORT)
    st = path.stat()
    outcome = ingest_file(
        path, folders, FakeSink(), KNOWN, expected=(st.st_size - 1, st.st_mtime_ns)
    )
    assert outcome is None
    assert path.read_bytes() == EXPORT


def check_unreadable_file_is_left(tmp_path: Path) -> None:
    folders = make_folders(tmp_path)
    path = drop(folders.exports, "x.json", EXPORT)
    path.chmod(0)
    assert not os.access(path, os.R_OK), "this process can read every file"
    outcome = ingest_file(path, folders, FakeSink(), KNOWN)
    assert outcome is not None and outcome.outcome == "left" and outcome.moved_to == path
    assert outcome.reason is not None and "permission denied" in outcome.reason
    assert list(folders.quarantine.iterdir()) == []
    path.chmod(0o644)  # the administrator puts it right: the next pass takes it
    again = ingest_file(path, folders, FakeSink(), KNOWN)
    assert again is not None and again.outcome == "taken"


def test_a_file_the_pipeline_may_not_read_is_left_and_taken_once_readable(tmp_path: Path) -> None:
    """issue 10 item 4 (was issue 4's quarantine): a permission is a transient fault, put right by
    an administrator; the file is left where it is, said why, never quarantined, and taken then."""
    probe = tmp_path / "probe"
    probe.write_bytes(b"x")
    probe.chmod(0)
    if not os.access(probe, os.R_OK):
        check_unreadable_file_is_left(tmp_path)
        return
    # Root reads every file (CAP_DAC_OVERRIDE), as CI does: run the check again in a process
    # that has given up its capabilities, so the test still proves something there.
    setpriv = shutil.which("setpriv")
    assert setpriv is not None, "setpriv (util-linux) is needed to drop root's capabilities"
    code = (
        "from pathlib import Path; from tests.test_inbox import check_unreadable_file_is_left;"
        f" check_unreadable_file_is_left(Path({str(tmp_path / 'unprivileged')!r}))"
    )
    (tmp_path / "unprivileged").mkdir()
    subprocess.run(
        [setpriv, "--inh-caps=-all", "--bounding-set=-all", sys.executable, "-c", code],
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )


def test_a_move_across_file_systems_copies_durably_then_removes_the_original(
    tmp_path: Path,
) -> None:
    """issue 4: when rename fails with EXDEV, the copy is complete before the original goes."""
    source = tmp_path / "a" / "x.json"
    source.parent.mkdir()
    source.write_bytes(EXPORT)
    (tmp_path / "b").mkdir()
    target = tmp_path / "b" / "x.json"

    def cross_device(src: Path, dst: Path) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    old = time.time() - 3600
    os.utime(source, (old, old))
    mtime_ns = source.stat().st_mtime_ns
    assert inbox._move(source, target, rename=cross_device) == target
    assert target.read_bytes() == EXPORT
    # issue 10 item 4: the copy keeps its mtime, or a quarantined copy would look changed.
    assert target.stat().st_mtime_ns == mtime_ns
    assert not source.exists()
    assert [p.name for p in target.parent.iterdir()] == ["x.json"]  # no temporary left


# --- ingest_settled -------------------------------------------------------------------------------


def test_one_pass_takes_only_settled_files_and_loses_nothing(tmp_path: Path) -> None:
    """issue 4: over two passes every file is taken or quarantined; nothing is deleted unsaved."""
    folders = make_folders(tmp_path)
    sink = FakeSink()
    originals = {
        "exports/a-export.json": variant(1),
        "exports/b-again.json": variant(1),  # the same bytes again: a duplicate
        "amendments/c-amendment.json": AMENDMENT,
        "exports/d-report.json": pdf_bytes(),
        "exports/e-empty.json": b"",
        "exports/f-broken.json": broken_export(),
        "exports/g-writing.json.part": variant(2),  # not whole yet: ignored
    }
    for relative, data in originals.items():
        drop(folders.root, relative, data, age=60)
    tracker = SettleTracker(1.0)
    now = time.time()
    assert ingest_settled(folders, tracker, sink, KNOWN, DEFAULT_MAX_BYTES, now) == []
    outcomes = ingest_settled(folders, tracker, sink, KNOWN, DEFAULT_MAX_BYTES, now + 1.0)
    assert [(o.source.name, o.outcome) for o in outcomes] == [
        ("a-export.json", "taken"),
        ("b-again.json", "duplicate"),
        ("c-amendment.json", "taken"),
        ("d-report.json", "quarantined"),
        ("e-empty.json", "quarantined"),
        ("f-broken.json", "quarantined"),
    ]
    assert all(isinstance(o, IngestOutcome) for o in outcomes)
    assert [p.name for sub in folders.drop_folders for p in sub.iterdir()] == [
        "g-writing.json.part"
    ]
    assert_nothing_lost(originals, folders, sink)
    assert sorted(sink.by_sha.values()) == sorted([variant(1), AMENDMENT])


def test_a_file_modified_between_passes_waits_for_the_settle_time_again(tmp_path: Path) -> None:
    """issue 4: a writer that appends after a pause restarts the wait."""
    folders = make_folders(tmp_path)
    sink = FakeSink()
    path = drop(folders.exports, "x.json", EXPORT[:100], age=60)
    tracker = SettleTracker(1.0)
    now = time.time()
    assert ingest_settled(folders, tracker, sink, KNOWN, DEFAULT_MAX_BYTES, now) == []
    path.write_bytes(EXPORT)
    assert ingest_settled(folders, tracker, sink, KNOWN, DEFAULT_MAX_BYTES, now + 1.5) == []
    [outcome] = ingest_settled(folders, tracker, sink, KNOWN, DEFAULT_MAX_BYTES, now + 2.5)
    assert outcome.outcome == "taken"
    assert list(sink.by_sha.values()) == [EXPORT]


# --- issue 10 item 4: bounded kept names, non-files, files changed in quarantine ------------------


@pytest.mark.parametrize(
    "name",
    [
        "a" * 245 + ".json",  # stalled the inbox: the kept name passed 255 bytes
        "é" * 125 + ".json",  # 255 bytes of UTF-8: cut on a character boundary
        "x" * 250,  # no extension at all
    ],
)
def test_a_long_dropped_name_is_kept_under_a_bounded_name(tmp_path: Path, name: str) -> None:
    """issue 10 item 4: whatever the dropped name, the kept name and its reason file fit the
    file system's 255 bytes; the whole name is in the reason file."""
    folders = make_folders(tmp_path)
    bad = ingest_file(drop(folders.exports, name, b""), folders, FakeSink(), KNOWN)
    assert bad is not None and bad.outcome == "quarantined"
    assert len(os.fsencode(bad.moved_to.name + REASON_SUFFIX)) <= 255
    assert f"original name: exports/{name}\n" in reason_of(bad.moved_to)
    good = ingest_file(drop(folders.exports, name, EXPORT), folders, FakeSink(), KNOWN)
    assert good is not None and good.outcome == "taken"
    assert len(os.fsencode(good.moved_to.name)) <= 255
    assert good.moved_to.name.endswith(".json") == name.endswith(".json")
    assert good.moved_to.name.encode().decode("utf-8")  # still whole characters


def test_a_name_that_does_not_print_cannot_forge_a_line_of_its_reason(tmp_path: Path) -> None:
    """issue 10 item 4: a newline (or bytes that are not UTF-8) in a dropped name is written as
    an escape in the reason file, so `cpc status` reads the real reason."""
    folders = make_folders(tmp_path)
    name = os.fsdecode(b"x\nreason: all fine\xff.json")
    outcome = ingest_file(drop(folders.exports, name, b""), folders, FakeSink(), KNOWN)
    assert outcome is not None and outcome.outcome == "quarantined"
    lines = reason_of(outcome.moved_to).splitlines()
    assert [line for line in lines if line.startswith("reason:")] == ["reason: the file is empty"]


def test_links_pipes_and_folders_in_the_inbox_are_reported_and_never_followed(
    tmp_path: Path,
) -> None:
    """issue 10 item 4: they were left in the inbox for ever, unreported; `non_files` names each
    (for `cpc ingest` and `cpc status`), and nothing is taken through a link."""
    folders = make_folders(tmp_path)
    target = drop(tmp_path, "elsewhere.json", EXPORT)
    (folders.exports / "link.json").symlink_to(target)
    os.mkfifo(folders.amendments / "pipe.json")
    (folders.exports / "folder.json").mkdir()
    drop(folders.root, "stray.json", EXPORT)
    drop(folders.exports, ".hidden.json", EXPORT)  # a writer's: not reported
    drop(folders.exports, "good.json", EXPORT)
    found = {one.path.name: one.reason for one in inbox.non_files(folders)}
    assert set(found) == {"link.json", "pipe.json", "folder.json", "stray.json"}
    assert found["link.json"].startswith("a symbolic link")
    assert found["pipe.json"].startswith("a named pipe")
    assert found["folder.json"].startswith("a folder")
    assert "not in exports/ or amendments/" in found["stray.json"]
    assert [seen.path.name for seen in scan(folders)] == ["good.json"]


def test_a_file_finished_inside_quarantine_goes_back_to_the_inbox_and_is_taken(
    tmp_path: Path,
) -> None:
    """issue 10 item 4: a writer that paused past the settle time had its file quarantined
    half-written, then finished it inside quarantine/ and it was never taken. The reason file
    records the size and mtime; a changed file goes back to the folder it came from."""
    folders = make_folders(tmp_path)
    path = drop(folders.exports, "slow.json", EXPORT[:1000])
    sink = FakeSink()
    with path.open("ab") as writer:  # the writer still holds the file open
        first = ingest_file(path, folders, sink, KNOWN)
        assert first is not None and first.outcome == "quarantined"
        assert inbox.requeue_changed(folders) == []  # unchanged: stays in quarantine
        writer.write(EXPORT[1000:])
    [back] = inbox.requeue_changed(folders)
    assert back.outcome == "requeued" and back.moved_to == folders.exports / "slow.json"
    assert list(folders.quarantine.iterdir()) == []  # the stale reason went with it
    again = ingest_file(back.moved_to, folders, sink, KNOWN)
    assert again is not None and again.outcome == "taken"
    assert list(sink.by_sha.values()) == [EXPORT]


def test_status_reports_what_lies_in_the_inbox_and_is_never_taken(tmp_path: Path) -> None:
    # Issue 10 §4: symlinks, pipes and folders in the inbox were left there for ever, unreported.
    import json as _json

    from tests.service_harness import Service

    service = Service(tmp_path / "svc")
    service.cpc("ingest")  # makes the store and the inbox folders
    exports = tmp_path / "svc" / "inbox" / "exports"
    (exports / "a-folder").mkdir()
    (exports / "a-link.json").symlink_to(tmp_path / "elsewhere.json")
    report = _json.loads(service.cpc("status", "--format", "json").split("\n", 0)[0])
    found = {Path(item["path"]).name: item["reason"] for item in report["not_files"]}
    assert set(found) == {"a-folder", "a-link.json"}
    assert "symbolic link" in found["a-link.json"] and "never taken" in found["a-folder"]
    assert "In the inbox, never taken (2)" in service.cpc("status")

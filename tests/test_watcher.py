"""watcher.watch with real watchdog events on real folders: each whole file ingested once as it arrives (issue 4)."""

from __future__ import annotations

import errno
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pipeline.errors import InboxBusy
from pipeline.intake.inbox import REASON_SUFFIX, InboxFolders, IngestOutcome
from pipeline.intake.watch import watch
from tests.test_inbox import (
    AMENDMENT,
    BAD_FILES,
    EXPORT,
    KNOWN,
    FakeSink,
    assert_nothing_lost,
    make_folders,
    reason_of,
    variant,
)

SETTLE = 0.4  # seconds; short so the suite is fast, long enough for a writer's pauses below
DEADLINE = 10.0  # seconds to wait for something that should happen in well under one


@dataclass
class Running:
    folders: InboxFolders
    sink: FakeSink
    outcomes: list[IngestOutcome] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    started: threading.Event = field(default_factory=threading.Event)

    def wait_for(self, count: int) -> list[IngestOutcome]:
        """The first `count` outcomes, once there are that many (fails at the deadline)."""
        wait_until(lambda: len(self.outcomes) >= count or bool(self.errors))
        return self.outcomes[:count]


def wait_until(condition: Callable[[], bool], deadline: float = DEADLINE) -> None:
    end = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.02)


@contextmanager
def watching(
    folders: InboxFolders, sink: FakeSink, *, rescan_seconds: float = 30.0
) -> Iterator[Running]:
    """Run watch() in a thread; on leaving, stop it and raise anything it raised unawaited."""
    running = Running(folders, sink)
    stop = threading.Event()

    def run() -> None:
        try:
            watch(
                folders,
                sink,
                KNOWN,
                settle_seconds=SETTLE,
                rescan_seconds=rescan_seconds,
                stop=stop,
                on_outcome=running.outcomes.append,
                on_started=running.started.set,
            )
        except BaseException as exc:  # handed to the test, which decides whether it was expected
            running.errors.append(exc)

    thread = threading.Thread(target=run, name="watch", daemon=True)
    thread.start()
    try:
        yield running
    finally:
        stop.set()
        thread.join(timeout=5)
        assert not thread.is_alive(), "watch() did not stop within 5 s of being told to"
    if running.errors:
        raise running.errors[0]


def test_a_file_written_slowly_in_chunks_is_taken_once_whole(tmp_path: Path) -> None:
    """issue 4: a file written slowly in chunks (closed and reopened between) is taken once, whole."""
    folders = make_folders(tmp_path)
    sink = FakeSink()
    path = folders.exports / "slow.json"
    chunks = [EXPORT[i : i + 2000] for i in range(0, len(EXPORT), 2000)]
    assert len(chunks) >= 6
    with watching(folders, sink) as running:
        for chunk in chunks:
            with path.open("ab") as handle:
                handle.write(chunk)
            time.sleep(SETTLE / 4)  # a pause shorter than the settle time
        [outcome] = running.wait_for(1)
        time.sleep(SETTLE)  # long enough for a second take, if there were to be one
    assert outcome.outcome == "taken"
    assert outcome.moved_to.read_bytes() == EXPORT
    assert [name for name, _ in sink.calls] == ["slow.json"]
    assert list(sink.by_sha.values()) == [EXPORT]
    assert list(folders.quarantine.iterdir()) == []  # no partial file was tried and refused
    assert len(running.outcomes) == 1


def test_a_part_file_is_taken_only_after_rename_and_hidden_and_tmp_files_never(
    tmp_path: Path,
) -> None:
    """issue 4: x.json.part is ignored until renamed to x.json; dot-files and .tmp are ignored."""
    folders = make_folders(tmp_path)
    sink = FakeSink()
    with watching(folders, sink) as running:
        part = folders.exports / "x.json.part"
        part.write_bytes(EXPORT)
        (folders.exports / ".hidden.json").write_bytes(variant(1))
        (folders.amendments / "a.json.tmp").write_bytes(AMENDMENT)
        time.sleep(SETTLE * 2.5)  # time enough to take them, were they candidates
        assert running.outcomes == []
        part.rename(folders.exports / "x.json")
        [outcome] = running.wait_for(1)
    assert (outcome.source.name, outcome.outcome) == ("x.json", "taken")
    assert list(sink.by_sha.values()) == [EXPORT]
    assert sorted(p.name for p in folders.exports.iterdir()) == [".hidden.json"]
    assert [p.name for p in folders.amendments.iterdir()] == ["a.json.tmp"]


def test_bad_files_are_quarantined_each_with_a_reason_naming_the_problem(tmp_path: Path) -> None:
    """issue 4: a PDF named .json, an empty file, 10 MB, bad UTF-8 and a broken export are quarantined."""
    folders = make_folders(tmp_path)
    sink = FakeSink()
    originals = {name: data for name, data, _ in BAD_FILES}
    with watching(folders, sink) as running:
        for name, data in originals.items():
            (folders.exports / name).write_bytes(data)
        outcomes = running.wait_for(len(BAD_FILES))
    by_name = {o.source.name: o for o in outcomes}
    assert sorted(by_name) == sorted(originals)
    for name, data, words in BAD_FILES:
        outcome = by_name[name]
        assert outcome.outcome == "quarantined", name
        assert outcome.moved_to.read_bytes() == data, name
        text = reason_of(outcome.moved_to)
        assert f"original name: exports/{name}" in text
        assert words in text, name
    assert sink.calls == []
    assert_nothing_lost(originals, folders, sink)
    assert list(folders.exports.iterdir()) == []


def test_files_already_in_the_inbox_when_the_watcher_starts_are_taken(tmp_path: Path) -> None:
    """issue 4: a full scan at start takes what arrived while nothing was watching."""
    folders = make_folders(tmp_path)
    (folders.exports / "waiting.json").write_bytes(EXPORT)
    (folders.amendments / "waiting-too.json").write_bytes(AMENDMENT)
    sink = FakeSink()
    with watching(folders, sink) as running:
        outcomes = running.wait_for(2)
    assert sorted((o.source.name, o.outcome) for o in outcomes) == [
        ("waiting-too.json", "taken"),
        ("waiting.json", "taken"),
    ]
    assert sorted(sink.by_sha.values()) == sorted([EXPORT, AMENDMENT])


def test_the_same_content_dropped_twice_is_a_duplicate_and_goes_to_processed(
    tmp_path: Path,
) -> None:
    """issue 4: the second copy is recorded as a duplicate; the store gets nothing new."""
    folders = make_folders(tmp_path)
    sink = FakeSink()
    with watching(folders, sink) as running:
        (folders.exports / "first.json").write_bytes(EXPORT)
        running.wait_for(1)
        (folders.exports / "second.json").write_bytes(EXPORT)
        first, second = running.wait_for(2)
    assert (first.outcome, second.outcome) == ("taken", "duplicate")
    assert second.moved_to.parent == folders.processed
    assert second.moved_to.read_bytes() == EXPORT
    assert list(sink.by_sha.values()) == [EXPORT]
    assert len(sink.calls) == 2


def test_a_stale_document_is_quarantined_with_the_stores_reason(tmp_path: Path) -> None:
    """issue 4: a document the store refuses as stale is quarantined, and the reason says why."""
    folders = make_folders(tmp_path)
    sink = FakeSink(stale="revision 1 is lower than revision 3, already taken")
    with watching(folders, sink) as running:
        (folders.exports / "old.json").write_bytes(EXPORT)
        [outcome] = running.wait_for(1)
    assert outcome.outcome == "quarantined"
    assert outcome.moved_to.read_bytes() == EXPORT
    assert "reason: revision 1 is lower than revision 3, already taken" in reason_of(
        outcome.moved_to
    )


def test_a_sink_that_fails_leaves_the_file_says_so_once_and_takes_it_once_fixed(
    tmp_path: Path,
) -> None:
    """issue 10 item 4 (was issue 4's "stops the watch"): the store breaking leaves the file in
    the inbox, reported once, the watch goes on, and the next rescan after the fault clears takes it."""
    folders = make_folders(tmp_path)
    sink = FakeSink(broken=OSError(errno.EIO, "store unreachable"))
    path = folders.exports / "x.json"
    with watching(folders, sink, rescan_seconds=0.5) as running:
        path.write_bytes(EXPORT)
        [left] = running.wait_for(1)
        assert left.outcome == "left" and left.moved_to == path
        assert list(folders.quarantine.iterdir()) == list(folders.processed.iterdir()) == []
        wait_until(lambda: len(sink.calls) >= 3)  # tried at each rescan ...
        assert len(running.outcomes) == 1  # ... and said once
        sink.broken = None
        wait_until(lambda: len(running.outcomes) >= 2)
    assert running.outcomes[1].outcome == "taken"
    assert not path.exists()
    assert_nothing_lost({"x.json": EXPORT}, folders, sink)


def test_many_files_at_once_are_each_taken_or_quarantined_and_none_lost(tmp_path: Path) -> None:
    """issue 4: nothing leaves the inbox unless its bytes are in the store or in quarantine."""
    folders = make_folders(tmp_path)
    sink = FakeSink()
    originals = {f"v{n:02}.json": variant(n) for n in range(12)}
    originals |= {"empty.json": b"", "again.json": variant(3)}
    with watching(folders, sink, rescan_seconds=0.5) as running:
        for name, data in originals.items():
            (folders.exports / name).write_bytes(data)
        outcomes = running.wait_for(len(originals))
    counts = {kind: sum(o.outcome == kind for o in outcomes) for kind in ("taken", "duplicate")}
    assert counts == {"taken": 12, "duplicate": 1}
    assert_nothing_lost(originals, folders, sink)
    assert list(folders.exports.iterdir()) == []
    [quarantined] = [p for p in folders.quarantine.iterdir() if not p.name.endswith(REASON_SUFFIX)]
    assert quarantined.name.endswith("-empty.json")


def test_a_file_that_makes_no_event_is_found_by_the_periodic_rescan(tmp_path: Path) -> None:
    """issue 4: the rescan is the source of truth; here exports/ links to a folder outside the
    watched tree (as a mounted share would be), so watchdog sees nothing of what lands in it."""
    share = tmp_path / "share"
    share.mkdir()
    folders = InboxFolders.at(tmp_path / "inbox")
    folders.root.mkdir()
    folders.exports.symlink_to(share, target_is_directory=True)
    folders.ensure()
    sink = FakeSink()
    with watching(folders, sink, rescan_seconds=0.5) as running:
        time.sleep(0.3)  # past the scan at start, so only a later rescan can find the file
        (share / "quiet.json").write_bytes(EXPORT)
        [outcome] = running.wait_for(1)
    assert (outcome.source, outcome.outcome) == (folders.exports / "quiet.json", "taken")
    assert list(sink.by_sha.values()) == [EXPORT]


def test_a_writer_that_pauses_past_the_settle_time_still_has_its_file_taken_whole(
    tmp_path: Path,
) -> None:
    """issue 10 item 4: a file written with a pause longer than the settle time (5 s in the
    issue; here several settle times) was quarantined half-written, then completed inside
    quarantine/ and never taken. Now it goes back to the inbox at the next rescan and is taken."""
    folders = make_folders(tmp_path)
    sink = FakeSink()
    path = folders.exports / "paused.json"
    with watching(folders, sink, rescan_seconds=0.5) as running:
        with path.open("wb") as writer:
            writer.write(EXPORT[:2000])
            writer.flush()
            [half] = running.wait_for(1)  # the pause: the half file is judged whole
            assert half.outcome == "quarantined"
            writer.write(EXPORT[2000:])
        wait_until(lambda: any(o.outcome == "taken" for o in running.outcomes))
    assert [o.outcome for o in running.outcomes] == ["quarantined", "requeued", "taken"]
    assert list(sink.by_sha.values()) == [EXPORT]
    assert list(folders.quarantine.iterdir()) == []
    assert list(folders.exports.iterdir()) == []


def test_a_second_watch_on_the_same_inbox_refuses_to_start(tmp_path: Path) -> None:
    """issue 10 item 4: two watchers raced for each file and one died with an IntegrityError."""
    folders = make_folders(tmp_path)
    with watching(folders, FakeSink()) as running:
        wait_until(lambda: running.started.is_set())
        with pytest.raises(InboxBusy, match="already watching"):
            watch(folders, FakeSink(), KNOWN, stop=threading.Event(), on_outcome=print)

"""The watcher with the real store behind it: a dropped export is taken, kept and planned; a stale one is quarantined (issue 4)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from pipeline.intake.inbox import InboxFolders, IngestOutcome
from pipeline.intake.watch import watch
from pipeline.procedure.profile import load_profiles
from pipeline.rendering.html import Composer
from pipeline.service.ingest import StoreSink
from tests.backends import Database
from tests.conftest import example


def test_an_export_written_into_the_inbox_is_kept_and_planned_and_a_stale_one_refused(
    tmp_path: Path, database: Database
) -> None:
    profiles = load_profiles()
    store = database.open(tmp_path)
    folders = InboxFolders.at(tmp_path / "inbox")
    folders.ensure()
    outcomes: list[IngestOutcome] = []
    stop = threading.Event()
    thread = threading.Thread(
        target=watch,
        args=(folders, StoreSink(store, profiles, Composer.at()), profiles.keys()),
        kwargs={"settle_seconds": 0.3, "rescan_seconds": 1.0, "stop": stop,
                "on_outcome": outcomes.append},
    )  # fmt: skip
    thread.start()
    try:
        second = example("pre-birth-scheduled")
        second["revision"] = 2
        second["export_id"] = "EXP-PRE-BIRTH-2"
        raw = json.dumps(second).encode()
        path = folders.exports / "pre-birth-r2.json"
        with path.open("wb") as handle:  # written in two goes, closed between
            handle.write(raw[:500])
        time.sleep(0.1)
        with path.open("ab") as handle:
            handle.write(raw[500:])
        _wait(lambda: len(outcomes) >= 1)
        (folders.exports / "pre-birth-r1.json").write_text(
            json.dumps(example("pre-birth-scheduled"))
        )
        _wait(lambda: len(outcomes) >= 2)
    finally:
        stop.set()
        thread.join(timeout=10)
    taken, stale = outcomes
    assert taken.outcome == "taken" and taken.moved_to.parent == folders.processed
    (stored,) = store.current_exports("CPC-2026-0777")
    assert stored.revision == 2 and stored.raw == raw
    assert {r.document for r in store.copy_rows("CPC-2026-0777")} == {
        "invitation",
        "exclusion_letter",
    }
    assert stale.outcome == "quarantined"
    assert "revision 1 is not higher than revision 2" in (stale.reason or "")
    assert not any(folders.exports.iterdir())
    store.close()


def _wait(condition, deadline: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)

"""A distribution run's edges: a dry run changes nothing; a layout past its time budget is stopped in its worker and the run says so (issue 4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli.app import app
from pipeline.service.run import RunTools
from tests.backends import open_store
from tests.conftest import example
from tests.fake_renderer import FakeRenderer

runner = CliRunner()

# Each test on both stores: SQLite and PostgreSQL (tests.backends).
pytestmark = pytest.mark.usefixtures("database")


def service(root: Path, rendering: str = "") -> Path:
    config = root / "cpc.toml"
    config.write_text(f"[rendering]\n{rendering}\n")
    drop = root / "inbox" / "exports" / "pre-birth.json"
    drop.parent.mkdir(parents=True)
    drop.write_text(json.dumps(example("pre-birth-scheduled")))
    result = runner.invoke(app, ["ingest", str(drop), "--config", str(config)])
    assert result.exit_code == 0, result.output
    return config


def deliveries(root: Path) -> list[object]:
    store = open_store(root / "state")
    try:
        return list(store.deliveries())
    finally:
        store.close()


def test_a_dry_run_says_what_would_go_and_changes_nothing(tmp_path: Path) -> None:
    config = service(tmp_path)
    result = runner.invoke(
        app, ["distribute", "--dry-run", "--today", "2026-11-24", "--config", str(config)]
    )
    assert result.exit_code == 0, result.output
    assert "Would send (5)" in result.output
    assert deliveries(tmp_path) == []
    assert not (tmp_path / "outbox").exists()


# SQLite only: the render pool's time limit is the point, the same whichever store.
@pytest.mark.one_store
def test_a_layout_over_its_time_budget_is_stopped_and_the_run_fails(tmp_path: Path) -> None:
    """Issue 4: rendering runs in forkserver workers with a per-document timeout."""
    config = service(tmp_path, "workers = 1\ndocument_timeout_seconds = 0.001")
    # The fake renderer in the workers: the time limit and the pool are the point, not the layout.
    # Each copy takes 0.5 s: past a 0.001 s budget by more than the pool's watch on it (pebble
    # looks every 0.1 s, so a copy done sooner can beat it), well inside a 60 s one.
    fake = RunTools(renderer=FakeRenderer(delay=0.5))
    result = runner.invoke(
        app, ["distribute", "--today", "2026-11-24", "--config", str(config)], obj=fake
    )
    assert result.exit_code == 1
    assert "longer than 0.001 s a document" in result.output
    # Each of the 5 copies fails once: tried alone after its conference ran out of time, and not
    # tried again in the same run.
    assert "FAILED (5)" in result.output
    assert deliveries(tmp_path) == []
    # With time enough, the next run sends everything through the same worker pool.
    config.write_text("[rendering]\nworkers = 1\ndocument_timeout_seconds = 60\n")
    result = runner.invoke(
        app, ["distribute", "--today", "2026-11-24", "--config", str(config)], obj=fake
    )
    assert result.exit_code == 0, result.output
    assert len(deliveries(tmp_path)) == 5

"""Rendering every example export, PDF and DOCX, logs nothing at WARNING or above, on any logger.

WeasyPrint logs a problem and carries on (a font it cannot find, CSS it does not know); fontTools,
pikepdf and python-docx log on loggers of their own. A letter must fail loudly rather than go out
half laid out (../shared/style.md: a test fails if anything was logged unexpectedly), so a
warning that appears here is a defect to fix, or to filter in `EXPECTED` with its reason.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.contract.load import load_export
from pipeline.planning.recipients import plan_distribution
from pipeline.procedure.profile import Profile
from pipeline.rendering.html import Composer
from pipeline.service.copy_renderer import Renderer, render_plan

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
EXPORTS = sorted(
    path
    for path in EXAMPLES.glob("*.json")
    if json.loads(path.read_text(encoding="utf-8")).get("format") == "cpc-export/1"
)
# Loggers that carry their own level or handlers, set to pass WARNING on to the capture.
LIBRARY_LOGGERS = ("weasyprint", "weasyprint.progress", "fontTools", "pikepdf", "docx", "PIL")
# (logger, start of message) of warnings known and accepted, each with why. None today.
EXPECTED: tuple[tuple[str, str], ...] = ()


@pytest.fixture
def every_warning(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.WARNING)
    for name in LIBRARY_LOGGERS:
        caplog.set_level(logging.WARNING, logger=name)
    yield caplog


def _unexpected(records: list[logging.LogRecord]) -> list[str]:
    return [
        f"{record.name} {record.levelname}: {record.getMessage()}"
        for record in records
        if record.levelno >= logging.WARNING
        and not any(
            record.name == name and record.getMessage().startswith(start)
            for name, start in EXPECTED
        )
    ]


def test_every_example_export_is_checked() -> None:
    # Guards the test below against a rename that would leave it rendering nothing.
    assert len(EXPORTS) >= 3


@pytest.mark.parametrize("path", EXPORTS, ids=lambda p: p.stem)
def test_rendering_an_example_logs_nothing(
    path: Path, profiles: dict[str, Profile], every_warning: pytest.LogCaptureFixture
) -> None:
    export = load_export(path.read_bytes(), profiles.keys())
    profile = profiles[export.authority.procedure_profile or "default"]
    plan = plan_distribution(export, profile, profile.working_calendar(export.authority.nation))
    rendered = list(render_plan(export, plan, Renderer.for_profile(profile, Composer.at())))
    made = [copy for copy in rendered if copy.status == "ready"]
    kinds = {name.rsplit(".", 1)[-1] for copy in made for name, _ in copy.files}
    assert {"pdf", "docx"} <= kinds, f"{path.stem}: rendered {kinds or 'nothing'}"
    not_rendered = [copy.reason for copy in rendered if copy.hold_kind == "render_error"]
    assert not_rendered == []
    assert _unexpected(every_warning.records) == []

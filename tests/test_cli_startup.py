"""`cpc validate` and `cpc plan` start without the renderer, the store or the PDF tools.

Each command imports what it uses inside its own body (pipeline/cli/), so the commands a person
runs by hand on one file answer in well under a second. Each case runs the real `cpc` in a fresh
interpreter (a module imported by an earlier test would hide the import here), checks what the
person was told, and then which of the heavy libraries the command left loaded. Wall time is
measured for the report, never asserted: a shared machine's timings are not a test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("weasyprint", "docxtpl", "docx", "sqlalchemy", "alembic", "pikepdf", "pypdfium2")

# Runs `cpc ARGS...` as the `cpc` script does, then says (on stderr, after the command's own
# output) the exit code and which heavy libraries are loaded, as one JSON line.
PROBE = """
import json, sys
{before}
from pipeline.cli.app import app
heavy = {heavy!r}
try:
    app(args=sys.argv[1:], prog_name="cpc")
    code = 0
except SystemExit as exc:
    code = exc.code if isinstance(exc.code, int) else 1
loaded = sorted(m for m in sys.modules if m.split(".")[0] in heavy)
sys.stderr.write("\\n" + json.dumps({{"code": code, "loaded": loaded}}) + "\\n")
"""


def _cpc(*args: str, before: str = "") -> tuple[int, str, list[str]]:
    """(exit code, what was printed on stdout, heavy modules loaded) of one fresh `cpc` run."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(before=before, heavy=HEAVY), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    last = result.stderr.strip().splitlines()[-1]
    said = json.loads(last)
    return said["code"], result.stdout, said["loaded"]


EXAMPLE = str(EXAMPLES / "initial-domestic-abuse.json")


def test_validate_says_the_file_is_valid_without_loading_the_renderer_or_the_store() -> None:
    code, out, loaded = _cpc("validate", EXAMPLE, str(EXAMPLES / "amendment-agreed.json"))
    assert code == 0, out
    assert f"{EXAMPLE}: valid (cpc-export/1)" in out
    assert "amendment-agreed.json: valid (" in out
    assert loaded == []


def test_validate_of_a_broken_file_says_why_without_loading_them(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "cpc-export/1"', encoding="utf-8")
    code, out, loaded = _cpc("validate", str(broken))
    assert code == 1
    assert f"{broken}: INVALID" in out
    assert loaded == []


@pytest.mark.parametrize(
    "output_format",
    [
        "table",  # the default: what a person at a terminal reads
        "json",  # what a script reads
    ],
)
def test_plan_shows_every_copy_without_loading_the_renderer_or_the_store(
    output_format: str,
) -> None:
    code, out, loaded = _cpc("plan", EXAMPLE, "--format", output_format)
    assert code == 0, out
    if output_format == "json":
        plan = json.loads(out)
        assert plan["conference"] == "CPC-2026-0412"
        assert any(c["recipient"] == "p-mother" and c["channel"] == "post" for c in plan["copies"])
    else:
        assert "CPC-2026-0412 revision 1" in out
        assert "Sarah Whitfield (p-mother)" in out
    assert loaded == []


def test_help_lists_every_command_without_loading_them() -> None:
    code, out, loaded = _cpc("--help")
    assert code == 0
    for command in ("validate", "plan", "process", "distribute", "status", "release"):
        assert command in out
    assert loaded == []


def test_the_probe_sees_a_heavy_library_when_one_is_loaded() -> None:
    # The control: the same probe, with the store imported first, names SQLAlchemy; so an empty
    # list above means nothing was loaded, not that the probe cannot see.
    code, _, loaded = _cpc("validate", EXAMPLE, before="import pipeline.store.db")
    assert code == 0
    assert "sqlalchemy" in loaded

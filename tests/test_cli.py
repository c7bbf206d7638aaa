"""The `cpc` command as an administrator uses it: exit codes, messages, the plan as a table and as JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from pipeline.cli.app import app
from tests.conftest import EXAMPLES, example

runner = CliRunner()


def _write(tmp_path: Path, name: str, data: dict) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_validate_accepts_every_shipped_example() -> None:
    files = sorted(str(p) for p in EXAMPLES.glob("*.json"))
    result = runner.invoke(app, ["validate", *files])
    assert result.exit_code == 0, result.output
    assert result.output.count(": valid (") == len(files)


def test_validate_reports_every_problem_with_its_path_and_exits_1(tmp_path: Path) -> None:
    data = example("initial-domestic-abuse")
    data["attendance"][0]["person"] = "p-nobody"
    data["people"][0]["email"] = "helen.marsh at northby"
    good = EXAMPLES / "review-plan-ends.json"
    bad = _write(tmp_path, "bad.json", data)
    result = runner.invoke(app, ["validate", str(good), str(bad)])
    assert result.exit_code == 1
    assert f"{bad}: INVALID" in result.output
    assert "attendance[0].person: refers to 'p-nobody'" in result.output
    assert "people[0].email: must be an e-mail address" in result.output
    assert f"{good}: valid" in result.output


def test_validate_names_an_unknown_profile(tmp_path: Path) -> None:
    data = example("review-plan-ends")
    data["authority"]["procedure_profile"] = "northby"
    result = runner.invoke(app, ["validate", str(_write(tmp_path, "x.json", data))])
    assert result.exit_code == 1
    assert "authority.procedure_profile" in result.output and "'northby'" in result.output


def test_validate_finds_an_authoritys_own_profile(tmp_path: Path) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "northby.toml").write_text(
        'extends = "default"\nname = "northby"\ntitle = "Northby"\n', encoding="utf-8"
    )
    data = example("review-plan-ends")
    data["authority"]["procedure_profile"] = "northby"
    path = _write(tmp_path, "x.json", data)
    result = runner.invoke(app, ["validate", "--profiles-dir", str(profiles), str(path)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["validate", str(path)], env={"CPC_PROFILES_DIR": str(profiles)})
    assert result.exit_code == 0, result.output


def test_validate_a_missing_file_is_invalid(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "nope.json")])
    assert result.exit_code == 1
    assert "cannot read the file" in result.output


def test_plan_json_has_the_documented_shape() -> None:
    result = runner.invoke(
        app, ["plan", str(EXAMPLES / "initial-domestic-abuse.json"), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    assert plan["conference"] == "CPC-2026-0412"
    assert {"copies", "tasks", "checks"} <= set(plan)
    mother_record = next(
        c for c in plan["copies"] if (c["recipient"], c["document"]) == ("p-mother", "record")
    )
    assert {k: mother_record[k] for k in ("view", "due", "status", "reason", "via")} == {
        "view": "family",
        "due": "2026-12-21",
        "status": "ready",
        "reason": None,
        "via": "p-sw",
    }
    documents = {c["document"] for c in plan["copies"]}
    assert documents == {"decision_letter", "outline_plan", "record"}
    assert all(check["status"] in ("ok", "problem", "unknown") for check in plan["checks"])


def test_plan_table_shows_recipients_and_checks() -> None:
    result = runner.invoke(
        app, ["plan", str(EXAMPLES / "pre-birth-scheduled.json")], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "Chloe Davies (p-mum3)" in result.output
    assert "exclusion_letter" in result.output
    assert "invitations_in_time" in result.output
    assert "Rhian Evans" not in result.output  # the chair gets no invitation


def test_plan_of_an_invalid_export_exits_1_with_the_problems(tmp_path: Path) -> None:
    data = example("initial-domestic-abuse")
    del data["decisions"][1]
    result = runner.invoke(app, ["plan", str(_write(tmp_path, "x.json", data))])
    assert result.exit_code == 1
    assert "c-noah" in result.output and "R73" in result.output


def test_plan_refuses_an_amendment(tmp_path: Path) -> None:
    result = runner.invoke(app, ["plan", str(EXAMPLES / "amendment-agreed.json")])
    assert result.exit_code == 1
    assert "format" in result.output


COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def test_the_command_list_is_read_from_the_app() -> None:
    assert {"validate", "plan", "ingest", "distribute", "status", "history"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_documented_in_the_readme(command: str) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert f"cpc {command}" in readme


def test_the_installed_console_script_runs() -> None:
    cpc = Path(sys.executable).parent / "cpc"
    if not cpc.exists():
        pytest.fail(f"the cpc console script is not installed beside {sys.executable}")
    done = subprocess.run(
        [str(cpc), "plan", str(EXAMPLES / "review-plan-ends.json"), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["conference"] == "CPC-2026-0208"

"""What an administrator reads is in plain words (issue 10 item 6): names beside ids, yes/no, times with their zone, no raw control characters, a version, short help, several copies at once, and a `delivered` event for every posted letter."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from pipeline.cli.app import app
from tests import service_harness
from tests.conftest import example
from tests.fake_renderer import FAKE

DV = "CPC-2026-0412"
runner = CliRunner()


def test_version_and_short_help() -> None:
    version = runner.invoke(app, ["--version"])
    assert version.exit_code == 0
    assert version.output.startswith("cpc ") and version.output.strip().split()[1][0].isdigit()
    short = runner.invoke(app, ["distribute", "-h"])
    assert short.exit_code == 0
    assert "Usage" in short.output
    (dry_run,) = [line for line in short.output.splitlines() if "--dry-run" in line]
    assert "bool" not in dry_run  # a flag, not an option taking a value


def test_status_and_history_name_people_and_say_times_with_their_zone(tmp_path: Path) -> None:
    service = service_harness.Service(tmp_path, renderer=FAKE)
    data = example("initial-domestic-abuse")
    service.drop(data)
    service.distribute("2026-11-24")
    police = next(p for p in data["people"] if p["id"] == "p-police")
    social_worker = next(p for p in data["people"] if p["id"] == "p-sw")

    status = service.cpc("status", "--today", "2026-11-25")
    # The records to hand over name the social worker beside their id.
    assert f"{social_worker['name']} (" in status and "p-sw)" in status
    assert "True" not in status and "False" not in status
    history = service.cpc("history", DV)
    assert police["name"].split()[-1] in history  # the table wraps long cells: the surname
    assert " GMT" in history  # delivered at, received at: UK time with its zone (November)
    as_json = json.loads(service.cpc("history", DV, "--format", "json"))
    assert all(r["received_at"].endswith("+00:00") for r in as_json["revisions"])
    delivered = next(d for d in as_json["deliveries"] if d["copy"] == "p-police/record")
    assert police["name"] in delivered["recipient_name"]
    assert "p-police" in delivered["recipient_name"]


def test_control_characters_in_a_file_name_are_shown_escaped(tmp_path: Path) -> None:
    service = service_harness.Service(tmp_path)
    service.drop(example("review-plan-ends"))
    name = "evil\x1b[2J\rname.json"
    bad = tmp_path / "inbox" / "exports" / name
    bad.write_bytes(b"{not json")
    service.cpc("ingest", code=1)
    status = service.cpc("status", "--today", "2026-11-25")
    assert "\x1b" not in status and "\r" not in status
    assert "\\x1b[2J\\rname.json" in status


def test_several_copies_are_withdrawn_in_one_command_and_each_refusal_is_said(
    tmp_path: Path,
) -> None:
    service = service_harness.Service(tmp_path)
    service.drop(example("initial-domestic-abuse"))
    output = service.cpc(
        "withdraw", DV, "p-police/record", "p-school/record", "p-nobody/record",
        "--by", "p-chair", "--why", "sent by hand at the meeting", code=1,
    )  # fmt: skip
    assert output.count("withdrawn by p-chair") == 2
    assert "p-nobody/record" in output  # the one that does not exist is said, and exit 1
    for key in ("p-police/record", "p-school/record"):
        assert service.copy(DV, key).status == "withdrawn"


def test_every_posted_letter_has_its_delivered_event(tmp_path: Path) -> None:
    service = service_harness.Service(tmp_path, renderer=FAKE)
    service.drop(example("initial-domestic-abuse"))
    result = runner.invoke(
        app,
        ["distribute", "--today", "2026-11-24", "--workers", "0", "--config", str(service.config)],
        obj=service.tools,
    )
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.output.splitlines() if line.startswith('{"at"')]
    posted = [e for e in events if e["event"] == "delivered" and e["channel"] == "post"]
    by_post = [d for d in service.sent(DV) if d.channel == "post"]
    assert by_post
    assert sorted(e["copy"] for e in posted) == sorted(d.copy_key for d in by_post)

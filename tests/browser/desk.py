"""A front desk to test in a browser: a real store made by the real `cpc` commands, and `cpc serve` on a free loopback port (issue 15).

The store holds what the browser tests look for: the domestic-abuse conference with a decision
letter that changed after it was sent, so it is held until its chair releases it (spec §4 rule
7), and a file the inbox quarantined. Accounts are made with `cpc user add`, as an operator
would: the conference's chair (the chair's e-mail address in the export, so the account acts for
that person) and an administrator.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from pipeline.cli.app import app
from tests.conftest import example
from tests.fake_renderer import FAKE
from tests.service_harness import Service

ROOT = Path(__file__).resolve().parents[2]
DV = "CPC-2026-0412"
HELD = "p-police/decision_letter"
BROKEN = "truncated.json"
STARTUP_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Account:
    email: str
    password: str


@dataclass(frozen=True, slots=True)
class DeskData:
    """What the store holds, in the words a person sees on the pages."""

    conference: str
    held_copy: str  # the copy's key, as the routes name it
    held_recipient: str  # the held copy's recipient, by name
    chair: Account
    administrator: Account
    quarantined: str  # the quarantined file's name as it came in


@dataclass(frozen=True, slots=True)
class FrontDesk:
    """The running server: its base URL and what its store holds."""

    url: str
    data: DeskData


def _revision(n: int) -> dict[str, Any]:
    data = example("initial-domestic-abuse")
    data["revision"] = n
    data["export_id"] = f"EXP-DV-{n}"
    return data


def _person(data: dict[str, Any], person_id: str) -> dict[str, Any]:
    people: list[dict[str, Any]] = data["people"]
    (found,) = (p for p in people if p["id"] == person_id)
    return found


def _add_user(service: Service, email: str, role: str) -> Account:
    """`cpc user add EMAIL --role ROLE`, the password from CPC_NEW_PASSWORD as the CLI reads it;
    random, so no test leans on a known one."""
    password = secrets.token_urlsafe(18)
    result = CliRunner().invoke(
        app,
        ["user", "add", email, "--role", role, "--config", str(service.config)],
        obj=service.tools,
        env={"CPC_NEW_PASSWORD": password},
    )
    assert result.exit_code == 0, result.output
    return Account(email, password)


def prepare(root: Path) -> tuple[Service, DeskData]:
    """A service in `root` whose store holds one held copy and one quarantined file."""
    service = Service(root, renderer=FAKE)
    first = _revision(1)
    service.drop(first)
    service.distribute("2026-11-24")
    changed = _revision(2)
    changed["decisions"][0]["recommendations"].append("School to arrange weekly check-ins.")
    service.drop(changed)
    service.distribute("2026-11-25")
    held = service.copy(DV, HELD)
    # The set-up itself, checked: without a held copy the chair's test would prove nothing.
    assert (held.status, held.hold_kind) == ("held", "changed_after_sent"), held

    broken = root / "inbox" / "exports" / BROKEN
    broken.write_bytes(json.dumps(example("pre-birth-scheduled")).encode()[:300])
    service.cpc("ingest", str(broken), code=1)
    assert service.quarantine_reasons(), "the cut-off file was not quarantined"

    chair_email = _person(first, first["conference"]["chair"])["email"]
    data = DeskData(
        conference=DV,
        held_copy=HELD,
        held_recipient=_person(first, HELD.split("/")[0])["name"],
        chair=_add_user(service, chair_email, "chair"),
        administrator=_add_user(service, "desk.admin@northby.example.gov.uk", "administrator"),
        quarantined=BROKEN,
    )
    return service, data


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _answers(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def serving(service: Service) -> Iterator[str]:
    """`cpc serve` from this checkout on a free loopback port, until the block ends; its base
    URL. Fails with what the server said if it stops or does not answer in time."""
    port = _free_port()
    log = service.root / "serve.log"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    command = [sys.executable, "-m", "pipeline.cli.app", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--config", str(service.config)]
    with log.open("wb") as out:
        server = subprocess.Popen(command, cwd=service.root, env=env, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _answers(port):
            if server.poll() is not None or time.monotonic() > deadline:
                said = log.read_text(encoding="utf-8", errors="replace")
                raise AssertionError(f"cpc serve did not answer on port {port}:\n{said}")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

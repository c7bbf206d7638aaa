"""A front desk over a real store in a temporary folder: two conferences taken in and distributed
by the real `cpc` commands (the fake renderer: what is laid out is not the point), one copy held
after a changed revision, accounts for the people the exports name, and Flask's test client."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from pipeline.config import load_config
from pipeline.procedure.profile import load_profiles
from pipeline.service.accounts import add_user, disable_user
from pipeline.store.db import Store
from pipeline.web.app import create_app
from tests.conftest import example
from tests.fake_renderer import FAKE
from tests.service_harness import Service

DV = "CPC-2026-0412"  # chair p-chair (Helen Marsh), lead social worker p-sw (Daniel Okafor)
REVIEW = "CPC-2026-0208"  # chair p-chair2 (Sunil Mehta)
HELD = "p-police/decision_letter"  # held after revision 2 changed the decision letter
PASSWORD = "correct horse battery staple"
CHAIR = "Helen.Marsh@northby.example.gov.uk"  # as the export has it, other case
OTHER_CHAIR = "sunil.mehta@northby.example.gov.uk"
SOCIAL_WORKER = "daniel.okafor@northby.example.gov.uk"
OTHER_SOCIAL_WORKER = "rachel.dunn@northby.example.gov.uk"  # p-tm: nothing goes through her
ADMINISTRATOR = "desk.admin@northby.example.gov.uk"
AUDITOR = "auditor@northby.example.gov.uk"
AMENDMENT = "AMD-0412-01"
BROKEN = "cut-off.json"
TODAY = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _revision(n: int) -> dict[str, Any]:
    data = example("initial-domestic-abuse")
    data["revision"] = n
    data["export_id"] = f"EXP-DV-{n}"
    return data


def make_service(root: Path) -> Service:
    """The two conferences distributed, the DV conference's decision letter held, and accounts."""
    service = Service(root, renderer=FAKE)
    service.drop(_revision(1))
    service.drop(example("review-plan-ends"))
    service.distribute("2026-11-24")
    changed = _revision(2)
    changed["decisions"][0]["recommendations"].append("School to arrange weekly check-ins.")
    service.drop(changed)
    service.distribute("2026-11-25")
    # The school's correction to the record, asked for on 3 December, waiting for the chair.
    service.drop(example("amendment-agreed") | {"decision": {"status": "pending"}})
    # A file cut off in the copying: the inbox quarantines it with its reason.
    broken = root / "inbox" / "exports" / BROKEN
    broken.write_bytes(json.dumps(example("pre-birth-scheduled")).encode()[:300])
    service.cpc("ingest", str(broken), code=1)
    store = service.store()
    try:
        for email, role in (
            (CHAIR, "chair"),
            (OTHER_CHAIR, "chair"),
            (SOCIAL_WORKER, "social_worker"),
            (OTHER_SOCIAL_WORKER, "social_worker"),
            (ADMINISTRATOR, "administrator"),
            (AUDITOR, "auditor"),
        ):
            add_user(store, email, role, PASSWORD, user="os:test")  # type: ignore[arg-type]
    finally:
        store.close()
    return service


@dataclass
class Desk:
    root: Path
    app: Flask
    store: Store
    clock: list[datetime]

    def client(self) -> FlaskClient:
        return self.app.test_client()

    def signed_in(self, email: str, password: str = PASSWORD) -> FlaskClient:
        client = self.client()
        answer = sign_in(client, email, password)
        assert answer.status_code == 303, answer.get_data(as_text=True)
        return client

    def disable(self, email: str) -> None:
        disable_user(self.store, email, user="os:test")


def token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token of the session, as a form on `path` carries it."""
    found = _CSRF.search(client.get(path).get_data(as_text=True))
    assert found, f"no CSRF field on {path}"
    return found.group(1)


def sign_in(client: FlaskClient, email: str, password: str) -> Any:
    return client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token(client)}
    )


def post(client: FlaskClient, path: str, form: dict[str, Any], page: str = "/") -> Any:
    """A form posted as the page `page` (whose CSRF token it carries) posts it."""
    return client.post(path, data={**form, "csrf_token": token(client, page)})


def open_desk(template: Path, root: Path) -> Iterator[Desk]:
    shutil.copytree(template, root)
    config = load_config(root / "cpc.toml", {})
    store = Store.open(config.store_url(), create=False)
    clock = [TODAY]
    app = create_app(config, store, load_profiles(()), now=lambda: clock[0])
    app.config["TESTING"] = True
    try:
        yield Desk(root, app, store, clock)
    finally:
        store.close()

"""A configured service in a temporary folder, driven through the real `cpc` command (issues 4 and 5)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from pipeline.checking.leak_check import extract_pdf
from pipeline.cli.app import app
from pipeline.service.render_pool import RenderJobs
from pipeline.service.run import RunTools
from pipeline.store.db import Store, StoredDelivery
from pipeline.store.rows import CopyRow
from tests.backends import URL_ENV, sqlite_url
from tests.postgres_server import copy_database

runner = CliRunner()


def pdf_text(data: bytes) -> str:
    """The words on the pages, as a reader sees them, with spacing made even."""
    return " ".join(
        " ".join(text.split()) for where, text in extract_pdf(data) if where.startswith("page")
    )


class Service:
    """`renderer`: None for the real one; `tests.fake_renderer.FAKE` where what is laid out is not
    the point of the test (which copies go, by which channel, what the status says)."""

    def __init__(
        self,
        root: Path,
        channels: str = "",
        renderer: RenderJobs | None = None,
        database_url: str | None = None,
    ) -> None:
        self.root = root
        # The store: the one named (a module fixture's), else the test's (`tests.backends`).
        self.database_url = database_url or os.environ.get(URL_ENV) or None
        self.tools = RunTools(renderer=renderer)
        root.mkdir(parents=True, exist_ok=True)
        self.config = root / "cpc.toml"
        self.config.write_text(
            '[folders]\ninbox = "inbox"\nstate = "state"\noutbox = "outbox"\n'
            f"[channels]\n{channels}\n"
        )
        self.drops = 0

    def with_profile(self, name: str, text: str) -> tuple[Path, str]:
        """Give the service an authority's own profile (profiles/NAME.toml, named in its
        configuration); the profiles folder and the configuration as it was before."""
        folder = self.root / "profiles"
        folder.mkdir(exist_ok=True)
        (folder / f"{name}.toml").write_text(text, encoding="utf-8")
        before = self.config.read_text()
        self.config.write_text(
            before.replace("[folders]\n", '[folders]\nprofiles = ["profiles"]\n')
        )
        return folder, before

    def cpc(self, *args: str, code: int = 0) -> str:
        env = {URL_ENV: self.database_url} if self.database_url else None
        result = runner.invoke(app, [*args, "--config", str(self.config)], obj=self.tools, env=env)
        assert result.exit_code == code, result.output
        return result.output

    def drop(self, data: dict[str, Any], code: int = 0) -> str:
        """Put a document in the inbox and take it in; the command's output."""
        self.drops += 1
        folder = "amendments" if data["format"] == "cpc-amendment/1" else "exports"
        path = self.root / "inbox" / folder / f"{self.drops:03d}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=self.drops % 3), encoding="utf-8")
        return self.cpc("ingest", str(path), code=code)

    def distribute(self, today: str) -> str:
        return self.cpc("distribute", "--today", today, "--workers", "0")

    def database_copy(self) -> str | None:
        """The `database_url` for a service made from a copy of this one's folder: a copy of
        its PostgreSQL database, so the copy goes on without changing this one (on SQLite the
        store is in the folder, copied with it)."""
        return copy_database(self.database_url) if self.database_url else None

    def store(self) -> Store:
        return Store.open(self.database_url or sqlite_url(self.root / "state"))

    def copy(self, conference: str, key: str) -> CopyRow:
        store = self.store()
        try:
            return store.copy_row(conference, key)
        finally:
            store.close()

    def sent(self, conference: str, key: str | None = None) -> list[StoredDelivery]:
        store = self.store()
        try:
            return [
                d
                for d in store.deliveries(conference)
                if d.state == "sent" and (key is None or d.copy_key == key)
            ]
        finally:
            store.close()

    def outbox(self, *parts: str) -> Path:
        return self.root.joinpath("outbox", *parts)

    def quarantine_reasons(self) -> list[str]:
        folder = self.root / "quarantine"
        return [p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.reason.txt"))]

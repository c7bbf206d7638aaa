"""The store's two backends for the tests: every store and service test runs on SQLite and on PostgreSQL.

`backend` is parametrised (module scope, so a module's tests run backend by backend and a module
fixture is made once per backend); its id is in every test's name (`[sqlite]`, `[postgresql]`).

- `database` (per test): the test's own store. On PostgreSQL a fresh database on the suite's own
  server (tests/postgres_server.py), named in `CPC_DATABASE_URL` for the test, so every `cpc`
  command and every `Service` the test makes uses it; on SQLite the variable is unset and each
  service keeps the file in its state folder, as a real one does.
- `module_database` (per module and backend): a `Database` for a module fixture that builds a
  service once for many tests; it passes `database.url_for(root)` to `Service` itself.

`store_url(state)` is the one way a test names a store: never `sqlite:///` by hand, so a test
cannot stay on SQLite by accident. A test about SQLite itself (its file, WAL, busy timeout) asks
for neither fixture and says why.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pytest

from pipeline.store.db import Store
from tests.postgres_server import copy_database

Backend = Literal["sqlite", "postgresql"]
BACKENDS: tuple[Backend, ...] = ("sqlite", "postgresql")
URL_ENV = "CPC_DATABASE_URL"


def sqlite_url(state: Path) -> str:
    """The store a service keeps in its state folder when no database is named."""
    return f"sqlite:///{state / 'cpc.sqlite3'}"


def store_url(state: Path) -> str:
    """The store of a service whose state folder is `state`: the test's PostgreSQL database
    when one is named (`database`), else the SQLite file in the folder."""
    return os.environ.get(URL_ENV) or sqlite_url(state)


def open_store(state: Path, **options: object) -> Store:
    """`Store.open` on `store_url(state)`."""
    return Store.open(store_url(state), **options)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Database:
    """One test's (or module's) store: `url` None on SQLite (the service's own file)."""

    backend: Backend
    url: str | None

    def url_for(self, root: Path) -> str:
        """The store of a service whose folder is `root` (its state folder under it)."""
        return self.url or sqlite_url(root / "state")

    def open(self, root: Path) -> Store:
        return Store.open(self.url_for(root))

    def copy(self) -> Database:
        """Another database holding what this one holds (on SQLite the file travels with the
        service's folder, so there is nothing to copy)."""
        return Database(self.backend, None if self.url is None else copy_database(self.url))


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    return request.param  # type: ignore[no-any-return]


def _new_url(backend: Backend, request: pytest.FixtureRequest) -> str | None:
    if backend == "sqlite":
        return None
    # Asked for by name: a run of SQLite tests alone never starts a server.
    return request.getfixturevalue("postgres_server").new_database()  # type: ignore[no-any-return]


@pytest.fixture
def database(
    backend: Backend, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Database:
    url = _new_url(backend, request)
    if url is None:
        monkeypatch.delenv(URL_ENV, raising=False)
    else:
        monkeypatch.setenv(URL_ENV, url)
    return Database(backend, url)


@pytest.fixture(scope="module")
def module_database(backend: Backend, request: pytest.FixtureRequest) -> Iterator[Database]:
    yield Database(backend, _new_url(backend, request))


# For one test of a module whose other tests never touch a store: it runs on both.
on_both_stores = pytest.mark.usefixtures("database")

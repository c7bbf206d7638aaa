"""The state store: documents taken in, plans, copies, decisions, deliveries and the audit log, in one database.

SQLite in WAL mode by default (one file under the state folder), any SQLAlchemy URL by
configuration; the schema is brought up to date by Alembic when the store opens. This module
opens, migrates and closes the store; each aggregate's reads and writes live in a module of its
own (documents, copies, deliveries, decisions, amendments, open work, users, audit), composed here into `Store` so
that callers keep one object and one set of method names.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from pipeline.errors import NoStore, StoreUnavailable
from pipeline.files import (
    PRIVATE_FILE,
    PRIVATE_FOLDER,
    make_private,
    private_file,
    private_folder,
)
from pipeline.store.amendments import AmendmentsMixin
from pipeline.store.audit import AuditReads
from pipeline.store.base import SYSTEM_ACTOR
from pipeline.store.copies import CopiesMixin
from pipeline.store.decisions import DecisionsMixin
from pipeline.store.deliveries import DeliveriesMixin
from pipeline.store.documents import DocumentsMixin
from pipeline.store.job_runs import JobRunsMixin
from pipeline.store.locks import LocksMixin
from pipeline.store.open_work import OpenWorkMixin
from pipeline.store.rows import StoredDelivery, StoredExport
from pipeline.store.users import UsersMixin
from pipeline.store.web_sessions import WebSessionsMixin

__all__ = [
    "MIGRATIONS",
    "SYSTEM_ACTOR",
    "Store",
    "StoredDelivery",
    "StoredExport",
    "content_key",
    "describe_url",
    "store_file",
]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _sqlite_pragmas(busy_timeout: float, dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL: readers (cpc status) never block the nightly run; FULL sync: a committed delivery
    # survives a power cut, which is what "delivered exactly once" rests on.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # How long a write waits for another process's lock before the store is said to be locked.
    cursor.execute(f"PRAGMA busy_timeout={round(busy_timeout * 1000)}")
    cursor.close()


def store_file(url: str) -> Path | None:
    """The SQLite file a URL names, or None for an in-memory or server database."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        return Path(url.removeprefix("sqlite:///"))
    return None


def describe_url(url: str) -> str:
    """The store a URL names, as a person reads it: the file, or the URL without its password."""
    path = store_file(url)
    if path is not None:
        return str(path.absolute())
    parsed = sa.engine.make_url(url)
    # libpq also takes a password in the query string (?password=...): hidden there too.
    query = {k: ("***" if k.lower() == "password" else v) for k, v in parsed.query.items()}
    return parsed.set(query=query).render_as_string(hide_password=True)


# Mixins, not a facade of sub-stores: every caller (the run, the intake, the CLI, the tests)
# keeps calling `store.copy_rows(...)`, and each aggregate shares the one engine and transaction.
class Store(
    DocumentsMixin,
    CopiesMixin,
    DeliveriesMixin,
    DecisionsMixin,
    AmendmentsMixin,
    OpenWorkMixin,
    UsersMixin,
    WebSessionsMixin,
    LocksMixin,
    JobRunsMixin,
    AuditReads,
):
    """One database of the service's state; every method is one transaction."""

    @classmethod
    def open(cls, url: str, *, create: bool = True, busy_timeout: float = 30.0) -> Store:
        """The store at `url`, migrated to the current schema. `create=False`: refuse (NoStore)
        rather than make a new empty SQLite store, which would report "all clear".
        `busy_timeout`: seconds a write waits for another process's lock on a SQLite store."""
        created = False
        path = store_file(url)
        if path is not None:
            if not path.exists() and not create:
                raise NoStore(
                    f"no state store at {path.absolute()}: nothing has been taken in there. "
                    "Run this in the service's folder or name its configuration (--config or "
                    "CPC_CONFIG); `cpc ingest` or `cpc watch` makes the store."
                )
            # The state folder and the store hold every address, the withheld ones too: made
            # private before SQLite writes anything, and kept so (SQLite gives its -wal and -shm
            # files the database file's mode).
            private_folder(path.parent)
            make_private(path.parent, PRIVATE_FOLDER)
            created = private_file(path)
            make_private(path, PRIVATE_FILE)
        try:
            engine = sa.create_engine(url)
            if engine.dialect.name == "sqlite":
                sa.event.listen(engine, "connect", functools.partial(_sqlite_pragmas, busy_timeout))
            store = cls(engine, created)
            store.migrate()
        except SQLAlchemyError as exc:
            # Whole, not its first line: at open the SQL is the migration's, never stored content.
            raise StoreUnavailable(
                f"cannot open the state store at {describe_url(url)}: {exc}"
            ) from exc
        if path is not None:
            for companion in (Path(f"{path}-wal"), Path(f"{path}-shm")):
                make_private(companion, PRIVATE_FILE)
        return store

    def migrate(self) -> None:
        # Imported here: Alembic is a sixth of a command's start-up, and only opening a store
        # needs it.
        from alembic import command
        from alembic.config import Config as AlembicConfig

        settings = AlembicConfig()
        settings.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as connection:
            settings.attributes["connection"] = connection
            command.upgrade(settings, "head")

    def close(self) -> None:
        self.engine.dispose()


def content_key(*parts: str) -> str:
    """A short stable hash of some strings, for names that must say nothing personal."""
    return hashlib.sha256(json.dumps(parts).encode("utf-8")).hexdigest()[:20]

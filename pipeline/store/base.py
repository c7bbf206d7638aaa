"""The engine every aggregate of the store shares: one transaction per change, SQLAlchemy's errors wrapped where they enter.

A change and the audit line that explains it are written in one transaction, so a crash leaves
either both or neither. A database that cannot be used (locked past the busy timeout, unreadable,
gone) is `StoreUnavailable` from here on, with SQLAlchemy's error as its cause; nothing above the
store sees SQLAlchemy.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from pipeline import clock
from pipeline.errors import StoreFault, StoreUnavailable
from pipeline.store.schema import audit_log

SYSTEM_ACTOR = "cpc-pipeline"


def now() -> datetime:
    return clock.now()


def utc(moment: datetime) -> datetime:
    """A time as the store keeps it: UTC (SQLite keeps no zone)."""
    return moment.astimezone(UTC)


def unavailable(exc: SQLAlchemyError) -> StoreUnavailable:
    """The store's own error for SQLAlchemy's: its first line names the database problem (the
    lines after it repeat the SQL and its values, which may be stored content)."""
    text = str(exc).strip()
    kind: StoreFault = (
        "raced"
        if isinstance(exc, IntegrityError)
        else "locked"
        if isinstance(exc, OperationalError)
        else "other"
    )
    return StoreUnavailable(text.splitlines()[0] if text else type(exc).__name__, kind)


class StoreBase:
    """The engine and its two ways in: a transaction that writes, a connection that reads."""

    def __init__(self, engine: Engine, created: bool = False) -> None:
        self.engine = engine
        self.created = created  # this open made the store (a new SQLite file)
        # A store dropped without `close()` (a command that stops on a refusal) still gives its
        # connections back: a PostgreSQL server counts them against its limit until they close.
        weakref.finalize(self, engine.dispose)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        try:
            with self.engine.begin() as connection:
                yield connection
        except SQLAlchemyError as exc:
            raise unavailable(exc) from exc

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as connection:
                yield connection
        except SQLAlchemyError as exc:
            raise unavailable(exc) from exc

    @staticmethod
    def audit(
        connection: Connection,
        action: str,
        detail: dict[str, Any],
        *,
        actor: str = SYSTEM_ACTOR,
        conference_id: str | None = None,
        copy_key: str | None = None,
        user: str | None = None,
    ) -> None:
        """One line of the audit log. `actor`: who decided, as they were named (a person id, a
        name, the pipeline); `user`: who was signed in to do it ("web:<email>", "os:<login>")."""
        connection.execute(
            audit_log.insert().values(
                at=now(),
                actor=actor,
                action=action,
                conference_id=conference_id,
                copy_key=copy_key,
                detail=detail,
                user=user,
            )
        )

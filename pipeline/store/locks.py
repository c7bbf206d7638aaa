"""Locks held in the database, for processes that share it from several machines.

PostgreSQL's session advisory locks: one is held by a connection of its own for as long as the
holder keeps it, and is released by the server when that connection ends, however it ends (a
killed process included), so a crashed run or worker never leaves the next one locked out. A
SQLite store has no such lock (`database_locks` is False): its processes share one machine, and
the service keeps its file lock there. The job queue's own transaction (a job deferred with the
rows and the audit line that explain it) is here too: it needs the driver's connection.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from pipeline.store.base import StoreBase, unavailable


def lock_key(name: str) -> int:
    """A lock's name as the signed 64-bit number PostgreSQL's advisory locks take."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class LocksMixin(StoreBase):
    @property
    def database_locks(self) -> bool:
        """Whether this store can hold locks for processes on several machines."""
        return self.engine.dialect.name == "postgresql"

    @property
    def libpq_conninfo(self) -> str:
        """The database as libpq names it (for the job queue's own connections), password kept."""
        url = self.engine.url
        args: dict[str, Any] = {
            "host": url.host,
            "port": url.port,
            "user": url.username,
            "password": url.password,
            "dbname": url.database,
        }
        for key, value in url.query.items():
            args[key] = value if isinstance(value, str) else value[-1]
        from psycopg.conninfo import make_conninfo

        return make_conninfo(**{k: v for k, v in args.items() if v is not None})

    @contextmanager
    def advisory_lock(self, name: str) -> Iterator[bool]:
        """Try once to hold the lock `name` (never waits); yields whether it is held, and holds it
        until the block ends. Only on a store with `database_locks`."""
        if not self.database_locks:
            raise TypeError("advisory locks need a PostgreSQL store")
        key = lock_key(name)
        try:
            connection = self.engine.connect()
        except SQLAlchemyError as exc:
            raise unavailable(exc) from exc
        try:
            try:
                # The lock lives as long as this session: the server must not end it for idling
                # through a four-hour run (the server's own TCP keepalives find a dead machine).
                connection.execute(sa.text("SET idle_session_timeout = 0"))
                held = bool(
                    connection.execute(
                        sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": key}
                    ).scalar()
                )
                connection.commit()  # the lock is the session's, not the transaction's
            except SQLAlchemyError as exc:
                raise unavailable(exc) from exc
            try:
                yield held
            finally:
                if held:
                    try:
                        connection.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                        connection.commit()
                    except SQLAlchemyError:
                        # The connection is gone, and the server released the lock with it.
                        connection.invalidate()
        finally:
            connection.close()

    def in_driver_transaction(
        self, action: str, detail: dict[str, Any], write: Callable[[Any], None]
    ) -> None:
        """`write(driver_connection)` (the job queue's defer) and one audit line, committed together."""
        with self.transaction() as connection:
            write(connection.connection.dbapi_connection)
            self.audit(connection, action, detail)

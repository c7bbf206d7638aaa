"""The state store: migrations match the code, intake refuses stale and reused exports, the audit log is append-only (issue 4; spec §1)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from pipeline.errors import StaleDocument, StoreUnavailable
from pipeline.intake.accept import Accepted, read_document
from pipeline.procedure.profile import load_profiles
from pipeline.store.base import unavailable
from pipeline.store.db import Store
from pipeline.store.schema import audit_log, metadata
from tests.backends import Database, sqlite_url
from tests.conftest import example

PROFILES = load_profiles().keys()


def accepted(data: dict) -> Accepted:  # type: ignore[type-arg]
    raw = json.dumps(data).encode()
    return read_document(raw, "x.json", PROFILES)


@pytest.fixture
def store(tmp_path: Path, database: Database) -> Store:
    opened = database.open(tmp_path)
    yield opened  # type: ignore[misc]
    opened.close()


def _ours(item: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Not Procrastinate's: migration 0009 applies its schema on PostgreSQL, and its tables,
    functions and indexes are its own, not in `schema.py`."""
    table = item if type_ == "table" else getattr(item, "table", None)
    table_name = getattr(table, "name", None) or name or ""
    return not (name or "").startswith("procrastinate_") and not table_name.startswith(
        "procrastinate_"
    )


def test_the_migrations_build_exactly_the_tables_the_code_uses(store: Store) -> None:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": _ours})
        differences = compare_metadata(context, metadata)
    assert differences == []


# SQLite only: WAL is SQLite's journal.
def test_opening_twice_migrates_once_and_uses_wal(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    Store.open(url).close()
    again = Store.open(url)
    with again.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    again.close()


def test_the_same_bytes_are_taken_once(store: Store) -> None:
    document = accepted(example("initial-domestic-abuse"))
    assert store.take(document, "a.json") == "new"
    assert store.take(document, "b.json") == "duplicate"
    assert len(store.current_exports()) == 1


def test_a_lower_or_equal_revision_is_stale(store: Store) -> None:
    """Spec §1: a lower or equal revision of an export already taken is stale."""
    second = example("initial-domestic-abuse")
    second["revision"] = 2
    second["export_id"] = "EXP-NEW-2"
    assert store.take(accepted(second), "r2.json") == "new"
    first = example("initial-domestic-abuse")
    with pytest.raises(StaleDocument, match="revision 1 is not higher than revision 2"):
        store.take(accepted(first), "r1.json")
    equal = example("initial-domestic-abuse")
    equal["revision"] = 2
    equal["export_id"] = "EXP-NEW-3"
    with pytest.raises(StaleDocument, match="not higher"):
        store.take(accepted(equal), "r2b.json")
    assert store.current_exports()[0].revision == 2


def test_a_changed_file_reusing_an_export_id_is_refused(store: Store) -> None:
    """Spec §1: a changed file that reuses an export_id already taken is refused."""
    store.take(accepted(example("initial-domestic-abuse")), "a.json")
    changed = example("initial-domestic-abuse")
    changed["revision"] = 2
    with pytest.raises(StaleDocument, match="export_id"):
        store.take(accepted(changed), "b.json")


def test_the_store_keeps_the_exact_bytes(store: Store) -> None:
    document = accepted(example("pre-birth-scheduled"))
    store.take(document, "p.json")
    (stored,) = store.current_exports()
    assert stored.raw == document.raw
    assert stored.sha256 == hashlib.sha256(document.raw).hexdigest()


def _audit_rows(store: Store) -> list[tuple[object, ...]]:
    with store.reading() as connection:
        return [tuple(row) for row in connection.execute(sa.select(audit_log))]


def test_the_audit_log_refuses_changes_and_deletions(store: Store) -> None:
    """SQLite's triggers (0001) and PostgreSQL's (0009) refuse the SQL itself, whoever runs it:
    raw statements through the store's engine, not the store's methods (which never try)."""
    store.take(accepted(example("pre-birth-scheduled")), "p.json")
    assert [line.action for line in store.audit_lines()] == ["export_received"]
    before = _audit_rows(store)
    for statement in (
        "UPDATE audit_log SET actor = 'someone'",
        "UPDATE audit_log SET detail = '{}' WHERE id = (SELECT min(id) FROM audit_log)",
        "DELETE FROM audit_log",
        "DELETE FROM audit_log WHERE action = 'export_received'",
    ):
        with (
            pytest.raises(StoreUnavailable, match="append-only") as refused,
            store.transaction() as c,
        ):
            c.exec_driver_sql(statement)
        assert isinstance(refused.value.__cause__, sa.exc.DBAPIError)
        assert _audit_rows(store) == before, statement
    # Still open to the lines it is for.
    store.take(accepted(example("initial-domestic-abuse")), "d.json")
    assert len(_audit_rows(store)) == 2


def test_the_audit_log_refuses_truncate_on_postgresql(postgres_url: str) -> None:
    """PostgreSQL's TRUNCATE empties a table without a row trigger firing: 0009 refuses it too
    (SQLite has no TRUNCATE)."""
    store = Store.open(postgres_url)
    try:
        store.take(accepted(example("pre-birth-scheduled")), "p.json")
        before = _audit_rows(store)
        with pytest.raises(StoreUnavailable, match="append-only"), store.transaction() as c:
            c.exec_driver_sql("TRUNCATE audit_log")
        assert _audit_rows(store) == before and before
    finally:
        store.close()


def test_postgresqls_errors_are_the_stores_with_the_kind_a_caller_acts_on(
    postgres_url: str,
) -> None:
    """A row written first by another session is `raced` (a duplicate: the caller treats it as
    taken); a lock held past the wait, or a transaction PostgreSQL rolls back as not
    serialisable, is `locked` (try again later), as SQLite's busy store is."""
    store = Store.open(postgres_url)
    document = accepted(example("pre-birth-scheduled"))
    store.take(document, "p.json")
    try:
        with pytest.raises(StoreUnavailable) as raced, store.transaction() as c:
            c.exec_driver_sql(
                "INSERT INTO received_documents (sha256, kind, conference_id, document_id,"
                " source_name, received_at, raw) SELECT sha256, kind, conference_id,"
                " document_id, source_name, received_at, raw FROM received_documents"
            )
        assert raced.value.kind == "raced"

        with store.engine.connect() as holder:
            holder.exec_driver_sql("LOCK TABLE conferences IN ACCESS EXCLUSIVE MODE")
            with pytest.raises(StoreUnavailable) as waited, store.transaction() as c:
                c.exec_driver_sql("SET LOCAL lock_timeout = '100ms'")
                c.exec_driver_sql("UPDATE conferences SET stage = stage")
            holder.rollback()
        assert waited.value.kind == "locked"

        first = store.engine.connect().execution_options(isolation_level="REPEATABLE READ")
        try:
            first.exec_driver_sql("SELECT stage FROM conferences").all()  # its snapshot
            with store.transaction() as c:  # another session changes the row meanwhile
                c.exec_driver_sql("UPDATE conferences SET stage = stage")
            with pytest.raises(StoreUnavailable) as serial:
                try:
                    first.exec_driver_sql("UPDATE conferences SET stage = stage")
                except sa.exc.SQLAlchemyError as exc:
                    raise unavailable(exc) from exc
            assert isinstance(serial.value.__cause__.orig, psycopg.errors.SerializationFailure)  # type: ignore[union-attr]
            assert serial.value.kind == "locked"
        finally:
            first.close()
    finally:
        store.close()

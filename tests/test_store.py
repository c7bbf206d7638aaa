"""The state store: migrations match the code, intake refuses stale and reused exports, the audit log is append-only (issue 4; spec §1)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from pipeline.errors import StaleDocument, StoreUnavailable
from pipeline.intake.accept import Accepted, read_document
from pipeline.procedure.profile import load_profiles
from pipeline.store.db import Store
from pipeline.store.schema import metadata
from tests.conftest import example

PROFILES = load_profiles().keys()


def accepted(data: dict) -> Accepted:  # type: ignore[type-arg]
    raw = json.dumps(data).encode()
    return read_document(raw, "x.json", PROFILES)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = Store.open(f"sqlite:///{tmp_path / 'state' / 'cpc.sqlite3'}")
    yield opened  # type: ignore[misc]
    opened.close()


def test_the_migrations_build_exactly_the_tables_the_code_uses(store: Store) -> None:
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_opening_twice_migrates_once_and_uses_wal(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cpc.sqlite3'}"
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


def test_the_audit_log_refuses_changes_and_deletions(store: Store) -> None:
    store.take(accepted(example("pre-birth-scheduled")), "p.json")
    assert [line.action for line in store.audit_lines()] == ["export_received"]
    for statement in ("UPDATE audit_log SET actor = 'someone'", "DELETE FROM audit_log"):
        with (
            pytest.raises(StoreUnavailable, match="append-only") as refused,
            store.transaction() as c,
        ):
            c.exec_driver_sql(statement)
        assert isinstance(refused.value.__cause__, sa.exc.DBAPIError)
    assert len(store.audit_lines()) == 1

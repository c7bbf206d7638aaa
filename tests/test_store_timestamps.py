"""Every moment the store keeps reads back as the instant written, in UTC, on SQLite and on PostgreSQL.

PostgreSQL keeps an instant; SQLite keeps the text of a wall-clock time and no zone, so a London
summer time written as it came would read back an hour out. Each table with a time is written
one row holding a British Summer Time moment (a zone other than UTC, and a date on which the two
differ), through the store's engine, and read back.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from pipeline.errors import StoreUnavailable
from pipeline.store.db import Store
from pipeline.store.schema import UtcDateTime, audit_log, metadata
from tests.backends import Database

# 10:30 in London on a summer's day: 09:30 UTC.
SUMMER = datetime(2026, 7, 1, 10, 30, 15, 250000, tzinfo=ZoneInfo("Europe/London"))

TIMED = [t for t in metadata.sorted_tables if any(isinstance(c.type, UtcDateTime) for c in t.c)]


@pytest.fixture
def store(tmp_path: Path, database: Database) -> Any:
    opened = database.open(tmp_path)
    yield opened
    opened.close()


def _value(column: sa.Column[Any]) -> Any:
    """A value of the column's type; 1 for every integer, so each foreign key finds its row."""
    kind = column.type
    if isinstance(kind, UtcDateTime):
        return SUMMER
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.Integer):
        return 1
    if isinstance(kind, sa.Date):
        return date(2026, 7, 1)
    if isinstance(kind, sa.JSON):
        return []
    if isinstance(kind, sa.LargeBinary):
        return b"{}"
    return "x"  # String, Text


def _one_row_each(store: Store) -> None:
    with store.transaction() as connection:
        for table in metadata.sorted_tables:  # parents before the rows naming them
            connection.execute(table.insert().values({c.name: _value(c) for c in table.c}))


def test_every_time_column_is_kept_as_utc() -> None:
    """A column added as a plain DateTime would read back naive on SQLite."""
    plain = [
        f"{t.name}.{c.name}"
        for t in metadata.sorted_tables
        for c in t.c
        if isinstance(c.type, sa.DateTime) and not isinstance(c.type, UtcDateTime)
    ]
    assert plain == []
    assert len(TIMED) >= 10  # the tables named below all have a time


@pytest.mark.parametrize("table", TIMED, ids=[t.name for t in TIMED])
def test_a_time_reads_back_as_the_instant_written_in_utc(store: Store, table: sa.Table) -> None:
    _one_row_each(store)
    columns = [c for c in table.c if isinstance(c.type, UtcDateTime)]
    with store.reading() as connection:
        (row,) = connection.execute(sa.select(*columns)).all()
    for moment in row:
        assert moment.tzinfo is UTC
        assert moment == SUMMER
        assert (moment.hour, moment.minute) == (9, 30)


def test_a_comparison_with_a_time_in_another_zone_finds_the_same_instant(store: Store) -> None:
    """A query's bound time is made UTC as a written one is, so on SQLite the texts compare."""
    _one_row_each(store)
    just_before = datetime(2026, 7, 1, 9, 30, 15, tzinfo=UTC)  # 10:30:15 in London
    with store.reading() as connection:
        found = connection.execute(
            sa.select(audit_log.c.id).where(audit_log.c.at > just_before)
        ).all()
    assert len(found) == 1


def test_a_time_without_a_zone_is_refused(store: Store) -> None:
    """Which instant a zoneless time names is a guess: the store will not make it."""
    with pytest.raises(StoreUnavailable, match="without a time zone"), store.transaction() as c:
        c.execute(audit_log.insert().values(at=datetime(2026, 7, 1, 10, 30), actor="a",
                                            action="b", detail={}))  # fmt: skip
    assert store.audit_lines() == []

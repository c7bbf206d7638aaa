"""The store → the conferences with open work, and the rows `cpc status` and a run read of them alone.

Open work, defined here once: a conference has open work while something about it is still to be
done by the service or by a person. That is, any of:

- its current revision is not planned yet (new, amended, or moved on while a copy was in flight),
  or cannot be planned;
- a copy its plan names is not yet with its reader for good: ready, waiting to be signed, held
  for the chair, being sent, or failed (a refusal waits for a person: a corrected export or the
  chair's withdrawal);
- a delivery was begun and not finished (the next run finishes it or tries it again);
- a copy went to a social worker to hand over and the hand-over is not recorded yet;
- a task its plan set (a translation, an interpreter, a hand-over) is not done;
- an amendment waits for the chair's decision, or an agreed one could not be made to the record
  (the chair must look again).

A conference with none of these is finished: every copy delivered or withdrawn, nothing for
anyone to do. `cpc status` is about today's work: it lists a conference's checks not met (a
quorum, a timescale) while it has open work, and a finished conference's late copies and checks
only in the `--late-days` window after a copy of it went late or it was last planned (the window
it always listed late deliveries in: a conference taken in and sent today still shows its checks
not met); after that, its deliveries, their lateness and its checks are in `cpc history`. Each part
above is one range of one index, so finding the open conferences reads what is open, never the
history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pipeline.store.base import StoreBase
from pipeline.store.documents import current_exports_query
from pipeline.store.rows import (
    AmendmentRow,
    ConferenceRow,
    CopyRow,
    StoredDelivery,
    StoredExport,
    TaskRow,
    delivery_of,
    row_of,
)
from pipeline.store.schema import (
    amendments,
    conferences,
    copies,
    deliveries,
    tasks,
)

# A copy in one of these states is not yet with its reader for good.
UNFINISHED = ("ready", "waiting", "held", "sending", "failed")


def open_work() -> sa.CompoundSelect:
    """The conference ids with open work (see the module's docstring), each part indexed."""
    return sa.union(*_open_parts())


def _open_parts() -> tuple[sa.Select[tuple[str]], ...]:
    # One select per part (SQLite takes no union nested in a union): the status adds its own.
    return (
        sa.select(conferences.c.conference_id).where(conferences.c.planned_at.is_(None)),
        sa.select(conferences.c.conference_id).where(conferences.c.plan_failed == sa.true()),
        sa.select(conferences.c.conference_id).where(conferences.c.amendments_not_made > 0),
        sa.select(copies.c.conference_id).where(
            copies.c.status.in_(UNFINISHED), copies.c.in_plan == sa.true()
        ),
        sa.select(deliveries.c.conference_id).where(deliveries.c.state == "pending"),
        sa.select(deliveries.c.conference_id).where(
            deliveries.c.handed_over_on.is_(None),
            deliveries.c.via.is_not(None),
            deliveries.c.state == "sent",
        ),
        sa.select(tasks.c.conference_id).where(
            tasks.c.done_on.is_(None), tasks.c.in_plan == sa.true()
        ),
        sa.select(amendments.c.conference_id).where(amendments.c.status == "pending"),
    )


def went_late_since(since: date) -> sa.Select[tuple[str]]:
    """Conferences with a copy sent late after `since`: the status lists those a while."""
    return sa.select(deliveries.c.conference_id).where(
        deliveries.c.sent_on > since,
        deliveries.c.late_by.is_not(None),
        deliveries.c.state == "sent",
    )


def planned_since(since: date) -> sa.Select[tuple[str]]:
    """Conferences planned (taken in, re-planned) after `since`: the status lists their checks a
    while, work finished or not."""
    after = datetime.combine(since, time.max, tzinfo=UTC)
    return sa.select(conferences.c.conference_id).where(conferences.c.planned_at > after)


@dataclass(frozen=True, slots=True)
class StatusRows:
    """Everything `cpc status` reads, of the conferences it is about, from one snapshot."""

    conferences: tuple[ConferenceRow, ...]
    exports: tuple[StoredExport, ...]
    copies: tuple[CopyRow, ...]
    tasks: tuple[TaskRow, ...]
    deliveries: tuple[StoredDelivery, ...]
    amendments: tuple[AmendmentRow, ...]


class OpenWorkMixin(StoreBase):
    def open_conference_ids(self) -> list[str]:
        with self.reading() as connection:
            return sorted(connection.execute(open_work()).scalars())

    def open_rows(self) -> list[ConferenceRow]:
        """The conferences with open work: what a run and its dry run look at."""
        return self._conference_rows(
            conferences.c.conference_id.in_(sa.select(open_work().subquery().c[0]))
        )

    def unplanned_rows(self) -> list[ConferenceRow]:
        """The conferences whose current revision is not planned yet."""
        return self._conference_rows(conferences.c.planned_at.is_(None))

    def troubled_rows(self) -> list[ConferenceRow]:
        """The conferences that could not be planned or sent, with why."""
        return self._conference_rows(conferences.c.plan_failed == sa.true())

    def _conference_rows(self, where: sa.ColumnElement[bool]) -> list[ConferenceRow]:
        query = sa.select(conferences).where(where).order_by(conferences.c.conference_id)
        with self.reading() as connection:
            return [row_of(ConferenceRow, r._mapping) for r in connection.execute(query)]

    def status_rows(self, late_since: date) -> StatusRows:
        """The rows of the conferences with open work and of those with a copy sent late, or
        planned, after `late_since`; a finished conference's other rows are not read."""
        with self.reading() as connection:
            shown = sa.union(
                *_open_parts(), went_late_since(late_since), planned_since(late_since)
            ).subquery()
            among = sa.select(shown.c[0])
            return _status_rows(connection, among)


def _status_rows(connection: Connection, among: sa.Select[tuple[str]]) -> StatusRows:
    def read(table: sa.Table, *order: sa.ColumnElement[object]) -> list[sa.RowMapping]:
        query = sa.select(table).where(table.c.conference_id.in_(among)).order_by(*order)
        return list(connection.execute(query).mappings())

    exports = connection.execute(
        current_exports_query().where(conferences.c.conference_id.in_(among))
    )
    return StatusRows(
        conferences=tuple(
            row_of(ConferenceRow, r) for r in read(conferences, conferences.c.conference_id)
        ),
        exports=tuple(StoredExport(*row) for row in exports),
        copies=tuple(
            row_of(CopyRow, r) for r in read(copies, copies.c.conference_id, copies.c.id)
        ),
        tasks=tuple(
            row_of(TaskRow, r)
            for r in read(tasks, tasks.c.due, tasks.c.id)
            if r["in_plan"]
        ),
        deliveries=tuple(delivery_of(r) for r in read(deliveries, deliveries.c.id)),
        amendments=tuple(row_of(AmendmentRow, r) for r in read(amendments, amendments.c.sequence)),
    )

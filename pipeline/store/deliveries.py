"""A rendered copy → its delivery on record: begun before anything leaves, finished once it has, or failed with the channel's words.

Begun is compare-and-set on the copy as the run found it; finished is idempotent; a crash between
the two is finished by the next run from the spool (or the folder's staged files), with the same
bytes and Message-ID. A conference's copies are begun in one transaction and finished in one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pipeline.planning.copy_state import DeliveryState
from pipeline.store.base import StoreBase, now
from pipeline.store.notify_deliveries import NotifyAccepted, NotifyDeliveriesMixin
from pipeline.store.rows import StoredDelivery, delivery_of
from pipeline.store.schema import amendments, conferences, copies, deliveries


@dataclass(frozen=True, slots=True)
class Sent:
    """One delivery that went: when it counts as received, where it went (the channel's words),
    how late, and for Notify what Notify said."""

    delivery_id: int
    received_on: date | None
    destination: str
    late_by: int | None = None
    notify: NotifyAccepted | None = None


class DeliveriesMixin(NotifyDeliveriesMixin):
    def deliveries(
        self, conference_id: str | None = None, state: DeliveryState | None = None
    ) -> list[StoredDelivery]:
        query = sa.select(deliveries).order_by(deliveries.c.id)
        if conference_id is not None:
            query = query.where(deliveries.c.conference_id == conference_id)
        if state is not None:
            query = query.where(deliveries.c.state == state)
        with self.reading() as connection:
            return [delivery_of(r._mapping) for r in connection.execute(query)]

    def delivery(self, delivery_id: int) -> StoredDelivery:
        with self.reading() as connection:
            return delivery_of(
                connection.execute(sa.select(deliveries).where(deliveries.c.id == delivery_id))
                .one()
                ._mapping
            )

    def begin_deliveries(self, values_list: Sequence[dict[str, Any]]) -> list[int | None]:
        """Record the intent before anything leaves, for several copies in one transaction: a
        crash after this is finished by the next run from the spool (or the staged files), with
        the same bytes and the same Message-ID. Each new delivery's id, in order.

        Compare-and-set, each copy on its own: None, recording nothing for that copy, unless it
        is still as the run found it (not sending, same content): a revision taken in while it
        rendered, or another run, must not be answered with these bytes."""
        with self.transaction() as connection:
            pending = _pending_copies(connection, values_list)
            claimed: list[int] = []  # positions in values_list
            for number, values in enumerate(values_list):
                copy = (values["conference_id"], values["copy_key"])
                # A copy with a delivery pending: that one is finished first.
                if copy not in pending and _claim(connection, values):
                    pending.add(copy)  # named twice in one batch: begun once
                    claimed.append(number)
            ids: list[int | None] = [None] * len(values_list)
            if not claimed:
                return ids
            started_at = now()
            inserted = connection.execute(
                deliveries.insert().returning(deliveries.c.id, sort_by_parameter_order=True),
                [
                    {"state": "pending", "started_at": started_at, **values_list[n]}
                    for n in claimed
                ],
            ).scalars()
            for number, delivery_id in zip(claimed, inserted, strict=True):
                ids[number] = int(delivery_id)
        return ids

    def assign_batch(self, delivery_ids: Sequence[int], batch_id: str) -> None:
        with self.transaction() as connection:
            connection.execute(
                deliveries.update()
                .where(deliveries.c.id.in_(delivery_ids), deliveries.c.batch_id.is_(None))
                .values(batch_id=batch_id)
            )

    def finish_deliveries(self, sent: Sequence[Sent], *, sent_on: date, why: str) -> None:
        """Several deliveries recorded sent in one transaction; a Notify delivery with Notify's
        id and first status in the same one, so a sent Notify delivery is never without the id
        its status is read by. Idempotent: one finished already is left as it is."""
        with self.transaction() as connection:
            _finish_all(connection, sent, sent_on, why)
            for item in sent:
                if item.notify is not None:
                    self._record_accepted(connection, item.delivery_id, item.notify)

    def finish_batch(
        self,
        received: Sequence[tuple[int, date | None, int | None]],
        *,
        sent_on: date,
        destination: str,
        why: str,
        notify: NotifyAccepted | None = None,
    ) -> None:
        """Every letter of a post batch, or every copy in one Notify letter (with Notify's
        answer), recorded sent at once: a batch file is never rewritten with some of its letters
        missing, and a letter Notify took is never on record for only some of its copies (spec:
        each copy posted exactly once).
        `received`: (delivery, receipt date, working days late or None) for each letter."""
        self.finish_deliveries(
            [Sent(d, on, destination, late_by, notify) for d, on, late_by in received],
            sent_on=sent_on,
            why=why,
        )

    def record_failure(
        self, delivery_id: int, *, error: str, permanent: bool
    ) -> StoredDelivery | None:
        """A begun delivery did not go: keep the channel's words and how it failed.

        Transient (a server down, a timeout, a full disk): it stays pending and the next run
        tries again with the same bytes and Message-ID. Permanent (the server refused it, SMTP
        5xx): nothing was sent and nothing is tried again until a person acts, by a corrected
        export (a new revision) or the chair's withdrawal. None if it was no longer pending."""
        with self.transaction() as connection:
            row = connection.execute(
                sa.select(deliveries).where(deliveries.c.id == delivery_id)
            ).one()
            if row.state != "pending":
                return None
            kind = "permanent" if permanent else "transient"
            values: dict[str, Any] = {
                "error": error,
                "error_kind": kind,
                "failed_at": now(),
                "attempts": deliveries.c.attempts + 1,
            }
            if permanent:
                values["state"] = "failed"
            connection.execute(
                deliveries.update().where(deliveries.c.id == delivery_id).values(**values)
            )
            if permanent:
                self._copy_failed_for_good(connection, row, error)
            self.audit(
                connection,
                "delivery_failed",
                {
                    "recipient": row.recipient,
                    "document": row.document,
                    "channel": row.channel,
                    "error": error,
                    "kind": kind,
                    "attempt": (row.attempts or 0) + 1,
                },
                conference_id=row.conference_id,
                copy_key=row.copy_key,
            )
            return delivery_of(
                connection.execute(sa.select(deliveries).where(deliveries.c.id == delivery_id))
                .one()
                ._mapping
            )


def _finish_all(connection: Connection, sent: Sequence[Sent], sent_on: date, why: str) -> None:
    """Each delivery still pending recorded sent, its copy delivered, its conference planned again
    if it moved on meanwhile, and a "delivered" audit line: a few statements for all of them,
    not a few for each (a conference's copies finish together)."""
    rows = {
        r.id: r
        for r in connection.execute(
            sa.select(deliveries).where(deliveries.c.id.in_([s.delivery_id for s in sent]))
        )
    }
    # Finished (or withdrawn) already: left as it is (idempotent); each at most once.
    going = list({s.delivery_id: s for s in sent if rows[s.delivery_id].state == "pending"}.values())
    if not going:
        return
    delivered_at = now()
    connection.execute(
        deliveries.update()
        .where(deliveries.c.id == sa.bindparam("b_id"))
        .values(
            state="sent",
            sent_on=sent_on,
            received_on=sa.bindparam("b_received_on"),
            destination=sa.bindparam("b_destination"),
            delivered_at=delivered_at,
            late_by=sa.bindparam("b_late_by"),
            attempts=deliveries.c.attempts + 1,
        ),
        [
            {
                "b_id": s.delivery_id,
                "b_received_on": s.received_on,
                "b_destination": s.destination,
                "b_late_by": s.late_by,
            }
            for s in going
        ],
    )
    finished = [rows[s.delivery_id] for s in going]
    conference_ids = sorted({r.conference_id for r in finished})
    planned = {
        (c, k): f
        for c, k, f in connection.execute(
            sa.select(copies.c.conference_id, copies.c.copy_key, copies.c.fingerprint).where(
                copies.c.conference_id.in_(conference_ids),
                copies.c.copy_key.in_(sorted({r.copy_key for r in finished})),
            )
        )
    }
    connection.execute(
        copies.update()
        .where(
            copies.c.conference_id == sa.bindparam("b_conference"),
            copies.c.copy_key == sa.bindparam("b_copy"),
        )
        .values(status="delivered", reason=None, hold_kind=None, failure=None),
        [{"b_conference": r.conference_id, "b_copy": r.copy_key} for r in finished],
    )
    revisions = dict(
        connection.execute(
            sa.select(conferences.c.conference_id, conferences.c.revision).where(
                conferences.c.conference_id.in_(conference_ids)
            )
        ).all()
    )
    agreed: dict[str, set[str]] = {}
    for conference_id, amendment_id in connection.execute(
        sa.select(amendments.c.conference_id, amendments.c.amendment_id).where(
            amendments.c.conference_id.in_(conference_ids), amendments.c.status == "agreed"
        )
    ):
        agreed.setdefault(conference_id, set()).add(amendment_id)
    # The conference moved on while this was in flight (a new revision, an amendment agreed):
    # plan it again, so an updated copy or a notice is not forgotten.
    moved_on = {
        r.conference_id
        for r in finished
        if planned.get((r.conference_id, r.copy_key)) != r.fingerprint
        or r.revision != revisions.get(r.conference_id)
        or (
            r.document == "record"
            and bool(agreed.get(r.conference_id, set()) - set(r.amendments_included or ()))
        )
    }
    if moved_on:
        connection.execute(
            conferences.update()
            .where(conferences.c.conference_id.in_(sorted(moved_on)))
            .values(planned_at=None)
        )
    for row, item in zip(finished, going, strict=True):
        StoreBase.audit(
            connection,
            "delivered",
            {
                "recipient": row.recipient,
                "document": row.document,
                "edition": row.edition,
                "channel": row.channel,
                "via": row.via,
                "destination": item.destination,
                "files": row.files,
                "message_id": row.message_id,
                "batch_id": row.batch_id,
                "sent_on": sent_on.isoformat(),
                "delivered_at": delivered_at.isoformat(),
                "received_on": item.received_on.isoformat() if item.received_on else None,
                "due": row.due.isoformat() if row.due else None,
                "late_by_working_days": item.late_by,
                "why": why,
            },
            conference_id=row.conference_id,
            copy_key=row.copy_key,
        )


def _pending_copies(
    connection: Connection, values_list: Sequence[dict[str, Any]]
) -> set[tuple[str, str]]:
    """The copies among these with a delivery pending (conference, copy key)."""
    return {
        (c, k)
        for c, k in connection.execute(
            sa.select(deliveries.c.conference_id, deliveries.c.copy_key).where(
                deliveries.c.state == "pending",
                deliveries.c.conference_id.in_(sorted({v["conference_id"] for v in values_list})),
                deliveries.c.copy_key.in_(sorted({v["copy_key"] for v in values_list})),
            )
        )
    }


def _claim(connection: Connection, values: dict[str, Any]) -> bool:
    """Compare-and-set on the copy row: it becomes "sending" only if still as the run found it."""
    return (
        connection.execute(
            copies.update()
            .where(
                copies.c.conference_id == values["conference_id"],
                copies.c.copy_key == values["copy_key"],
                # "sending" with no delivery pending: a re-plan raced the finish of the last
                # one and left the row behind.
                copies.c.status.in_(("ready", "held", "sending")),
                copies.c.fingerprint == values["fingerprint"],
            )
            .values(status="sending", reason=None)
        ).rowcount
        == 1
    )

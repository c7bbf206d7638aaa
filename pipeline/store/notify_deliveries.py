"""A delivery through GOV.UK Notify → Notify's id and statuses on record: a failure Notify reports turns the delivery failed, never shown as sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pipeline.planning.copy_state import permanent_failure_reason
from pipeline.store.base import StoreBase, now
from pipeline.store.rows import StoredDelivery, delivery_of
from pipeline.store.schema import copies, deliveries

# Notify's statuses after which nothing changes (docs.notifications.service.gov.uk, "Status").
NOTIFY_FINAL = (
    "delivered",
    "received",
    "permanent-failure",
    "temporary-failure",
    "technical-failure",
    "validation-failed",
    "cancelled",
    "returned-letter",
)


@dataclass(frozen=True, slots=True)
class NotifyAccepted:
    """What Notify said when it took a copy: its id, its status, the letter's print-run day."""

    notify_id: str
    status: str
    print_day: date | None


class NotifyDeliveriesMixin(StoreBase):
    def _copy_failed_for_good(self, connection: Connection, row: Any, error: str) -> None:
        """The delivery's copy shown failed: refused for good, a new revision remakes it."""
        connection.execute(
            copies.update()
            .where(copies.c.conference_id == row.conference_id, copies.c.copy_key == row.copy_key)
            .values(
                status="failed",
                reason=permanent_failure_reason(row.channel, error),
                hold_kind=None,
            )
        )

    def _record_accepted(
        self, connection: Connection, delivery_id: int, notify: NotifyAccepted
    ) -> None:
        """In the transaction that records it sent: a sent Notify delivery always has its id."""
        connection.execute(
            deliveries.update()
            .where(deliveries.c.id == delivery_id, deliveries.c.notify_id.is_(None))
            .values(
                notify_id=notify.notify_id,
                notify_status=notify.status,
                notify_status_at=now(),
                notify_print_day=notify.print_day,
            )
        )

    def notify_unsettled(self) -> list[StoredDelivery]:
        """Sent through Notify and not yet at a final status: read again by the next poll."""
        query = (
            sa.select(deliveries)
            .where(
                deliveries.c.channel == "notify",
                deliveries.c.state == "sent",
                deliveries.c.notify_id.is_not(None),
                sa.or_(
                    deliveries.c.notify_status.is_(None),
                    deliveries.c.notify_status.not_in(NOTIFY_FINAL),
                ),
            )
            .order_by(deliveries.c.id)
        )
        with self.reading() as connection:
            return [delivery_of(r._mapping) for r in connection.execute(query)]

    def record_notify_status(
        self, delivery_id: int, *, status: str, received_on: date | None, failure: str | None
    ) -> None:
        """Notify's latest status. A failure (Notify's words in `failure`) turns the delivery
        failed for good and its copy failed, so it is never shown as sent."""
        with self.transaction() as connection:
            row = connection.execute(
                sa.select(deliveries).where(deliveries.c.id == delivery_id)
            ).one()
            values: dict[str, Any] = {"notify_status": status, "notify_status_at": now()}
            if received_on is not None and row.received_on is None:
                values["received_on"] = received_on
            if failure is not None:
                values |= {
                    "state": "failed",
                    "error": failure,
                    "error_kind": "permanent",
                    "failed_at": now(),
                }
            connection.execute(
                deliveries.update().where(deliveries.c.id == delivery_id).values(**values)
            )
            if failure is not None:
                self._copy_failed_for_good(connection, row, failure)
            if status != row.notify_status:
                self.audit(
                    connection,
                    "notify_status",
                    {"notify_id": row.notify_id, "status": status, "failure": failure},
                    conference_id=row.conference_id,
                    copy_key=row.copy_key,
                )

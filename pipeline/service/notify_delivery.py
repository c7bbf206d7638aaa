"""A Notify delivery's parcel → sent and what Notify said on record; Notify's later statuses → the delivery's record (a failure makes it failed, never sent).

A council runs `cpc distribute` nightly, so the run polls first: each copy Notify took and has not
finished with is read again, one GET each, until it reaches a final status.
"""

from __future__ import annotations

from datetime import date

from pipeline.delivery.channel import Parcel, require_handover_sheets
from pipeline.delivery.notify import NotifyChannel, where
from pipeline.delivery.notify_api import NOTIFY_FAILURES, print_run_day
from pipeline.errors import DeliveryError
from pipeline.service.conference import Conference
from pipeline.service.destination import received_on
from pipeline.service.outcomes import Outcomes
from pipeline.store.db import Store, StoredDelivery
from pipeline.store.notify_deliveries import NotifyAccepted


def to_notify(channel: NotifyChannel, parcel: Parcel) -> tuple[str, NotifyAccepted]:
    """Sent (or found already taken); where it went and what Notify said, for the record."""
    if parcel.via is not None:
        require_handover_sheets((parcel,))
    receipt = channel.deliver(parcel)
    letter = parcel.destination.email is None
    return where(receipt, "letter" if letter else "e-mail"), NotifyAccepted(
        receipt.notify_id,
        receipt.status,
        print_run_day(receipt.created_at) if letter else None,
    )


def notify_received_on(
    conference: Conference | None, via: str | None, accepted: NotifyAccepted
) -> date | None:
    """A letter counts as received as a posted one does, from its print-run day; an e-mail when
    Notify says it was delivered (recorded by the poll)."""
    if accepted.print_day is None:
        return None
    return received_on(conference, "post", via, accepted.print_day)


def failed_at_notify(
    store: Store, outcomes: Outcomes, deliveries: list[StoredDelivery], accepted: NotifyAccepted
) -> bool:
    """A copy found at Notify (its earlier answer lost) already at a failure status: failed, as
    the poll would make it, not left sent (the poll reads no final status again)."""
    words = NOTIFY_FAILURES.get(accepted.status)
    if words is None:
        return False
    failure = f"GOV.UK Notify: {accepted.status}: {words}"
    for delivery in deliveries:
        store.record_notify_status(
            delivery.id, status=accepted.status, received_on=None, failure=failure
        )
        outcomes.failed(delivery.conference_id, delivery.copy_key, failure, permanent=True)
    return True


def poll_notify(store: Store, channel: NotifyChannel, outcomes: Outcomes) -> None:
    """Notify's status of each copy it took and has not finished with: a failure turns the
    delivery failed with Notify's words; a delivered e-mail records its receipt date (a letter's
    is the post's from its print-run day, recorded when it was sent)."""
    for delivery in store.notify_unsettled():
        assert delivery.notify_id is not None  # notify_unsettled has an id
        try:
            now = channel.status(delivery.notify_id)
        except DeliveryError as exc:  # read again by the next run
            outcomes.report(
                "notify_status_unknown",
                {"conference": delivery.conference_id, "copy": delivery.copy_key, "why": str(exc)},
            )
            continue
        failure = f"GOV.UK Notify: {now.status}: {now.failure}" if now.failure else None
        emailed = delivery.notify_print_day is None
        store.record_notify_status(
            delivery.id,
            status=now.status,
            received_on=now.completed_on if emailed and now.status == "delivered" else None,
            failure=failure,
        )
        if failure is not None:
            outcomes.failed(delivery.conference_id, delivery.copy_key, failure, permanent=True)

"""A run's GOV.UK Notify letters → one precompiled letter per envelope: everything one person is sent by post in one run, as one item, exactly as the post room packs it.

The copies are given a batch id before anything leaves, as posted copies are, so a re-run after a
kill packs the same pending copies into the same envelopes under the same references; a letter
whose answer may have been lost is looked up at Notify by its reference, never sent twice.
Notify prints at most 10 pages a letter (`letter_rules.MAX_PAGES`): a person's copies that would
not fit go as several letters, each with its own covering letter, split by copy, always the same
way for the same copies. Every copy of one letter is recorded sent in one transaction.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import pikepdf

from pipeline.checking.letter_rules import MAX_PAGES
from pipeline.delivery.channel import Parcel, require_handover_sheets
from pipeline.delivery.envelopes import Envelope, key_of
from pipeline.delivery.notify import where
from pipeline.delivery.notify_api import (
    NotifyReceipt,
    make_client,
    print_run_day,
    send_once,
    send_precompiled_letter,
)
from pipeline.errors import CpcError, DeliveryError, StoreUnavailable
from pipeline.service.destination import destination_from
from pipeline.service.envelopes import EnvelopeMaker
from pipeline.service.notify_delivery import failed_at_notify, notify_received_on
from pipeline.service.summary import plain_error
from pipeline.store.db import StoredDelivery, content_key
from pipeline.store.notify_deliveries import NotifyAccepted

if TYPE_CHECKING:  # delivering.py calls this module
    from pipeline.service.delivering import Deliverer

Posted = tuple[StoredDelivery, Parcel]
# The covering letter: one page, padded to a whole sheet.
_COVERING_PAGES = 2


def is_notify_letter(delivery: StoredDelivery) -> bool:
    """A Notify copy to a postal address (one to an e-mail address goes on its own, at once)."""
    return (
        delivery.channel == "notify"
        and destination_from(delivery.destination or "{}").email is None
    )


def send_notify_letters(deliverer: Deliverer) -> None:
    """Every Notify letter copy begun and not yet sent (this run's and a killed run's)."""
    store = deliverer.store
    pending = [d for d in store.deliveries(state="pending") if is_notify_letter(d)]
    assigned_now = _assign_letters(deliverer, [d for d in pending if d.batch_id is None])
    if assigned_now:
        pending = [d for d in store.deliveries(state="pending") if is_notify_letter(d)]
    letters: dict[str, list[StoredDelivery]] = {}
    for delivery in pending:
        letters.setdefault(delivery.batch_id or "", []).append(delivery)
    for letter_id, deliveries in sorted(letters.items()):
        letter = [(d, _parcel_of(deliverer, d)) for d in deliveries]
        # A letter made by an earlier run may have reached Notify before that run was killed.
        resumed = letter_id not in assigned_now or any(d.attempts for d in deliveries)
        try:
            _send_letter(deliverer, letter_id, letter, resumed=resumed)
        except StoreUnavailable:
            raise  # the store failed, not Notify: the run stops, the copies stay pending
        except Exception as exc:  # one letter must not stop the others; recorded per copy
            _failed(deliverer, letter, exc)


def _parcel_of(deliverer: Deliverer, delivery: StoredDelivery) -> Parcel:
    return deliverer._parcel(
        delivery, [f["name"] for f in delivery.files if f["name"].endswith(".pdf")]
    )


def _assign_letters(deliverer: Deliverer, new: list[StoredDelivery]) -> set[str]:
    """Which letter each new copy goes in, on record before anything is sent: a re-run sends the
    same letters under the same references whatever has been recorded since, so a letter whose
    answer was lost is found, never sent again, and never taken for another."""
    today = deliverer.settings.today
    assigned: set[str] = set()
    posted = [(d, _parcel_of(deliverer, d)) for d in new]
    for letter in _letters(posted):
        ids = sorted(d.id for d, _ in letter)
        letter_id = f"notify-{today:%Y%m%d}-{content_key(*map(str, ids))[:8]}"
        deliverer.store.assign_batch(ids, letter_id)
        assigned.add(letter_id)
    return assigned


def _letters(posted: Sequence[Posted]) -> Iterator[list[Posted]]:
    """Each person's copies (one address), split into letters of at most MAX_PAGES pages with
    the covering letter, in order."""
    by_person: dict[object, list[Posted]] = {}
    for item in posted:
        by_person.setdefault(key_of(item[1]), []).append(item)
    for _key, items in sorted(by_person.items(), key=lambda kv: str(kv[0])):
        letters: list[list[Posted]] = [[]]
        pages = _COVERING_PAGES
        for item in items:
            own = sum(_sheets_pages(data) for name, data in item[1].files)
            if letters[-1] and pages + own > MAX_PAGES:
                letters.append([])
                pages = _COVERING_PAGES
            letters[-1].append(item)
            pages += own
        yield from letters


def _sheets_pages(pdf: bytes) -> int:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        pages = len(document.pages)
    return pages + pages % 2  # each part starts on a fresh sheet


def _send_letter(deliverer: Deliverer, batch: str, letter: list[Posted], *, resumed: bool) -> None:
    require_handover_sheets([parcel for _, parcel in letter if parcel.via is not None])
    settings = deliverer.channels.notify.settings
    if settings is None:
        raise DeliveryError(
            "these copies were begun for GOV.UK Notify and [notify] is not configured now; "
            "they stay pending until it is"
        )
    maker = EnvelopeMaker(deliverer.composer, deliverer.conference_of, deliverer.settings.today)
    (envelope,) = maker.envelopes(batch, letter)  # checked: every page is its addressee's
    _fits(envelope)
    reference = f"cpc-{content_key(batch, envelope.reference)[:24]}"  # opaque: two hashes
    client = make_client(settings)
    receipt = send_once(
        settings,
        reference,
        client,
        lambda: send_precompiled_letter(client, envelope.pdf, reference, settings.postage),
        resumed=resumed,
    )
    _record(deliverer, letter, receipt)


def _fits(envelope: Envelope) -> None:
    if envelope.pages > MAX_PAGES:
        raise DeliveryError(
            f"too long for a GOV.UK Notify letter: {envelope.pages} pages with its covering "
            f"letter, and Notify prints at most {MAX_PAGES}; nothing was sent. Post it through "
            'the post room (channels.family = "post") or hand it over',
            permanent=True,
        )


def _record(deliverer: Deliverer, letter: list[Posted], receipt: NotifyReceipt) -> None:
    accepted = NotifyAccepted(receipt.notify_id, receipt.status, print_run_day(receipt.created_at))
    received = []
    for delivery, _ in letter:
        conference = deliverer._conference_or_none(delivery.conference_id)
        received.append(
            (
                delivery.id,
                notify_received_on(conference, delivery.via, accepted),
                deliverer._late_by(conference, delivery),
            )
        )
    deliverer.store.finish_batch(
        received,
        sent_on=deliverer.settings.today,
        destination=where(receipt, "letter"),
        why="ready and not yet delivered",
        notify=accepted,
    )
    late = {delivery_id: late_by for delivery_id, _, late_by in received}
    for delivery, _ in letter:
        deliverer.clear_spool(delivery)
    if failed_at_notify(deliverer.store, deliverer.outcomes, [d for d, _ in letter], accepted):
        return
    for delivery, _ in letter:
        deliverer.outcomes.delivered(delivery, "notify", late[delivery.id])
    deliverer.outcomes.summary.delivered["notify"] += len(letter)


def _failed(deliverer: Deliverer, letter: list[Posted], exc: Exception) -> None:
    permanent = isinstance(exc, DeliveryError) and exc.permanent
    why = f"GOV.UK Notify letter: {plain_error(exc)}"
    for delivery, _ in letter:
        deliverer.store.record_failure(delivery.id, error=why, permanent=permanent)
        if permanent:
            deliverer.clear_spool(delivery)
        deliverer.outcomes.failed(
            delivery.conference_id, delivery.copy_key, why, permanent=permanent
        )
    if not isinstance(exc, CpcError | OSError):
        deliverer.outcomes.log_unexpected(letter[0][0].conference_id, exc)

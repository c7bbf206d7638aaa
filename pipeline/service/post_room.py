"""One post batch's pending copies → envelopes (one per person), each proved to be its addressee's
and to fit a window envelope, → the batch PDF and the post room's list, → every copy recorded sent.

Before anything is written, each envelope is read back twice: its pages' marks (every page is its
addressee's: `checking.envelope_check`, which refuses the whole batch, since a page in the wrong
envelope means the packing is wrong) and the window-envelope rules (`checking.letter_rules`: the
address alone in the window, nothing printed outside the margins). An envelope that breaks those
rules is held back on its own with the reason, and the rest of the batch goes: one address too
long for the window must not stop every other family's letters.

Streamed: each envelope is made (its copies read from the spool only then), checked, and handed
to the post room, which writes it to disk, before the next is made; so a batch of any size holds
one envelope's bytes at a time. Nothing is recorded until every envelope is made and checked.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.checking.letter_rules import LetterProblem, letter_problems
from pipeline.delivery.channel import Parcel, require_handover_sheets
from pipeline.delivery.envelopes import Envelope
from pipeline.errors import CpcError, InternalFault, StoreUnavailable
from pipeline.service.destination import received_on
from pipeline.service.envelopes import EnvelopeMaker
from pipeline.service.summary import plain_error
from pipeline.store.db import StoredDelivery, content_key

if TYPE_CHECKING:  # delivering.py calls this module
    from pipeline.service.delivering import Deliverer

# Rules of GOV.UK Notify's that a print supplier's post room does not apply: it posts to any
# address Royal Mail takes (Notify checks postcodes against its own list of areas) and stuffs
# envelopes of any thickness (Notify posts at most 10 pages).
POST_ROOM_WAIVES = frozenset({"not-a-real-uk-postcode", "letter-too-long"})


def post_all(deliverer: Deliverer) -> None:
    """Every posted copy begun and not yet sent (this run's, and a killed run's) in batches."""
    pending = [d for d in deliverer.store.deliveries(state="pending") if d.channel == "post"]
    unbatched = [d.id for d in pending if d.batch_id is None]
    if unbatched:
        day = f"{deliverer.settings.today:%Y%m%d}"
        batch_id = f"post-{day}-{content_key(*map(str, unbatched))[:8]}"
        deliverer.store.assign_batch(unbatched, batch_id)
        pending = [d for d in deliverer.store.deliveries(state="pending") if d.channel == "post"]
    batches: dict[str, list[StoredDelivery]] = {}
    for delivery in pending:
        batches.setdefault(delivery.batch_id or "", []).append(delivery)
    for batch_id, deliveries in sorted(batches.items()):
        try:
            post_batch(deliverer, batch_id, deliveries)
        except StoreUnavailable:
            raise  # the store failed, not the batch: the run stops, the batch stays pending
        except Exception as exc:  # one bad batch must not stop the run; it is tried again
            why = f"post batch: {plain_error(exc)}"
            for delivery in deliveries:
                deliverer.store.record_failure(delivery.id, error=why, permanent=False)
                deliverer.outcomes.failed(delivery.conference_id, delivery.copy_key, why)
            if not isinstance(exc, CpcError | OSError):
                deliverer.outcomes.log_unexpected(deliveries[0].conference_id, exc)


def post_room_problems(envelope: Envelope) -> tuple[LetterProblem, ...]:
    return tuple(p for p in letter_problems(envelope.pdf) if p.code not in POST_ROOM_WAIVES)


def post_batch(deliverer: Deliverer, batch_id: str, deliveries: list[StoredDelivery]) -> None:
    """Raises when the batch as a whole cannot go (it stays pending and is tried again)."""
    pdfs = {d.id: [f["name"] for f in d.files if f["name"].endswith(".pdf")] for d in deliveries}
    # Without their files: a parcel's bytes are read from the spool when its envelope is packed.
    posted = [(d, deliverer._parcel(d, [])) for d in deliveries]
    maker = EnvelopeMaker(deliverer.composer, deliverer.conference_of, deliverer.settings.today)
    held: list[tuple[tuple[StoredDelivery, ...], tuple[LetterProblem, ...]]] = []
    going: list[StoredDelivery] = []

    def load(delivery: StoredDelivery, _without_files: Parcel) -> Parcel:
        return deliverer._parcel(delivery, pdfs[delivery.id])

    def checked() -> Iterator[Envelope]:
        for envelope, in_it in maker.each(batch_id, posted, load):
            # One batch holds copies to hand over and copies for their readers alike: it goes by
            # the post channel once, after the hand-over route has checked its own parcels.
            require_handover_sheets([p for p in envelope.parcels if p.via is not None])
            problems = post_room_problems(envelope)
            if problems:
                held.append((in_it, problems))
                continue
            going.extend(in_it)
            yield envelope
        # Every envelope made and checked (none refused the batch): those held back are said.
        for in_it, problems in held:
            _hold_back(deliverer, list(in_it), problems)

    envelopes = checked()
    first = next(envelopes, None)
    if first is None:
        return
    _send(deliverer, batch_id, itertools.chain([first], envelopes), going)


def _hold_back(
    deliverer: Deliverer, deliveries: list[StoredDelivery], problems: tuple[LetterProblem, ...]
) -> None:
    # For good (a re-run lays the same letter out the same way): a corrected export remakes it.
    why = (
        "not posted: the letter does not fit a window envelope ("
        + "; ".join(f"{p.message} (page {', '.join(map(str, p.pages))})" for p in problems)
        + "); correct the address in the case record and export again"
    )
    for delivery in deliveries:
        deliverer.store.record_failure(delivery.id, error=why, permanent=True)
        deliverer.clear_spool(delivery)
        deliverer.outcomes.failed(delivery.conference_id, delivery.copy_key, why, permanent=True)


def _send(
    deliverer: Deliverer,
    batch_id: str,
    envelopes: Iterator[Envelope],
    deliveries: list[StoredDelivery],
) -> None:
    """`deliveries`: filled in as the post room takes each envelope; whole once it returns."""
    where = deliverer.channels.post.send_envelopes(envelopes, batch_id)
    if next(envelopes, None) is not None:  # nothing is recorded sent that was not taken
        raise InternalFault(f"post batch {batch_id}: the post room did not take every envelope")
    today = deliverer.settings.today
    received = []
    for d in deliveries:
        conference = deliverer._conference_or_none(d.conference_id)
        received.append(
            (d.id, received_on(conference, "post", d.via, today), deliverer._late_by(conference, d))
        )
    deliverer.store.finish_batch(
        received, sent_on=today, destination=where, why="ready and not yet delivered"
    )
    late = {delivery_id: late_by for delivery_id, _, late_by in received}
    for delivery in deliveries:
        deliverer.clear_spool(delivery)
        deliverer.outcomes.delivered(delivery, "post", late[delivery.id])
    deliverer.outcomes.summary.post_batches.append(Path(where))
    deliverer.outcomes.summary.delivered["post"] += len(deliveries)

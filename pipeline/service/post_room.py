"""One post batch's pending copies → envelopes (one per person), each proved to be its addressee's
and to fit a window envelope, → the batch PDF and the post room's list, → every copy recorded sent.

Before anything is written, each envelope is read back twice: its pages' marks (every page is its
addressee's: `checking.envelope_check`, which refuses the whole batch, since a page in the wrong
envelope means the packing is wrong) and the window-envelope rules (`checking.letter_rules`: the
address alone in the window, nothing printed outside the margins). An envelope that breaks those
rules is held back on its own with the reason, and the rest of the batch goes: one address too
long for the window must not stop every other family's letters.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.checking.letter_rules import LetterProblem, letter_problems
from pipeline.delivery.channel import require_handover_sheets
from pipeline.delivery.envelopes import Envelope
from pipeline.service.destination import received_on
from pipeline.service.envelopes import EnvelopeMaker
from pipeline.store.db import StoredDelivery

if TYPE_CHECKING:  # delivering.py calls this module
    from pipeline.service.delivering import Deliverer

# Rules of GOV.UK Notify's that a print supplier's post room does not apply: it posts to any
# address Royal Mail takes (Notify checks postcodes against its own list of areas) and stuffs
# envelopes of any thickness (Notify posts at most 10 pages).
POST_ROOM_WAIVES = frozenset({"not-a-real-uk-postcode", "letter-too-long"})


def post_room_problems(envelope: Envelope) -> tuple[LetterProblem, ...]:
    return tuple(p for p in letter_problems(envelope.pdf) if p.code not in POST_ROOM_WAIVES)


def post_batch(deliverer: Deliverer, batch_id: str, deliveries: list[StoredDelivery]) -> None:
    """Raises when the batch as a whole cannot go (it stays pending and is tried again)."""
    parcels = [
        deliverer._parcel(d, [f["name"] for f in d.files if f["name"].endswith(".pdf")])
        for d in deliveries
    ]
    # One batch holds copies to hand over and copies for their readers alike: it goes by the
    # post channel once, after the hand-over route has checked its own parcels.
    require_handover_sheets([p for p in parcels if p.via is not None])
    maker = EnvelopeMaker(deliverer.composer, deliverer.conference_of, deliverer.settings.today)
    delivery_of = {id(parcel): delivery for delivery, parcel in zip(deliveries, parcels, strict=True)}
    envelopes = maker.envelopes(batch_id, list(zip(deliveries, parcels, strict=True)))
    going: list[Envelope] = []
    for envelope in envelopes:
        problems = post_room_problems(envelope)
        if problems:
            _hold_back(deliverer, [delivery_of[id(p)] for p in envelope.parcels], problems)
        else:
            going.append(envelope)
    if not going:
        return
    _send(deliverer, batch_id, going, [delivery_of[id(p)] for e in going for p in e.parcels])


def _hold_back(
    deliverer: Deliverer, deliveries: list[StoredDelivery], problems: tuple[LetterProblem, ...]
) -> None:
    # For good (a re-run lays the same letter out the same way): a corrected export remakes it.
    why = "not posted: the letter does not fit a window envelope (" + "; ".join(
        f"{p.message} (page {', '.join(map(str, p.pages))})" for p in problems
    ) + "); correct the address in the case record and export again"
    for delivery in deliveries:
        deliverer.store.record_failure(delivery.id, error=why, permanent=True)
        deliverer.clear_spool(delivery)
        deliverer.outcomes.failed(delivery.conference_id, delivery.copy_key, why, permanent=True)


def _send(
    deliverer: Deliverer, batch_id: str, envelopes: list[Envelope], deliveries: list[StoredDelivery]
) -> None:
    where = deliverer.channels.post.send_envelopes(envelopes, batch_id)
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

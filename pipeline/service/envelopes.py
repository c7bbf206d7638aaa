"""A run's posted deliveries → checked envelopes, one per recipient: a covering letter rendered from their own view, then what they are sent.

The covering letter says only what is enclosed, by the documents' names, from the recipient's own
view (their address, the authority, the conference's reference): nothing withheld from them can
be in it, and it is leak-checked like every other byte that leaves. Every envelope is read back
by the envelope check before the batch is written; one page of someone else's refuses the batch.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from pipeline.checking.envelope_check import check_envelope
from pipeline.checking.leak_check import leak_report
from pipeline.delivery.channel import Parcel
from pipeline.delivery.envelopes import (
    HANDOVER_SHEET,
    Envelope,
    EnvelopeKey,
    envelope_reference,
    group_parcels,
    names_marked,
    pack,
)
from pipeline.errors import PostBatchError
from pipeline.planning.plan import PlannedCopy
from pipeline.planning.readers import readers_of
from pipeline.redaction.facts import AddressBlock, RecipientView
from pipeline.redaction.withheld import withheld_strings
from pipeline.rendering.html import Composer
from pipeline.rendering.pdf import render_pdf
from pipeline.rendering.pdf_marks import EnvelopeStamper, finish_pdf
from pipeline.service.conference import Conference
from pipeline.service.copy_renderer import Renderer
from pipeline.store.db import StoredDelivery

# The post room's name for the leaflet the invitation promises ("comes with this letter"):
# parents are given information, such as leaflets, about the process (000 §4.4.1).
LEAFLET = "Child protection conference leaflet"


@dataclass(frozen=True, slots=True)
class EnvelopeMaker:
    """Packs one run's posted deliveries into envelopes, rendering each covering letter."""

    composer: Composer
    conference_of: Callable[[str], Conference]
    today: date

    def envelopes(
        self, batch: str, posted: Sequence[tuple[StoredDelivery, Parcel]]
    ) -> list[Envelope]:
        """One checked envelope per recipient, sorted by conference and person. Raises
        PostBatchError if a covering letter leaks or an envelope fails its check."""
        return [envelope for envelope, _ in self.each(batch, posted)]

    def each(
        self,
        batch: str,
        posted: Sequence[tuple[StoredDelivery, Parcel]],
        load: Callable[[StoredDelivery, Parcel], Parcel] | None = None,
    ) -> Iterator[tuple[Envelope, tuple[StoredDelivery, ...]]]:
        """As `envelopes`, one at a time, each with the deliveries in it. `load` gives a parcel
        its files just before its envelope is packed: so the parcels given may be without them,
        and a batch of any size holds one envelope's bytes at a time."""
        delivery_of = {id(parcel): delivery for delivery, parcel in posted}
        groups = group_parcels([parcel for _, parcel in posted])
        marks = {
            self._mark(envelope_reference(batch, key), name)
            for key, parcels in groups
            for name in names_marked(key, parcels)
        }
        with EnvelopeStamper(marks, self.composer.templates) as stamper:
            for key, parcels in groups:
                deliveries = tuple(delivery_of[id(p)] for p in parcels)
                if load is not None:
                    parcels = tuple(load(d, p) for d, p in zip(deliveries, parcels, strict=True))
                yield self._envelope(batch, key, parcels, deliveries, stamper), deliveries

    def _mark(self, reference: str, name: str) -> str:
        words = self.composer.environment.get_template("_words.html").module
        return str(words.envelope_mark(reference, name))  # type: ignore[attr-defined]

    def _envelope(
        self,
        batch: str,
        key: EnvelopeKey,
        parcels: Sequence[Parcel],
        deliveries: Sequence[StoredDelivery],
        stamper: EnvelopeStamper,
    ) -> Envelope:
        reference = envelope_reference(batch, key)
        inserts = (LEAFLET,) if any(p.document == "invitation" for p in parcels) else ()
        covering = self._covering_letter(reference, key, parcels, deliveries, inserts)
        envelope = pack(
            key,
            parcels,
            reference=reference,
            covering_letter=covering,
            mark_html=lambda name: self._mark(reference, name),
            inserts=inserts,
            stamper=stamper,
        )
        handed_over = {
            part.first_page + offset
            for part in envelope.parts
            if part.handed_over
            for offset in range(part.pages)
        }
        check_envelope(
            envelope.pdf, reference=reference, addressee=key.name, handed_over_pages=handed_over
        )
        return envelope

    def _covering_letter(
        self,
        reference: str,
        key: EnvelopeKey,
        parcels: Sequence[Parcel],
        deliveries: Sequence[StoredDelivery],
        inserts: Sequence[str],
    ) -> bytes:
        conference = self.conference_of(key.conference)
        copies = {
            d.copy_key: c
            for d in deliveries
            if (c := conference.copies.get(d.copy_key)) is not None
        }
        view = self._view(conference, key, copies, handing_over=any(p.via for p in parcels))
        enclosures = [
            (HANDOVER_SHEET if name.startswith("handover-sheet") else p.document,
             p.edition != "original")
            for p in parcels
            for name, _ in p.files
        ]  # fmt: skip
        html = self.composer.environment.get_template("letters/covering_letter.html").render(
            v=view, stamp=None, enclosures=enclosures, inserts=inserts
        )
        pdf = finish_pdf(render_pdf(html, self.composer.templates), "", self.composer.templates)
        # What is withheld from anyone whose eyes any of these copies reach stays out of the
        # letter on top of them too; their own address and the letterhead prove nothing.
        renderer = Renderer.for_profile(conference.profile, self.composer)
        own = (*key.address_lines, key.postcode, *_letterhead_lines(view))
        withheld = sorted(
            {
                text
                for copy in copies.values()
                for text in withheld_strings(
                    conference.export, readers_of(copy), renderer.words, own
                )
            }
        )
        if withheld and leak_report({"covering-letter.pdf": pdf}, withheld).leaks:
            raise PostBatchError(
                f"envelope {reference}: the covering letter's leak check found withheld content"
            )
        return pdf

    def _view(
        self,
        conference: Conference,
        key: EnvelopeKey,
        copies: dict[str, PlannedCopy],
        *,
        handing_over: bool,
    ) -> RecipientView:
        """The recipient's own view, addressed to the envelope: a letter (not an amendment) first;
        if the plan moved on since these were begun, any copy the person is still planned."""
        candidates = list(copies.items()) or [
            (k, c) for k, c in conference.copies.items() if c.recipient == key.recipient
        ]
        ordered = sorted(candidates, key=lambda kc: kc[1].document.startswith("amendment"))
        if not ordered:
            raise PostBatchError(
                f"{key.conference}: the conference no longer plans these posted copies"
            )
        copy_key, copy = ordered[0]
        renderer = Renderer.for_profile(conference.profile, self.composer)
        view = renderer.view(
            conference.export, copy, conference.read.current.amendment_of.get(copy_key)
        )
        return dataclasses.replace(
            view,
            addressee=AddressBlock(key.name, key.address_lines, key.postcode or None),
            issued_on=self.today,
            edition=(),
            # To the social worker who hands the copies over: a professional's words.
            audience="professional" if handing_over else view.audience,
        )


def _letterhead_lines(view: RecipientView) -> tuple[str, ...]:
    letterhead = view.letterhead
    return (*letterhead.address_lines, letterhead.postcode or "")

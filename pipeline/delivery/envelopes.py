"""A run's posted parcels → one envelope per recipient: a covering letter, then each enclosure, every page marked with whose envelope it is.

Parcels go in one envelope when they are for the same conference, the same person and the same
address. Each part (the covering letter, each copy, each hand-over sheet) starts on a fresh sheet
(padded to an even page count for double-sided printing) and every page of it, padding included,
carries the envelope's mark naming the person that part was addressed to: so a part packed into the
wrong envelope carries the wrong name, which the envelope check (pipeline.checking.envelope_check)
reads back and refuses. The same parcels and batch always give the same bytes.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pikepdf

from pipeline.delivery.channel import Parcel
from pipeline.delivery.channels import Destination
from pipeline.errors import PostBatchError
from pipeline.rendering.pdf_marks import EnvelopeStamper

# The order enclosures go in: letters first (what the reader opens first), then plan and record.
_ORDER = (
    "invitation",
    "exclusion_letter",
    "cancellation_notice",
    "decision_letter",
    "plan_ended_notice",
    "amendment_notice",
    "amendment_rejection",
    "report_pack",
    "outline_plan",
    "record",
)
HANDOVER_SHEET = "handover_sheet"


@dataclass(frozen=True, slots=True)
class EnvelopeKey:
    """Who one envelope is for: the same conference, person and address."""

    conference: str
    recipient: str  # the person's id (the lead social worker's for a copy to hand over)
    name: str
    address_lines: tuple[str, ...]
    postcode: str


@dataclass(frozen=True, slots=True)
class Part:
    """One run of pages in an envelope: the covering letter, a copy, or a hand-over sheet."""

    document: str  # a document code, "covering_letter", or HANDOVER_SHEET
    updated: bool  # an updated copy that replaces one sent before
    first_page: int  # 1-based, in the envelope
    pages: int  # its own pages, without the blank page that pads it to whole sheets
    addressed_to: str  # the name its parcel was addressed to (the envelope's mark on its pages)
    handed_over: bool  # a copy for someone else, handed over by the addressee


@dataclass(frozen=True, slots=True)
class Envelope:
    """Everything one person is posted in one run, as one item: what the post room prints and
    stuffs, and what a precompiled-letter service sends."""

    reference: str  # opaque (a hash): no personal data, printed on every page and the list
    conference: str
    recipient: str
    destination: Destination
    pdf: bytes
    pages: int  # including the blank pages that start each part on a fresh sheet
    parts: tuple[Part, ...]
    inserts: tuple[str, ...]  # printed elsewhere and put in by hand (the leaflet)
    parcels: tuple[Parcel, ...]

    @property
    def sheets(self) -> int:
        return self.pages // 2  # printed double-sided; every part is padded to whole sheets

    @property
    def enclosures(self) -> tuple[str, ...]:
        """The documents after the covering letter, in order (codes)."""
        return tuple(p.document for p in self.parts if p.document != "covering_letter")


def key_of(parcel: Parcel) -> EnvelopeKey:
    # A copy to hand over goes to the lead social worker: their envelope, not the reader's.
    person = parcel.via or parcel.destination.folder
    return EnvelopeKey(
        conference=parcel.conference,
        recipient=person,
        name=parcel.destination.name,
        address_lines=parcel.destination.address_lines,
        postcode=parcel.destination.postcode,
    )


def group_parcels(parcels: Sequence[Parcel]) -> list[tuple[EnvelopeKey, tuple[Parcel, ...]]]:
    """Parcels by envelope, in a stable order: by conference and person, then documents in
    `_ORDER` (letters before plan and record), then as given."""
    groups: dict[EnvelopeKey, list[Parcel]] = {}
    for parcel in parcels:
        groups.setdefault(key_of(parcel), []).append(parcel)
    rank = {document: i for i, document in enumerate(_ORDER)}
    ordered = sorted(groups.items(), key=lambda item: (item[0].conference, item[0].recipient))
    return [
        (key, tuple(sorted(group, key=lambda p: rank.get(p.document, len(_ORDER)))))
        for key, group in ordered
    ]


def envelope_reference(batch: str, key: EnvelopeKey) -> str:
    """Eight characters no one can read a person from, the same for the same batch and person."""
    # The name and address too: one person at two addresses gets two envelopes, never one mark.
    parts = (batch, key.conference, key.recipient, key.name, *key.address_lines, key.postcode)
    digest = hashlib.sha256("\x00".join(parts).encode("utf-8"))
    return digest.hexdigest()[:8].upper()


def pack(
    key: EnvelopeKey,
    parcels: Sequence[Parcel],
    *,
    reference: str,
    covering_letter: bytes,
    mark_html: Callable[[str], str],
    inserts: Sequence[str],
    stamper: EnvelopeStamper,
) -> Envelope:
    """The envelope's PDF: the covering letter, then each parcel's files (a copy, then its
    hand-over sheet), each on fresh sheets, every page marked by `mark_html(name)` with the name
    its own part was addressed to (`stamper` holds every mark of the batch laid out: see
    `names_marked`). Raises PostBatchError if a file cannot be read."""
    pieces: list[tuple[str, bool, str, bool, bytes]] = [
        ("covering_letter", False, key.name, False, covering_letter)
    ]
    for parcel in parcels:
        for name, data in parcel.files:
            sheet = name.startswith("handover-sheet")
            pieces.append(
                (
                    HANDOVER_SHEET if sheet else parcel.document,
                    parcel.edition != "original" and not sheet,
                    parcel.destination.name,
                    parcel.via is not None and not sheet,
                    data,
                )
            )
    parts: list[Part] = []
    marked: list[bytes] = []
    page = 1
    for document, updated, addressed_to, handed_over, data in pieces:
        padded, own = _padded(data, f"envelope {reference}, {document}")
        marked.append(stamper.stamp(padded, mark_html(addressed_to)))
        parts.append(Part(document, updated, page, own, addressed_to, handed_over))
        page += own + own % 2
    return Envelope(
        reference=reference,
        conference=key.conference,
        recipient=key.recipient,
        destination=parcels[0].destination,
        pdf=_joined(marked),
        pages=page - 1,
        parts=tuple(parts),
        inserts=tuple(inserts),
        parcels=tuple(parcels),
    )


def names_marked(key: EnvelopeKey, parcels: Sequence[Parcel]) -> set[str]:
    """The names `pack` marks this envelope's pages with: the addressee's, and each parcel's."""
    return {key.name, *(parcel.destination.name for parcel in parcels)}


def _padded(data: bytes, where: str) -> tuple[bytes, int]:
    """The part with a blank page after an odd last page (same size and rotation), and its own
    page count. The error names the part by envelope and document, never by the person."""
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            own = len(pdf.pages)
            if not own:
                raise PostBatchError(f"{where}: the PDF has no pages")
            if own % 2 == 0:
                return data, own
            last = pdf.pages[-1]
            blank = pikepdf.Dictionary(
                Type=pikepdf.Name.Page,
                MediaBox=pikepdf.Array(last.mediabox),
                Resources=pikepdf.Dictionary(),
                Contents=pdf.make_stream(b""),
            )
            if "/Rotate" in last.obj:
                blank.Rotate = last.obj.Rotate
            pdf.pages.append(pikepdf.Page(pdf.make_indirect(blank)))
            out = io.BytesIO()
            pdf.save(out, deterministic_id=True)
            return out.getvalue(), own
    except pikepdf.PdfError as exc:
        raise PostBatchError(f"{where}: the PDF cannot be read") from exc


def _joined(pdfs: Sequence[bytes]) -> bytes:
    sources = [pikepdf.open(io.BytesIO(data)) for data in pdfs]
    try:
        with pikepdf.new() as whole:
            for source in sources:
                whole.pages.extend(source.pages)
            out = io.BytesIO()
            # deterministic_id: the /ID is a hash of the content instead of one made from the clock.
            whole.save(out, deterministic_id=True)
            return out.getvalue()
    finally:
        for source in sources:
            source.close()

"""One envelope per recipient per run: parcels grouped by conference, person and address, and an envelope holding one page of someone else's refused (issue: the mother's plan beside the father's letter)."""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path

import pypdfium2
import pytest

from pipeline.checking.envelope_check import check_envelope, envelope_problems
from pipeline.delivery.channel import Parcel
from pipeline.delivery.envelopes import (
    EnvelopeKey,
    envelope_reference,
    group_parcels,
    key_of,
    names_marked,
    pack,
)
from pipeline.errors import PostBatchError
from pipeline.rendering.html import DEFAULT_TEMPLATES
from pipeline.rendering.pdf_marks import EnvelopeStamper
from tests.backends import on_both_stores
from tests.conftest import example
from tests.fake_renderer import FAKE
from tests.service_harness import Service
from tests.test_post_batch import envelope_of, mark, parcel, pdf_of

DV = "CPC-2026-0412"  # initial-domestic-abuse.json: letters and plans posted to the family
MM = 72 / 25.4  # PDF points in a millimetre


def test_a_persons_posted_copies_go_in_one_envelope_each_person_their_own() -> None:
    mother_plan = parcel(["plan"], "Sarah Example", "outline_plan", person="p-mother")
    father_letter = parcel(["letter"], "Mark Example", "decision_letter", person="p-father")
    mother_letter = parcel(["letter"], "Sarah Example", "decision_letter", person="p-mother")
    elsewhere = dataclasses.replace(mother_letter, conference="CPC-2026-0001")

    groups = group_parcels([mother_plan, father_letter, mother_letter, elsewhere])

    assert [(k.conference, k.recipient, [p.document for p in ps]) for k, ps in groups] == [
        ("CPC-2026-0001", "p-mother", ["decision_letter"]),
        ("CPC-2026-0412", "p-father", ["decision_letter"]),
        # The letter before the plan, whatever order the run began them in.
        ("CPC-2026-0412", "p-mother", ["decision_letter", "outline_plan"]),
    ]


def test_the_same_person_at_two_addresses_gets_two_envelopes() -> None:
    home = parcel(["letter"], "Sarah Example", "decision_letter", person="p-mother")
    refuge = dataclasses.replace(
        home,
        document="outline_plan",
        destination=dataclasses.replace(home.destination, address_lines=("Refuge Road",)),
    )
    groups = group_parcels([home, refuge])
    assert len(groups) == 2
    # Each its own mark and row: the refuge's enclosures can never be taken for the home's.
    assert len({envelope_reference("post-1", key) for key, _ in groups}) == 2


def test_a_copy_to_hand_over_goes_in_the_social_workers_envelope() -> None:
    own = parcel(["sw letter"], "Dan Worker", "decision_letter", person="p-sw")
    to_hand = parcel(["for mother"], "Dan Worker", "record", person="p-sw/to-hand-over/p-mother",
                     via="p-sw")  # fmt: skip
    ((key, parcels),) = group_parcels([own, to_hand])
    assert key.recipient == "p-sw"
    assert [p.document for p in parcels] == ["decision_letter", "record"]


def test_an_envelope_of_one_persons_copies_passes_the_check() -> None:
    envelope = envelope_of(
        parcel(["letter"], "Sarah Example", "decision_letter", person="p-mother"),
        parcel(["Copy for Sarah Example. Confidential: not to be passed on."], "Sarah Example",
               "outline_plan", person="p-mother"),
    )  # fmt: skip
    assert envelope.enclosures == ("decision_letter", "outline_plan")
    assert (
        envelope_problems(envelope.pdf, reference=envelope.reference, addressee="Sarah Example")
        == []
    )


def _packed_for_mother(*parcels_: object) -> tuple[bytes, str]:
    """Packed as a faulty grouping would pack them: every parcel into the mother's envelope."""
    mother = parcel(["letter"], "Sarah Example", "decision_letter", person="p-mother")
    key = key_of(mother)
    reference = envelope_reference("b", key)
    everyone = (mother, *parcels_)
    marks = {mark(reference, name) for name in names_marked(key, everyone)}  # type: ignore[arg-type]
    with EnvelopeStamper(marks, DEFAULT_TEMPLATES) as stamper:
        envelope = pack(
            key,
            everyone,  # type: ignore[arg-type]
            reference=reference,
            covering_letter=pdf_of(["covering letter"]),
            mark_html=lambda name: mark(reference, name),
            inserts=(),
            stamper=stamper,
        )
    return envelope.pdf, reference


def test_an_envelope_with_another_persons_enclosure_is_refused() -> None:
    # The father's decision letter packed behind the mother's: its pages carry his name.
    father_letter = parcel(["father letter"], "Mark Example", "decision_letter", person="p-father")
    pdf, reference = _packed_for_mother(father_letter)

    with pytest.raises(PostBatchError, match="page 5 is marked for another envelope") as caught:
        check_envelope(pdf, reference=reference, addressee="Sarah Example")
    assert "page 6" in str(caught.value)  # its padding page too
    assert "Mark" not in str(caught.value) and "Sarah" not in str(caught.value)
    assert "refused" in str(caught.value)


def test_a_copy_made_for_someone_else_is_refused_even_addressed_to_the_addressee() -> None:
    # Addressed (on the parcel) to the mother, but the copy itself was made for the father.
    wrong = parcel(["Copy for Mark Example. Confidential: not to be passed on."], "Sarah Example",
                   "outline_plan", person="p-mother")  # fmt: skip
    pdf, reference = _packed_for_mother(wrong)
    assert envelope_problems(pdf, reference=reference, addressee="Sarah Example") == [
        "page 5 is a copy made for another person"
    ]


def test_a_copy_handed_over_may_be_for_the_person_it_is_handed_to() -> None:
    envelope = envelope_of(
        parcel(["sw letter"], "Dan Worker", "decision_letter", person="p-sw"),
        parcel(["Copy for Sarah Example. Confidential: not to be passed on."], "Dan Worker",
               "record", person="p-sw/to-hand-over/p-mother", via="p-sw"),
    )  # fmt: skip
    handed = {p.first_page for p in envelope.parts if p.handed_over}
    assert handed == {5}
    check_envelope(
        envelope.pdf, reference=envelope.reference, addressee="Dan Worker", handed_over_pages=handed
    )
    # ... and not on any other page of the envelope.
    assert envelope_problems(envelope.pdf, reference=envelope.reference, addressee="Dan Worker")


def test_a_page_with_no_envelope_mark_is_refused() -> None:
    with pytest.raises(PostBatchError, match="page 1 has no envelope mark; page 2 has no"):
        check_envelope(pdf_of(["x", "y"]), reference="ABCD1234", addressee="Sarah Example")


def test_the_envelope_mark_is_inside_the_printable_area() -> None:
    # At least 15 mm from each side and 5 mm from the foot (GOV.UK Notify's letter spec).
    envelope = envelope_of(parcel(["letter"], "Sarah Example", "decision_letter"))
    document = pypdfium2.PdfDocument(envelope.pdf)
    try:
        for index in range(len(document)):
            page = document[index]
            width, _ = page.get_size()
            text = page.get_textpage()
            whole = text.get_text_range()
            start = whole.index("Envelope ")
            boxes = [text.get_charbox(i) for i in range(start, start + len("Envelope ") + 30)]
            assert min(box[0] for box in boxes) >= 15 * MM
            assert max(box[2] for box in boxes) <= width - 15 * MM
            assert min(box[1] for box in boxes) >= 5 * MM
    finally:
        document.close()


def test_a_letter_to_someone_else_is_refused_whatever_its_parcel_says() -> None:
    # The father's decision letter, wrongly spooled under the mother's delivery: its own words
    # ("Dear Mark Example,") say whose it is.
    wrong = parcel(["Dear Mark Example,", "The conference decided"], "Sarah Example",
                   "decision_letter", person="p-mother")  # fmt: skip
    pdf, reference = _packed_for_mother(wrong)
    assert envelope_problems(pdf, reference=reference, addressee="Sarah Example") == [
        "page 5 is a copy made for another person"
    ]
    right = parcel(["Dear Sarah Example,", "The conference decided"], "Sarah Example",
                   "decision_letter", person="p-mother")  # fmt: skip
    pdf, reference = _packed_for_mother(right)
    assert envelope_problems(pdf, reference=reference, addressee="Sarah Example") == []


def test_a_salutation_quoted_inside_a_paragraph_is_not_taken_for_the_letters_own() -> None:
    quoted = parcel(["The note read: Dear Mark Example, please call."], "Sarah Example",
                    "record", person="p-mother")  # fmt: skip
    pdf, reference = _packed_for_mother(quoted)
    assert envelope_problems(pdf, reference=reference, addressee="Sarah Example") == []


@on_both_stores
def test_a_run_whose_envelope_holds_another_persons_copy_posts_nothing_until_it_is_right(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A packing fault (every posted copy of a conference put in one envelope, as one faulty
    grouping would) refuses the batch loudly: no batch file, nothing recorded sent; the next
    run, packing right, posts each copy once, in its own person's envelope."""
    service = Service(tmp_path, 'family = "post"', renderer=FAKE)
    service.drop(example("initial-domestic-abuse"))

    def one_per_conference(parcel: Parcel) -> EnvelopeKey:
        right = key_of(parcel)
        return dataclasses.replace(right, recipient="everyone", name="Sarah Whitfield")

    with monkeypatch.context() as patch:
        patch.setattr("pipeline.delivery.envelopes.key_of", one_per_conference)
        output = service.cpc("distribute", "--today", "2026-11-24", "--workers", "0", code=1)
    assert "post batch: envelope" in output and "refused" in output
    assert not service.outbox("post").exists()
    store = service.store()
    try:
        pending = [d for d in store.deliveries(DV) if d.channel == "post"]
    finally:
        store.close()
    assert pending and all(d.state == "pending" for d in pending)

    service.distribute("2026-11-24")
    posted = [d for d in service.sent(DV) if d.channel == "post"]
    assert len(posted) == len(pending)
    (listing,) = service.outbox("post").glob("*.csv")
    rows = list(csv.DictReader(listing.read_text(encoding="utf-8-sig").splitlines()))
    people = [r["recipient"] for r in rows if r["conference"] == DV]
    assert len(people) == len(set(people)) > 1


@on_both_stores
def test_an_envelope_that_does_not_fit_the_window_is_held_back_and_the_others_go(
    tmp_path: Path,
) -> None:
    """An address line too long for the window (the contract takes 200 characters; the window is
    95 mm wide) would print outside it: that person's envelope is not posted, each of its copies
    fails for good with the reason (a corrected export remakes them), and everyone else's
    envelope goes in the batch."""
    service = Service(tmp_path, 'family = "post"', renderer=FAKE)
    data = example("initial-domestic-abuse")
    father = next(p for p in data["people"] if p["id"] == "p-father")
    father["address"]["lines"][0] = "Flat 12, The Old Mill Buildings, Long Harbour Quayside Road"
    service.drop(data)
    service.cpc("distribute", "--today", "2026-11-24", "--workers", "0", code=1)
    store = service.store()
    try:
        father_posted = [
            d for d in store.deliveries(DV) if d.channel == "post" and d.recipient == "p-father"
        ]
    finally:
        store.close()
    assert father_posted and all(d.state == "failed" for d in father_posted)
    status = json.loads(service.cpc("status", "--today", "2026-11-24", "--format", "json"))
    held_back = [f for f in status["failed"] if f["copy"].startswith("p-father/")]
    assert held_back and all("does not fit a window envelope" in f["error"] for f in held_back)
    assert all(f["kind"] == "permanent" for f in held_back)
    (listing,) = service.outbox("post").glob("*.csv")
    rows = list(csv.DictReader(listing.read_text(encoding="utf-8-sig").splitlines()))
    assert "Mark Whitfield" not in {r["recipient"] for r in rows}
    assert "Sarah Whitfield" in {r["recipient"] for r in rows}

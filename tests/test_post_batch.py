"""One batch PDF for the post room: envelopes in order, each part on fresh sheets, and a list with one row per envelope that matches it (issue 4)."""

from __future__ import annotations

import csv
import functools
import io
from pathlib import Path

import pikepdf
import pypdfium2
import pytest

from pipeline.delivery.channel import Parcel, PostChannel
from pipeline.delivery.channels import Destination
from pipeline.delivery.envelopes import Envelope, envelope_reference, key_of, names_marked, pack
from pipeline.delivery.post import build_batch
from pipeline.errors import InternalFault, PostBatchError
from pipeline.rendering.handover_sheet import DOCUMENT_NAMES
from pipeline.rendering.html import DEFAULT_TEMPLATES, Composer
from pipeline.rendering.pdf_marks import EnvelopeStamper

A4 = (595, 842)
A5 = (420, 595)
NAMES = {**DOCUMENT_NAMES, "covering_letter": "covering letter"}


def pdf_of(texts: list[str], size: tuple[int, int] = A4, rotate: int = 0) -> bytes:
    """A real PDF with one page per text, the text drawn in Helvetica so it can be read back."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
        )
    )
    for text in texts:
        page = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=pikepdf.Array([0, 0, *size]),
            Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)),
            Contents=pdf.make_stream(f"BT /F1 12 Tf 72 500 Td ({text}) Tj ET".encode("ascii")),
        )
        if rotate:
            page.Rotate = rotate
        pdf.pages.append(pikepdf.Page(pdf.make_indirect(page)))
    buffer = io.BytesIO()
    pdf.save(buffer)
    return buffer.getvalue()


def parcel(
    texts: list[str],
    name: str = "Alex Example",
    document: str = "invitation",
    *,
    person: str = "p-alex",
    pdf: bytes | None = None,
    via: str | None = None,
    **kwargs: object,
) -> Parcel:
    return Parcel(
        conference="CPC-2026-0412",
        document=document,
        edition="original",
        via=via,
        destination=Destination(
            channel="post",
            folder=person,
            name=name,
            address_lines=("1 High Street", "Townsville"),
            postcode="AB1 2CD",
        ),
        files=((f"{document}.pdf", pdf if pdf is not None else pdf_of(texts, **kwargs)),),  # type: ignore[arg-type]
    )


@functools.cache
def _composer() -> Composer:
    return Composer.at()


def mark(reference: str, name: str) -> str:
    words = _composer().environment.get_template("_words.html").module
    return str(words.envelope_mark(reference, name))  # type: ignore[attr-defined]


def envelope_of(*parcels: Parcel, batch: str = "b", covering: list[str] | None = None) -> Envelope:
    """Packed as the run packs them: for the first parcel's person, every page marked."""
    key = key_of(parcels[0])
    reference = envelope_reference(batch, key)
    marks = {mark(reference, name) for name in names_marked(key, parcels)}
    with EnvelopeStamper(marks, DEFAULT_TEMPLATES) as stamper:
        return pack(
            key,
            parcels,
            reference=reference,
            covering_letter=pdf_of(covering or [f"covering letter for {key.name}"]),
            mark_html=lambda name: mark(reference, name),
            inserts=("Child protection conference leaflet",)
            if parcels[0].document == "invitation"
            else (),
            stamper=stamper,
        )


def page_texts(pdf: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [document[i].get_textpage().get_text_range().strip() for i in range(len(document))]
    finally:
        document.close()


def _rows(batch_csv: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(batch_csv)))


@pytest.fixture(scope="module")
def three_envelopes() -> list[Envelope]:
    return [
        envelope_of(parcel(["one-p1"], name="Alex Example", person="p-alex")),
        envelope_of(parcel(["two-p1", "two-p2", "two-p3"], "Sam Sample", "record", person="p-sam")),
        envelope_of(
            parcel(["three-p1", "three-p2"], "Jo Bloggs", "decision_letter", person="p-jo"),
            parcel(["three-plan"], "Jo Bloggs", "outline_plan", person="p-jo"),
        ),
    ]


def test_each_part_of_each_envelope_starts_on_a_fresh_sheet_in_the_given_order(
    three_envelopes: list[Envelope],
) -> None:
    batch = build_batch(three_envelopes, "2026-12-14-1", NAMES)
    # The page's own words (first line), the padding blank pages have only the envelope's mark.
    firsts = [text.splitlines()[0] for text in page_texts(batch.pdf)]
    assert firsts == [
        "covering letter for Alex Example", firsts[1], "one-p1", firsts[3],
        "covering letter for Sam Sample", firsts[5], "two-p1", "two-p2", "two-p3", firsts[9],
        "covering letter for Jo Bloggs", firsts[11], "three-p1", "three-p2", "three-plan",
        firsts[15],
    ]  # fmt: skip
    assert all(firsts[i].startswith("Envelope ") for i in (1, 3, 5, 9, 11, 15))
    assert (batch.envelopes, batch.pages, batch.sheets) == (3, 16, 8)


def test_every_page_says_whose_envelope_it_goes_in(three_envelopes: list[Envelope]) -> None:
    batch = build_batch(three_envelopes, "b", NAMES)
    texts = page_texts(batch.pdf)
    owners = ["Alex Example"] * 4 + ["Sam Sample"] * 6 + ["Jo Bloggs"] * 6
    for text, owner, envelope in zip(
        texts, owners, [e for e in three_envelopes for _ in range(e.pages)], strict=True
    ):
        assert f"Envelope {envelope.reference}, for {owner} only." in text
        assert all(other not in text for other in set(owners) - {owner})


def test_the_post_room_list_has_one_row_per_envelope_saying_what_goes_in_it(
    three_envelopes: list[Envelope],
) -> None:
    rows = _rows(build_batch(three_envelopes, "2026-12-14-1", NAMES).post_room_list_csv)
    assert [(r["sequence"], r["recipient"], r["enclosures"], r["inserts"]) for r in rows] == [
        ("1", "Alex Example", "covering letter; invitation to the conference",
         "Child protection conference leaflet"),
        ("2", "Sam Sample", "covering letter; record of the conference", ""),
        ("3", "Jo Bloggs", "covering letter; letter about the conference's decisions; "
         "outline child protection plan", ""),
    ]  # fmt: skip
    assert [(r["first_page"], r["pages"], r["sheets"]) for r in rows] == [
        ("1", "4", "2"),
        ("5", "6", "3"),
        ("11", "6", "3"),
    ]
    first = rows[0]
    assert first["batch"] == "2026-12-14-1"
    assert first["envelope"] == three_envelopes[0].reference
    assert first["conference"] == "CPC-2026-0412"
    assert first["address"] == "1 High Street, Townsville"
    assert first["postcode"] == "AB1 2CD"


def test_an_envelope_reference_names_no_one(three_envelopes: list[Envelope]) -> None:
    for envelope in three_envelopes:
        assert len(envelope.reference) == 8 and envelope.reference.isalnum()
        name = envelope.destination.name
        assert not set(name.upper().split()) & {envelope.reference}


def test_the_list_has_a_header_row_and_one_row_per_envelope(
    three_envelopes: list[Envelope],
) -> None:
    lines = build_batch(three_envelopes, "b", NAMES).post_room_list_csv.splitlines()
    assert lines[0] == (
        "sequence,batch,envelope,conference,recipient,address,postcode,first_page,pages,sheets,"
        "enclosures,inserts"
    )
    assert len(lines) == 4


def test_the_same_parcels_give_the_same_bytes() -> None:
    first = build_batch([envelope_of(parcel(["x"]))], "b", NAMES)
    second = build_batch([envelope_of(parcel(["x"]))], "b", NAMES)
    assert first.pdf == second.pdf
    assert first.post_room_list_csv == second.post_room_list_csv


def test_a_padding_page_has_the_size_and_rotation_of_the_parts_last_page() -> None:
    envelope = envelope_of(parcel(["a5"], size=A5, rotate=90))
    with pikepdf.open(io.BytesIO(build_batch([envelope], "b", NAMES).pdf)) as pdf:
        sizes = [tuple(int(v) for v in page.mediabox) for page in pdf.pages]
        rotations = [int(page.obj.get("/Rotate", 0)) for page in pdf.pages]
    assert sizes == [(0, 0, *A4), (0, 0, *A4), (0, 0, *A5), (0, 0, *A5)]
    assert rotations == [0, 0, 90, 90]


def test_nothing_is_removed_from_a_copys_own_pages() -> None:
    # A link annotation and the page's own words both survive packing into the batch.
    source = pikepdf.open(io.BytesIO(pdf_of(["with-a-link", "second"])))
    link = pikepdf.Dictionary(
        Type=pikepdf.Name.Annot,
        Subtype=pikepdf.Name.Link,
        Rect=pikepdf.Array([72, 480, 200, 520]),
        A=pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("https://example.org/")),
    )
    source.pages[0].Annots = source.make_indirect(pikepdf.Array([source.make_indirect(link)]))
    buffer = io.BytesIO()
    source.save(buffer)
    source.close()

    batch = build_batch([envelope_of(parcel([], pdf=buffer.getvalue()))], "b", NAMES)

    with pikepdf.open(io.BytesIO(batch.pdf)) as pdf:
        assert len(pdf.pages) == 4  # the covering letter's sheet, then the copy's: no padding
        annots = pdf.pages[2].obj.Annots
        assert str(annots[0].A.URI) == "https://example.org/"
    assert page_texts(batch.pdf)[2].startswith("with-a-link")


def test_a_spreadsheet_formula_in_a_name_is_kept_as_text() -> None:
    envelope = envelope_of(parcel(["x"], name='=HYPERLINK("http://evil.example")'))
    (row,) = _rows(build_batch([envelope], "b", NAMES).post_room_list_csv)
    assert row["recipient"] == '\'=HYPERLINK("http://evil.example")'


def test_an_empty_batch_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one envelope"):
        build_batch([], "b", NAMES)


def test_an_unreadable_copy_is_named_by_envelope_and_document_not_by_recipient() -> None:
    with pytest.raises(PostBatchError, match=r"envelope [0-9A-F]{8}, record: ") as caught:
        envelope_of(parcel([], "Alex Example", "record", pdf=b"not a pdf"))
    assert "Alex" not in str(caught.value)


def test_the_post_channel_writes_the_list_and_the_batch_and_never_a_loose_copy(
    tmp_path: Path, three_envelopes: list[Envelope]
) -> None:
    channel = PostChannel(tmp_path)
    with pytest.raises(InternalFault, match="envelopes"):
        channel.send([parcel(["loose"])], "b")
    assert not (tmp_path / "post").exists()
    where = channel.send_envelopes(three_envelopes, "b")
    folder = tmp_path / "post"
    assert where == str(folder / "b.pdf")
    rows = _rows((folder / "b.csv").read_text(encoding="utf-8-sig"))
    assert [r["recipient"] for r in rows] == ["Alex Example", "Sam Sample", "Jo Bloggs"]
    assert len(page_texts((folder / "b.pdf").read_bytes())) == 16

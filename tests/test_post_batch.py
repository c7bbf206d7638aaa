"""One batch PDF for the post room: letters in order, each on fresh sheets, and a list that matches it (issue 4)."""

from __future__ import annotations

import csv
import io

import pikepdf
import pypdfium2
import pytest

from pipeline.delivery.post import PostedLetter, build_batch
from pipeline.errors import PostBatchError

A4 = (595, 842)
A5 = (420, 595)


def _pdf(texts: list[str], size: tuple[int, int] = A4, rotate: int = 0) -> bytes:
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


def _letter(
    texts: list[str], name: str = "Alex Example", document: str = "invitation", **kwargs: object
) -> PostedLetter:
    return PostedLetter(
        conference="CPC-2026-0412",
        document=document,
        recipient_name=name,
        address_lines=("1 High Street", "Townsville"),
        postcode="AB1 2CD",
        pdf=_pdf(texts, **kwargs),  # type: ignore[arg-type]
    )


def _page_texts(pdf: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [document[i].get_textpage().get_text_range().strip() for i in range(len(document))]
    finally:
        document.close()


def _rows(batch_csv: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(batch_csv)))


@pytest.fixture(scope="module")
def three_letters() -> list[PostedLetter]:
    return [
        _letter(["one-p1"], name="Alex Example"),  # odd: padded to 2
        _letter(["two-p1", "two-p2", "two-p3"], name="Sam Sample", document="record"),  # 3 → 4
        _letter(["three-p1", "three-p2"], name="Jo Bloggs", document="outline_plan"),  # even: as is
    ]


def test_each_letter_is_padded_to_whole_sheets_in_the_given_order(
    three_letters: list[PostedLetter],
) -> None:
    batch = build_batch(three_letters, "2026-12-14-1")
    expected = ["one-p1", "", "two-p1", "two-p2", "two-p3", "", "three-p1", "three-p2"]
    assert _page_texts(batch.pdf) == expected
    assert (batch.letters, batch.pages, batch.sheets) == (3, 8, 4)


def test_the_post_room_list_matches_the_batch(three_letters: list[PostedLetter]) -> None:
    rows = _rows(build_batch(three_letters, "2026-12-14-1").post_room_list_csv)
    assert [(r["sequence"], r["recipient"], r["document"]) for r in rows] == [
        ("1", "Alex Example", "invitation"),
        ("2", "Sam Sample", "record"),
        ("3", "Jo Bloggs", "outline_plan"),
    ]
    assert [(r["first_page"], r["pages"], r["sheets"]) for r in rows] == [
        ("1", "1", "1"),
        ("3", "3", "2"),
        ("7", "2", "1"),
    ]
    first = rows[0]
    assert first["batch"] == "2026-12-14-1"
    assert first["conference"] == "CPC-2026-0412"
    assert first["address"] == "1 High Street, Townsville"
    assert first["postcode"] == "AB1 2CD"


def test_the_list_has_a_header_row_and_one_row_per_letter(
    three_letters: list[PostedLetter],
) -> None:
    lines = build_batch(three_letters, "b").post_room_list_csv.splitlines()
    assert lines[0] == (
        "sequence,batch,conference,document,recipient,address,postcode,first_page,pages,sheets"
    )
    assert len(lines) == 4


def test_the_same_letters_give_the_same_bytes(three_letters: list[PostedLetter]) -> None:
    first = build_batch(three_letters, "b")
    second = build_batch(list(three_letters), "b")
    assert first.pdf == second.pdf
    assert first.post_room_list_csv == second.post_room_list_csv


def test_a_padding_page_has_the_size_and_rotation_of_the_letters_last_page() -> None:
    batch = build_batch([_letter(["a5"], size=A5, rotate=90), _letter(["a4"])], "b")
    with pikepdf.open(io.BytesIO(batch.pdf)) as pdf:
        sizes = [tuple(int(v) for v in page.mediabox) for page in pdf.pages]
        rotations = [int(page.obj.get("/Rotate", 0)) for page in pdf.pages]
    assert sizes == [(0, 0, *A5), (0, 0, *A5), (0, 0, *A4), (0, 0, *A4)]
    assert rotations == [90, 90, 0, 0]


def test_nothing_is_removed_from_a_letters_own_pages() -> None:
    # A link annotation and the page's own content stream both survive the copy into the batch.
    source = pikepdf.open(io.BytesIO(_pdf(["with-a-link", "second"])))
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
    letter = PostedLetter("CPC-1", "record", "Alex", ("1 Road",), "AB1 2CD", buffer.getvalue())

    batch = build_batch([letter], "b")

    with pikepdf.open(io.BytesIO(batch.pdf)) as pdf:
        assert len(pdf.pages) == 2  # even already: no padding
        annots = pdf.pages[0].obj.Annots
        assert str(annots[0].A.URI) == "https://example.org/"
        assert pdf.pages[0].Contents.read_bytes() == b"BT /F1 12 Tf 72 500 Td (with-a-link) Tj ET"


def test_a_spreadsheet_formula_in_a_name_is_kept_as_text() -> None:
    letter = _letter(["x"], name='=HYPERLINK("http://evil.example")')
    (row,) = _rows(build_batch([letter], "b").post_room_list_csv)
    assert row["recipient"] == '\'=HYPERLINK("http://evil.example")'


def test_an_empty_batch_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one letter"):
        build_batch([], "b")


def test_an_unreadable_letter_is_named_by_place_not_by_recipient() -> None:
    broken = PostedLetter("CPC-1", "record", "Alex Example", ("1 Road",), "AB1", b"not a pdf")
    with pytest.raises(PostBatchError, match=r"letter 2 \(CPC-1, record\)") as caught:
        build_batch([_letter(["ok"]), broken], "b")
    assert "Alex" not in str(caught.value)

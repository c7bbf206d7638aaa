"""The post batch written letter by letter: each envelope on disk before the next is made, the batch read back page for page as its envelopes, and nothing half-written ever in the post room's folder.

Memory is measured by bench/post_batch_memory.py, not here: what is asserted is what the post room
receives (read back with pypdfium2 and pikepdf) and when each envelope reaches the disk.
"""

from __future__ import annotations

import dataclasses
import io
import os
from collections.abc import Iterator
from pathlib import Path

import pikepdf
import pytest

from pipeline.delivery.envelopes import Envelope
from pipeline.delivery.pdf_stream import PdfAppender
from pipeline.delivery.post import build_batch, write_batch
from pipeline.errors import PostBatchError
from tests.test_post_batch import A4, A5, NAMES, envelope_of, page_texts, parcel, pdf_of


@pytest.fixture(scope="module")
def envelopes() -> list[Envelope]:
    return [
        envelope_of(parcel(["alex-1", "alex-2", "alex-3"], "Alex Example", person="p-alex")),
        envelope_of(parcel(["sam-a5"], "Sam Sample", "record", person="p-sam", size=A5, rotate=90)),
        envelope_of(
            parcel(["jo-1", "jo-2"], "Jo Bloggs", "decision_letter", person="p-jo"),
            parcel(["jo-plan"], "Jo Bloggs", "outline_plan", person="p-jo"),
        ),
    ]


def _pages(pdf: bytes) -> list[tuple[tuple[int, ...], int]]:
    """Each page's size and rotation, as a printer reads them."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return [
            (tuple(int(v) for v in page.mediabox), int(page.obj.get("/Rotate", 0)))
            for page in document.pages
        ]


def test_the_batch_holds_every_envelopes_pages_in_order_as_the_envelope_has_them(
    envelopes: list[Envelope],
) -> None:
    batch = build_batch(envelopes, "b", NAMES)
    expected_texts = [text for e in envelopes for text in page_texts(e.pdf)]
    assert page_texts(batch.pdf) == expected_texts
    assert _pages(batch.pdf) == [page for e in envelopes for page in _pages(e.pdf)]
    # Blank padding pages are still there: each part starts on a fresh sheet.
    firsts = [text.splitlines()[0] for text in page_texts(batch.pdf)]
    assert firsts[2:4] == ["alex-1", "alex-2"] and firsts[5].startswith("Envelope ")
    assert (batch.envelopes, batch.pages, batch.sheets) == (3, 16, 8)  # 2 + 4, 2 + 2, 2 + 2 + 2 pages


def test_each_envelope_is_on_disk_before_the_next_is_made(
    tmp_path: Path, envelopes: list[Envelope]
) -> None:
    folder = tmp_path / "post"
    sizes: list[int] = []

    def made_one_at_a_time() -> Iterator[Envelope]:
        for envelope in envelopes:
            # What the post room has written so far, when it asks for the next envelope.
            partial = list(folder.glob(".b.pdf.*.tmp")) if folder.exists() else []
            sizes.append(partial[0].stat().st_size if partial else 0)
            yield envelope

    write_batch(made_one_at_a_time(), folder, "b", NAMES)
    # Each envelope asked for after the one before it was written: the partial batch grew by
    # at least that envelope's page content each time.
    assert sizes[0] == 0
    assert sizes[1] > 10_000 and sizes[2] > sizes[1] + 10_000


def test_the_same_envelopes_give_the_same_bytes_and_another_batch_another_id(
    envelopes: list[Envelope],
) -> None:
    first = build_batch(envelopes, "b", NAMES).pdf
    assert build_batch(envelopes, "b", NAMES).pdf == first
    other = build_batch(envelopes[:2], "b", NAMES).pdf
    with pikepdf.open(io.BytesIO(first)) as one, pikepdf.open(io.BytesIO(other)) as two:
        assert bytes(one.trailer.ID[0]) != bytes(two.trailer.ID[0])
        assert len(bytes(one.trailer.ID[0])) == 16


def test_only_the_list_and_the_batch_are_left_and_only_the_service_may_read_them(
    tmp_path: Path, envelopes: list[Envelope]
) -> None:
    folder = tmp_path / "post"
    written = write_batch(envelopes, folder, "b", NAMES)
    assert sorted(p.name for p in folder.iterdir()) == ["b.csv", "b.pdf"]
    assert written.pdf == folder / "b.pdf" and written.post_room_list == folder / "b.csv"
    for path in (written.pdf, written.post_room_list):
        assert os.stat(path).st_mode & 0o777 == 0o600
    assert (folder / "b.csv").read_bytes().startswith(b"\xef\xbb\xbfsequence,batch,")
    assert page_texts(written.pdf.read_bytes()) == page_texts(build_batch(envelopes, "b", NAMES).pdf)


def test_an_envelope_refused_half_way_leaves_the_batch_written_before_as_it_was(
    tmp_path: Path, envelopes: list[Envelope]
) -> None:
    folder = tmp_path / "post"
    write_batch(envelopes[:1], folder, "b", NAMES)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    broken = dataclasses.replace(envelopes[2], pages=envelopes[2].pages + 2)

    with pytest.raises(PostBatchError, match=r"envelope 3 \([0-9A-F]{8}, CPC-2026-0412\): the PDF "
                       "is not the whole sheets"):  # fmt: skip
        write_batch([*envelopes[:2], broken], folder, "b", NAMES)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_a_refused_batch_makes_no_post_folder(tmp_path: Path, envelopes: list[Envelope]) -> None:
    unreadable = dataclasses.replace(envelopes[0], pdf=b"not a pdf")
    with pytest.raises(PostBatchError, match="cannot be read"):
        write_batch([unreadable], tmp_path / "outbox" / "post", "b", NAMES)
    assert list(tmp_path.iterdir()) == []


def test_what_a_killed_writer_left_is_cleared_by_the_next(
    tmp_path: Path, envelopes: list[Envelope]
) -> None:
    folder = tmp_path / "post"
    folder.mkdir()
    for stale in (".b.pdf.x1y2.tmp", ".b.csv.x1y2.tmp"):
        (folder / stale).write_bytes(b"half a batch")
    write_batch(envelopes, folder, "b", NAMES)
    assert sorted(p.name for p in folder.iterdir()) == ["b.csv", "b.pdf"]


def test_a_page_that_inherits_its_size_rotation_and_font_keeps_them(tmp_path: Path) -> None:
    # Everything but the page's contents is on the page tree above it, as some writers put it.
    source = pikepdf.open(io.BytesIO(pdf_of(["inherits", "second"], size=A5)))
    tree = source.Root.Pages
    tree.MediaBox = pikepdf.Array([0, 0, *A5])
    tree.Rotate = 180
    tree.Resources = source.pages[0].obj.Resources
    for page in source.pages:
        for key in ("/MediaBox", "/Resources"):
            del page.obj[key]
    out = io.BytesIO()
    appender = PdfAppender(out)
    with pikepdf.open(io.BytesIO(pdf_of(["first", "page"], size=A4))) as first:
        appender.append(first, "first")
    appender.append(source, "second")
    appender.finish()
    source.close()

    assert _pages(out.getvalue()) == [((0, 0, *A4), 0)] * 2 + [((0, 0, *A5), 180)] * 2
    assert page_texts(out.getvalue()) == ["first", "page", "inherits", "second"]


def test_a_page_pointing_at_its_documents_catalog_is_refused_not_copied_whole() -> None:
    with pikepdf.open(io.BytesIO(pdf_of(["x", "y"]))) as source:
        source.pages[0].obj.Odd = source.Root
        with pytest.raises(PostBatchError, match="envelope 1: a page refers to its document"):
            PdfAppender(io.BytesIO()).append(source, "envelope 1")


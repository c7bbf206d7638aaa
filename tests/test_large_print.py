"""Large print everywhere in the copy: every line a large-print reader reads is at the large-print
size, in the PDF and in the DOCX (issue 16 part 6; R81: 000 §4.14.9, 002 §22.15, help arranged
where a parent has a sensory disability). The issue found the body at 16 pt but the
confidentiality notice at 7.5 pt and the footer at 8 pt.

The large-print size is the body's: 16 pt (`body.large` in templates/_style.css;
`pipeline.rendering.docx.LARGE_PT`). Two things on a page are not the reader's and keep the size
the post needs: the address in the envelope's window (page 1 of a posted letter: its seven lines
must fit the window, 13 pt for five lines or fewer, 10 pt for more; `_page_one.css`), and the
envelope's mark at the foot of a posted page, for the post room.

The sizes are read back from what is sent: each PDF character's size as drawn (pypdfium2: the
font size times the scale it is drawn at), and each DOCX run's size as Word resolves it (the
run, its paragraph's style and the styles it is based on, the document defaults).
"""

from __future__ import annotations

import ctypes
import io
import math
import re
import zipfile
from collections.abc import Iterator

import pypdfium2
import pypdfium2.raw as pdfium_c
import pytest
from lxml import etree

from pipeline.checking.letter_rules import (
    WINDOW_BOTTOM_MM,
    WINDOW_LEFT_MM,
    WINDOW_RIGHT_MM,
    WINDOW_TOP_MM,
)
from tests.documents_sent import KINDS, Delivered, documents_sent

LARGE_PT = (
    16.0  # templates/_style.css `body.large { font-size: 16pt }`, read as the reader reads it
)
MM = 72 / 25.4
ENVELOPE_MARK_TOP_MM = 9.0  # the envelope's mark: 5 mm from the foot, one 7.5 pt line
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@pytest.fixture(scope="module")
def large() -> tuple[Delivered, ...]:
    return tuple(d for d in documents_sent() if d.large_print)


def _pdf_chars(pdf: bytes) -> Iterator[tuple[int, str, float, tuple[float, float, float, float]]]:
    """(page, character, size in pt as drawn, box in mm from the page's top-left) for each
    character printed."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        for number in range(len(document)):
            page = document[number]
            height = page.get_height()
            text = page.get_textpage()
            for i in range(text.count_chars()):
                char = chr(pdfium_c.FPDFText_GetUnicode(text.raw, i))
                if not char.strip():
                    continue
                matrix = pdfium_c.FS_MATRIX()
                pdfium_c.FPDFText_GetMatrix(text.raw, i, ctypes.byref(matrix))
                scale = math.sqrt(abs(matrix.a * matrix.d - matrix.b * matrix.c))
                size = pdfium_c.FPDFText_GetFontSize(text.raw, i) * scale
                left, right, bottom, top = (ctypes.c_double() for _ in range(4))
                pdfium_c.FPDFText_GetCharBox(
                    text.raw, i, *(ctypes.byref(v) for v in (left, right, bottom, top))
                )
                box = (
                    left.value / MM,
                    (height - top.value) / MM,
                    right.value / MM,
                    (height - bottom.value) / MM,
                )
                yield number, char, size, box
    finally:
        document.close()


def _for_the_post(number: int, box: tuple[float, float, float, float]) -> bool:
    left, top, right, bottom = box
    in_window = (
        number == 0
        and left >= WINDOW_LEFT_MM
        and right <= WINDOW_RIGHT_MM
        and top >= WINDOW_TOP_MM
        and bottom <= WINDOW_BOTTOM_MM
    )
    return in_window or top >= 297 - ENVELOPE_MARK_TOP_MM


def test_every_kind_is_here_in_large_print(large: tuple[Delivered, ...]) -> None:
    assert {d.kind for d in large} >= set(KINDS) - {"handover_sheet"}


def test_every_line_of_a_large_print_pdf_is_at_the_large_size(large: tuple[Delivered, ...]) -> None:
    for item in large:
        small: dict[float, str] = {}
        for number, char, size, box in _pdf_chars(item.pdf):
            if size < LARGE_PT - 0.01 and not _for_the_post(number, box):
                small[round(size, 1)] = small.get(round(size, 1), "") + char
        assert small == {}, item.label


def test_the_footer_and_the_readers_marks_are_read_back_at_the_large_size(
    large: tuple[Delivered, ...],
) -> None:
    # What the issue found small, found here at the large size (so the test above has them
    # to check): the page numbers on every copy, the marks on a record.
    record = next(d for d in large if d.kind == "record")
    text = {True: "", False: ""}
    for _, char, size, _ in _pdf_chars(record.pdf):
        text[size >= LARGE_PT - 0.01] += char
    assert "Page1of" in text[True] and "Copyfor" in text[True] and "Confidential" in text[True]


def _styles(docx: bytes) -> tuple[dict[str, etree._Element], int | None]:
    with zipfile.ZipFile(io.BytesIO(docx)) as package:
        styles = etree.fromstring(package.read("word/styles.xml"))
    by_id = {s.get(f"{W}styleId"): s for s in styles.iter(f"{W}style")}
    default = styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}sz")
    return by_id, int(default.get(f"{W}val")) if default is not None else None


def _style_size(styles: dict[str, etree._Element], style_id: str | None) -> int | None:
    seen = set()
    while style_id is not None and style_id in styles and style_id not in seen:
        seen.add(style_id)
        style = styles[style_id]
        sz = style.find(f"{W}rPr/{W}sz")
        if sz is not None:
            return int(sz.get(f"{W}val"))
        based = style.find(f"{W}basedOn")
        style_id = based.get(f"{W}val") if based is not None else None
    return None


def _docx_runs(docx: bytes) -> Iterator[tuple[str, str, float]]:
    """(part, text, size in pt as Word resolves it) for each run with text, body and footers."""
    styles, default = _styles(docx)
    with zipfile.ZipFile(io.BytesIO(docx)) as package:
        parts = [
            n for n in package.namelist() if re.fullmatch(r"word/(document|footer\d+)\.xml", n)
        ]
        for part in parts:
            root = etree.fromstring(package.read(part))
            for paragraph in root.iter(f"{W}p"):
                style = paragraph.find(f"{W}pPr/{W}pStyle")
                p_size = _style_size(
                    styles, style.get(f"{W}val") if style is not None else "Normal"
                )
                for run in paragraph.iter(f"{W}r"):
                    text = "".join(t.text or "" for t in run.iter(f"{W}t"))
                    if not text.strip():
                        continue
                    sz = run.find(f"{W}rPr/{W}sz")
                    half_points = int(sz.get(f"{W}val")) if sz is not None else p_size or default
                    assert half_points is not None, (part, text)
                    yield part, text, half_points / 2


def test_every_run_of_a_large_print_docx_is_at_the_large_size(large: tuple[Delivered, ...]) -> None:
    checked = 0
    for item in large:
        if item.docx is None:
            continue
        small = [
            (part, text, size) for part, text, size in _docx_runs(item.docx) if size < LARGE_PT
        ]
        assert small == [], item.label
        checked += 1
    assert checked >= len(KINDS) - 3  # every copy laid out by the renderer has its DOCX


def test_the_docx_footer_is_the_standard_size_in_standard_print() -> None:
    # The same resolution reads the standard copy's footer small: the test above can fail.
    record = next(d for d in documents_sent() if d.kind == "record" and not d.large_print)
    assert record.docx is not None
    footer = [size for part, _, size in _docx_runs(record.docx) if "footer" in part]
    assert footer and max(footer) < LARGE_PT

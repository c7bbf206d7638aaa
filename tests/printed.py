"""What a reader of a PDF sees: the characters inside each page, and the font each is drawn in.

pypdfium2 reads the text with each character's box, so text laid out beyond the page's edge (which
a viewer or printer cuts) is told apart from text on the page (issue 10 §5).
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass

import pypdfium2
import pypdfium2.raw as pdfium_c

# A glyph's box may reach a little past its advance (italic overhang, a mark's tail); the page
# edge is what matters, so a hair's tolerance in points.
TOLERANCE_PT = 0.5


@dataclass(frozen=True, slots=True)
class PrintedChar:
    char: str
    font: str  # the PDF font's name without its subset tag, e.g. "Noto-Sans-Bengali"
    on_page: bool


def printed_chars(pdf: bytes) -> list[list[PrintedChar]]:
    """Every character of every page, in reading order, with its font and whether it is on the page."""
    document = pypdfium2.PdfDocument(pdf)
    pages = []
    try:
        for index in range(len(document)):
            page = document[index]
            width, height = page.get_size()
            text = page.get_textpage()
            buffer = ctypes.create_string_buffer(512)
            flags = ctypes.c_int()
            chars = []
            for i in range(text.count_chars()):
                code = pdfium_c.FPDFText_GetUnicode(text.raw, i)
                pdfium_c.FPDFText_GetFontInfo(text.raw, i, buffer, 512, ctypes.byref(flags))
                left, right, bottom, top = (ctypes.c_double() for _ in range(4))
                pdfium_c.FPDFText_GetCharBox(
                    text.raw, i, ctypes.byref(left), ctypes.byref(right),
                    ctypes.byref(bottom), ctypes.byref(top),
                )  # fmt: skip
                on_page = (
                    left.value >= -TOLERANCE_PT
                    and right.value <= width + TOLERANCE_PT
                    and bottom.value >= -TOLERANCE_PT
                    and top.value <= height + TOLERANCE_PT
                )
                font = buffer.value.decode("latin-1").split("+", 1)[-1]
                if 0xDC00 <= code <= 0xDFFF and chars and "\ud800" <= chars[-1].char <= "\udbff":
                    # pdfium counts UTF-16 units: an emoji comes as two halves; join them.
                    high = chars.pop()
                    joined = chr(0x10000 + ((ord(high.char) - 0xD800) << 10) + (code - 0xDC00))
                    chars.append(PrintedChar(joined, high.font, high.on_page and on_page))
                else:
                    chars.append(PrintedChar(chr(code), font, on_page))
            pages.append(chars)
    finally:
        document.close()
    return pages


def text_on_pages(pdf: bytes) -> str:
    """The text a reader sees: characters inside the page, pages joined by a line break."""
    return "\n".join("".join(c.char for c in page if c.on_page) for page in printed_chars(pdf))


def off_page(pdf: bytes) -> str:
    """Characters laid out beyond a page's edge: cut off, never read."""
    return "".join(c.char for page in printed_chars(pdf) for c in page if not c.on_page)

"""Small precompiled letters for the Notify tests, drawn in PDF operators: one that keeps Notify's rules (A4, the address in the window, nothing in the margins), one that does not.

Fictional addresses only. The layout is not the point of these tests (the real layout is tested
through `cpc distribute`); what the double says of a letter is.
"""

from __future__ import annotations

import io

import pikepdf

MM = 72 / 25.4
A4 = (210 * MM, 297 * MM)


def _text(x_mm: float, top_mm: float, words: str, size: float = 10) -> str:
    safe = words.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return f"BT /F1 {size} Tf {x_mm * MM:.2f} {A4[1] - top_mm * MM:.2f} Td ({safe}) Tj ET\n"


def letter_pdf(address: tuple[str, ...], *, ink_in_margin: bool = False, pages: int = 1) -> bytes:
    pdf = pikepdf.Pdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
        )
    )
    for number in range(pages):
        ops = ""
        if number == 0:
            ops += "".join(_text(27, 44 + 4.5 * i, line) for i, line in enumerate(address))
        ops += _text(20, 110, f"Child protection conference: page {number + 1}")
        if ink_in_margin:
            ops += _text(2, 150, "A note in the margin")
        page = pdf.add_blank_page(page_size=A4)
        page.obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
        page.obj.Contents = pdf.make_stream(ops.encode("latin-1"))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


ADDRESS = ("Sam Example", "1 Fictional Road", "Exampletown", "CF99 4AB")

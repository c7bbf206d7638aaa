"""GOV.UK Notify's precompiled-letter rules (`pipeline.checking.letter_rules`), on hand-made letters.

Each letter is a tiny HTML page laid out by WeasyPrint with every block placed absolutely in mm,
so a test says where the ink is, not what the checker found. One letter keeps every rule; each
other breaks one rule once, and the checker must name that rule (Notify's code) and no other.
"""

from __future__ import annotations

import pikepdf
import pytest
from weasyprint import HTML

from pipeline.checking.letter_rules import (
    address_in_window,
    enclosure_problems,
    is_uk_postcode,
    letter_problems,
)

# A fictional address with a real-format postcode (Notify checks the area: NB is none)
ADDRESS = ("Ms Alex Example", "1 Fictional Row", "Northby", "LS1 1AA")


def _block(left: float, top: float, text: str, size: float = 10) -> str:
    return (
        f'<div style="position:absolute; left:{left}mm; top:{top}mm; font-size:{size}pt;'
        f' line-height:1.15">{text}</div>'
    )


def _letter(
    *,
    address: tuple[str, ...] = ADDRESS,
    address_size: float = 9,
    extra_first: str = "",
    later_pages: tuple[str, ...] = (),
    page: str = "A4",
) -> bytes:
    """A letter: logo top-left, sender block right, address in the window, body at 100 mm."""
    first = "".join(
        [
            _block(20, 10, "Northby Council logo", 14),
            _block(130, 35, "Children's Services<br>Town Hall<br>Northby NB1 1AA", 9),
            _block(26, 40, "<br>".join(address), address_size),
            _block(20, 100, "Dear Ms Example, this is the body of the letter."),
            extra_first,
        ]
    )
    pages = [first, *later_pages]
    html = "".join(
        f'<section style="position:relative; height:297mm; break-after:page">{content}</section>'
        for content in pages
    )
    style = f"@page {{ size: {page}; margin: 0 }} body {{ margin: 0; font-family: sans-serif }}"
    return HTML(string=f"<style>{style}</style>{html}").write_pdf()


def _codes(pdf: bytes) -> dict[str, tuple[int, ...]]:
    return {problem.code: problem.pages for problem in letter_problems(pdf)}


def test_a_letter_that_keeps_every_rule_passes() -> None:
    pdf = _letter(later_pages=(_block(20, 20, "Page two of the letter."),))
    assert letter_problems(pdf) == ()
    assert address_in_window(pdf) == ADDRESS


@pytest.mark.parametrize(
    ("where", "page"),
    [
        (_block(5, 150, "in the left margin"), 1),  # x < 15 mm
        (_block(196, 150, "R"), 1),  # x > 195 mm
        (_block(40, 293, "in the bottom margin", 6), 1),  # y > 292 mm
        (_block(16, 50, "X"), 1),  # page 1: left of the window, below the logo area
        (_block(60, 80, "between the window and the body"), 1),
        (_block(123.2, 50, "I"), 1),  # page 1: between the window and the sender block
    ],
)
def test_ink_outside_the_printable_area_is_found(where: str, page: int) -> None:
    assert _codes(_letter(extra_first=where)) == {"content-outside-printable-area": (page,)}


def test_ink_in_a_later_page_margin_is_found_on_that_page() -> None:
    pdf = _letter(later_pages=(_block(20, 20, "ok"), _block(20, 1, "in the top margin", 8)))
    assert _codes(pdf) == {"content-outside-printable-area": (3,)}


def test_a_later_page_may_print_where_page_one_may_not() -> None:
    # 80 mm from the top, left of the window: forbidden on page 1, body on page 2
    pdf = _letter(later_pages=(_block(16, 50, "X"),))
    assert letter_problems(pdf) == ()


def test_ink_in_notifys_tag_corner_is_found_on_every_page() -> None:
    tag = _block(1, 1, "TAG", 8)
    codes = _codes(_letter(extra_first=tag, later_pages=(tag,)))
    assert codes["notify-tag-found-in-content"] == (1, 2)


def test_a_page_that_is_not_a4_portrait_is_found() -> None:
    pdf = _letter(page="A4 landscape")
    assert "letter-not-a4-portrait-oriented" in _codes(pdf)
    assert _codes(_letter(page="letter"))["letter-not-a4-portrait-oriented"] == (1,)


def test_more_than_ten_pages_is_too_long() -> None:
    pdf = _letter(later_pages=tuple(_block(20, 20, f"page {n}") for n in range(2, 12)))
    assert _codes(pdf) == {"letter-too-long": (11,)}


@pytest.mark.parametrize(
    ("address", "code"),
    [
        (("Ms Alex Example", "LS1 1AA"), "not-enough-address-lines"),
        (("A", "B", "C", "D", "E", "F", "G", "LS1 1AA"), "too-many-address-lines"),
        (("Ms Alex Example", "1 Fictional Row", "Northby"), "not-a-real-uk-postcode"),
        (("Ms Alex Example", "1 Fictional Row", "QQ1 1AA"), "not-a-real-uk-postcode"),
        (("Ms Alex Example", "(1) Fictional Row", "LS1 1AA"), "invalid-char-in-address"),
        (("Ms Alex Example", "1 Fictional Row", "=Northby", "LS1 1AA"), "invalid-char-in-address"),
        (("Ms Alex Example", "---", "LS1 1AA"), "invalid-address-line-1-or-2"),
    ],
)
def test_an_address_that_breaks_notifys_rules_is_found(
    address: tuple[str, ...], code: str
) -> None:
    # 7 pt, so that eight lines still fit in the window and only the count is wrong
    assert _codes(_letter(address=address, address_size=7)) == {code: (1,)}


def test_seven_lines_fit_the_window_and_are_read_back() -> None:
    seven = ("Mx Sam Example", "Flat 2", "3 Fictional Court", "Long Lane", "Eastside",
             "Northby", "LS1 1AA")
    pdf = _letter(address=seven)
    assert letter_problems(pdf) == ()
    assert address_in_window(pdf) == seven


def test_an_address_drawn_as_a_picture_is_not_an_address() -> None:
    # The window's ink is a shape, not text: Notify cannot read it, so the letter has no address.
    box = '<div style="position:absolute; left:30mm; top:45mm; width:40mm; height:10mm; background:#000"></div>'
    assert _codes(_letter(address=(), extra_first=box)) == {"address-is-empty": (1,)}


def test_an_enclosure_is_held_to_the_margins_only() -> None:
    pdf = _letter(address=(), extra_first=_block(16, 50, "X"))
    assert enclosure_problems(pdf) == ()
    margin = _letter(address=(), extra_first=_block(5, 150, "in the margin"))
    assert [p.code for p in enclosure_problems(margin)] == ["content-outside-printable-area"]


def test_a_file_that_is_not_a_pdf_is_unreadable() -> None:
    assert [p.code for p in letter_problems(b"%PDF-1.7 not really")] == ["unable-to-read-the-file"]


def test_a_page_turned_a_quarter_is_judged_as_shown() -> None:
    pdf = _letter()
    with pikepdf.open(__import__("io").BytesIO(pdf)) as document:
        document.pages[0].Rotate = 90
        out = __import__("io").BytesIO()
        document.save(out)
    assert "letter-not-a4-portrait-oriented" in _codes(out.getvalue())


@pytest.mark.parametrize(
    ("text", "real"),
    [
        ("NB1 1AA", False),  # NB is not a UK postcode area (a fictional town's code)
        ("SW1A 1AA", True),
        ("sw1a1aa", True),  # Notify normalises case and spaces
        ("  EC1A   1BB ", True),
        ("GIR 0AA", False),  # GIR is listed as an area, but GIR0AA lacks the digit pattern
        ("M1 1AE", True),
        ("SW1A 1CA", False),  # C is not allowed in the last two letters
        ("NORTHBY", False),
    ],
)
def test_postcodes_as_notify_reads_them(text: str, real: bool) -> None:
    assert is_uk_postcode(text) is real

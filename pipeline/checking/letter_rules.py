"""A letter's PDF bytes → the ways it breaks GOV.UK Notify's rules for precompiled letters (none when it may be posted).

Source: GOV.UK Notify's own validator and published specification, which are DVLA's print rules:
alphagov/notifications-template-preview `app/precompiled.py` (page size, printable areas, the
address window, the NOTIFY tag, the error codes) and alphagov/notifications-utils
`notifications_utils/recipient_validation/postal_address.py` (address lines, postcode),
`notifications_utils/countries/_data/uk-postcode-zones.txt` (postcode areas) and
`notifications_utils/__init__.py` (`LETTER_MAX_PAGE_COUNT`).

As Notify does, each page is rasterised, the areas where printing is allowed are painted white
(each 1 mm more generous, Notify's allowance for anti-aliasing), and any ink left is content
outside the printable area. The address is read back as text from the window on page 1. Unlike
Notify, which stops at its first finding, every finding is reported, so one render shows them all.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import pypdfium2
from PIL import Image, ImageDraw

# Geometry in mm from the page's top-left corner: app/precompiled.py, constants at the top.
A4_WIDTH_MM = 210.0
A4_HEIGHT_MM = 297.0
_A4_TOLERANCE_MM = 2.0  # _is_page_A4_portrait: math.isclose(..., abs_tol=2)
MARGIN_SIDE_MM = 15.0  # BORDER_LEFT_FROM_LEFT_OF_PAGE; right is A4_WIDTH - 15
MARGIN_TOP_BOTTOM_MM = 5.0  # BORDER_TOP_FROM_TOP_OF_PAGE; bottom is A4_HEIGHT - 5
BODY_TOP_MM = 95.0  # BODY_TOP_FROM_TOP_OF_PAGE
SENDER_BLOCK_LEFT_MM = 125.0  # SERVICE_ADDRESS_LEFT_FROM_LEFT_OF_PAGE, down to BODY_TOP
LOGO_BOTTOM_MM = 30.0  # LOGO_BOTTOM_FROM_TOP_OF_PAGE (logo spans the margin to SENDER_BLOCK_LEFT)
WINDOW_LEFT_MM = 24.6  # ADDRESS_LEFT_FROM_LEFT_OF_PAGE
WINDOW_RIGHT_MM = 120.0  # ADDRESS_RIGHT_FROM_LEFT_OF_PAGE
WINDOW_TOP_MM = 39.5  # ADDRESS_TOP_FROM_TOP_OF_PAGE
WINDOW_BOTTOM_MM = 66.3  # ADDRESS_BOTTOM_FROM_TOP_OF_PAGE
TAG_WIDTH_MM = 15.191  # NOTIFY_TAG_BOUNDING_BOX_WIDTH: Notify prints its own tag here
TAG_HEIGHT_MM = 6.149  # NOTIFY_TAG_BOUNDING_BOX_HEIGHT
_GENEROSITY_MM = 1.0  # _overlay_printable_areas_with_white: "subtracts/adds 1mm"
# ADDRESS_BOUNDING_BOX: Notify reads the address from the window widened by 3 mm each way.
_WINDOW_READ_MARGIN_MM = 3.0

MAX_PAGES = 10  # notifications_utils LETTER_MAX_PAGE_COUNT
MIN_ADDRESS_LINES = 3  # PostalAddress.MIN_LINES
MAX_ADDRESS_LINES = 7  # PostalAddress.MAX_LINES
# PostalAddress.INVALID_CHARACTERS_AT_START_OF_ADDRESS_LINE
_BAD_FIRST_CHARACTERS = tuple('@()=[]"\\/,<>~')
# uk-postcode-zones.txt, and _is_a_real_uk_postcode's pattern after normalise_postcode (no
# whitespace, upper case).
_POSTCODE_AREA_NAMES = (
    "AB AL B BA BB BD BF BH BL BN BR BS BT BX CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN "
    "DT DY E EC EH EN EX FK FY G GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW KY L GIR "
    "LA LD LE LL LN LS LU M ME MK ML N NE NG NN NP NR NW OL OX PA PE PH PL PO PR RG RH RM S SA SE "
    "SG SK SL SM SN SO SP SR SS ST SW SY TA TD TF TN TQ TR TS TW UB W WA WC WD WF WN WR WS WV YO ZE"
)
_POSTCODE_AREAS = _POSTCODE_AREA_NAMES.split()
_UK_POSTCODE = re.compile(
    rf"(({'|'.join(_POSTCODE_AREAS)})[0-9][0-9A-Z]?[0-9][A-BD-HJLNP-UW-Z]{{2}})"
)

# Rasterising: 100 dpi shows a 0.25 mm mark (a full stop at 10 pt) as at least one pixel, and
# an A4 page is 0.8 million pixels. Ink is any pixel darker than this grey level (0 black, 255
# white): light enough to catch pale grey text, dark enough that a renderer's near-white
# smoothing at a glyph's edge inside the 1 mm allowance is not counted.
_DPI = 100
_INK_BELOW = 230

_MM_PER_POINT = 25.4 / 72


@dataclass(frozen=True, slots=True)
class LetterProblem:
    """One way a letter breaks the rules: Notify's code, the pages it is on, and what it means."""

    code: str  # Notify's own validation code (each is cited where it is made below)
    pages: tuple[int, ...]  # 1-based pages it was found on
    message: str  # plain words for a person


@dataclass(frozen=True, slots=True)
class _Box:
    """A rectangle in mm from the page's top-left corner."""

    left: float
    top: float
    right: float
    bottom: float

    def widened(self, by: float) -> _Box:
        return _Box(self.left - by, self.top - by, self.right + by, self.bottom + by)


_TAG = _Box(0.0, 0.0, TAG_WIDTH_MM, TAG_HEIGHT_MM)
_WINDOW = _Box(WINDOW_LEFT_MM, WINDOW_TOP_MM, WINDOW_RIGHT_MM, WINDOW_BOTTOM_MM)
_RIGHT_EDGE = A4_WIDTH_MM - MARGIN_SIDE_MM
_BOTTOM_EDGE = A4_HEIGHT_MM - MARGIN_TOP_BOTTOM_MM
# _overlay_printable_areas_of_address_block_page_with_white: body, sender block, logo, window.
_FIRST_PAGE_AREAS = (
    _Box(MARGIN_SIDE_MM, BODY_TOP_MM, _RIGHT_EDGE, _BOTTOM_EDGE),
    _Box(SENDER_BLOCK_LEFT_MM, MARGIN_TOP_BOTTOM_MM, _RIGHT_EDGE, BODY_TOP_MM),
    _Box(MARGIN_SIDE_MM, MARGIN_TOP_BOTTOM_MM, SENDER_BLOCK_LEFT_MM, LOGO_BOTTOM_MM),
    _WINDOW,
)
# _overlay_printable_areas_with_white: every later page (and every page of an enclosure).
_LATER_PAGE_AREAS = (_Box(MARGIN_SIDE_MM, MARGIN_TOP_BOTTOM_MM, _RIGHT_EDGE, _BOTTOM_EDGE),)


def letter_problems(pdf: bytes) -> tuple[LetterProblem, ...]:
    """Every rule of Notify's the letter breaks, in Notify's order of checking; () when it may be posted."""
    return _problems(pdf, has_address_page=True)


def enclosure_problems(pdf: bytes) -> tuple[LetterProblem, ...]:
    """As `letter_problems`, for pages posted behind a covering letter: no address page, so every
    page is held to the margins only (Notify's `is_an_attachment`)."""
    return _problems(pdf, has_address_page=False)


def address_in_window(pdf: bytes) -> tuple[str, ...]:
    """The text lines in page 1's address window, as Notify reads them (empty lines left out)."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        return _window_lines(document[0]) if len(document) else ()
    finally:
        document.close()


def has_ink(pdf: bytes, page: int, box: tuple[float, float, float, float]) -> bool:
    """Whether anything is printed in `box` (left, top, right, bottom, in mm from the top-left
    corner) on the 1-based `page`, as Notify's rasterised check would see it."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        return _has_ink(_page_image(document[page - 1]), _Box(*box))
    finally:
        document.close()


def _problems(pdf: bytes, *, has_address_page: bool) -> tuple[LetterProblem, ...]:
    try:
        document = pypdfium2.PdfDocument(pdf)
    except pypdfium2.PdfiumError:
        # sanitise_file_contents: any PdfReadError becomes "unable-to-read-the-file".
        return (LetterProblem("unable-to-read-the-file", (), "The file cannot be read as a PDF."),)
    try:
        return tuple(_document_problems(document, has_address_page=has_address_page))
    finally:
        document.close()


def _document_problems(
    document: pypdfium2.PdfDocument, *, has_address_page: bool
) -> list[LetterProblem]:
    problems: list[LetterProblem] = []
    count = len(document)
    if count > MAX_PAGES:
        # sanitise_file_contents: "letter-too-long" when page_count > LETTER_MAX_PAGE_COUNT.
        problems.append(
            LetterProblem(
                "letter-too-long",
                tuple(range(MAX_PAGES + 1, count + 1)),
                f"The letter has {count} pages; Notify posts at most {MAX_PAGES}.",
            )
        )
    not_a4 = tuple(n for n in range(1, count + 1) if not _is_a4_portrait(document[n - 1]))
    if not_a4:
        # get_invalid_pages_with_message: "letter-not-a4-portrait-oriented".
        problems.append(
            LetterProblem(
                "letter-not-a4-portrait-oriented",
                not_a4,
                "These pages are not A4 portrait (210 x 297 mm).",
            )
        )
    tagged: list[int] = []
    outside: list[int] = []
    for number in range(1, count + 1):
        image = _page_image(document[number - 1])
        if _has_ink(image, _TAG):
            tagged.append(number)
        first = has_address_page and number == 1
        if _ink_outside(image, _FIRST_PAGE_AREAS if first else _LATER_PAGE_AREAS):
            outside.append(number)
    if outside:
        # get_invalid_pages_with_message: "content-outside-printable-area".
        problems.append(
            LetterProblem(
                "content-outside-printable-area",
                tuple(outside),
                "Something is printed outside the printable area: within 15 mm of the left or "
                "right edge, 5 mm of the top or bottom, or, on page 1, outside the logo area, "
                "the address window, the sender's block and the body.",
            )
        )
    if tagged:
        # get_invalid_pages_with_message: "notify-tag-found-in-content". Notify looks for its tag's
        # text there; any ink there would be printed over by the tag, so any ink is reported.
        problems.append(
            LetterProblem(
                "notify-tag-found-in-content",
                tuple(tagged),
                "Something is printed in the top-left 15 x 6 mm, where Notify prints its tag.",
            )
        )
    if has_address_page and count:
        problems.extend(_address_problems(_window_lines(document[0])))
    return problems


def _address_problems(lines: tuple[str, ...]) -> list[LetterProblem]:
    """PrecompiledPostalAddress.error_code, for UK letters (international post is not sent)."""
    found: list[tuple[str, str]] = []
    if not lines:
        found.append(("address-is-empty", "No address can be read in the envelope window."))
    elif len(lines) < MIN_ADDRESS_LINES:
        found.append(
            (
                "not-enough-address-lines",
                f"The address has {len(lines)} lines; it needs at least {MIN_ADDRESS_LINES}.",
            )
        )
    elif len(lines) > MAX_ADDRESS_LINES:
        found.append(
            (
                "too-many-address-lines",
                f"The address has {len(lines)} lines; at most {MAX_ADDRESS_LINES} fit the window.",
            )
        )
    if lines and not all(re.search(r"[a-zA-Z0-9]", line) for line in lines[:2]):
        found.append(
            (
                "invalid-address-line-1-or-2",
                "The first two lines of the address must each have a letter or a digit.",
            )
        )
    if lines and not is_uk_postcode(lines[-1]):
        found.append(
            ("not-a-real-uk-postcode", f"The last line, {lines[-1]!r}, is not a UK postcode.")
        )
    if any(line.startswith(_BAD_FIRST_CHARACTERS) for line in lines):
        found.append(
            (
                "invalid-char-in-address",
                "An address line starts with one of @ ( ) = [ ] \" \\ / , < > ~.",
            )
        )
    return [LetterProblem(code, (1,), message) for code, message in found]


def is_uk_postcode(text: str) -> bool:
    """A real UK postcode, after Notify's normalising (whitespace removed, upper case)."""
    return bool(_UK_POSTCODE.fullmatch(re.sub(r"\s+", "", text).upper()))


def _is_a4_portrait(page: pypdfium2.PdfPage) -> bool:
    # _is_page_A4_portrait: A4 within 2 mm, upright or turned upside down, or landscape turned
    # a quarter. pdfium's get_size already applies /Rotate, so only the shown shape is checked.
    width, height = (value * _MM_PER_POINT for value in page.get_size())
    return (
        abs(width - A4_WIDTH_MM) <= _A4_TOLERANCE_MM
        and abs(height - A4_HEIGHT_MM) <= _A4_TOLERANCE_MM
    )


def _page_image(page: pypdfium2.PdfPage) -> Image.Image:
    # Annotations are drawn (may_draw_forms defaults on), as a printer would print them.
    bitmap = page.render(scale=_DPI / 72, grayscale=True)
    return bitmap.to_pil().convert("L")


def _pixels(image: Image.Image, box: _Box) -> tuple[int, int, int, int]:
    scale = _DPI / 25.4  # pixels per mm, as rendered by _page_image
    return (
        max(0, round(box.left * scale)),
        max(0, round(box.top * scale)),
        min(image.width, round(box.right * scale)),
        min(image.height, round(box.bottom * scale)),
    )


def _has_ink(image: Image.Image, box: _Box) -> bool:
    left, top, right, bottom = _pixels(image, box)
    if right <= left or bottom <= top:
        return False
    darkest, _ = image.crop((left, top, right, bottom)).getextrema()
    return int(darkest) < _INK_BELOW  # type: ignore[arg-type]


def _ink_outside(image: Image.Image, allowed: tuple[_Box, ...]) -> bool:
    painted = image.copy()
    draw = ImageDraw.Draw(painted)
    for box in allowed:
        left, top, right, bottom = _pixels(painted, box.widened(_GENEROSITY_MM))
        draw.rectangle((left, top, right - 1, bottom - 1), fill=255)
    darkest, _ = painted.getextrema()
    return int(darkest) < _INK_BELOW  # type: ignore[arg-type]


def _window_lines(page: pypdfium2.PdfPage) -> tuple[str, ...]:
    # _extract_text_from_first_page_of_pdf reads ADDRESS_BOUNDING_BOX (the window widened by 3 mm)
    # and NFKD-normalises the text; pdfium's rectangle is in points from the bottom-left.
    box = _WINDOW.widened(_WINDOW_READ_MARGIN_MM)
    _, height = page.get_size()
    to_pt = 1 / _MM_PER_POINT
    textpage = page.get_textpage()
    try:
        text = textpage.get_text_bounded(
            left=box.left * to_pt,
            bottom=height - box.bottom * to_pt,
            right=box.right * to_pt,
            top=height - box.top * to_pt,
        )
    finally:
        textpage.close()
    text = unicodedata.normalize("NFKD", text)
    # PostalAddress: whitespace runs made one space, trailing spaces and commas dropped, blank
    # lines left out.
    lines = (re.sub(r"\s+", " ", line).strip().rstrip(" ,") for line in text.splitlines())
    return tuple(line for line in lines if line)

"""Text → its comparison form, the one both the leak check and the withheld list compare in.

Both sides of every comparison go through `normalise`, so a withheld string is found however layout
or extraction wrapped, hyphenated, re-spaced or re-cased it (spec §4 rule 6: removal, not masking).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache


@cache
def _comparison_table() -> dict[int, str | None]:
    """Characters dropped or folded by `normalise`, built once from the Unicode database.

    Dropped: whitespace (Z*), control characters (Cc: line breaks, tabs, stray markers),
    format characters (Cf: soft hyphen, zero-width space/joiners, bidi marks, BOM), dashes (Pd:
    a line-end hyphen may be added, kept or dropped by layout and extraction; U+2212 too, which is
    what PDFDocEncoding gives byte 0x8A) and variation selectors. Folded: curly quotes to straight.
    Planes 0, 1 and 14 are scanned: the others hold only ideographs, private use or nothing.
    """
    dropped = {"Zs", "Zl", "Zp", "Cc", "Cf", "Pd"}
    codepoints = [*range(0x20000), *range(0xE0000, 0xF0000)]
    table: dict[int, str | None] = {
        cp: None for cp in codepoints if unicodedata.category(chr(cp)) in dropped
    }
    table.update(dict.fromkeys([0x2212, *range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)]))
    table.update(dict.fromkeys(map(ord, "\u2018\u2019\u201a\u201b\u2032\u02bc"), "'"))
    table.update(dict.fromkeys(map(ord, "\u201c\u201d\u201e\u201f\u2033"), '"'))
    return table


def normalise(text: str) -> str:
    """The comparison form of extracted text and of withheld strings alike.

    NFKC (expands ligatures such as ﬁ, folds full-width forms), case-folded (then NFKC again, as
    Unicode's caseless matching asks), and without whitespace, hyphens and invisible characters, so
    that a paragraph wrapped, hyphenated or re-spaced by layout still matches its source; curly
    quotes are folded to straight ones, as a template's typography may change them."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    # The same as folded.translate(_comparison_table()), two to eight times faster: str.translate
    # is slow on text that is not pure ASCII, so it is given only the non-ASCII runs, and the ASCII
    # characters to drop (whitespace, controls, "-") go by split() and one small regex.
    if not folded.isascii():
        table = _comparison_table()
        folded = _NON_ASCII_RUN.sub(lambda run: run.group().translate(table), folded)
    return _ASCII_DROPPED.sub("", "".join(folded.split()))


_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")
_ASCII_DROPPED = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-]+")  # what split() leaves of Cc, and "-"

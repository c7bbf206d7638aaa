"""A parsed input file and a `can_print(char)` test → the fields holding a character no font prints.

A name in a script no installed font covers would print as empty boxes, and the renderer holds
every copy that shows it; saying so while the file is validated names the field to fix before
any copy is planned. Which characters print is a fact about the machine, not the
contract, so it comes in as a callable: `pipeline.rendering.fonts.installed_fonts_can_print` at the edges.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator
from typing import Any

CanPrint = Callable[[str], bool]
Location = tuple[int | str, ...]

# Characters that draw nothing of their own: format characters (ZWJ and ZWNJ, which shape
# Indic conjuncts and emoji sequences; soft hyphens; direction marks), line and paragraph
# separators, and variation selectors (U+FE0F asks for the emoji form of the character before).
# Lone surrogates (Cs) are refused on their own by the contract.
_DRAW_NOTHING_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_VARIATION_SELECTORS = ((0xFE00, 0xFE0F), (0xE0100, 0xE01EF))
MAX_NAMED = 3  # characters named per field; more would bury the path


def needs_a_glyph(char: str) -> bool:
    """Whether `char` must be drawn from a font for the text to read as written."""
    if unicodedata.category(char) in _DRAW_NOTHING_CATEGORIES:
        return False
    code = ord(char)
    return not any(low <= code <= high for low, high in _VARIATION_SELECTORS)


def unprintable_fields(
    data: Any, can_print: CanPrint
) -> Iterator[tuple[Location, tuple[str, ...]]]:
    """Each string value of `data` (parsed JSON) holding characters `can_print` refuses: its
    location and those characters, in order of appearance, each once."""
    stack: list[tuple[Location, Any]] = [((), data)]
    while stack:
        loc, value = stack.pop()
        if isinstance(value, str):
            # Each distinct character once, in order of first appearance: a long paragraph
            # repeats few characters, and this runs on every field of every file taken in.
            refused = tuple(
                c for c in dict.fromkeys(value) if needs_a_glyph(c) and not can_print(c)
            )
            if refused:
                yield loc, refused
        elif isinstance(value, dict):
            stack.extend(((*loc, k), v) for k, v in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend(((*loc, i), v) for i, v in reversed(list(enumerate(value))))


def unprintable_message(chars: tuple[str, ...]) -> str:
    """The problem in words, naming each character by its code and Unicode name."""
    named = ", ".join(_named(c) for c in chars[:MAX_NAMED])
    more = f" and {len(chars) - MAX_NAMED} more" if len(chars) > MAX_NAMED else ""
    return (
        f"holds {named}{more}, which no installed font can print: every document showing it "
        "would be held. Check the text as it was typed (a character from another system's own "
        "font, or a wrong encoding), or install a font covering it"
    )


def _named(char: str) -> str:
    name = unicodedata.name(char, "an unnamed character")
    return f"U+{ord(char):04X} ({name})"

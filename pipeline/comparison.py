"""Text → its comparison form: the one normal form every check that looks for withheld text uses.

The plan's free-text guard, the render-time guard and the byte check on the rendered files all
compare text in this form, on both sides (spec §4 rules 4 and 6), so a withheld string or
address is found however layout, extraction or a person typing re-spelt it:

- markup tags are removed (`17 <b>Linden</b> Court` prints literally and still reads as the address);
- compatibility forms are unfolded (NFKD: ligatures, full-width and mathematical letters), then
  every format character (Cf: zero-width characters, soft hyphens, bidi controls) and every
  combining mark is dropped, so an invisible or accent mark cannot split a word;
- letters of other scripts that look like Latin letters (Cyrillic `е`, Greek `ο`, a dotless `ı`)
  are folded to them, from the Unicode confusables table as packaged by `confusable-homoglyphs`
  (pinned; its `confusables.json`, read as data); digits of any script become ASCII digits;
- case is folded;
- every run of spacing and punctuation becomes one separator (`match_form`), or nothing at all
  (`normalise`, for substring search in extracted text, where layout may break or join lines);
- in a number, the letters that pass for digits are read as digits (`l7` → `17`, `1O` → `10`).

`match_form` keeps word boundaries (one space between words, one at each end) for the address
guard's whole-word patterns; `normalise` is the same text without separators, for the leak check.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from functools import cache
from importlib import resources

# A tag-like run: `<b>`, `</span>`, `<a href="...">`. A bare `<` or `a < b` is not a tag.
_TAG = re.compile(r"<(?:/?[A-Za-z][^<>]*|!--.*?--|![^<>]*)>", re.DOTALL)
# Kept through every form: the leak check joins separate values with it, so that no match can
# span two of them (pipeline.checking.leak_check._BOUNDARY).
BOUNDARY = "\uffff"
_SEPARATORS = re.compile(rf"(?:[^\w{BOUNDARY}]|_)+")
# A token that is a number once look-alike letters are read as digits: digits and l/i/o, at least
# one real digit, and perhaps one letter after (a house number such as 17A).
_NUMBER_LIKE = re.compile(r"(?<!\S)(?=[0-9lio]*[0-9])[0-9lio]+[a-z]?(?!\S)")
_DIGIT_LOOKALIKES = str.maketrans({"l": "1", "i": "1", "o": "0"})
_LOOKALIKE_BY_DIGIT = re.compile(r"[0-9][lio]|[lio][0-9]")
_ASCII_SEPARATORS = str.maketrans({c: " " for c in map(chr, range(128)) if not c.isalnum()})
_CURLY = {
    **dict.fromkeys(map(ord, "\u2018\u2019\u201a\u201b\u2032\u02bc"), "'"),
    **dict.fromkeys(map(ord, "\u201c\u201d\u201e\u201f\u2033"), '"'),
}


class _LazyTable(dict[int, "str | None"]):
    """A `str.translate` table that works out each character's entry the first time it is met,
    so a process pays for the characters it sees, not for all of Unicode (a command that reads
    one export starts in milliseconds, not the half second a full scan took)."""

    def __init__(self, entry: Callable[[int], str | None]) -> None:
        super().__init__()
        self._entry = entry

    def __missing__(self, codepoint: int) -> str | None:
        value = self[codepoint] = self._entry(codepoint)
        return value


@cache
def _confusables_table() -> dict[int, str]:
    """Each non-ASCII character the Unicode confusables table says looks like one ASCII letter or
    digit → that letter or digit. Only folds towards Latin: ASCII characters are left alone."""
    data = resources.files("confusable_homoglyphs").joinpath("confusables.json")
    table: dict[int, str] = {}
    for char, entries in json.loads(data.read_text(encoding="utf-8")).items():
        if len(char) != 1 or char.isascii():
            continue
        latin = [e["c"] for e in entries if len(e["c"]) == 1 and e["c"].isascii()]
        latin = [c for c in latin if c.isalnum()]
        if latin:
            table[ord(char)] = latin[0]
    return table


def _look_alike(codepoint: int) -> str | None:
    """The Latin letter or digit a character looks like, or None. The table lists Cyrillic М as
    M but not its small form м, which reads as m all the same: a letter with no entry of its own
    folds as its other case does."""
    table = _confusables_table()
    if codepoint in table:
        return table[codepoint]
    char = chr(codepoint)
    if codepoint < 0x80 or not char.isalpha():
        return None
    for other, fold_case in ((char.upper(), str.lower), (char.lower(), str.upper)):
        latin = table.get(ord(other)) if len(other) == 1 else None
        if latin is not None and latin.isalpha():
            return fold_case(latin)
    return None


@cache
def _confusable_letters() -> dict[int, str | None]:
    """`str.translate` table: each character → its Latin look-alike, or itself."""
    return _LazyTable(lambda cp: _look_alike(cp) or chr(cp))


def _fold_entry(codepoint: int) -> str | None:
    """What `fold` makes of one character, ASCII aside: dropped (None) if a format character
    (Cf), a combining mark (Mn, Mc, Me: after NFKD an accent is one), a control character or a
    default-ignorable letter; a plain space if spacing (Z*); its Latin look-alike, or its ASCII
    digit if a decimal digit of any script; a straight quote for a curly one."""
    char = chr(codepoint)
    if codepoint < 0x80 or char == BOUNDARY:
        return char
    if codepoint in _CURLY:
        return _CURLY[codepoint]
    latin = _look_alike(codepoint)
    if latin is not None:
        return latin
    category = unicodedata.category(char)
    if category in ("Cf", "Cc", "Mn", "Mc", "Me") or codepoint in _DEFAULT_IGNORABLE:
        return None
    if category in ("Zs", "Zl", "Zp"):
        return " "
    if category == "Nd":
        return str(unicodedata.decimal(char))
    return char


@cache
def _fold_table() -> dict[int, str | None]:
    """`str.translate` table of `_fold_entry`, filled as characters are met."""
    return _LazyTable(_fold_entry)


_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")
# Unicode's Default_Ignorable_Code_Point characters that are letters, not format characters, and
# so print as nothing while passing as part of a word (the Hangul fillers, Khmer inherent vowels).
_DEFAULT_IGNORABLE = frozenset(
    [0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFFA0, *range(0xFFF0, 0xFFF9)]
)


def fold(text: str, *, tags: bool = False) -> str:
    """Compatibility forms unfolded, invisible characters and marks dropped, look-alike letters
    and other scripts' digits folded, case folded, then markup tags removed (unless `tags`);
    spacing and punctuation kept.

    Tags go last, once the text is folded: a tag whose letters were disguised (`<ı>`, `<b\u200b>`,
    full-width `＜b＞`) is then a tag, and a `<` that is not ASCII cannot pair with a `>` across
    the words between them. Removal repeats, so a tag split by another (`<sp<br/>an>`) goes too."""
    if not text.isascii():
        # Look-alikes first as written (lunate sigma ϲ looks like c, but NFKD makes it σ), then
        # again once compatibility forms are unfolded.
        text = _NON_ASCII_RUN.sub(lambda run: run.group().translate(_confusable_letters()), text)
        text = unicodedata.normalize("NFKD", text)
        table = _fold_table()
        text = _NON_ASCII_RUN.sub(lambda run: run.group().translate(table), text)
        # Case folding can bring back a non-ASCII form (ß → ss is ASCII; ǰ is not), so once more.
        text = unicodedata.normalize("NFKD", text.casefold())
        text = _NON_ASCII_RUN.sub(lambda run: run.group().translate(table), text)
    else:
        text = text.lower()
    if tags or "<" not in text:
        return text
    for _ in range(8):
        stripped = _TAG.sub("", text)
        if stripped == text:
            break
        text = stripped
    return text


def match_form(text: str, *, tags: bool = False, strict: bool = False) -> str:
    """`fold`, then every run of spacing and punctuation one space, numbers read as numbers, with
    a space at each end so that a whole word is always between two spaces: ' 17 linden court '.

    `tags`: keep what looks like markup as words, for text where `<Linden Court>` was written
    in angle brackets rather than as markup around words.
    `strict`: a separator holding punctuation is the token `|`, not a space, so that a pattern can
    tell "Church St" (a street) from "Church, St Luke's" (a saint's name after a comma)."""
    folded = fold(text, tags=tags)
    if strict:
        words = " ".join(_SEPARATORS.sub(_strict_separator, folded).split())
    elif folded.isascii():  # the common case, several times faster than the regex
        words = " ".join(folded.translate(_ASCII_SEPARATORS).split())
    else:
        words = " ".join(_SEPARATORS.sub(" ", folded).split())
    if not words:
        return " "
    words = f" {words} "
    if _LOOKALIKE_BY_DIGIT.search(words):  # only then can a token be a disguised number
        words = _NUMBER_LIKE.sub(lambda m: m.group().translate(_DIGIT_LOOKALIKES), words)
    return words


def _strict_separator(run: re.Match[str]) -> str:
    return " " if run.group().isspace() else " | "


def pattern_forms(text: str) -> tuple[str, ...]:
    """The forms the address guard's patterns are searched in: the strict match form, and where
    the text holds something tag-like, the strict form that keeps it as words too (both readings
    a person could give it: markup around words, or `<Linden Court>` written in angle brackets)."""
    first = match_form(text, strict=True)
    maybe_tag = "<" in text or not text.isascii()  # a non-ASCII bracket may fold to '<'
    if maybe_tag and "<" in fold(text, tags=True):
        return first, match_form(text, tags=True, strict=True)
    return (first,)


def normalise(text: str) -> str:
    """The comparison form of extracted text and of withheld strings alike: `match_form` without
    separators, so that a paragraph wrapped, hyphenated or re-spaced by layout still matches."""
    return match_form(text).replace(" ", "")

"""The fonts documents are printed in: which script each comes from, and what the machine can print.

Two facts, kept together because they must agree with templates/_style.css:

- `SCRIPT_FONTS`: the scripts of the UK's communities DejaVu Sans does not draw (or, for Arabic
  and Urdu, draws only in part), each with the installed family that does. The stylesheet falls
  back through these families in this order; the DOCX names the same family on each run of such
  a script, since Word picks one font per run rather than falling back glyph by glyph.
- `installed_fonts_can_print(char)`: whether any font fontconfig knows (the fonts Pango, and so
  WeasyPrint, falls back to) has a glyph for `char`. Validation asks it (pipeline/contract/printable.py) so
  an unprintable name is refused with its field named before any copy is made.
"""

from __future__ import annotations

import bisect
import functools
import subprocess
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import RenderError


@dataclass(frozen=True, slots=True)
class ScriptFont:
    script: str
    family: str  # the fontconfig family name, as _style.css and the DOCX runs name it
    ranges: tuple[tuple[int, int], ...]  # inclusive code point ranges drawn from this family

    def covers(self, char: str) -> bool:
        code = ord(char)
        return any(low <= code <= high for low, high in self.ranges)


BASE_FAMILY = "DejaVu Sans"
EAST_ASIAN_FAMILY = "WenQuanYi Micro Hei"
ARABIC_RANGES = (
    (0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF),
)  # fmt: skip
CJK_RANGES = (
    (0x2E80, 0x2FDF), (0x3000, 0x303F), (0x3040, 0x30FF), (0x3100, 0x312F), (0x3190, 0x31FF),
    (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0xFE30, 0xFE4F), (0xFF00, 0xFFEF),
)  # fmt: skip
SCRIPT_FONTS: tuple[ScriptFont, ...] = (
    ScriptFont("Bengali", "Noto Sans Bengali", ((0x0980, 0x09FF),)),
    ScriptFont("Gurmukhi", "Noto Sans Gurmukhi", ((0x0A00, 0x0A7F),)),
    ScriptFont("Devanagari", "Noto Sans Devanagari", ((0x0900, 0x097F), (0xA8E0, 0xA8FF))),
    ScriptFont("Gujarati", "Noto Sans Gujarati", ((0x0A80, 0x0AFF),)),
    ScriptFont("Tamil", "Noto Sans Tamil", ((0x0B80, 0x0BFF), (0x11FC0, 0x11FFF))),
    # Naskh, the usual text face for Arabic and one Urdu readers read; Nastaliq's tall stacks
    # would not fit the body's line height. The stylesheet gives it the whole Arabic script
    # (an @font-face with a unicode-range) because DejaVu Sans has most Arabic letters but not
    # Urdu's heh goal (U+06C1) or yeh barree (U+06D2), and a word drawn from two fonts loses
    # its joins.
    ScriptFont("Arabic", "Noto Naskh Arabic", ARABIC_RANGES),
    # Chinese (and Japanese kana, full-width Latin letters): WenQuanYi Micro Hei, 1.6 MB to
    # download where Noto Sans CJK is 56 MB, and covering all of CJK Unified Ideographs.
    ScriptFont(
        "Chinese",
        EAST_ASIAN_FAMILY,
        CJK_RANGES,
    ),
    # Symbola (Unicode 9 emoji, in outline): a colour bitmap font's glyphs become images in the
    # PDF whose text is lost, and draw digits too (templates/_fonts.css). Later emoji are not
    # in it: validation names the field that holds one.
    ScriptFont(
        "emoji",
        "Symbola",
        ((0x1F000, 0x1FAFF),),  # pictographs, emoticons, skin tones, flags' regional letters
    ),
)


_FIRST_SCRIPT_CHAR = min(low for font in SCRIPT_FONTS for low, _ in font.ranges)


def script_font(char: str) -> ScriptFont | None:
    """The family `char` is printed in, if it is not the base family's."""
    if ord(char) < _FIRST_SCRIPT_CHAR:  # Latin, Greek, Cyrillic...: most text stops here
        return None
    return next((font for font in SCRIPT_FONTS if font.covers(char)), None)


# DejaVu Sans draws all of these (bootstrap installs it), so a Latin export, typographic quotes,
# dashes and pound signs included, never pays for asking fontconfig. tests/test_fonts.py checks
# the claim against fontconfig.
ALWAYS_PRINTABLE = (
    (0x0020, 0x024F),  # Basic Latin to Latin Extended-B (controls are never asked about)
    (0x2000, 0x2064),  # General Punctuation: spaces, dashes, quotes, bullet, ellipsis
    (0x20A0, 0x20B5),  # currency signs: euro, pound...
)


@dataclass(frozen=True, slots=True)
class Coverage:
    """A set of code points as sorted, disjoint, inclusive ranges."""

    starts: tuple[int, ...]
    ends: tuple[int, ...]

    @classmethod
    def from_ranges(cls, ranges: list[tuple[int, int]]) -> Coverage:
        merged: list[list[int]] = []
        for low, high in sorted(ranges):
            if merged and low <= merged[-1][1] + 1:
                merged[-1][1] = max(merged[-1][1], high)
            else:
                merged.append([low, high])
        return cls(tuple(m[0] for m in merged), tuple(m[1] for m in merged))

    def __contains__(self, code: int) -> bool:
        i = bisect.bisect_right(self.starts, code) - 1
        return i >= 0 and code <= self.ends[i]


def parse_charsets(text: str) -> Coverage:
    """`fc-list --format '%{charset}\\n'` output ("20-7e a0 ...", hex) → one Coverage."""
    ranges: list[tuple[int, int]] = []
    for token in text.split():
        low, _, high = token.partition("-")
        ranges.append((int(low, 16), int(high or low, 16)))
    return Coverage.from_ranges(ranges)


def _fc_list(field: str) -> str:
    try:
        listed = subprocess.run(
            ["fc-list", "--format", f"%{{{field}}}\n"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise RenderError(
            f"cannot ask fontconfig about the installed fonts: fc-list failed ({exc}); "
            "run scripts/bootstrap to install fontconfig and the fonts"
        ) from exc
    return listed.stdout


@functools.cache
def installed_coverage() -> Coverage:
    """What the fonts fontconfig knows can draw, read once per process (~20 ms)."""
    return parse_charsets(_fc_list("charset"))


@functools.cache
def installed_font_files() -> frozenset[Path]:
    """The font files fontconfig knows: the only files outside the templates a document may
    read, for the stylesheet's @font-face src: local()."""
    return frozenset(Path(line).resolve() for line in _fc_list("file").splitlines() if line)


def installed_fonts_can_print(char: str) -> bool:
    """Whether some installed font has a glyph for `char` (pipeline.contract.printable.CanPrint)."""
    code = ord(char)
    if any(low <= code <= high for low, high in ALWAYS_PRINTABLE):
        return True
    return code in installed_coverage()

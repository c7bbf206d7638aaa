"""Validation names the field holding a character no installed font prints, and agrees with the renderer about which those are (issue 10 §5).

The fonts are the real installed ones (scripts/bootstrap), asked through fontconfig, and the
renderer is the real WeasyPrint: a character validation lets through must lay out without a
.notdef box, and one it refuses must be one WeasyPrint cannot draw either.
"""

from __future__ import annotations

import json
import re
import subprocess
import unicodedata
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli.app import app
from pipeline.contract.load import load_document, load_export
from pipeline.contract.printable import needs_a_glyph, unprintable_fields, unprintable_message
from pipeline.errors import ContractError, RejectedFile, RenderError
from pipeline.intake.accept import read_document
from pipeline.procedure.profile import load_profiles
from pipeline.rendering.fonts import (
    ALWAYS_PRINTABLE,
    BASE_FAMILY,
    SCRIPT_FONTS,
    installed_coverage,
    installed_fonts_can_print,
    parse_charsets,
    script_font,
)
from pipeline.rendering.html import DEFAULT_TEMPLATES
from pipeline.rendering.pdf import render_pdf
from tests.conftest import EXAMPLES, example
from tests.test_scripts import SCRIPT_NAMES

KNOWN = frozenset(load_profiles(()).keys())
runner = CliRunner()
# Characters the installed fonts cannot print, as they reach a case system: an emoji newer than
# Symbola's Unicode 9 (a parent's message pasted in), a Mac's Apple logo (private use), and a CJK
# Extension A ideograph, which WenQuanYi Micro Hei does not have.
UNPRINTABLE = {"smiling face with tear": "\U0001f972", "apple logo": "\uf8ff", "ext-a": "\u3400"}
# Printable though no font of the stylesheet names them: Pango falls back through every font
# fontconfig knows (Noto core has Sinhala, Hebrew comes from DejaVu, Hangul from WenQuanYi).
FALLBACK_PRINTABLE = {"Sinhala": "අනුෂා", "Hebrew": "שרה", "Hangul": "서연", "Thai": "สมชาย"}


def _page(text: str) -> str:
    css = (DEFAULT_TEMPLATES / "_fonts.css").read_text(encoding="utf-8")
    return f'<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><style>{css}</style></head><body><p>{text}</p></body></html>'


# --- the fonts --------------------------------------------------------------------------------


def test_the_always_printable_ranges_are_printed_by_the_installed_fonts() -> None:
    # The fast path that spares Latin exports a call to fontconfig must be true, not assumed.
    coverage = installed_coverage()
    missing = [
        f"U+{code:04X}"
        for low, high in ALWAYS_PRINTABLE
        for code in range(low, high + 1)
        if needs_a_glyph(chr(code)) and unicodedata.category(chr(code)) != "Cn"
        and code not in coverage
    ]  # fmt: skip
    assert missing == []


def test_the_stylesheet_falls_back_through_every_script_font_and_each_is_installed() -> None:
    css = (DEFAULT_TEMPLATES / "_fonts.css").read_text(encoding="utf-8")
    chain = re.search(r"html \{\s*font-family:([^;]+);", css)
    assert chain is not None
    families = [f.strip().strip('"') for f in chain.group(1).split(",")]
    named = set(families) | set(re.findall(r'local\("([^"]+?)(?: Regular| Bold)?"\)', css))
    assert families.index(BASE_FAMILY) < families.index("sans-serif")
    assert {font.family for font in SCRIPT_FONTS} <= named
    for family in [BASE_FAMILY, *(font.family for font in SCRIPT_FONTS)]:
        # Installed by scripts/bootstrap: fontconfig knows the family by that very name.
        listed = subprocess.run(
            ["fc-list", f":family={family}", "family"], capture_output=True, text=True, check=True
        )
        assert listed.stdout.strip(), f"{family} is not installed"


def test_fontconfig_charsets_are_read_as_ranges() -> None:
    coverage = parse_charsets("20-7e a0\n980-983 985-98c\n")
    assert 0x41 in coverage and 0xA0 in coverage and 0x985 in coverage
    assert 0x7F not in coverage and 0x984 not in coverage and 0x98D not in coverage


# --- validation and the renderer agree --------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [name for name, _, _ in SCRIPT_NAMES.values()] + list(FALLBACK_PRINTABLE.values()),
)
def test_what_validation_lets_through_the_pdf_draws(text: str) -> None:
    assert all(installed_fonts_can_print(c) for c in text if needs_a_glyph(c))
    render_pdf(_page(text), DEFAULT_TEMPLATES)  # no .notdef warning, so no RenderError


@pytest.mark.parametrize("char", UNPRINTABLE.values(), ids=UNPRINTABLE.keys())
def test_what_validation_refuses_the_pdf_cannot_draw_either(char: str) -> None:
    assert not installed_fonts_can_print(char)
    with pytest.raises(RenderError, match=r"\.notdef"):
        render_pdf(_page(f"Ella {char}"), DEFAULT_TEMPLATES)


# --- the check, pure --------------------------------------------------------------------------


def test_each_field_is_named_by_its_path_with_each_refused_character_once() -> None:
    data = {
        "children": [{"name": "Ella"}, {"name": "Noah \uf8ff\uf8ff \U0001f972"}],
        "record": {"sections": [{"paragraphs": ["fine", "x\u3400"]}]},
    }
    found = list(unprintable_fields(data, lambda c: c.isascii() or c == " "))
    assert found == [
        (("children", 1, "name"), ("\uf8ff", "\U0001f972")),
        (("record", "sections", 0, "paragraphs", 1), ("\u3400",)),
    ]


def test_joiners_variation_selectors_and_format_characters_are_never_asked_about() -> None:
    # ZWJ and ZWNJ shape conjuncts and emoji sequences; U+FE0F asks for emoji form; U+00AD is
    # a soft hyphen: none draws a glyph of its own, so no font need have one.
    asked: list[str] = []
    text = "ক্\u200dষ \u200c \u2764\ufe0f a\u00adb \u200f"
    list(unprintable_fields({"name": text}, lambda c: asked.append(c) or True))
    assert not {"\u200d", "\u200c", "\ufe0f", "\u00ad", "\u200f"} & set(asked)
    assert {"ক", "্", "ষ", "\u2764"} <= set(asked)


def test_the_message_names_each_character_by_code_and_name() -> None:
    message = unprintable_message(("\U0001f972", "\uf8ff", "\u3400", "\u3401"))
    assert "U+1F972 (SMILING FACE WITH TEAR)" in message
    assert "U+F8FF (an unnamed character)" in message
    assert "and 1 more" in message and "U+3401" not in message
    assert "no installed font can print" in message


# --- at the edges: cpc validate, intake, amendments -------------------------------------------


def _with_name(name: str) -> dict:  # type: ignore[type-arg]
    data = example("initial-domestic-abuse")
    data["children"][0]["name"] = name
    return data


def test_cpc_validate_names_the_field_holding_an_unprintable_character(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(_with_name("Ella \U0001f972 Whitfield")), encoding="utf-8")
    good = tmp_path / "good.json"
    good.write_text(json.dumps(_with_name("অনন্যা 王小明 Whitfield")), encoding="utf-8")
    result = runner.invoke(app, ["validate", str(good), str(bad)])
    assert result.exit_code == 1
    assert f"{good}: valid" in result.output
    assert f"{bad}: INVALID" in result.output
    assert "children[0].name: holds U+1F972 (SMILING FACE WITH TEAR)" in result.output


def test_cpc_plan_refuses_an_export_it_could_not_print(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(_with_name("Ella \uf8ff")), encoding="utf-8")
    result = runner.invoke(app, ["plan", str(bad)])
    assert result.exit_code == 1
    assert "children[0].name: holds U+F8FF" in result.output


def test_intake_quarantines_it_with_the_field_named() -> None:
    # read_document is what the inbox calls: the reason goes into quarantine/*.reason.txt
    raw = json.dumps(_with_name("Ella \U0001f972")).encode()
    with pytest.raises(RejectedFile) as caught:
        read_document(raw, "bad.json", KNOWN)
    assert "children[0].name: holds U+1F972" in caught.value.reason


def test_an_amendments_text_is_checked_too() -> None:
    data = example("amendment-agreed")
    data["changes"][0]["with"] = "Ella's attendance fell to 86% \uf8ff"
    with pytest.raises(ContractError) as caught:
        load_document(json.dumps(data).encode(), KNOWN, "", installed_fonts_can_print)
    assert [issue.path for issue in caught.value.issues] == ["changes[0].with"]


def test_without_a_can_print_the_contract_alone_accepts_it() -> None:
    # The pure contract knows no fonts: only the edges ask the machine.
    load_export(json.dumps(_with_name("Ella \uf8ff")).encode(), KNOWN)


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_a_latin_export_never_asks_fontconfig(path: Path) -> None:
    installed_coverage.cache_clear()
    load_document(path.read_bytes(), KNOWN, "", installed_fonts_can_print)
    assert installed_coverage.cache_info().misses == 0


def test_docx_script_runs_follow_the_same_table() -> None:
    assert script_font("a") is None and script_font("é") is None
    assert script_font("অ").family == "Noto Sans Bengali"  # type: ignore[union-attr]
    assert script_font("\u06c1").family == "Noto Naskh Arabic"  # type: ignore[union-attr]


def test_without_fontconfig_validate_says_so_rather_than_guessing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "bengali.json"
    path.write_text(json.dumps(_with_name("অনন্যা")), encoding="utf-8")
    installed_coverage.cache_clear()
    monkeypatch.setenv("PATH", str(tmp_path))  # no fc-list on it
    try:
        result = runner.invoke(app, ["validate", str(path)])
    finally:
        installed_coverage.cache_clear()  # the next test asks the real fontconfig again
    assert result.exit_code == 2
    assert "cannot ask fontconfig" in result.output and "scripts/bootstrap" in result.output

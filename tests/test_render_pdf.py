"""The PDF renderer fetches nothing it was not meant to and fails loudly (issue 3 §5; style.md)."""

from __future__ import annotations

from pathlib import Path

import pypdfium2
import pytest

from pipeline.errors import RenderError
from pipeline.rendering.fonts import installed_font_files
from pipeline.rendering.html import DEFAULT_TEMPLATES
from pipeline.rendering.pdf import render_pdf


def _page(body: str, head: str = "") -> str:
    return (
        '<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>t</title>'
        f"{head}</head><body>{body}</body></html>"
    )


def _text(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(pdf)
    return " ".join(document[i].get_textpage().get_text_range() for i in range(len(document)))


@pytest.mark.parametrize(
    "html",
    [
        pytest.param(_page('<img src="file:///etc/passwd">'), id="image-from-outside-file"),
        pytest.param(
            _page("<p>x</p>", '<link rel="stylesheet" href="http://127.0.0.1:9/x.css">'),
            id="network-stylesheet",
        ),
        pytest.param(_page('<p style="background: url(file:///etc/hostname)">x</p>'), id="css-url"),
        pytest.param(_page('<img src="../pyproject.toml">'), id="relative-path-out-of-templates"),
    ],
)
def test_resources_outside_the_templates_folder_are_refused(html: str) -> None:
    with pytest.raises(RenderError, match=r"refused to fetch|WeasyPrint reported"):
        render_pdf(html, DEFAULT_TEMPLATES)


def test_a_file_inside_the_templates_folder_may_be_used(tmp_path: Path) -> None:
    (tmp_path / "extra.css").write_text("p { color: #123456; }", encoding="utf-8")
    html = _page("<p>inside</p>", '<link rel="stylesheet" href="extra.css">')
    assert "inside" in _text(render_pdf(html, tmp_path))


def test_a_weasyprint_warning_fails_the_render() -> None:
    # WeasyPrint logs an unknown CSS property and carries on; a legal letter must not
    with pytest.raises(RenderError, match="WeasyPrint reported"):
        render_pdf(_page("<p>x</p>", "<style>p { colour: red; }</style>"), DEFAULT_TEMPLATES)


def test_escaped_markup_is_printed_as_text() -> None:
    pdf = render_pdf(
        _page("<p>&lt;img src=&quot;file:///etc/passwd&quot;&gt;</p>"), DEFAULT_TEMPLATES
    )
    assert '<img src="file:///etc/passwd">' in _text(pdf)


def _font_face(url: str) -> str:
    return _page(
        '<p style="font-family: Probe">x</p>',
        f'<style>@font-face {{ font-family: Probe; src: url("{url}"); }}</style>',
    )


def test_installed_font_files_may_be_read_and_no_other_font_file(tmp_path: Path) -> None:
    # issue 10 §5: _fonts.css reads installed fonts through src: local(); the fetcher lets
    # through exactly the files fontconfig lists, not any file that happens to be a font.
    installed = sorted(installed_font_files())[0]
    assert "x" in _text(render_pdf(_font_face(installed.as_uri()), DEFAULT_TEMPLATES))
    copied = tmp_path / installed.name
    copied.write_bytes(installed.read_bytes())
    with pytest.raises(RenderError, match="refused to fetch"):
        render_pdf(_font_face(copied.as_uri()), DEFAULT_TEMPLATES)

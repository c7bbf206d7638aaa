"""The DOCX copy as a recipient gets it: the PDF's words, Word structure, footer marks, no metadata or hidden parts.

Every test renders with the real docxtpl and the committed templates/document.docx, then reads what
came out of the zip (word/document.xml, word/footer*.xml, docProps/core.xml), as a reader's Word would.
"""

from __future__ import annotations

import gc
import importlib.util
import io
import json
import re
import warnings
import zipfile
from pathlib import Path

import lxml.html
import pypdfium2
import pytest
from docxtpl import DocxTemplate
from lxml import etree
from markupsafe import escape

from pipeline.contract.export import Export
from pipeline.contract.load import load_export
from pipeline.errors import RenderError
from pipeline.planning.plan import DistributionPlan
from pipeline.planning.recipients import plan_distribution
from pipeline.procedure.calendar import WorkingCalendar
from pipeline.procedure.profile import Profile, load_profiles
from pipeline.redaction.plain_language import PlainWords
from pipeline.redaction.view import view_for
from pipeline.rendering.docx import (
    CONTEXT_VARIABLES,
    DocxMarks,
    Paragraph,
    Run,
    docx_text,
    read_html,
    render_docx,
)
from pipeline.rendering.html import Composer
from pipeline.rendering.pdf import render_pdf
from tests.conftest import example, the_copy

ROOT = Path(__file__).resolve().parents[1]
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
NO_MARKS = DocxMarks()

LETTER = """<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8"><title>A  letter
 CPC-1</title><meta name="author" content="Northby Borough Council"></head>
<body class="standard">
<p class="marking">Confidential</p>
<h1>Decisions of the conference</h1>
<p>Dear   Sarah
Whitfield,</p>
<h2>Ella Whitfield</h2>
<p>The plan is under the category of
emotional abuse.</p>
<ul><li>Emotional abuse: feeling frightened.</li><li>Second item</li></ul>
<h3>What will be done</h3>
<table>
<tr><th>What will be done</th><th>Who</th></tr>
<tr><td>Visit Ella at home.</td><td>Daniel Okafor</td></tr>
</table>
<p class="withheld">Some content has been withheld from this copy.</p>
<div class="signature"><p>Yours sincerely,</p><p>Helen Marsh</p></div>
</body></html>"""


def _html(body: str, body_class: str = "standard") -> str:
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>T</title></head>'
        f'<body class="{body_class}">{body}</body></html>'
    )


def _part(data: bytes, name: str) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return etree.fromstring(archive.read(name))


def _names(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.namelist()


def _paragraphs(root: etree._Element) -> list[tuple[str | None, str]]:
    """(style id, text) of each paragraph, in document order."""
    found = []
    for p in root.iter(f"{W}p"):
        style = p.find(f"{W}pPr/{W}pStyle")
        text = "".join(t.text or "" for t in p.iter(f"{W}t"))
        found.append((None if style is None else style.get(f"{W}val"), text))
    return found


def _render(html: str, marks: DocxMarks = NO_MARKS) -> bytes:
    return render_docx(html, marks, Composer.at().templates)


# --- structure --------------------------------------------------------------------------------


def test_letter_keeps_headings_paragraphs_list_table_and_withheld_marker_in_order() -> None:
    data = _render(LETTER)
    assert docx_text(data).split("\n") == [
        "Confidential",
        "Decisions of the conference",
        "Dear Sarah Whitfield,",  # HTML whitespace collapsed
        "Ella Whitfield",
        "The plan is under the category of emotional abuse.",
        "Emotional abuse: feeling frightened.",
        "Second item",
        "What will be done",
        "What will be done",  # the table, row by row, cell by cell
        "Who",
        "Visit Ella at home.",
        "Daniel Okafor",
        "Some content has been withheld from this copy.",
        "Yours sincerely,",
        "Helen Marsh",
    ]


def test_headings_use_word_heading_styles_and_items_bullets() -> None:
    styles = dict(
        (text, style) for style, text in _paragraphs(_part(_render(LETTER), "word/document.xml"))
    )
    assert styles["Decisions of the conference"] == "Heading1"
    assert styles["Ella Whitfield"] == "Heading2"
    assert styles["Emotional abuse: feeling frightened."] == "ListBullet"
    assert styles["Second item"] == "ListBullet"
    assert styles["Confidential"] == "Marking"
    assert styles["Dear Sarah Whitfield,"] is None  # Normal


def test_table_is_a_word_table_with_a_bold_repeating_header_row() -> None:
    body = _part(_render(LETTER), "word/document.xml").find(f"{W}body")
    tables = body.findall(f"{W}tbl")
    assert len(tables) == 1
    header, row = tables[0].findall(f"{W}tr")
    assert header.find(f"{W}trPr/{W}tblHeader") is not None
    assert all(r.find(f"{W}rPr/{W}b") is not None for r in header.iter(f"{W}r"))
    assert all(r.find(f"{W}rPr/{W}b") is None for r in row.iter(f"{W}r"))
    assert ["".join(t.text for t in tc.iter(f"{W}t")) for tc in header.findall(f"{W}tc")] == [
        "What will be done",
        "Who",
    ]


def test_heading_3_before_the_table_is_a_heading() -> None:
    paragraphs = _paragraphs(_part(_render(LETTER), "word/document.xml"))
    assert ("Heading3", "What will be done") in paragraphs


def test_withheld_marker_is_an_italic_paragraph() -> None:
    root = _part(_render(LETTER), "word/document.xml")
    marker = next(
        p
        for p in root.iter(f"{W}p")
        if "withheld" in "".join(t.text or "" for t in p.iter(f"{W}t"))
    )
    assert marker.find(f"{W}pPr/{W}pStyle").get(f"{W}val") == "Withheld"
    assert all(r.find(f"{W}rPr/{W}i") is not None for r in marker.iter(f"{W}r"))


def test_read_html_collapses_whitespace_across_inline_elements_and_keeps_unknown_ones() -> None:
    page = read_html(
        _html("<p> The plan\n is <b>under </b> the <blink>category</blink>.<br> Next </p>")
    )
    assert page.blocks == (
        Paragraph(
            (
                Run("The plan is "),
                Run("under ", bold=True),
                Run("the category."),  # <blink> is unknown: its words are kept
                Run("\n"),
                Run("Next"),
            )
        ),
    )


def test_unknown_block_level_text_is_kept_not_dropped() -> None:
    data = _render(
        _html("<section>Loose <custom-tag>words</custom-tag><p>and a paragraph</p></section>")
    )
    assert docx_text(data).split("\n") == ["Loose words", "and a paragraph"]


def test_title_and_author_come_from_the_html_head() -> None:
    page = read_html(LETTER)
    assert (page.title, page.author, page.large_print) == (
        "A letter CPC-1",
        "Northby Borough Council",
        False,
    )


# --- the same words as the PDF ----------------------------------------------------------------


@pytest.fixture(scope="module")
def domestic_abuse() -> tuple[Export, DistributionPlan, Profile]:
    profiles = load_profiles()
    export = load_export(json.dumps(example("initial-domestic-abuse")).encode(), profiles.keys())
    profile = profiles[export.authority.procedure_profile or "default"]
    calendar = WorkingCalendar.for_nation(export.authority.nation, profile.closure_days)
    return export, plan_distribution(export, profile, calendar), profile


def _pdf(html: str, templates: Path) -> bytes:
    # WeasyPrint 70 opens its sRGB ICC profile for PDF/A and never closes it
    # (weasyprint/pdf/__init__.py); its ResourceWarning is WeasyPrint's, not the DOCX's, so it is
    # collected here, where it is expected, instead of failing whichever test runs next.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        pdf = render_pdf(html, templates)
        gc.collect()
    return pdf


def _pdf_words(pdf: bytes, html: str = "") -> tuple[list[str], int]:
    """The PDF's words without each page's footer ("Confidential Page N of M") or list bullets,
    and its number of pages. A table's header row (<thead>) printed again at the top of a page it
    runs onto is furniture, as Word repeats the DOCX's, so it is taken off there."""
    headers = (
        [
            " ".join(head.itertext()).split()
            for head in lxml.html.fromstring(html).iter("thead")
        ]
        if html
        else []
    )
    document = pypdfium2.PdfDocument(pdf)
    try:
        pages = [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()
    words: list[str] = []
    for number, text in enumerate(pages, start=1):
        page_words = text.split()
        footer = ["Confidential", "Page", str(number), "of", str(len(pages))]
        assert page_words[-5:] == footer, f"page {number} does not end with its footer"
        # Bullets are list markers WeasyPrint draws; in Word they are numbering, not text.
        body = [w for w in page_words[:-5] if w != "•"]
        for header in headers:
            if number > 1 and body[: len(header)] == header:
                body = body[len(header) :]
                break
        words += body
    return words, len(pages)


def _caps_styles(data: bytes) -> set[str]:
    styles = _part(data, "word/styles.xml")
    return {
        s.get(f"{W}styleId")
        for s in styles.iter(f"{W}style")
        if s.find(f"{W}rPr/{W}caps") is not None
    }


def _docx_shown_words(data: bytes) -> list[str]:
    """The DOCX body's words as shown: paragraphs in an all-caps style (CSS uppercase) in capitals."""
    caps = _caps_styles(data)
    words: list[str] = []
    for style, text in _paragraphs(_part(data, "word/document.xml").find(f"{W}body")):
        words += (text.upper() if style in caps else text).split()
    return words


@pytest.mark.parametrize(
    ("recipient", "document"),
    [
        ("p-mother", "decision_letter"),  # family view, with address block and a bullet list
        ("p-mother", "record"),  # four pages: lists, tables split over pages, withheld markers
        ("p-father", "record"),  # attended_parts view: more withheld
        ("p-police", "outline_plan"),  # professional view: plan tables
    ],
)
def test_docx_carries_the_same_words_as_the_pdf(
    domestic_abuse: tuple[Export, DistributionPlan, Profile], recipient: str, document: str
) -> None:
    export, plan, profile = domestic_abuse
    view = view_for(
        export, the_copy(plan, recipient, document), PlainWords.from_glossary(profile.glossary)
    )
    composer = Composer.at()
    html = composer.html(view)
    pdf_words, pages = _pdf_words(_pdf(html, composer.templates), html)
    assert pages >= (3 if document == "record" else 1)  # the record runs over several pages
    data = render_docx(html, NO_MARKS, composer.templates)

    docx_words = docx_text(data).split()
    assert [w.casefold() for w in docx_words] == [w.casefold() for w in pdf_words]
    # Case too, once the marking's `text-transform: uppercase` (Word: all caps) is applied.
    assert _docx_shown_words(data) == pdf_words
    assert "CONFIDENTIAL" in pdf_words and "Confidential" in docx_words


# --- footer, print size -----------------------------------------------------------------------


def _footer_texts(data: bytes) -> list[str]:
    names = [n for n in _names(data) if re.fullmatch(r"word/footer\d+\.xml", n)]
    assert names
    return [text for name in names for _, text in _paragraphs(_part(data, name))]


def test_footer_lines_are_printed_in_the_page_footer_not_the_body() -> None:
    marks = DocxMarks(
        ("Copy for Priya Anand, solicitor for Sarah Whitfield.", "It may not be passed on.")
    )
    data = _render(LETTER, marks)
    footer = _footer_texts(data)
    assert footer[:2] == list(marks.footer_lines)
    assert "ConfidentialPage 1 of 1" in footer  # "Confidential", a tab, then the fields' results
    assert "Copy for" not in docx_text(data)


def test_footer_counts_pages_with_page_and_numpages_fields() -> None:
    data = _render(LETTER)
    names = [n for n in _names(data) if re.fullmatch(r"word/footer\d+\.xml", n)]
    instructions = [
        i.text.strip() for name in names for i in _part(data, name).iter(f"{W}instrText")
    ]
    assert instructions == ["PAGE", "NUMPAGES"]


def _size_half_points(data: bytes, style_id: str) -> int:
    styles = _part(data, "word/styles.xml")
    style = next(s for s in styles.iter(f"{W}style") if s.get(f"{W}styleId") == style_id)
    return int(style.find(f"{W}rPr/{W}sz").get(f"{W}val"))


@pytest.mark.parametrize(
    ("body_class", "normal", "heading_1"),
    [
        ("standard", 21, 30),  # 10.5pt; h1 1.45em = 15.2pt → 15pt
        ("large", 32, 46),  # large print: 16pt; h1 23.2pt → 23pt
    ],
)
def test_print_size_follows_the_body_class(body_class: str, normal: int, heading_1: int) -> None:
    data = _render(_html("<h1>Title</h1><p>Words</p>", body_class))
    assert _size_half_points(data, "Normal") == normal
    assert _size_half_points(data, "Heading1") == heading_1


def test_the_body_and_headings_are_in_arial_which_council_machines_have() -> None:
    # Issue 16: DejaVu Sans, the PDF's font, is not on council Windows machines, so Word drew
    # the DOCX in whatever it substituted. Arial is; Liberation Sans (scripts/bootstrap), with
    # Arial's metrics, stands in for it where the DOCX is rendered here.
    styles = _part(_render(_html("<h1>Title</h1><p>Words</p>")), "word/styles.xml")
    fonts = styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}rFonts")
    assert fonts.get(f"{W}ascii") == fonts.get(f"{W}hAnsi") == "Arial"
    named = {f.get(f"{W}ascii") for f in styles.iter(f"{W}rFonts") if f.get(f"{W}ascii")}
    assert named == {"Arial"}


def test_the_footer_is_at_the_large_size_in_large_print_and_8pt_otherwise() -> None:
    # The page numbers and "Confidential" are read by a large-print reader too (issue 16).
    assert _size_half_points(_render(_html("<p>Words</p>", "large")), "Footer") == 32
    assert _size_half_points(_render(_html("<p>Words</p>")), "Footer") == 16


def test_the_letterheads_logo_is_left_out_and_any_other_image_refused() -> None:
    # The logo is an <img> for the tagged PDF (its alt text names the authority); the DOCX
    # carries words only and names the authority in its own letterhead.
    logo = '<img class="logo" src="logo.svg" alt="Northby Borough Council"><p>Words</p>'
    assert [t for _, t in _paragraphs(_part(_render(_html(logo)), "word/document.xml"))] == [
        "Words"
    ]
    with pytest.raises(RenderError, match="<img>"):
        _render(_html('<img class="photo" src="logo.svg" alt="x"><p>Words</p>'))


# --- safety: metadata, hidden parts, markup ---------------------------------------------------


def test_metadata_is_only_the_title_and_the_authority() -> None:
    data = _render(LETTER)
    core = _part(data, "docProps/core.xml")
    assert [(etree.QName(e).localname, e.text) for e in core] == [
        ("title", "A letter CPC-1"),
        ("creator", "Northby Borough Council"),
    ]
    assert len(_part(data, "docProps/app.xml")) == 0  # no application, company, manager...


def test_no_comments_tracked_changes_hidden_text_embeddings_or_custom_xml() -> None:
    data = _render(LETTER, DocxMarks(("Copy for Priya Anand",)))
    names = _names(data)
    assert not [n for n in names if "comments" in n or "custom" in n.lower()]
    assert not [n for n in names if n.startswith(("word/embeddings/", "word/media/", "customXml/"))]
    assert "docProps/thumbnail.jpeg" not in names
    forbidden = {f"{W}{name}" for name in ("ins", "del", "vanish", "object", "altChunk", "rsids")}
    for name in (n for n in names if n.endswith(".xml")):
        tags = {element.tag for element in _part(data, name).iter()}
        assert not tags & forbidden, name


MARKUP_LOOKALIKES = [
    '<img src="file:///etc/passwd">',
    "{{ x }}",
    "{%p if %}",
    "{% if true %}yes{% endif %}",
    "Fish & Chips < 5 > 3",
    "<w:p><w:r><w:t>injected</w:t></w:r></w:p>",
    "{_{ y }_} {_% z %_}",  # docxtpl rewrites these in its XML unless kept apart
    "]]> &amp; &#39;",
]


def test_markup_looking_text_stays_literal_in_the_body() -> None:
    html = _html(
        "".join(f"<p>{escape(text)}</p>" for text in MARKUP_LOOKALIKES)
    )  # as Jinja escapes
    data = _render(html)
    assert docx_text(data).split("\n") == MARKUP_LOOKALIKES
    body = _part(data, "word/document.xml").find(f"{W}body")
    assert len(body.findall(f"{W}p")) == len(MARKUP_LOOKALIKES)  # nothing injected a paragraph
    assert body.find(f".//{W}drawing") is None


def test_markup_looking_text_stays_literal_in_the_footer() -> None:
    marks = DocxMarks(tuple(MARKUP_LOOKALIKES[:6]))
    assert _footer_texts(_render(LETTER, marks))[:6] == MARKUP_LOOKALIKES[:6]


def test_markup_looking_title_stays_literal_in_the_metadata() -> None:
    html = LETTER.replace("A  letter\n CPC-1", str(escape("{{ x }} <b>&")))
    core = _part(_render(html), "docProps/core.xml")
    assert core.findtext("{http://purl.org/dc/elements/1.1/}title") == "{{ x }} <b>&"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ('<p>See <img src="file:///etc/passwd"></p>', "<img>"),  # the PDF's fetcher refuses it too
        ("<script>alert(1)</script>", "<script>"),
        ("<p>bell \x07</p>", "U+0007"),  # cannot be written in XML
        ("<p hidden>secret</p>", "hidden"),
        ("<table><tr><td colspan=2>x</td></tr></table>", "merged"),
    ],
)
def test_what_cannot_be_carried_faithfully_fails_loudly(body: str, problem: str) -> None:
    with pytest.raises(RenderError, match=re.escape(problem)):
        _render(_html(body))


# --- determinism and the template -------------------------------------------------------------


def test_the_same_html_gives_byte_identical_docx() -> None:
    marks = DocxMarks(("Copy for Priya Anand",))
    first, second = _render(LETTER, marks), _render(LETTER, marks)
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_template_uses_exactly_the_variables_render_docx_passes() -> None:
    template = Composer.at().templates / "document.docx"
    assert DocxTemplate(template).get_undeclared_template_variables() == CONTEXT_VARIABLES


def test_a_template_asking_for_more_variables_is_refused(tmp_path: Path) -> None:
    from docx import Document

    document = Document()
    document.add_paragraph("{{p body }}")
    document.add_paragraph("{{ footer_lines }} {{ secret }}")
    document.save(tmp_path / "document.docx")
    with pytest.raises(RenderError, match="secret"):
        render_docx(LETTER, NO_MARKS, tmp_path)


def test_a_missing_template_is_a_render_error(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="could not be rendered"):
        render_docx(LETTER, NO_MARKS, tmp_path)


def test_a_footer_line_docxtpl_would_rewrite_fails_loudly() -> None:
    # docxtpl turns "{_{" into "{{" after Jinja has run; the body is protected by splitting runs,
    # a footer line (printed by the template's own loop) cannot be, so it is refused, not altered.
    with pytest.raises(RenderError, match="footer lines missing"):
        _render(LETTER, DocxMarks(("Copy for {_{ odd name",)))


def test_committed_template_is_what_the_script_writes() -> None:
    spec = importlib.util.spec_from_file_location(
        "make_docx_template", ROOT / "scripts" / "make_docx_template.py"
    )
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    committed = (ROOT / "templates" / "document.docx").read_bytes()
    assert script.build() == committed, "run scripts/make_docx_template.py and commit the template"

"""HTML of one document → DOCX bytes (docxtpl), with the PDF's words and no stray metadata.

The words live only in the Jinja templates: compose.py turns a view into HTML, render_pdf.py lays
that HTML out as a PDF, and this module reads the same HTML back into Word headings, paragraphs,
bullets and tables. Three steps, each a function:

    read_html(html) -> Page                  HTML → a small block model (pure: no docx, no files;
                                             `docx_blocks`)
    _fill(container, blocks)                 block model → python-docx calls in a docxtpl subdoc
                                             (here)
    clean_package(docx, title, author)       docxtpl's zip → the zip that is sent (`docx_package`):
                                             allow-listed parts only, core.xml holding title and creator only,
                                             fixed timestamps (the same HTML gives the same bytes)

Export text reaches Word only as run text set through python-docx, which escapes it, inside a
subdoc that docxtpl pastes in as finished XML: Jinja runs on the template's own tags, never on the
export's words. docxtpl still rewrites a few character sequences in the XML after Jinja has run, so
the body and footer text are read back after rendering and compared with what went in; a
difference raises RenderError instead of sending altered words.
"""

from __future__ import annotations

import copy
import functools
import io
import itertools
import re
import unicodedata
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import docx as docx_package_api
import jinja2
from docx.document import Document as DocxDocument
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu, Pt
from docx.styles.styles import Styles
from docx.table import Table as DocxTable
from docx.table import _Cell as DocxCell
from docx.text.paragraph import Paragraph as DocxParagraph
from docxtpl import DocxTemplate
from docxtpl.subdoc import Subdoc
from lxml import etree

from pipeline.contract.printable import needs_a_glyph
from pipeline.errors import RenderError
from pipeline.rendering.docx_blocks import (
    Block,
    Cell,
    Page,
    Paragraph,
    Run,
    Table,
    collapsed,
    expected_lines,
    read_html,
)
from pipeline.rendering.docx_package import clean_package, docx_text, xml_parts, xml_texts
from pipeline.rendering.fonts import EAST_ASIAN_FAMILY, script_font

# Callers import the block model, read_html, clean_package and docx_text from here.
__all__ = [
    "CONTEXT_VARIABLES",
    "FOOTER_PT",
    "LARGE_PT",
    "NORMAL_PT",
    "TEMPLATE_NAME",
    "Block",
    "Cell",
    "DocxMarks",
    "Page",
    "Paragraph",
    "Run",
    "Table",
    "apply_print_size",
    "clean_package",
    "complex_script_size_as_latin",
    "docx_text",
    "read_html",
    "render_docx",
    "script_runs",
    "write_paragraph",
]

TEMPLATE_NAME = "document.docx"
CONTEXT_VARIABLES = frozenset({"body", "footer_lines"})  # everything document.docx may use

# Base font sizes, as templates/_style.css: `html { font: 10.5pt }`, `body.large { font-size: 16pt }`.
NORMAL_PT = 10.5
LARGE_PT = 16.0
FOOTER_PT = 8.0  # the footer in standard print, as `@page @bottom-left { font: 8pt }`
# Styles sized relative to the base (CSS em); scripts/make_docx_template.py writes the same.
STYLE_EM: dict[str, float] = {
    "Normal": 1.0,
    "Heading 1": 1.45,
    "Heading 2": 1.2,
    "Heading 3": 1.05,
    "Authority": 1.3,
}


@dataclass(frozen=True)
class DocxMarks:
    """Per-recipient lines printed in the page footer of every page (spec §4 rule 5)."""

    footer_lines: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------
# Page → python-docx calls

# docxtpl turns "{_{", "}_}", "{_%" and "%_}" into "{{", "}}", "{%" and "%}" in the finished XML;
# a run boundary between the two characters keeps export text such as "{_{" as written.
DOCXTPL_REWRITES = re.compile(r"(?<=[{}%])(?=_[{}%])")
FULL_WIDTH_PCT = "5000"  # w:tblW in fiftieths of a percent: 100 %


class _Container(Protocol):  # a subdoc (python-docx Document) or a table cell
    def add_paragraph(self, text: str = "", style: str | None = None) -> DocxParagraph: ...

    def add_table(self, rows: int, cols: int) -> DocxTable: ...


def _fill(container: _Container, blocks: Sequence[Block], width: int) -> None:
    for block in blocks:
        if isinstance(block, Paragraph):
            write_paragraph(container.add_paragraph(), block)
        else:
            _write_table(container, block, width)


def write_paragraph(paragraph: DocxParagraph, block: Paragraph) -> None:
    if block.style is not None:
        paragraph.style = block.style  # looked up in document.docx's styles: a missing one raises
    for run in block.runs:
        if run.text == "\n":
            paragraph.add_run().add_break()
            continue
        for chunk in DOCXTPL_REWRITES.split(run.text):
            for text, family in script_runs(chunk):
                docx_run = paragraph.add_run(text)
                docx_run.bold = run.bold or None  # None: inherit from the style, as CSS does
                docx_run.italic = run.italic or None
                if family is not None:
                    _name_font(docx_run.element.get_or_add_rPr(), family)


def script_runs(text: str) -> Iterator[tuple[str, str | None]]:
    """`text` cut where the font changes: (piece, the family of its script, or None for the
    style's DejaVu Sans). Word takes one font a run and LibreOffice one for each of three kinds
    of script, where the PDF falls back glyph by glyph (templates/_fonts.css), so a run in
    Bengali, Tamil, Chinese... names the family that draws it. Marks, joiners and variation
    selectors stay with the character before them, or a conjunct or emoji would be split."""
    pieces: list[tuple[str, str | None]] = []
    for char in text:
        font = script_font(char)
        family = font.family if font is not None else None
        if pieces and (family == pieces[-1][1] or _attaches(char)):
            pieces[-1] = (pieces[-1][0] + char, pieces[-1][1])
        else:
            pieces.append((char, family))
    yield from pieces


def _attaches(char: str) -> bool:
    return unicodedata.category(char) in ("Mn", "Mc", "Me", "Cf") or not needs_a_glyph(char)


def _name_font(r_pr: etree._Element, family: str) -> None:
    # All four slots: Word chooses among ascii, hAnsi, eastAsia and cs by the character (and
    # the hint), so naming one alone would leave the others to the style's DejaVu Sans.
    fonts = r_pr.get_or_add_rFonts()
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), family)
    if family == EAST_ASIAN_FAMILY:
        fonts.set(qn("w:hint"), "eastAsia")  # full-width letters are East Asian, not Latin


def _write_table(container: _Container, table: Table, width: int) -> None:
    columns = max(len(row) for row in table.rows)
    if columns == 0:
        return
    docx_table = container.add_table(rows=len(table.rows), cols=columns)
    docx_table.style = "Table Grid"
    _full_width(docx_table, width, columns)
    leading_header = True
    for row, docx_row in zip(table.rows, docx_table.rows, strict=True):
        header = bool(row) and all(cell.header for cell in row)
        if header and leading_header:
            _repeat_as_header(docx_row._tr)  # a table split over pages repeats its header row
        leading_header = leading_header and header
        for cell, docx_cell in zip(row, docx_row.cells, strict=False):
            if cell.header:
                _shade(docx_cell._tc)
            _fill_cell(docx_cell, cell.blocks, width)


def _fill_cell(docx_cell: DocxCell, blocks: Sequence[Block], width: int) -> None:
    # A new cell already holds the one paragraph Word requires: write the first paragraph into it.
    if blocks and isinstance(blocks[0], Paragraph):
        write_paragraph(docx_cell.paragraphs[0], blocks[0])
        blocks = blocks[1:]
    _fill(docx_cell, blocks, width)


def _full_width(docx_table: DocxTable, width: int, columns: int) -> None:
    """As CSS `table { width: 100% }`: python-docx sized the grid for its own Letter page."""
    tbl_pr = docx_table._tbl.tblPr
    tbl_w = tbl_pr.find(qn("w:tblW"))
    if tbl_w is None:
        tbl_w = OxmlElement("w:tblW")
        tbl_pr.append(tbl_w)
    tbl_w.set(qn("w:type"), "pct")
    tbl_w.set(qn("w:w"), FULL_WIDTH_PCT)
    column_width = Emu(width // columns)
    for column in docx_table.columns:
        column.width = column_width
    for docx_row in docx_table.rows:
        for docx_cell in docx_row.cells:
            docx_cell.width = column_width


def _repeat_as_header(tr: etree._Element) -> None:
    tr_pr = tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:tblHeader"))


def _shade(tc: etree._Element) -> None:
    """As CSS `th { background: #eee }`."""
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), "EEEEEE")
    tc.get_or_add_tcPr().append(shd)


def apply_print_size(styles: Styles, base_pt: float) -> None:
    """Sizes every body style from the base size (CSS em). The footer (whose copy it is,
    "Confidential", the page numbers) keeps its own 8pt in standard print; in large print it is
    at the large size too: a reader who needs large print reads those lines as well."""
    for name, em in STYLE_EM.items():
        style = styles[name]
        style.font.size = Pt(round(base_pt * em * 2) / 2)  # Word stores half-points
        complex_script_size_as_latin(style.element.get_or_add_rPr())
    footer = styles["Footer"]
    footer.font.size = Pt(base_pt if base_pt >= LARGE_PT else FOOTER_PT)
    complex_script_size_as_latin(footer.element.get_or_add_rPr())


def complex_script_size_as_latin(r_pr: etree._Element) -> None:
    """w:szCs sizes Arabic, Hebrew... text; python-docx sets only w:sz, so large print would leave
    a name in such a script at the small size."""
    sz = r_pr.find(qn("w:sz"))
    sz_cs = r_pr.find(qn("w:szCs"))
    if sz_cs is None:
        sz_cs = OxmlElement("w:szCs")
        sz.addnext(sz_cs)  # w:szCs follows w:sz in w:rPr (schema order)
    sz_cs.set(qn("w:val"), sz.get(qn("w:val")))


# ---------------------------------------------------------------------------------------------
# render_docx: the stage


def render_docx(html: str, marks: DocxMarks, templates: Path) -> bytes:
    """The document's HTML and the reader's footer lines → DOCX bytes, or RenderError."""
    page = read_html(html)
    # An empty line carries no words: it is left out rather than printed as a blank footer line.
    footer_lines = tuple(line for line in map(collapsed, marks.footer_lines) if line)
    try:
        template = _checked_template((templates / TEMPLATE_NAME).read_bytes())
        rendered = _render_template(template, page, footer_lines)
    except (OSError, KeyError, ValueError, jinja2.TemplateError, zipfile.BadZipFile) as exc:
        # python-docx raises KeyError for a style the template lacks, ValueError for bad text.
        raise RenderError(f"the DOCX could not be rendered: {exc!r}") from exc
    data = clean_package(rendered, title=page.title, author=page.author)
    _check_words(data, page, footer_lines)
    return data


def _render_template(template: bytes, page: Page, footer_lines: tuple[str, ...]) -> bytes:
    tpl = DocxTemplate(io.BytesIO(template))
    # A copy of the template opened once per process (~25 ms an opening), never the one itself:
    # rendering changes the document it renders into.
    tpl.docx = copy.deepcopy(_opened(template))
    docx = tpl.get_docx()
    apply_print_size(docx.styles, LARGE_PT if page.large_print else NORMAL_PT)
    body = _new_subdoc(tpl)
    _fill(body, page.blocks, _text_width(docx))
    tpl.render({"body": body, "footer_lines": footer_lines}, _jinja_environment(), autoescape=True)
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()


@functools.lru_cache(maxsize=4)
def _opened(template: bytes) -> DocxDocument:
    return docx_package_api.Document(io.BytesIO(template))


@functools.cache
def _empty_body() -> etree._Element:
    # python-docx's default package (~100 ms to open, most of it its styles), opened once per
    # process for what a subdocument takes from it: an empty document element to fill.
    return docx_package_api.Document().element


def _new_subdoc(tpl: DocxTemplate) -> Subdoc:
    """As `tpl.new_subdoc()`, without opening python-docx's default package for each one: the
    subdocument writes into an empty body of its own and reads the template's styles, as
    docxtpl's own does (it swaps in the template's part the same way)."""
    subdoc = Subdoc.__new__(Subdoc)
    subdoc.tpl = tpl
    subdoc.docx = tpl.get_docx()
    subdoc.subdocx = DocxDocument(copy.deepcopy(_empty_body()), subdoc.docx.part)
    return subdoc


def _text_width(docx: DocxDocument) -> int:
    section = docx.sections[0]
    return int(section.page_width - section.left_margin - section.right_margin)


def _jinja_environment() -> jinja2.Environment:
    # A fresh one per render: docxtpl sets attributes on the environment it is given.
    return jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)


@functools.lru_cache(maxsize=4)
def _checked_template(template: bytes) -> bytes:
    """Checks once per template that it uses exactly the variables render_docx passes."""
    used = DocxTemplate(io.BytesIO(template)).get_undeclared_template_variables(
        _jinja_environment()
    )
    if used != CONTEXT_VARIABLES:
        raise RenderError(
            f"{TEMPLATE_NAME} uses {sorted(used)}, but render_docx passes {sorted(CONTEXT_VARIABLES)}"
        )
    return template


def _check_words(data: bytes, page: Page, footer_lines: tuple[str, ...]) -> None:
    """The words that went in are the words that came out, in the body and in the footer."""
    got = [line for line in docx_text(data).split("\n") if line]
    want = [line for line in "\n".join(expected_lines(page.blocks)).split("\n") if line]
    if got != want:
        pairs = itertools.zip_longest(got, want, fillvalue="")
        first = next(i for i, (a, b) in enumerate(pairs) if a != b)
        raise RenderError(f"the DOCX body does not say what the HTML says (paragraph {first + 1})")
    footers = [p for name, xml in xml_parts(data, r"word/footer\d+\.xml") for p in xml_texts(xml)]
    if missing := [line for line in footer_lines if line not in footers]:
        raise RenderError(f"footer lines missing from the DOCX: {missing}")

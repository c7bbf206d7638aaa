"""HTML of one document → DOCX bytes (docxtpl), with the PDF's words and no stray metadata.

The words live only in the Jinja templates: compose.py turns a view into HTML, render_pdf.py lays
that HTML out as a PDF, and this module reads the same HTML back into Word headings, paragraphs,
bullets and tables. Three steps, each a function:

    read_html(html) -> Page                  HTML → a small block model (pure: no docx, no files)
    _fill(container, blocks)                 block model → python-docx calls in a docxtpl subdoc
    clean_package(docx, title, author)       docxtpl's zip → the zip that is sent: allow-listed
                                             parts only, core.xml holding title and creator only,
                                             fixed timestamps (the same HTML gives the same bytes)

Export text reaches Word only as run text set through python-docx, which escapes it, inside a
subdoc that docxtpl pastes in as finished XML: Jinja runs on the template's own tags, never on the
export's words. docxtpl still rewrites a few character sequences in the XML after Jinja has run, so
the body and footer text are read back after rendering and compared with what went in; a
difference raises RenderError instead of sending altered words.
"""

from __future__ import annotations

import functools
import io
import itertools
import posixpath
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

import jinja2
import lxml.html
from docx.document import Document as DocxDocument
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu, Pt
from docx.styles.styles import Styles
from docx.table import Table as DocxTable
from docx.table import _Cell as DocxCell
from docx.text.paragraph import Paragraph as DocxParagraph
from docxtpl import DocxTemplate
from lxml import etree

from pipeline.contract.printable import needs_a_glyph
from pipeline.errors import RenderError
from pipeline.rendering.fonts import EAST_ASIAN_FAMILY, script_font

TEMPLATE_NAME = "document.docx"
CONTEXT_VARIABLES = frozenset({"body", "footer_lines"})  # everything document.docx may use

# Base font sizes, as templates/_style.css: `html { font: 10.5pt }`, `body.large { font-size: 16pt }`.
NORMAL_PT = 10.5
LARGE_PT = 16.0
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
# The block model: what the HTML says, in the few shapes a Word document needs.


@dataclass(frozen=True, slots=True)
class Run:
    """Text with one formatting; the text "\\n" alone is a line break (<br>)."""

    text: str
    bold: bool = False
    italic: bool = False


@dataclass(frozen=True, slots=True)
class Paragraph:
    runs: tuple[Run, ...]
    style: str | None = None  # a paragraph style of templates/document.docx; None is Normal

    @property
    def text(self) -> str:
        return "".join(run.text for run in self.runs)


@dataclass(frozen=True, slots=True)
class Cell:
    blocks: tuple[Paragraph | Table, ...]
    header: bool


@dataclass(frozen=True, slots=True)
class Table:
    rows: tuple[tuple[Cell, ...], ...]


Block = Paragraph | Table


@dataclass(frozen=True, slots=True)
class Page:
    title: str | None
    author: str | None
    large_print: bool
    blocks: tuple[Block, ...]


# ---------------------------------------------------------------------------------------------
# HTML → Page

HEADING_STYLES = {
    "h1": "Heading 1",
    "h2": "Heading 2",
    "h3": "Heading 3",
    "h4": "Heading 3",  # the templates use h1-h3; deeper levels keep their words as Heading 3
    "h5": "Heading 3",
    "h6": "Heading 3",
}
LIST_STYLES = {"ul": ("List Bullet", "List Bullet 2", "List Bullet 3"),
               "ol": ("List Number", "List Number 2", "List Number 3")}  # fmt: skip
# CSS classes of templates/_style.css that change how a paragraph looks, as Word styles.
CLASS_STYLES = {"withheld": "Withheld", "marking": "Marking", "authority": "Authority"}
ITALIC_CLASSES = frozenset({"withheld"})
# Block-level elements break the paragraph around them. (<pre> is read like <p>, its spacing
# collapsed: the templates have none.)
BLOCK_TAGS = frozenset(
    {"address", "article", "aside", "blockquote", "body", "dd", "div", "dl", "dt", "figcaption",
     "figure", "footer", "header", "hr", "li", "main", "nav", "p", "pre", "section",
     "table", "ul", "ol", *HEADING_STYLES}
)  # fmt: skip
# Not content: what a browser does not show either.
INVISIBLE_TAGS = frozenset({"head", "title", "meta", "style", "template"})
# Things that fetch or run something: WeasyPrint's fetcher refuses them for the PDF, so the DOCX
# refuses them too rather than silently leaving a hole.
REFUSED_TAGS = frozenset(
    {"script", "img", "picture", "svg", "object", "embed", "iframe", "frame", "frameset", "video",
     "audio", "source", "canvas", "link", "base", "input", "form", "applet", "math"}
)  # fmt: skip
HTML_SPACE = re.compile(r"[ \t\n\f\r]+")  # HTML collapses these, and only these (not NBSP)
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class _Context:
    """What an element inherits from its ancestors."""

    style: str | None = None
    bold: bool = False
    italic: bool = False
    list_depth: int = 0


@dataclass
class _Inline:
    """Inline content being gathered into one paragraph, whitespace collapsed as HTML does."""

    runs: list[Run] = field(default_factory=list)

    def text(self, text: str | None, ctx: _Context) -> None:
        if not text:
            return
        text = HTML_SPACE.sub(" ", text)
        if self._at_space():
            text = text.lstrip(" ")
        if text:
            _refuse_non_xml(text)
            self.runs.append(Run(text, ctx.bold, ctx.italic))

    def line_break(self, ctx: _Context) -> None:
        self._strip_end()
        self.runs.append(Run("\n", ctx.bold, ctx.italic))

    def take(self, style: str | None) -> Paragraph | None:
        self._strip_end()
        runs, self.runs = _merge(self.runs), []
        return Paragraph(runs, style) if runs else None

    def _at_space(self) -> bool:
        return not self.runs or self.runs[-1].text == "\n" or self.runs[-1].text.endswith(" ")

    def _strip_end(self) -> None:
        while self.runs and self.runs[-1].text != "\n":
            last = self.runs.pop()
            if trimmed := last.text.rstrip(" "):
                self.runs.append(replace(last, text=trimmed))
                return


def _merge(runs: Iterable[Run]) -> tuple[Run, ...]:
    """Neighbouring runs with the same formatting become one (fewer w:r, same text)."""
    merged: list[Run] = []
    for run in runs:
        if (
            merged
            and run.text != "\n"
            and merged[-1].text != "\n"
            and ((merged[-1].bold, merged[-1].italic) == (run.bold, run.italic))
        ):
            merged[-1] = replace(merged[-1], text=merged[-1].text + run.text)
        else:
            merged.append(run)
    return tuple(merged)


def _refuse_non_xml(text: str) -> None:
    if bad := NOT_XML.search(text):
        raise RenderError(
            f"text holds the control character U+{ord(bad.group()):04X}, which a DOCX cannot carry"
        )


def _collapsed(text: str | None) -> str | None:
    if text is None:
        return None
    text = HTML_SPACE.sub(" ", text).strip(" ")
    _refuse_non_xml(text)
    return text or None


def read_html(html: str) -> Page:
    """The document's HTML (as compose.py writes it) → title, author, print size and blocks."""
    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError) as exc:
        raise RenderError(f"the document's HTML could not be read: {exc}") from exc
    body = root.find("body")
    if body is None:
        raise RenderError("the document's HTML has no <body>")
    author = root.xpath("string(head/meta[@name='author']/@content)")
    return Page(
        title=_collapsed(root.findtext("head/title")),
        author=_collapsed(author),
        large_print="large" in _classes(body),
        blocks=tuple(_container(body, _Context())),
    )


def _classes(element: etree._Element) -> set[str]:
    return set((element.get("class") or "").split())


def _inherit(ctx: _Context, element: etree._Element) -> _Context:
    classes = _classes(element)
    styles = [CLASS_STYLES[c] for c in sorted(classes) if c in CLASS_STYLES]
    return replace(
        ctx,
        style=styles[0] if styles else ctx.style,
        italic=ctx.italic or bool(classes & ITALIC_CLASSES) or element.tag in ("i", "em"),
        bold=ctx.bold or element.tag in ("b", "strong", "th"),
    )


def _check_element(element: etree._Element) -> None:
    if element.tag in REFUSED_TAGS:
        raise RenderError(f"<{element.tag}> cannot go into a document: documents carry words only")
    if element.get("hidden") is not None:
        raise RenderError(f"<{element.tag} hidden>: hidden text has no place in a document")


def _is_element(node: etree._Element) -> bool:
    return isinstance(node.tag, str)  # comments and processing instructions have no str tag


def _container(element: etree._Element, ctx: _Context) -> list[Block]:
    """A block element: its inline content as paragraphs (split at block children), in order."""
    blocks: list[Block] = []
    inline = _Inline()

    def flush() -> None:
        if (paragraph := inline.take(ctx.style)) is not None:
            blocks.append(paragraph)

    inline.text(element.text, ctx)
    for child in element:
        if _is_element(child) and child.tag in BLOCK_TAGS:
            flush()
            blocks.extend(_block(child, ctx))
        elif _is_element(child):
            _inline(child, ctx, inline)
        inline.text(child.tail, ctx)
    flush()
    return blocks


def _inline(element: etree._Element, ctx: _Context, inline: _Inline) -> None:
    """An inline (or unknown) element: its text is kept, with bold/italic where HTML says so."""
    _check_element(element)
    if element.tag in INVISIBLE_TAGS:
        return
    if element.tag == "br":
        inline.line_break(ctx)
        return
    ctx = _inherit(ctx, element)
    inline.text(element.text, ctx)
    for child in element:
        if _is_element(child):
            _inline(child, ctx, inline)
        inline.text(child.tail, ctx)


def _block(element: etree._Element, ctx: _Context) -> list[Block]:
    _check_element(element)
    ctx = _inherit(ctx, element)
    tag = element.tag
    if tag in HEADING_STYLES:
        return _container(element, replace(ctx, style=HEADING_STYLES[tag]))
    if tag in LIST_STYLES:
        return _list(element, ctx)
    if tag == "li":  # an item outside a list still reads as an item
        return _container(element, replace(ctx, style=LIST_STYLES["ul"][0]))
    if tag == "table":
        return _table(element, ctx)
    return _container(element, ctx)


def _no_stray_text(element: etree._Element) -> None:
    """Text directly inside <ul>, <table> or <tr> belongs to no item or cell: refuse, do not drop."""
    texts = [element.text] + [child.tail for child in element]
    if any(t and t.strip() for t in texts):
        raise RenderError(f"text directly inside <{element.tag}> belongs to no item or cell")


def _list(element: etree._Element, ctx: _Context) -> list[Block]:
    _no_stray_text(element)
    styles = LIST_STYLES[element.tag]
    item_ctx = replace(
        ctx, style=styles[min(ctx.list_depth, len(styles) - 1)], list_depth=ctx.list_depth + 1
    )
    blocks: list[Block] = []
    for child in element:
        if not _is_element(child):
            continue
        _check_element(child)
        blocks.extend(_container(child, _inherit(item_ctx, child)))
    return blocks


def _table(element: etree._Element, ctx: _Context) -> list[Block]:
    """<table> → the blocks of any caption, then one Table (rows in order, thead/tbody/tfoot too)."""
    _no_stray_text(element)
    before: list[Block] = []
    rows: list[tuple[Cell, ...]] = []
    for child in element:
        if not _is_element(child):
            continue
        _check_element(child)
        if child.tag == "tr":
            rows.append(_row(child, ctx))
        elif child.tag in ("thead", "tbody", "tfoot"):
            _no_stray_text(child)
            rows.extend(_row(tr, ctx) for tr in child if _is_element(tr))
        elif child.tag not in ("colgroup", "col"):  # a caption or anything else keeps its words
            before.extend(_container(child, ctx))
    return [*before, Table(tuple(rows))] if rows else before


def _row(tr: etree._Element, ctx: _Context) -> tuple[Cell, ...]:
    _check_element(tr)
    _no_stray_text(tr)
    cells = []
    for cell in tr:
        if not _is_element(cell):
            continue
        _check_element(cell)
        if int(cell.get("colspan") or 1) != 1 or int(cell.get("rowspan") or 1) != 1:
            raise RenderError("merged table cells (colspan, rowspan) are not supported in DOCX")
        # A cell starts afresh: no list or paragraph style leaks in from around the table.
        cell_ctx = _inherit(_Context(bold=ctx.bold, italic=ctx.italic), cell)
        cells.append(Cell(tuple(_container(cell, cell_ctx)), header=cell.tag == "th"))
    return tuple(cells)


def _expected_lines(blocks: Sequence[Block]) -> Iterator[str]:
    """The paragraph texts `blocks` should give in the DOCX: tables row by row, cell by cell."""
    for block in blocks:
        if isinstance(block, Paragraph):
            yield block.text
        else:
            for row in block.rows:
                for cell in row:
                    yield from _expected_lines(cell.blocks)


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
            _write_paragraph(container.add_paragraph(), block)
        else:
            _write_table(container, block, width)


def _write_paragraph(paragraph: DocxParagraph, block: Paragraph) -> None:
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
        _write_paragraph(docx_cell.paragraphs[0], blocks[0])
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
    """Sizes every body style from the base size (CSS em); the footer keeps its own 8pt."""
    for name, em in STYLE_EM.items():
        style = styles[name]
        style.font.size = Pt(round(base_pt * em * 2) / 2)  # Word stores half-points
        complex_script_size_as_latin(style.element.get_or_add_rPr())


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
    footer_lines = tuple(line for line in map(_collapsed, marks.footer_lines) if line)
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
    docx = tpl.get_docx()
    apply_print_size(docx.styles, LARGE_PT if page.large_print else NORMAL_PT)
    body = tpl.new_subdoc()
    _fill(body, page.blocks, _text_width(docx))
    tpl.render({"body": body, "footer_lines": footer_lines}, _jinja_environment(), autoescape=True)
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()


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
    want = [line for line in "\n".join(_expected_lines(page.blocks)).split("\n") if line]
    if got != want:
        pairs = itertools.zip_longest(got, want, fillvalue="")
        first = next(i for i, (a, b) in enumerate(pairs) if a != b)
        raise RenderError(f"the DOCX body does not say what the HTML says (paragraph {first + 1})")
    footers = [p for name, xml in _xml_parts(data, r"word/footer\d+\.xml") for p in _texts(xml)]
    if missing := [line for line in footer_lines if line not in footers]:
        raise RenderError(f"footer lines missing from the DOCX: {missing}")


# ---------------------------------------------------------------------------------------------
# Reading a DOCX back

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _parse(xml: bytes) -> etree._Element:
    # No entities, no network; a parser per call, since lxml parser objects are not thread-safe.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    return etree.fromstring(xml, parser=parser)


def _xml_parts(data: bytes, pattern: str) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = sorted(n for n in archive.namelist() if re.fullmatch(pattern, n))
        return [(name, archive.read(name)) for name in names]


def _paragraph_text(p: etree._Element) -> str:
    pieces = []
    for node in p.iter(f"{{{W}}}t", f"{{{W}}}tab", f"{{{W}}}br", f"{{{W}}}cr"):
        tag = etree.QName(node).localname
        pieces.append(node.text or "" if tag == "t" else "\t" if tag == "tab" else "\n")
    return "".join(pieces)


def _texts(xml: bytes) -> list[str]:
    return [_paragraph_text(p) for p in _parse(xml).iter(f"{{{W}}}p")]


def docx_text(data: bytes) -> str:
    """The body's text, paragraph by paragraph (tables row by row, cell by cell), '\\n'-joined."""
    xml = _xml_parts(data, r"word/document\.xml")
    if not xml:
        raise RenderError("not a DOCX: no word/document.xml")
    body = _parse(xml[0][1]).find(f"{{{W}}}body")
    return "\n".join(_paragraph_text(p) for p in body.iter(f"{{{W}}}p"))


# ---------------------------------------------------------------------------------------------
# The package: allow-listed parts, minimal metadata, deterministic zip

CP = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
DC = "http://purl.org/dc/elements/1.1/"
EXTENDED = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest a zip entry can say: no render time leaks out

# Parts a document may be made of; anything else (media, embeddings, comments, footnotes...)
# means the template or a library put something in that was not asked for.
ALLOWED_PARTS = re.compile(
    r"\[Content_Types\]\.xml|_rels/\.rels|docProps/(core|app)\.xml"
    r"|word/(document|styles|settings|numbering|fontTable|webSettings)\.xml|word/theme/theme1\.xml"
    r"|word/(header|footer)\d+\.xml|word/_rels/(document|header\d+|footer\d+)\.xml\.rels"
)
# Metadata parts python-docx's stock template carries: removed with their relationships.
DROPPED_PARTS = re.compile(r"docProps/custom\.xml|docProps/thumbnail\.\w+|customXml/.+")
# Elements that carry tracked changes, comments, hidden text, embedded or linked content.
FORBIDDEN = frozenset(
    f"{{{W}}}{name}"
    for name in (
        "ins", "del", "moveFrom", "moveTo", "moveFromRangeStart", "moveToRangeStart",
        "rPrChange", "pPrChange", "sectPrChange", "tblPrChange", "trPrChange", "tcPrChange",
        "cellIns", "cellDel", "cellMerge", "numberingChange", "trackRevisions",
        "vanish", "specVanish", "webHidden",
        "commentRangeStart", "commentRangeEnd", "commentReference", "annotationRef",
        "object", "embedObject", "altChunk", "subDoc", "customXml", "dataBinding",
        "attachedTemplate", "pict", "drawing", "rsids",
    )
)  # fmt: skip
ALLOWED_FIELD = re.compile(r"\s*(PAGE|NUMPAGES)(\s+\\\*\s+\w+)*\s*")


def clean_package(data: bytes, title: str | None, author: str | None) -> bytes:
    """A .docx → the same document with only allow-listed parts and metadata, zipped reproducibly."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts = _drop_metadata_parts(parts)
    parts["docProps/core.xml"] = _core_xml(title, author)
    parts["docProps/app.xml"] = _xml_bytes(
        etree.Element(f"{{{EXTENDED}}}Properties", nsmap={None: EXTENDED, "vt": VT})
    )
    _check_parts(parts)
    return _zip(parts)


def _drop_metadata_parts(parts: dict[str, bytes]) -> dict[str, bytes]:
    dropped = {name for name in parts if DROPPED_PARTS.fullmatch(name)}
    kept = {name: blob for name, blob in parts.items() if name not in dropped}
    if not dropped:
        return kept
    for name in [n for n in kept if n.endswith(".rels")]:
        kept[name] = _without_relationships_to(kept[name], _rels_base(name), dropped)
    types = _parse(kept["[Content_Types].xml"])
    for override in types.findall(f"{{{CONTENT_TYPES}}}Override"):
        if override.get("PartName", "").lstrip("/") in dropped:
            types.remove(override)
    kept["[Content_Types].xml"] = _xml_bytes(types)
    return kept


def _rels_base(rels_name: str) -> str:
    """'word/_rels/document.xml.rels' → 'word', the folder its relative targets start from."""
    return posixpath.dirname(posixpath.dirname(rels_name))


def _target(base: str, relationship: etree._Element) -> str:
    target = relationship.get("Target", "")
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(base, target))


def _without_relationships_to(rels: bytes, base: str, dropped: set[str]) -> bytes:
    root = _parse(rels)
    for relationship in root.findall(f"{{{RELS}}}Relationship"):
        if _target(base, relationship) in dropped:
            root.remove(relationship)
    return _xml_bytes(root)


def _core_xml(title: str | None, author: str | None) -> bytes:
    """core.xml with the title and the authority as creator: no dates, revision or last editor."""
    root = etree.Element(f"{{{CP}}}coreProperties", nsmap={"cp": CP, "dc": DC})
    for name, value in (("title", title), ("creator", author)):
        if value:
            etree.SubElement(root, f"{{{DC}}}{name}").text = value
    return _xml_bytes(root)


def _xml_bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _check_parts(parts: dict[str, bytes]) -> None:
    if unexpected := sorted(n for n in parts if not ALLOWED_PARTS.fullmatch(n)):
        raise RenderError(f"the DOCX would carry parts that are not allowed: {unexpected}")
    for name, blob in parts.items():
        if name.endswith(".rels"):
            _check_relationships(name, _parse(blob))
        elif name.startswith("word/"):
            _check_word_xml(name, _parse(blob))


def _check_relationships(name: str, root: etree._Element) -> None:
    for relationship in root.iter(f"{{{RELS}}}Relationship"):
        if relationship.get("TargetMode") == "External":
            raise RenderError(
                f"{name} links to an outside resource: {relationship.get('Target')!r}"
            )


def _check_word_xml(name: str, root: etree._Element) -> None:
    for element in root.iter():
        if element.tag in FORBIDDEN:
            raise RenderError(
                f"{name} holds <{etree.QName(element).localname}>, which no document may carry"
            )
        instruction = (
            element.text if element.tag == f"{{{W}}}instrText" else element.get(f"{{{W}}}instr")
        )
        if instruction is not None and not ALLOWED_FIELD.fullmatch(instruction):
            raise RenderError(
                f"{name} holds the field {instruction.strip()!r}; only PAGE and NUMPAGES may"
            )


def _zip(parts: dict[str, bytes]) -> bytes:
    """Same parts → same bytes: fixed order, timestamps, attributes and compression."""
    first = ["[Content_Types].xml", "_rels/.rels"]
    names = [n for n in first if n in parts] + sorted(n for n in parts if n not in first)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            archive.writestr(info, parts[name])
    return out.getvalue()

"""HTML of one document → a small block model (Page: headings, paragraphs, runs, tables); pure: no docx, no files.

The first of `pipeline.rendering.docx`'s three steps: the same HTML WeasyPrint lays out is read
back into the few shapes a Word document needs, refusing what it cannot carry faithfully (a
character XML cannot hold, an element that would fetch or run something).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace

import lxml.html
from lxml import etree

from pipeline.errors import RenderError

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
# The letterhead's logo (templates/letters/_base.html): an <img> for the tagged PDF's Figure and
# its alternative text; the DOCX carries no images (see REFUSED_TAGS), and its own letterhead is
# the authority's name in words, so the logo is left out rather than refused.
LOGO_CLASS = "logo"
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


def collapsed(text: str | None) -> str | None:
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
        title=collapsed(root.findtext("head/title")),
        author=collapsed(author),
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


def _is_logo(element: etree._Element) -> bool:
    return element.tag == "img" and LOGO_CLASS in (element.get("class") or "").split()


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
    if _is_logo(element):
        return
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


def expected_lines(blocks: Sequence[Block]) -> Iterator[str]:
    """The paragraph texts `blocks` should give in the DOCX: tables row by row, cell by cell."""
    for block in blocks:
        if isinstance(block, Paragraph):
            yield block.text
        else:
            for row in block.rows:
                for cell in row:
                    yield from expected_lines(cell.blocks)

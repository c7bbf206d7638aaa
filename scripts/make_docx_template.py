#!/usr/bin/env python3
"""python-docx → templates/document.docx, the Word template that pipeline/rendering/docx.py fills.

Run after editing this file: `.venv/bin/python scripts/make_docx_template.py`. The output is
reproducible (same python-docx, same bytes), so the committed template can be checked against it.

What the template holds, and why:
- A4 with the margins of templates/_style.css `@page` (22/20/26/22 mm), in Arial (what council
  Windows machines have: DejaVu Sans, the PDF's font, they lack; scripts/bootstrap installs
  Liberation Sans, metric-compatible with Arial, for rendering the DOCX here), British English
  for the spelling checker.
- The styles render_docx names: Normal, Heading 1-3, List Bullet/Number 1-3, Table Grid, Footer,
  and one per CSS class that changes a paragraph: Marking (bold capitals), Authority (the
  letterhead's blue), Withheld (italic with a rule on the left). Every other style of python-docx's
  stock template is removed: it ships about 160, 430 kB of them, in every document.
- The body: a single `{{p body }}` paragraph, which docxtpl replaces with the document's subdoc.
- The footer: a docxtpl loop printing each of `footer_lines` (who the copy is for), then
  "Confidential" and, at the right margin, "Page N of M" as PAGE and NUMPAGES fields.
- Nothing else: the stock template's custom XML, thumbnail, stylesWithEffects, revision ids and
  metadata are taken out, and render_docx.clean_package writes the zip with fixed timestamps.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_TAB_ALIGNMENT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph
from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a clone without an installed package, too

from pipeline.rendering.docx import (  # noqa: E402
    FOOTER_PT,
    NORMAL_PT,
    TEMPLATE_NAME,
    apply_print_size,
    clean_package,
    complex_script_size_as_latin,
)

OUTPUT = ROOT / "templates" / TEMPLATE_NAME
FONT = "Arial"
TEXT = RGBColor(0x11, 0x11, 0x11)  # `html { color: #111 }`
STYLES_USED = (
    "Normal", "Heading 1", "Heading 2", "Heading 3",
    "List Bullet", "List Bullet 2", "List Bullet 3", "List Number", "List Number 2", "List Number 3",
    "Table Grid", "Footer",
)  # fmt: skip
THEME_FONT_ATTRIBUTES = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")
THEME_COLOUR_ATTRIBUTES = ("w:themeColor", "w:themeShade", "w:themeTint")
P_PR_AFTER_BORDER = (
    "shd", "tabs", "suppressAutoHyphens", "kinsoku", "wordWrap", "overflowPunct", "topLinePunct",
    "autoSpaceDE", "autoSpaceDN", "bidi", "adjustRightInd", "snapToGrid", "spacing", "ind",
    "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc", "textDirection", "textAlignment",
    "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr", "sectPr", "pPrChange",
)  # fmt: skip
STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"


def main() -> None:
    OUTPUT.write_bytes(build())
    print(f"wrote {OUTPUT.relative_to(ROOT)}")


def build() -> bytes:
    """The template's bytes (tests compare them with the committed file)."""
    document = Document()
    _remove_stock_extras(document)
    _page(document)
    _defaults(document)
    _headings(document)
    _class_styles(document)
    _footer_style(document)
    apply_print_size(document.styles, NORMAL_PT)  # body sizes: the same code as at render time
    _keep_only_used_styles(document)
    document.add_paragraph("{{p body }}")
    _footer(document)
    _strip_revision_ids(document)
    out = io.BytesIO()
    document.save(out)
    return clean_package(out.getvalue(), title=None, author=None)


def _remove_stock_extras(document: DocxDocument) -> None:
    """Custom XML, the thumbnail and stylesWithEffects: nothing a letter needs, all of it carried."""
    part = document.part
    for r_id, rel in list(part.rels.items()):
        if rel.reltype in (RT.CUSTOM_XML, STYLES_WITH_EFFECTS):
            del part.rels[r_id]
    package_rels = part.package.rels
    for r_id, rel in list(package_rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            del package_rels[r_id]
    settings = document.settings.element
    for name in ("w:rsids", "w:savePreviewPicture", "w:proofState", "w14:docId"):
        for element in settings.findall(qn(name)):
            settings.remove(element)


def _page(document: DocxDocument) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.right_margin = Mm(22), Mm(20)
    section.bottom_margin, section.left_margin = Mm(26), Mm(22)
    section.header_distance, section.footer_distance = Mm(10), Mm(10)


def _fonts(r_pr: etree._Element) -> None:
    """Every script in Arial (a run in a script Arial lacks names its own font: docx.script_runs);
    theme fonts would win over it, so they go."""
    fonts = r_pr.get_or_add_rFonts()
    for attribute in THEME_FONT_ATTRIBUTES:
        fonts.attrib.pop(qn(attribute), None)
    for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attribute), FONT)


def _defaults(document: DocxDocument) -> None:
    styles = document.styles.element
    r_pr = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _fonts(r_pr)
    lang = r_pr.find(qn("w:lang"))
    lang.set(qn("w:val"), "en-GB")
    normal = document.styles["Normal"]
    normal.font.color.rgb = TEXT
    _fonts(normal.element.get_or_add_rPr())
    # `html { line-height: 1.45 }`, `p { margin: 0.35em 0 }`
    normal.paragraph_format.line_spacing = 1.45
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.space_after = Pt(4)


def _headings(document: DocxDocument) -> None:
    # (style, space before, space after) from `h1 { margin: 0.6em 0 0.3em }` and its siblings
    for name, before, after in (("Heading 1", 8, 4), ("Heading 2", 12, 3), ("Heading 3", 9, 2)):
        style = document.styles[name]
        _fonts(style.element.get_or_add_rPr())
        style.font.bold = True
        style.font.color.rgb = TEXT
        _drop_theme_colour(style.element)
        style.paragraph_format.space_before = Pt(before)
        style.paragraph_format.space_after = Pt(after)
    _border(document.styles["Heading 2"].element, "bottom", size_eighths=4, colour="999999")


def _drop_theme_colour(style: etree._Element) -> None:
    colour = style.get_or_add_rPr().find(qn("w:color"))
    if colour is not None:
        for attribute in THEME_COLOUR_ATTRIBUTES:
            colour.attrib.pop(qn(attribute), None)


def _border(style: etree._Element, side: str, size_eighths: int, colour: str) -> None:
    p_pr = style.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    line = OxmlElement(f"w:{side}")
    for key, value in (
        ("val", "single"),
        ("sz", str(size_eighths)),
        ("space", "4"),
        ("color", colour),
    ):
        line.set(qn(f"w:{key}"), value)
    borders.append(line)
    # w:pPr children have a fixed order (ECMA-376 CT_PPrBase); out of order, Word calls the file
    # corrupt. These are the ones that may follow w:pBdr.
    p_pr.insert_element_before(borders, *(f"w:{tag}" for tag in P_PR_AFTER_BORDER))


def _class_styles(document: DocxDocument) -> None:
    """One paragraph style per CSS class that changes how a paragraph looks."""
    styles = document.styles
    marking = styles.add_style("Marking", WD_STYLE_TYPE.PARAGRAPH)
    marking.base_style = styles["Normal"]
    marking.font.bold = True
    marking.font.all_caps = True  # `text-transform: uppercase`: the words stay as written
    marking.paragraph_format.space_after = Pt(8)
    authority = styles.add_style("Authority", WD_STYLE_TYPE.PARAGRAPH)
    authority.base_style = styles["Normal"]
    authority.font.bold = True
    authority.font.color.rgb = RGBColor(0x1D, 0x4F, 0x91)
    authority.paragraph_format.space_after = Pt(0)
    withheld = styles.add_style("Withheld", WD_STYLE_TYPE.PARAGRAPH)
    withheld.base_style = styles["Normal"]
    withheld.font.italic = True
    withheld.font.color.rgb = RGBColor(0x33, 0x33, 0x33)
    withheld.paragraph_format.left_indent = Pt(8)
    _border(withheld.element, "left", size_eighths=16, colour="999999")


def _footer_style(document: DocxDocument) -> None:
    footer = document.styles["Footer"]
    footer.font.size = Pt(FOOTER_PT)
    complex_script_size_as_latin(footer.element.get_or_add_rPr())
    footer.font.color.rgb = RGBColor(0x44, 0x44, 0x44)
    tabs = footer.element.get_or_add_pPr().find(qn("w:tabs"))
    if tabs is not None:  # the stock stops are for a Letter page
        tabs.getparent().remove(tabs)
    section = document.sections[0]
    text_width = section.page_width - section.left_margin - section.right_margin
    footer.paragraph_format.tab_stops.add_tab_stop(text_width, WD_TAB_ALIGNMENT.RIGHT)


def _keep_only_used_styles(document: DocxDocument) -> None:
    """Removes every style nothing here uses, keeping the ones used styles are based on or link to."""
    root = document.styles.element
    by_id = {s.get(qn("w:styleId")): s for s in root.findall(qn("w:style"))}
    wanted = [document.styles[name].style_id for name in STYLES_USED]
    wanted += ["Marking", "Authority", "Withheld"]
    wanted += [s.get(qn("w:styleId")) for s in by_id.values() if s.get(qn("w:default")) == "1"]
    keep: set[str] = set()
    while wanted:
        style_id = wanted.pop()
        if style_id in keep or style_id not in by_id:
            continue
        keep.add(style_id)
        for ref in ("w:basedOn", "w:link", "w:next"):
            element = by_id[style_id].find(qn(ref))
            if element is not None:
                wanted.append(element.get(qn("w:val")))
    for style_id, style in by_id.items():
        if style_id not in keep:
            root.remove(style)


def _footer(document: DocxDocument) -> None:
    footer = document.sections[0].footer
    footer.is_linked_to_previous = False
    first = footer.paragraphs[0]
    first.text = "{%p for line in footer_lines %}"
    footer.add_paragraph("{{ line }}", style="Footer")
    footer.add_paragraph("{%p endfor %}", style="Footer")
    last = footer.add_paragraph("Confidential\tPage ", style="Footer")
    _field(last, "PAGE")
    last.add_run(" of ")
    _field(last, "NUMPAGES")


def _field(paragraph: Paragraph, instruction: str) -> None:
    """A Word field: begin, instruction, separate, a result ("1") until Word updates it, end."""
    paragraph.add_run()._r.append(_field_char("begin"))
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    paragraph.add_run()._r.append(instr)
    paragraph.add_run()._r.append(_field_char("separate"))
    paragraph.add_run("1")
    paragraph.add_run()._r.append(_field_char("end"))


def _field_char(kind: str) -> etree._Element:
    char = OxmlElement("w:fldChar")
    char.set(qn("w:fldCharType"), kind)
    return char


def _strip_revision_ids(document: DocxDocument) -> None:
    """w:rsid* attributes tie a file to editing sessions: a template needs none."""
    for root in (document.element, document.styles.element, document.settings.element):
        for element in root.iter():
            for attribute in [
                a for a in element.attrib if etree.QName(a).localname.startswith("rsid")
            ]:
                del element.attrib[attribute]
        for element in list(root.iter(qn("w:rsid"))):
            element.getparent().remove(element)


if __name__ == "__main__":
    main()

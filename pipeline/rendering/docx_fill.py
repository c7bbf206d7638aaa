"""One DOCX made for every reader of a view → each reader's DOCX: their address, salutation and footer lines put into a copy.

Building a DOCX (docxtpl, python-docx, the package cleaned and checked) costs ~40 ms; putting a
reader's lines into a copy of the finished package ~3 ms. The shared DOCX is made from the
letter's HTML with a word no export can contain standing in each reader's paragraph
(`StampSlots`, and one footer line); `fill` finds those paragraphs and writes the reader's lines
in their place, with the same runs and fonts a whole rendering writes (`docx.write_paragraph`),
then checks that the words that went in are the words that came out.
"""

from __future__ import annotations

import copy
import io
import zipfile
from dataclasses import dataclass

from docx.oxml.parser import parse_xml
from docx.text.paragraph import Paragraph as DocxParagraph
from lxml import etree

from pipeline.errors import RenderError
from pipeline.rendering.docx import write_paragraph
from pipeline.rendering.docx_blocks import Paragraph, Run
from pipeline.rendering.docx_package import docx_text, xml_texts, zip_parts

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_P = f"{{{_W}}}p"
_R = f"{{{_W}}}r"
_T = f"{{{_W}}}t"


@dataclass(frozen=True, slots=True)
class ReaderLines:
    """What one reader's copy prints in the slots: each a paragraph of its own."""

    address: tuple[str, ...] = ()
    salutation: tuple[str, ...] = ()
    footer: tuple[str, ...] = ()


@dataclass(frozen=True)
class DocxMaster:
    """A finished DOCX whose slot paragraphs hold `slots`' words (address, salutation, footer)."""

    parts: dict[str, bytes]
    slots: ReaderLines  # each slot's one stand-in word, or () when the DOCX has no such slot
    text: tuple[str, ...]  # the body's lines, stand-ins included

    @classmethod
    def of(cls, data: bytes, slots: ReaderLines) -> DocxMaster:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = {name: archive.read(name) for name in archive.namelist()}
        return cls(parts, slots, tuple(line for line in docx_text(data).split("\n") if line))

    def fill(self, lines: ReaderLines) -> bytes:
        """The reader's copy: each stand-in paragraph replaced by the reader's lines for it."""
        stand_ins = {
            word: got
            for words, got in (
                (self.slots.address, lines.address),
                (self.slots.salutation, lines.salutation),
                (self.slots.footer, lines.footer),
            )
            for word in words
        }
        # Footer lines go in as the template puts them (its one run, the text set); the body's
        # as a whole rendering writes its paragraphs (runs split by script, fonts named).
        as_template = set(self.slots.footer)
        parts = dict(self.parts)
        for name, xml in self.parts.items():
            in_body = name == "word/document.xml" or (
                name.startswith("word/footer") and name.endswith(".xml")
            )
            if in_body and any(word.encode() in xml for word in stand_ins):
                parts[name] = _replaced(xml, stand_ins, as_template)
        data = zip_parts(parts)
        self._check(data, parts, stand_ins, lines.footer)
        return data

    def _check(
        self,
        data: bytes,
        parts: dict[str, bytes],
        stand_ins: dict[str, tuple[str, ...]],
        footer: tuple[str, ...],
    ) -> None:
        want = [got for line in self.text for got in stand_ins.get(line, (line,))]
        if [line for line in docx_text(data).split("\n") if line] != want:
            raise RenderError("the DOCX body does not say what the HTML says (a reader's lines)")
        footers = [
            text
            for name, xml in parts.items()
            if name.startswith("word/footer")
            for text in xml_texts(xml)
        ]
        if missing := [line for line in footer if line not in footers]:
            raise RenderError(f"footer lines missing from the DOCX: {missing}")


def _replaced(
    xml: bytes, stand_ins: dict[str, tuple[str, ...]], as_template: set[str]
) -> bytes:
    root = parse_xml(xml)
    for paragraph in list(root.iter(_P)):
        text = "".join(t.text or "" for t in paragraph.iter(_T))
        if text not in stand_ins:
            continue
        parent = paragraph.getparent()
        assert parent is not None
        at = parent.index(paragraph)
        say = _template_paragraph_saying if text in as_template else _paragraph_saying
        for offset, line in enumerate(stand_ins[text]):
            parent.insert(at + 1 + offset, say(paragraph, line))
        parent.remove(paragraph)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _paragraph_saying(stand_in: etree._Element, line: str) -> etree._Element:
    """A copy of the stand-in's paragraph (its style and spacing) with `line` as its runs."""
    made = copy.deepcopy(stand_in)
    for run in list(made.iter(_R)):
        parent = run.getparent()
        assert parent is not None
        parent.remove(run)
    write_paragraph(DocxParagraph(made, None), Paragraph((Run(line),)))  # type: ignore[arg-type]
    return made


def _template_paragraph_saying(stand_in: etree._Element, line: str) -> etree._Element:
    """A copy of the stand-in's paragraph with `line` as the text of its one run, as docxtpl
    writes a `{{ line }}` of the template."""
    made = copy.deepcopy(stand_in)
    texts = list(made.iter(_T))
    if len(texts) != 1:
        raise RenderError("a footer line's stand-in is not one run of text")
    texts[0].text = line
    return made


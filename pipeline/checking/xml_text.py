"""XML bytes → their text (text nodes joined, comments and processing instructions) and their attribute values, for the leak check.

Shared by the DOCX reading (every XML part) and the PDF reading (XMP metadata). Bytes that do not
parse are still read: tags cut out for the text, kept for the attribute values.
"""

from __future__ import annotations

import codecs
import html
import re

from lxml import etree

from pipeline.comparison import BOUNDARY as _BOUNDARY

_TAG = re.compile(rb"<[^>]*>")


def xml_pieces(name: str, content: bytes) -> list[tuple[str, str]]:
    """The text of an XML document (text nodes joined in order, then comments) and its attribute values."""
    try:
        # A parser per call: an lxml parser object must not be shared between threads.
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True
        )
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError:
        # Unparsable: still read it, tags cut out for the text and kept for the attribute values.
        raw = decoded(content)
        return [(name, html.unescape(decoded(_TAG.sub(b"", content)))), (f"{name} raw", raw)]
    text = "".join(root.itertext())
    notes = [node.text or "" for node in root.iter(etree.Comment, etree.PI)]
    values = [value for element in root.iter() for value in element.attrib.values()]
    return [
        (name, _BOUNDARY.join([text, *notes])),
        (f"{name} attributes", _BOUNDARY.join(values)),
    ]


def decoded(content: bytes) -> str:
    # UTF-8 unless a byte-order mark says UTF-16 (as Windows tools write text files).
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return content.decode("utf-16", errors="replace")
    return content.decode("utf-8", errors="replace")

"""A rendered DOCX → its words read back, and the zip that is sent: allow-listed parts, minimal metadata, fixed timestamps.

The last of `pipeline.rendering.docx`'s three steps; `docx_text` also lets tests and the leak
check read what a recipient would read.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile

from lxml import etree

from pipeline.errors import RenderError

# ---------------------------------------------------------------------------------------------
# Reading a DOCX back

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _parse(xml: bytes) -> etree._Element:
    # No entities, no network; a parser per call, since lxml parser objects are not thread-safe.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    return etree.fromstring(xml, parser=parser)


def xml_parts(data: bytes, pattern: str) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = sorted(n for n in archive.namelist() if re.fullmatch(pattern, n))
        return [(name, archive.read(name)) for name in names]


def _paragraph_text(p: etree._Element) -> str:
    pieces = []
    for node in p.iter(f"{{{W}}}t", f"{{{W}}}tab", f"{{{W}}}br", f"{{{W}}}cr"):
        tag = etree.QName(node).localname
        pieces.append(node.text or "" if tag == "t" else "\t" if tag == "tab" else "\n")
    return "".join(pieces)


def xml_texts(xml: bytes) -> list[str]:
    return [_paragraph_text(p) for p in _parse(xml).iter(f"{{{W}}}p")]


def docx_text(data: bytes) -> str:
    """The body's text, paragraph by paragraph (tables row by row, cell by cell), '\\n'-joined."""
    xml = xml_parts(data, r"word/document\.xml")
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
    return zip_parts(parts)


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


def zip_parts(parts: dict[str, bytes]) -> bytes:
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

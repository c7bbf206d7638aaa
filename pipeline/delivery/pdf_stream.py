"""PDFs, one at a time → their pages, in order, appended to one PDF written to an open file object by object; memory flat in the number of PDFs.

pikepdf (qpdf) copies a page into another PDF with its streams' bytes, and keeps them until that
PDF is saved (pikepdf asks qpdf to copy stream data at once), so a batch built that way holds every
letter in memory. Here each PDF's pages and everything they use are written out as soon as the PDF
is given, renumbered into the one file: a stream's bytes are copied as they are (still compressed,
filters kept), a page's inherited attributes (resources, boxes, rotation) are written into the page
itself, and nothing is removed. Only each object's place in the file and each page's number are
kept, for the cross-reference table and the page tree written at the end. The same PDFs in the same
order give the same bytes; the /ID is a hash of them.
"""

from __future__ import annotations

import hashlib
from array import array
from collections import deque
from collections.abc import Iterable
from decimal import Decimal
from typing import BinaryIO

import pikepdf

from pipeline.errors import PostBatchError

_CATALOG, _PAGES = 1, 2  # written last, once every page's number is known
# What a page may inherit from the page tree above it (PDF 32000-1 §7.7.3.4).
_INHERITED = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")


class PdfAppender:
    """One PDF being written to `out`: `append` each source PDF's pages, then `finish`."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._offsets = array("Q", [0, 0, 0])  # by object number; 0 is the free list's head
        self._kids = array("Q")
        self._hash = hashlib.md5(usedforsecurity=False)  # for /ID, not for security
        self._written = 0
        self._write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

    @property
    def pages(self) -> int:
        return len(self._kids)

    def append(self, source: pikepdf.Pdf, where: str) -> None:
        """Every page of `source`, after those appended before. `where` names the source in an
        error (PostBatchError): a part of the page tree a page cannot carry with it."""
        renumbered = _Renumbering(self, source, where)
        for page in source.pages:
            self._kids.append(renumbered.number(page.obj))
        renumbered.write_all()

    def finish(self) -> None:
        """The page tree, the catalog, the cross-reference table and the trailer."""
        kids = b" ".join(b"%d 0 R" % kid for kid in self._kids)
        self._object(_PAGES, b"<< /Type /Pages /Count %d /Kids [%s] >>" % (len(self._kids), kids))
        self._object(_CATALOG, b"<< /Type /Catalog /Pages %d 0 R >>" % _PAGES)
        document_id = self._hash.hexdigest().encode("ascii")
        table = self._written
        self._write(b"xref\n0 %d\n0000000000 65535 f \n" % len(self._offsets))
        for offset in self._offsets[1:]:
            self._write(b"%010d 00000 n \n" % offset)
        self._write(
            b"trailer\n<< /Size %d /Root %d 0 R /ID [<%s> <%s>] >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(self._offsets), _CATALOG, document_id, document_id, table)
        )

    def _new_number(self) -> int:
        self._offsets.append(0)
        return len(self._offsets) - 1

    def _object(self, number: int, body: bytes) -> None:
        self._offsets[number] = self._written
        self._write(b"%d 0 obj\n%s\nendobj\n" % (number, body))

    def _write(self, data: bytes) -> None:
        self._out.write(data)
        self._hash.update(data)
        self._written += len(data)


class _Renumbering:
    """One source's objects, as they are reached from its pages, under their numbers in the batch."""

    def __init__(self, into: PdfAppender, source: pikepdf.Pdf, where: str) -> None:
        self.into = into
        self.where = where
        self.numbers: dict[tuple[int, int], int] = {}
        self.queue: deque[pikepdf.Object] = deque()
        self.catalog = source.Root.objgen
        # The source's own page tree becomes the batch's: a reference to it is to the batch's.
        self.tree = {objgen for objgen in _page_tree(source.Root.Pages)}
        self.pages = {page.obj.objgen for page in source.pages}

    def number(self, obj: pikepdf.Object) -> int:
        objgen = obj.objgen
        if objgen in self.tree:
            return _PAGES
        if objgen == self.catalog:
            raise PostBatchError(f"{self.where}: a page refers to its document's catalog")
        if objgen not in self.numbers:
            self.numbers[objgen] = self.into._new_number()
            self.queue.append(obj)
        return self.numbers[objgen]

    def write_all(self) -> None:
        while self.queue:
            obj = self.queue.popleft()
            number = self.numbers[obj.objgen]
            if isinstance(obj, pikepdf.Stream):
                data = obj.read_raw_bytes()
                entries = [(k, v) for k, v in obj.stream_dict.items() if k != "/Length"]
                head = self._dictionary([*entries, ("/Length", len(data))])
                self.into._object(number, head + b"\nstream\n" + data + b"\nendstream")
            elif obj.objgen in self.pages:
                self.into._object(number, self._page(obj))
            else:
                self.into._object(number, self._direct(obj))

    def _page(self, page: pikepdf.Object) -> bytes:
        entries: list[tuple[str, object]] = [(k, v) for k, v in page.items() if k != "/Parent"]
        for key in _INHERITED:
            if key not in page:
                inherited = _inherited(page, key)
                if inherited is not None:
                    entries.append((key, inherited))
        return self._dictionary([*entries, ("/Parent", _Reference(_PAGES))])

    def _value(self, value: object) -> bytes:
        if isinstance(value, _Reference):
            return b"%d 0 R" % value.number
        if isinstance(value, pikepdf.Object) and value.is_indirect:
            return b"%d 0 R" % self.number(value)
        return self._direct(value)

    def _direct(self, value: object) -> bytes:
        if value is None:
            return b"null"
        if isinstance(value, bool):
            return b"true" if value else b"false"
        if isinstance(value, int):
            return b"%d" % value
        if isinstance(value, Decimal | float):
            return _number(value)
        if isinstance(value, pikepdf.Dictionary):
            return self._dictionary(value.items())
        if isinstance(value, pikepdf.Array):
            return b"[" + b" ".join(self._value(item) for item in value) + b"]"
        if isinstance(value, pikepdf.Name | pikepdf.String):
            return bytes(value.unparse())
        raise PostBatchError(f"{self.where}: a page holds an object the batch cannot copy")

    def _dictionary(self, entries: Iterable[tuple[str, object]]) -> bytes:
        body = b" ".join(
            bytes(pikepdf.Name(key).unparse()) + b" " + self._value(value)
            for key, value in entries
        )
        return b"<< " + body + b" >>"


class _Reference:
    """A reference to an object of the batch's own (its page tree), not of a source."""

    __slots__ = ("number",)

    def __init__(self, number: int) -> None:
        self.number = number


def _page_tree(node: pikepdf.Object) -> Iterable[tuple[int, int]]:
    """The objgen of every page tree node (not the pages) from `node` down."""
    yield node.objgen
    for kid in node.get("/Kids", pikepdf.Array()):
        if kid.get("/Type") == pikepdf.Name.Pages:
            yield from _page_tree(kid)


def _inherited(page: pikepdf.Object, key: str) -> object:
    node = page.get("/Parent")
    while node is not None:
        if key in node:
            return node[key]
        node = node.get("/Parent")
    return None


def _number(value: Decimal | float) -> bytes:
    # PDF has no exponents: 0.000012, never 1.2e-05.
    text = format(value if isinstance(value, Decimal) else Decimal(repr(value)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return (text or "0").encode("ascii")

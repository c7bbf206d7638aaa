"""A reader's page-1 parts (the address in the window, the salutation) drawn onto a shared letter
as tagged text, in the letter's reading order: a screen reader hears whom the letter is to.

The shared layout is tagged, with room left for the parts: an empty window (`div.window` holding
an empty `div.address`) in the page-1 block, and a blank salutation line after the title. The
reader's sheet is laid out tagged too (letters/_stamps.html: the window's lines, then the
salutation). Its page becomes a form XObject with its own /StructParents; its structure elements
are copied into the letter's tree, the window's lines into the empty window and the salutation
after the blank line, each marked-content id pointing into the form (an /MCR with /Stm).

WeasyPrint writes no ids on structure elements, so the places are found by the shape the letter
template gives them (templates/letters/_base.html); a letter of another shape is drawn as
before, as an artifact (`graft` returns False), and the structure test says so.
"""

from __future__ import annotations

import pikepdf
from pikepdf import Array, Dictionary, Name

_MARKED = (b"BDC", b"BMC", b"EMC")


def without_marked_content(pdf: pikepdf.Pdf, form: pikepdf.Object) -> None:
    """Takes the marked-content operators out of a form drawn as an /Artifact: ids in it would
    collide with the page's own, and an id inside an artifact means nothing."""
    data = form.read_bytes()
    if not any(op in data for op in _MARKED):
        return
    kept = [
        (operands, operator)
        for operands, operator in pikepdf.parse_content_stream(form)
        if str(operator) not in ("BDC", "BMC", "EMC")
    ]
    form.write(pikepdf.unparse_content_stream(kept))


def _kids(element: pikepdf.Object) -> list[pikepdf.Object]:
    kids = element.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, Array) else [kids]


def _elements(element: pikepdf.Object) -> list[pikepdf.Object]:
    return [k for k in _kids(element) if isinstance(k, Dictionary) and "/S" in k]


def _has_content(element: pikepdf.Object) -> bool:
    return any(
        not (isinstance(k, Dictionary) and "/S" in k) or _has_content(k) for k in _kids(element)
    )


def _places(root: pikepdf.Object) -> tuple[pikepdf.Object, pikepdf.Object, int] | None:
    """(the empty address Div in the window, the Document, the index in its kids after the blank
    salutation line), or None if the letter is not of the shape expected."""
    documents = _elements(root)
    if len(documents) != 1:
        return None
    document = documents[0]
    top = _elements(document)
    if not top:
        return None
    page_one = top[0]
    windows = [d for d in _elements(page_one) if str(d.S) == "/Div" and not _has_content(d)]
    if len(windows) != 1 or len(_elements(windows[0])) != 1:
        return None
    address = _elements(windows[0])[0]
    kids = _kids(document)
    titles = [i for i, k in enumerate(kids) if isinstance(k, Dictionary) and k.get("/S") == Name.H1]
    if not titles or titles[0] + 1 >= len(kids):
        return None
    return address, document, titles[0] + 2  # after the title and the blank salutation line


class _Copier:
    """The stamp's structure elements rebuilt in the letter, their content in `form` on `page`."""

    def __init__(self, pdf: pikepdf.Pdf, page: pikepdf.Object, form: pikepdf.Object) -> None:
        self.pdf, self.page, self.form = pdf, page, form
        self.owner: dict[int, pikepdf.Object] = {}  # MCID → the new element holding it

    def copy(self, element: pikepdf.Object, parent: pikepdf.Object) -> pikepdf.Object:
        new = self.pdf.make_indirect(
            Dictionary(Type=Name.StructElem, S=Name(str(element.S)), P=parent)
        )
        kids = Array()
        for kid in _kids(element):
            if isinstance(kid, Dictionary) and "/S" in kid:
                kids.append(self.copy(kid, new))
            else:
                mcid = int(kid.MCID) if isinstance(kid, Dictionary) else int(kid)
                kids.append(Dictionary(Type=Name.MCR, MCID=mcid, Pg=self.page, Stm=self.form))
                self.owner[mcid] = new
        new.K = kids
        return new


def graft(pdf: pikepdf.Pdf, stamp: pikepdf.Pdf, stamp_page: int, form: pikepdf.Object) -> bool:
    """Puts `stamp`'s page `stamp_page` structure (its window lines, then its salutation) into
    `pdf`'s tree, its content being `form` (that page, copied into `pdf`) drawn on page 1.
    False, changing nothing, where either tree is not of the shape expected."""
    if "/StructTreeRoot" not in pdf.Root or "/StructTreeRoot" not in stamp.Root:
        return False
    places = _places(pdf.Root.StructTreeRoot)
    source = _sheet_parts(stamp, stamp_page)
    if places is None or source is None:
        return False
    address, document, after_salutation = places
    lines, salutation = source
    copier = _Copier(pdf, pdf.pages[0].obj, form)
    address.K = Array([copier.copy(line, address) for line in lines])
    kids = _kids(document)
    kids.insert(after_salutation, copier.copy(salutation, document))
    document.K = Array(kids)
    tree = pdf.Root.StructTreeRoot
    parents = pikepdf.NumberTree(tree.ParentTree)
    # WeasyPrint writes no /ParentTreeNextKey: the next key is after the last one used.
    key = max(int(tree.get("/ParentTreeNextKey", 0)), max(parents.keys(), default=-1) + 1)
    count = max(copier.owner) + 1 if copier.owner else 0
    parents[key] = pdf.make_indirect(Array([copier.owner.get(m) for m in range(count)]))
    tree.ParentTreeNextKey = key + 1
    form.StructParents = key
    return True


def _sheet_parts(
    stamp: pikepdf.Pdf, index: int
) -> tuple[list[pikepdf.Object], pikepdf.Object] | None:
    """The stamp sheet's window lines (P elements) and its salutation (a P), or None."""
    documents = _elements(stamp.Root.StructTreeRoot)
    if len(documents) != 1:
        return None
    sheets = _elements(documents[0])  # one Div a sheet, in the order laid out
    if index >= len(sheets):
        return None
    parts = _elements(sheets[index])
    if len(parts) != 2:
        return None
    window, salutation_at = parts
    lines = _leaves_of_kind(window, "/P")
    salutations = _leaves_of_kind(salutation_at, "/P")
    if not lines or len(salutations) != 1:
        return None
    return lines, salutations[0]


def _leaves_of_kind(element: pikepdf.Object, kind: str) -> list[pikepdf.Object]:
    found = []
    for kid in _elements(element):
        found.extend([kid] if str(kid.S) == kind else _leaves_of_kind(kid, kind))
    return found

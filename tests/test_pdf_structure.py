"""Every PDF a reader is sent is tagged: a screen reader hears its language, its title, its headings
in order, its tables with their header cells and its lists as lists (issue 16 part 1).

The Public Sector Bodies (Websites and Mobile Applications) (No. 2) Accessibility Regulations 2018
hold a council's documents to WCAG 2.2 AA; the Equality Act 2010 asks for reasonable adjustments;
R79 and R80 (003 "Initial Child Protection Conference", "Categories of Harm") ask that the family
can understand what they are sent, and R81 (000 §4.14.9; 002 §22.15) that help is arranged where a
parent has a sensory disability: a blind parent's screen reader reads the structure tree, not the
ink.

Each document kind of the shipped examples (`examples/*.json`, a cancelled conference and an
agreed and a rejected amendment made from them, the covering letter and hand-over sheet of an
envelope) is rendered once in each print size as the service renders it, after stamping (the
reader's marks, a letter's window and salutation, the envelope's mark): what is actually sent.
The structure is read back with pikepdf, as a screen reader reads it.
"""

from __future__ import annotations

import collections
import io
import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import pikepdf
import pytest
from pikepdf import Name

from tests.documents_sent import KINDS, Delivered, documents_sent

PAINT = {"Tj", "TJ", "'", '"', "f", "F", "f*", "B", "B*", "b", "b*", "S", "s", "sh", "Do", "INLINE IMAGE"}  # fmt: skip


@pytest.fixture(scope="module")
def delivered() -> tuple[Delivered, ...]:
    return documents_sent()


def _walk(node: pikepdf.Object, depth: int = 0) -> Iterator[tuple[str, pikepdf.Dictionary, int]]:
    """Each structure element under `node`, depth first, in reading order: (tag, element, depth)."""
    kids = node.get("/K")
    if kids is None:
        return
    for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
        if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            yield str(kid.S)[1:], kid, depth
            yield from _walk(kid, depth + 1)


def _painting(
    stream: pikepdf.Object,
    resources: pikepdf.Object,
    where: str,
    unmarked: collections.Counter[str],
    mcids: list[tuple[str, int]],
    stack: list[tuple[str, int | None]],
) -> None:
    """Counts each painting operator outside marked content and outside an /Artifact (forms
    followed into, with the marked content around their use), and records each MCID met."""
    for operands, operator in pikepdf.parse_content_stream(stream):
        op = str(operator)
        if op in ("BDC", "BMC"):
            mcid = None
            if (
                op == "BDC"
                and isinstance(operands[1], pikepdf.Dictionary)
                and "/MCID" in operands[1]
            ):
                mcid = int(operands[1].MCID)
                mcids.append((where, mcid))
            stack.append((str(operands[0]), mcid))
        elif op == "EMC":
            stack.pop()
        elif op in PAINT:
            if op == "Do":
                xobject = resources.XObject[operands[0]]
                if xobject.Subtype == Name.Form:
                    own = "/StructParents" in xobject
                    inner = f"{where}>{operands[0]}" if own else where
                    _painting(
                        xobject, xobject.get("/Resources", resources), inner, unmarked, mcids, stack
                    )
                    continue
            if not any(tag == "/Artifact" or mcid is not None for tag, mcid in stack):
                unmarked[f"{where} {op}"] += 1


@dataclass(frozen=True, slots=True)
class Structure:
    """What a screen reader finds in one PDF."""

    marked: bool
    lang: str | None
    display_title: bool
    title: str | None
    pdfa: tuple[str | None, str | None]
    tags: list[tuple[str, int, str | None]]  # each element, in reading order: tag, depth, /Alt
    unmarked: dict[str, int]
    duplicate_mcids: dict[str, list[int]]
    without_parent: dict[int, list[int]]
    window_lines: int  # paragraphs in a letter's address window (0: no window)
    salutation_after_title: bool  # a letter's salutation is the paragraph read after its title

    @property
    def headings(self) -> list[int]:
        return [
            int(t[1:]) for t, _, _ in self.tags if len(t) == 2 and t[0] == "H" and t[1].isdigit()
        ]

    def under(self, tag: str) -> Iterator[list[tuple[str, int]]]:
        """For each `tag` element, the elements inside it: (tag, depth below it: 1 a child)."""
        for i, (name, depth, _) in enumerate(self.tags):
            if name != tag:
                continue
            inside = []
            for inner, inner_depth, _ in self.tags[i + 1 :]:
                if inner_depth <= depth:
                    break
                inside.append((inner, inner_depth - depth))
            yield inside

    def alts(self, tag: str) -> list[str | None]:
        return [alt for name, _, alt in self.tags if name == tag]


def structure(data: bytes) -> Structure:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        root = pdf.Root
        assert "/StructTreeRoot" in root, "no structure tree: the PDF is not tagged"
        mcids: list[tuple[str, int]] = []
        unmarked: collections.Counter[str] = collections.Counter()
        for number, page in enumerate(pdf.pages):
            _painting(page.obj, page.Resources, f"p{number}", unmarked, mcids, [])
        per_page = collections.defaultdict(list)
        for where, mcid in mcids:
            per_page[where].append(mcid)
        duplicates = {
            where: sorted(m for m, n in collections.Counter(ids).items() if n > 1)
            for where, ids in per_page.items()
            if len(ids) != len(set(ids))
        }
        tree = pikepdf.NumberTree(root.StructTreeRoot.ParentTree)
        without_parent: dict[int, list[int]] = {}
        for number, page in enumerate(pdf.pages):
            key = page.obj.get("/StructParents")
            parents = tree.get(int(key)) if key is not None else None
            count = len(parents) if parents is not None else 0
            missing = sorted(
                m for m in set(per_page.get(f"p{number}", [])) if m >= count or parents[m] is None
            )
            if missing:
                without_parent[number] = missing
        window_lines, salutation = _addressed(root.StructTreeRoot)
        with pdf.open_metadata() as meta:
            pdfa = (meta.get("pdfaid:part"), meta.get("pdfaid:conformance"))
        return Structure(
            marked=bool(root.get("/MarkInfo", {}).get("/Marked", False)),
            lang=str(root.get("/Lang", "")) or None,
            display_title=bool(root.get("/ViewerPreferences", {}).get("/DisplayDocTitle", False)),
            title=str(pdf.docinfo.get("/Title", "")) or None,
            pdfa=pdfa,
            tags=[
                (t, d, str(e.Alt) if "/Alt" in e else None)
                for t, e, d in _walk(root.StructTreeRoot)
            ],
            unmarked=dict(unmarked),
            duplicate_mcids=duplicates,
            without_parent=without_parent,
            window_lines=window_lines,
            salutation_after_title=salutation,
        )


def _elements(node: pikepdf.Object) -> list[pikepdf.Object]:
    kids = node.get("/K")
    listed = list(kids) if isinstance(kids, pikepdf.Array) else [] if kids is None else [kids]
    return [k for k in listed if isinstance(k, pikepdf.Dictionary) and "/S" in k]


def _in_a_form(node: pikepdf.Object) -> bool:
    """Some of the element's content is in a form XObject: drawn by a stamp (an /MCR with /Stm)."""
    kids = node.get("/K")
    listed = list(kids) if isinstance(kids, pikepdf.Array) else [] if kids is None else [kids]
    return any(
        isinstance(k, pikepdf.Dictionary) and ("/Stm" in k or ("/S" in k and _in_a_form(k)))
        for k in listed
    )


def _addressed(root: pikepdf.Object) -> tuple[int, bool]:
    """A letter's address window as a screen reader meets it: the paragraphs in the window (the
    page-1 block's last Div, after the logo and the sender), and whether the paragraph read after
    the title is the salutation: the next one, or, on a stamped letter, the stamp's, after the
    blank line the shared layout left for it."""
    (document,) = _elements(root)
    top = _elements(document)
    blocks = _elements(top[0]) if top and str(top[0].S) == "/Div" else []
    if not blocks or str(blocks[-1].S) != "/Div" or str(blocks[0].S) != "/Figure":
        return 0, False
    lines = [t for t, _, _ in _walk(blocks[-1]) if t == "P"]
    titles = [i for i, e in enumerate(top) if str(e.S) == "/H1"]
    if not titles:
        return len(lines), False
    after = top[titles[0] + 1 :]
    stamped = _in_a_form(blocks[-1])
    salutation = after[1] if stamped and len(after) > 1 else after[0] if after else None
    heard = salutation is not None and str(salutation.S) == "/P"
    return len(lines), heard and (not stamped or _in_a_form(salutation))


def _each(delivered: tuple[Delivered, ...]) -> Iterator[tuple[Delivered, Structure]]:
    for item in delivered:
        yield item, structure(item.pdf)


def test_every_kind_is_here_in_both_print_sizes(delivered: tuple[Delivered, ...]) -> None:
    # The test proves only what it renders: every kind of document sent, large print included
    # (the hand-over sheet goes to the social worker, in standard print only).
    have = {(d.kind, d.large_print) for d in delivered}
    for kind in KINDS:
        assert (kind, False) in have, kind
        if kind != "handover_sheet":
            assert (kind, True) in have, kind


def test_every_pdf_says_it_is_tagged_with_its_language_and_title(
    delivered: tuple[Delivered, ...],
) -> None:
    for item, found in _each(delivered):
        assert found.marked, item.label
        assert found.lang == "en-GB", item.label  # the templates' <html lang>
        assert found.display_title and found.title, item.label
        # PDF/A-3 level A: the file claims what it is, and save_trimmed keeps the claim.
        assert found.pdfa == ("3", "A"), item.label


def test_everything_painted_is_tagged_or_an_artifact_and_every_id_is_known(
    delivered: tuple[Delivered, ...],
) -> None:
    # A stamp laid out tagged and drawn on would paint the page's own marked-content ids a
    # second time: a screen reader would read the address as the letter's first heading.
    for item, found in _each(delivered):
        assert found.unmarked == {}, item.label
        assert found.duplicate_mcids == {}, item.label
        assert found.without_parent == {}, item.label


def test_headings_are_nested_without_a_skipped_level(delivered: tuple[Delivered, ...]) -> None:
    for item, found in _each(delivered):
        levels = found.headings
        assert levels and levels[0] == 1, (item.label, levels)
        skips = [(a, b) for a, b in itertools.pairwise(levels) if b > a + 1]
        assert skips == [], (item.label, levels)


def test_tables_have_header_cells_and_lists_are_lists(delivered: tuple[Delivered, ...]) -> None:
    tables = lists = 0
    for item, found in _each(delivered):
        for table in found.under("Table"):
            assert "TH" in [t for t, _ in table], item.label
            tables += 1
        for listing in found.under("L"):
            # Its items as items (an empty <ul>, as a letter with nothing under a heading
            # prints, is an empty list: nothing to hear).
            items = [t for t, depth in listing if depth == 1]
            assert set(items) <= {"LI", "Caption"}, (item.label, items)
            lists += "LI" in items
    assert tables and lists  # the record's tables and the plan's lists are among them


def test_a_letter_is_heard_addressed_to_its_reader_after_the_sender_and_the_title(
    delivered: tuple[Delivered, ...],
) -> None:
    # The address and salutation are stamped on a layout the view's readers share; in the tree
    # they stand where a letter laid out whole has them, not first (the spike's graft) nor
    # nowhere (an artifact): the window after the sender's block, the salutation after the title.
    windows = 0
    for item, found in _each(delivered):
        if item.window:
            assert found.window_lines == item.window, item.label
            assert found.salutation_after_title, item.label
            windows += 1
    assert windows >= 8


def test_the_logo_is_a_figure_named_for_the_authority(delivered: tuple[Delivered, ...]) -> None:
    for item, found in _each(delivered):
        figures = found.alts("Figure")
        assert all(alt and alt.strip() for alt in figures), item.label
        if item.kind.endswith(("letter", "notice", "rejection", "invitation")):
            assert figures == [item.authority], item.label

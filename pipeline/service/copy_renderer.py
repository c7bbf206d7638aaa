"""An Export and its planned copies → each copy's PDF and DOCX, leak-checked (or held, with the reason).

Flow, one way: plan copy → RecipientView (redaction, before any template) → HTML → PDF and DOCX
made once per distinct content → each reader's parts (address, salutation, marks) stamped into
their copy → leak check on the bytes. A copy whose bytes fail the leak check is held, with the
reason, and its files are dropped: never shipped.

What is laid out is what the template prints, not the view: readers of one letter share a layout
with their address and salutation left for the stamp (`pipeline.rendering.letter_stamp`), and a
record or plan whose view holds an addressee it never prints is laid out once for all. A reader
whose address or salutation would not print in the stamp as in a whole layout gets a whole layout.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

import lxml.html

from pipeline.contract.amendment import Amendment
from pipeline.contract.export import Export
from pipeline.delivery.preview import RenderedCopy
from pipeline.errors import RenderError
from pipeline.planning.plan import DistributionPlan, PlannedCopy, file_stem
from pipeline.planning.readers import Viewer, readers_of
from pipeline.procedure.profile import Profile
from pipeline.redaction.amendment_view import amendment_view, rejection_view
from pipeline.redaction.child_reader import with_advocacy
from pipeline.redaction.plain_language import PlainWords
from pipeline.redaction.view import RecipientMarks, RecipientView, marks_for, view_for
from pipeline.rendering.docx import DocxMarks, render_docx
from pipeline.rendering.docx_fill import DocxMaster, ReaderLines
from pipeline.rendering.html import RECORD_DOCUMENTS, Composer, StampSlots
from pipeline.rendering.letter_stamp import Stamps, StampSheet, reader_words, salutation_box
from pipeline.rendering.pdf import Box, render_pdf, render_pdf_anchored
from pipeline.rendering.pdf_marks import finish_pdf
from pipeline.service.copy_checks import (
    OWN_BLOCKS,
    checked_files,
    printed_text,
    withheld_contact_in,
)

_FIXED_DAY = date(2000, 1, 1)  # fingerprints leave the issue date out


@dataclass
class LayoutCounts:
    """What one Renderer laid out: the benchmark compares `layouts` with the distinct contents."""

    layouts: int = 0  # distinct contents laid out (each once)
    fallbacks: int = 0  # copies laid out whole: their reader's parts did not fit the stamp
    stamps: int = 0  # readers' sheets laid out (one layout a reader)


@dataclass(frozen=True, slots=True)
class CopyRequest:
    """One copy to render, and how: see `Renderer.render`."""

    copy: PlannedCopy
    edition: tuple[str, ...] = ()
    checked_by_person: bool = False
    amendment: Amendment | None = None
    issued_on: date | None = None


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A copy's words, worked out before anything is laid out."""

    request: CopyRequest
    view: RecipientView
    printed: str  # the HTML with the reader's slots holding the stand-in words
    laid_out: str  # the HTML that is laid out: the slots left empty
    marks: str  # the reader's marks, escaped HTML ("" for none)
    readers: Viewer
    letter: bool  # page 1 has the reader's window and salutation to stamp
    # A letter's window lines and salutation as plain text (empty when it is no letter).
    window: tuple[str, ...] = ()
    salutation: str = ""


def _stand_in(what: str) -> str:
    # Letters and digits only, so they read the same escaped; random, so no export holds them.
    return f"cpc{what}{secrets.token_hex(12)}"


@dataclass
class Renderer:
    """Renders copies of one conference, laying out each distinct content once."""

    composer: Composer
    words: PlainWords
    counts: LayoutCounts = field(default_factory=LayoutCounts)
    _layouts: dict[str, tuple[bytes, Box | None]] = field(default_factory=dict)
    _masters: dict[str, DocxMaster] = field(default_factory=dict)
    # A view's HTML, hashed, for fingerprints: many readers share one view (every professional's
    # record).
    _html: dict[RecipientView, Any] = field(default_factory=dict)
    _slots: StampSlots = field(
        default_factory=lambda: StampSlots(_stand_in("address"), _stand_in("salutation"))
    )
    _footer_slot: str = field(default_factory=lambda: _stand_in("marks"))
    # The profile's children's rights or advocacy contact, for a child's own letter.
    advocacy: str | None = None

    @classmethod
    def for_profile(cls, profile: Profile, composer: Composer) -> Renderer:
        advocacy = profile.children_advocacy_contact
        return cls(
            composer,
            PlainWords.from_profile(profile),
            advocacy=advocacy.value if advocacy is not None else None,
        )

    def marks_html(self, marks: RecipientMarks, document: str) -> str:
        template = self.composer.environment.get_template("_marks.html")
        return template.render(m=marks, record=document in RECORD_DOCUMENTS)

    def view(
        self,
        export: Export,
        copy: PlannedCopy,
        amendment: Amendment | None,
        issued_on: date | None = None,
    ) -> RecipientView:
        """The reader's view, dated `issued_on`; amendment notices and rejections are about one
        amendment."""
        if copy.document == "amendment_notice":
            assert amendment is not None
            return amendment_view(export, copy, amendment, self.words, issued_on)
        if copy.document == "amendment_rejection":
            assert amendment is not None
            return rejection_view(export, copy, amendment, self.words, issued_on)
        return with_advocacy(view_for(export, copy, self.words, issued_on), self.advocacy)

    def fingerprint(
        self, export: Export, copy: PlannedCopy, amendment: Amendment | None = None
    ) -> str:
        """What the reader would read, hashed: equal when a new revision leaves their copy's
        content alone. The issue date (the run's day) and the edition lines are left out, so
        neither a re-export nor a run on another day counts as a change."""
        view = dataclasses.replace(self.view(export, copy, amendment), issued_on=_FIXED_DAY)
        marks = self.marks_html(marks_for(export, copy, self.words), copy.document)
        digest = self._html.get(view)
        if digest is None:
            digest = self._html[view] = hashlib.sha256(self.composer.html(view).encode("utf-8"))
        # The same digest as sha256(html + "\x00" + marks), without hashing the view's HTML again
        # for each reader: fingerprints already in a store stay equal.
        whole = digest.copy()
        whole.update(("\x00" + marks).encode("utf-8"))
        return whole.hexdigest()

    def printed(
        self,
        export: Export,
        copy: PlannedCopy,
        amendment: Amendment | None = None,
        issued_on: date | None = None,
        edition: tuple[str, ...] = (),
    ) -> str:
        """The HTML laid out for this copy: what its readers share (a letter's address window
        and salutation left for the stamp). Equal for two copies: one layout serves both."""
        request = CopyRequest(copy, edition, amendment=amendment, issued_on=issued_on)
        return self._prepare(export, request).laid_out

    def render(
        self,
        export: Export,
        copy: PlannedCopy,
        *,
        edition: tuple[str, ...] = (),
        checked_by_person: bool = False,
        amendment: Amendment | None = None,
        issued_on: date | None = None,
    ) -> RenderedCopy:
        """`edition`: lines saying which version this is (an updated invitation, an amended record);
        `checked_by_person`: the chair released a copy held because a withheld item was too short
        to search for, after a person read it; `issued_on`: the day it is dated, the day the run
        or the preview issues it (None: the export's day, for a copy nobody is sent)."""
        request = CopyRequest(copy, edition, checked_by_person, amendment, issued_on)
        return self.render_many(export, (request,))[0]

    def render_many(self, export: Export, requests: Sequence[CopyRequest]) -> list[RenderedCopy]:
        """Every requested copy, in order: each distinct content laid out once, and each
        reader's parts (their address, salutation and marks) in one layout of stamps a reader."""
        prepared = [self._prepare(export, request) for request in requests]
        done: list[RenderedCopy | None] = [self._mentions_withheld(export, p) for p in prepared]
        layouts: dict[int, tuple[bytes, Box | None]] = {}
        for i, item in enumerate(prepared):
            if done[i] is None:
                try:
                    layouts[i] = self._layout(item.laid_out)
                except RenderError:
                    done[i] = _unrenderable(item.request.copy)
        sheets = {i: self._sheets(prepared[i], box) for i, (_, box) in layouts.items()}
        by_reader: dict[str, list[StampSheet]] = {}
        for i, pair in sheets.items():
            reader = by_reader.setdefault(prepared[i].request.copy.recipient, [])
            reader.extend(sheet for sheet in pair or () if sheet is not None)
        with Stamps(self.composer, by_reader) as stamps:
            self.counts.stamps += stamps.layouts
            for i, (laid_out, _) in layouts.items():
                done[i] = self._finish(export, prepared[i], laid_out, sheets[i], stamps)
        assert all(item is not None for item in done)
        return [item for item in done if item is not None]

    # -- the steps --

    def _prepare(self, export: Export, request: CopyRequest) -> _Prepared:
        copy = request.copy
        view = self.view(export, copy, request.amendment, request.issued_on)
        if request.edition:
            view = dataclasses.replace(view, edition=request.edition)
        printed = self.composer.html(view, self._slots)
        letter = self._slots.salutation in printed
        laid_out = printed.replace(f"<p>{self._slots.address}</p>", "").replace(
            self._slots.salutation,
            "\u00a0",  # the salutation's line kept, blank, for the stamp
        )
        marks = self.marks_html(marks_for(export, copy, self.words), copy.document)
        window, salutation = (
            reader_words(self.composer, view.addressee)
            if letter and view.addressee is not None
            else ((), "")
        )
        return _Prepared(
            request, view, printed, laid_out, marks if marks.strip() else "", readers_of(copy),
            letter, window, salutation,
        )  # fmt: skip

    def _mentions_withheld(self, export: Export, item: _Prepared) -> RenderedCopy | None:
        """Held if the words about to be printed name a withheld contact (spec §4 rule 4)."""
        text = printed_text(item.printed, skip=OWN_BLOCKS).replace(
            self._slots.salutation, item.salutation
        )
        request = item.request
        mention = withheld_contact_in(
            export,
            request.copy,
            item.readers,
            (text, printed_text(item.marks)),
            request.amendment,
        )
        return None if mention is None else RenderedCopy(
            request.copy, (), "held", mention, "address"
        )  # fmt: skip

    def _layout(self, html: str) -> tuple[bytes, Box | None]:
        laid = self._layouts.get(html)
        if laid is None:
            pdf, anchors = render_pdf_anchored(html, self.composer.templates)
            laid = self._layouts[html] = (pdf, salutation_box(anchors))
            self.counts.layouts += 1
        return laid

    def _sheets(
        self, item: _Prepared, box: Box | None
    ) -> tuple[StampSheet | None, StampSheet | None] | None:
        """The reader's (page-1 parts, marks) sheets; None: the copy is laid out whole."""
        large = item.view.large_print
        marks = StampSheet(large, item.marks) if item.marks else None
        if not item.letter:
            return None, marks
        if box is None or item.view.addressee is None:
            return None  # no line was left for the salutation on page 1
        return StampSheet.page_one(large, item.view.addressee, box), marks

    def _finish(
        self,
        export: Export,
        item: _Prepared,
        laid_out: bytes,
        sheets: tuple[StampSheet | None, StampSheet | None] | None,
        stamps: Stamps,
    ) -> RenderedCopy:
        request = item.request
        reader = request.copy.recipient
        try:
            parts = sheets[0] if sheets else None
            if (
                sheets is None
                or not stamps.usable(reader)
                or (parts is not None and not stamps.fits(reader, parts))
            ):
                files = self._whole(item)
            else:
                try:
                    pdf = stamps.stamp(reader, laid_out, parts, sheets[1])
                    docx = self._master(item).fill(self._lines(item))
                except RenderError:
                    files = self._whole(item)  # what could not be stamped may still lay out
                else:
                    files = self._named(item, pdf, docx)
        except RenderError:
            # One copy that cannot be laid out (a script no installed font draws, say) stops only
            # itself. The renderer's message may quote the text, so it is not repeated here.
            return _unrenderable(request.copy)
        return checked_files(
            export, request.copy, item.readers, self.words, files, request.checked_by_person
        )

    def _whole(self, item: _Prepared) -> tuple[tuple[str, bytes], ...]:
        """The copy laid out on its own, the reader's parts in the flow (the fall-back)."""
        self.counts.fallbacks += 1
        html = self.composer.html(item.view)
        pdf = finish_pdf(
            render_pdf(html, self.composer.templates),
            item.marks,
            self.composer.templates,
            large_print=item.view.large_print,
        )
        docx = render_docx(html, DocxMarks(_lines(item.marks)), self.composer.templates)
        return self._named(item, pdf, docx)

    def _master(self, item: _Prepared) -> DocxMaster:
        master = self._masters.get(item.printed)
        if master is None:
            slots = ReaderLines(
                (self._slots.address,) if item.letter else (),
                (self._slots.salutation,) if item.letter else (),
                (self._footer_slot,),
            )
            docx = render_docx(item.printed, DocxMarks(slots.footer), self.composer.templates)
            master = self._masters[item.printed] = DocxMaster.of(docx, slots)
        return master

    def _lines(self, item: _Prepared) -> ReaderLines:
        salutation = (item.salutation,) if item.letter else ()
        return ReaderLines(item.window, salutation, _lines(item.marks))

    @staticmethod
    def _named(item: _Prepared, pdf: bytes, docx: bytes) -> tuple[tuple[str, bytes], ...]:
        name = file_stem(item.request.copy)
        return ((f"{name}.pdf", pdf), (f"{name}.docx", docx))


def _unrenderable(copy: PlannedCopy) -> RenderedCopy:
    return RenderedCopy(
        copy, (), "held", "held: the document could not be rendered exactly as written",
        "render_error",
    )  # fmt: skip


def _lines(marks_html: str) -> tuple[str, ...]:
    if not marks_html.strip():
        return ()
    fragment = lxml.html.fragment_fromstring(marks_html, create_parent="div")
    return tuple(" ".join(p.text_content().split()) for p in fragment.iter("p"))


class CopyRenderer(Protocol):
    """What `render_plan` needs of a renderer: ready copies → their files, or why each is held.
    `Renderer` is the real one; a test's fake may lay out nothing."""

    def render_many(
        self, export: Export, requests: Sequence[CopyRequest]
    ) -> list[RenderedCopy]: ...


def render_plan(
    export: Export,
    plan: DistributionPlan,
    renderer: CopyRenderer,
    issued_on: date | None = None,
) -> Iterator[RenderedCopy]:
    """Every copy of the plan, in order: ready ones rendered (together: each distinct content
    laid out once) and dated `issued_on`, waiting and held ones passed on with their reason."""
    ready = [CopyRequest(c, issued_on=issued_on) for c in plan.copies if c.status == "ready"]
    rendered = iter(renderer.render_many(export, ready) if ready else ())
    for copy in plan.copies:
        if copy.status != "ready":
            yield RenderedCopy(copy, (), copy.status, copy.reason)
        else:
            yield next(rendered)

"""An Export and one planned copy → its PDF and DOCX, leak-checked (or held, with the reason).

Flow, one way: plan copy → RecipientView (redaction, before any template) → HTML → PDF laid out
once per distinct view → per-recipient marks stamped → DOCX → leak check on the bytes. A copy whose
bytes fail the leak check is held, with the reason, and its files are dropped: never shipped.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

import lxml.html

from pipeline.checking.leak_check import leak_report
from pipeline.contract.amendment import Amendment
from pipeline.contract.export import Export
from pipeline.delivery.preview import RenderedCopy
from pipeline.errors import RenderError, UnreadableFile
from pipeline.planning.documents import amendment_text, authorisation_text, free_text
from pipeline.planning.mentions import first_mention, mention_reason, withheld_contacts
from pipeline.planning.plan import DistributionPlan, PlannedCopy, file_stem
from pipeline.planning.readers import Viewer, readers_of
from pipeline.procedure.profile import Profile
from pipeline.redaction.plain_language import PlainWords
from pipeline.redaction.view import (
    RecipientMarks,
    RecipientView,
    amendment_view,
    marks_for,
    rejection_view,
    view_for,
)
from pipeline.redaction.withheld import withheld_patterns, withheld_strings
from pipeline.rendering.docx import DocxMarks, render_docx
from pipeline.rendering.html import RECORD_DOCUMENTS, Composer
from pipeline.rendering.pdf import render_pdf
from pipeline.rendering.pdf_marks import finish_pdf

_FIXED_DAY = date(2000, 1, 1)  # fingerprints leave the issue date out


@dataclass
class Renderer:
    """Renders copies of one conference, laying out each distinct view once."""

    composer: Composer
    words: PlainWords
    _layouts: dict[RecipientView, bytes] = field(default_factory=dict)
    # A view's HTML, hashed, for fingerprints: many readers share one view (every professional's
    # record).
    _html: dict[RecipientView, Any] = field(default_factory=dict)

    @classmethod
    def for_profile(cls, profile: Profile, composer: Composer) -> Renderer:
        return cls(composer, PlainWords.from_glossary(profile.glossary))

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
        return view_for(export, copy, self.words, issued_on)

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
        view = self.view(export, copy, amendment, issued_on)
        if edition:
            view = dataclasses.replace(view, edition=edition)
        html = self.composer.html(view)
        marks = self.marks_html(marks_for(export, copy, self.words), copy.document)
        readers = readers_of(copy)
        mention = _withheld_contact_in(
            export, copy, readers, (_text(html, skip=_OWN_BLOCKS), _text(marks)), amendment
        )
        if mention is not None:
            return RenderedCopy(copy, (), "held", mention, "address")
        try:
            laid_out = self._layouts.get(view)
            if laid_out is None:
                laid_out = self._layouts[view] = render_pdf(html, self.composer.templates)
            pdf = finish_pdf(laid_out, marks, self.composer.templates)
            docx = render_docx(html, DocxMarks(_lines(marks)), self.composer.templates)
        except RenderError:
            # One copy that cannot be laid out (a script no installed font draws, say) stops only
            # itself. The renderer's message may quote the text, so it is not repeated here.
            return RenderedCopy(
                copy,
                (),
                "held",
                "held: the document could not be rendered exactly as written",
                "render_error",
            )
        name = file_stem(copy)
        files = ((f"{name}.pdf", pdf), (f"{name}.docx", docx))
        own_lines = _own_lines(export, copy)
        withheld = withheld_strings(export, readers, self.words, own_lines)
        patterns = withheld_patterns(export, readers, own_lines)
        if not withheld and not patterns:
            # Nothing is withheld from this reader (most professionals): nothing to look for.
            return RenderedCopy(copy, files, "ready", None)
        try:
            report = leak_report(dict(files), withheld, patterns)
        except UnreadableFile as exc:
            # What cannot be read back cannot be proved clean: hold it, never ship it.
            return RenderedCopy(
                copy,
                (),
                "held",
                f"held: the leak check could not read a file ({exc})",
                "unreadable",
            )
        if report.leaks:
            where = "; ".join(f"{leak.file_name} ({leak.where})" for leak in report.leaks[:3])
            return RenderedCopy(
                copy,
                (),
                "held",
                f"held for the chair: the leak check found withheld content in {where}; "
                "nothing was sent (spec §4 rule 6)",
                "leak",
            )
        if report.skipped and not checked_by_person:
            # A withheld item of a few characters (a two-letter house name such as "Tŷ") cannot be looked
            # for without matching everywhere; unproved is not clean, so a person decides.
            return RenderedCopy(
                copy,
                (),
                "held",
                f"held for the chair: {len(report.skipped)} withheld item(s) too short for the "
                "leak check to look for; nothing was sent (spec §4 rule 6)",
                "short_items",
            )
        return RenderedCopy(copy, files, "ready", None)


# The reader's own address block and the authority's letterhead: printed on every copy of theirs
# and no mention of anyone's withheld address (the plan's guard holds free text that names one).
_OWN_BLOCKS = ("address", "letterhead")


def _text(html: str, skip: tuple[str, ...] = ()) -> str:
    if not html.strip():
        return ""
    tree = lxml.html.fromstring(html)
    for element in list(tree.iter()):
        if element.get("class") in skip and element.getparent() is not None:
            element.drop_tree()
    return tree.text_content()


def _withheld_contact_in(
    export: Export,
    copy: PlannedCopy,
    readers: Viewer,
    printed: tuple[str, ...],
    amendment: Amendment | None,
) -> str | None:
    """Spec §4 rule 4 again, on the words about to be printed: the plan looked at the free text
    it knows of, field by field; this looks at those fields again (the reason names the one),
    then reads the document itself, so no template can bring in more."""
    contacts = withheld_contacts(export, readers.persons)
    if not contacts:
        return None
    subject = copy.on_behalf_of or copy.recipient  # whom an exclusion letter is about
    fields = list(free_text(export, copy.document, copy.viewer, subject))
    if copy.authorisation is not None:
        fields.extend(authorisation_text(export, copy.authorisation))
    if amendment is not None:
        fields.extend(amendment_text(export, copy.document, copy.viewer, amendment))
    found = first_mention(fields, contacts, export.authority.address)
    if found is None:
        # The whole document, less the reader's address block and the letterhead: words the
        # fields above do not cover. The council's own address (its complaints contact, say)
        # is read as the council's, as in those fields.
        where = f"the {copy.document.replace('_', ' ')}"
        printed_fields = ((f"authority.printed ({where})", text) for text in printed)
        found = first_mention(printed_fields, contacts, export.authority.address)
        if found is not None:
            found = (where, found[1])
    return None if found is None else mention_reason(*found, copy.via)


def _own_lines(export: Export, copy: PlannedCopy) -> tuple[str, ...]:
    """Address lines every copy of this reader's prints that prove nothing: the recipient's own
    address block, and the authority's letterhead (a council on the mother's street is no leak)."""
    lines: list[str] = []
    for address in (
        None if export.is_child(copy.recipient) else export.person(copy.recipient).address,
        export.authority.address,
    ):
        if address is not None:
            lines.extend((*address.lines, address.postcode))
    return tuple(lines)


def _lines(marks_html: str) -> tuple[str, ...]:
    if not marks_html.strip():
        return ()
    fragment = lxml.html.fragment_fromstring(marks_html, create_parent="div")
    return tuple(" ".join(p.text_content().split()) for p in fragment.iter("p"))


class CopyRenderer(Protocol):
    """What `render_plan` needs of a renderer: one ready copy → its files, or why it is held.
    `Renderer` is the real one; a test's fake may lay out nothing."""

    def render(
        self, export: Export, copy: PlannedCopy, *, issued_on: date | None = None
    ) -> RenderedCopy: ...


def render_plan(
    export: Export,
    plan: DistributionPlan,
    renderer: CopyRenderer,
    issued_on: date | None = None,
) -> Iterator[RenderedCopy]:
    """Every copy of the plan: ready ones rendered and dated `issued_on`, waiting and held ones
    passed on with their reason."""
    for copy in plan.copies:
        if copy.status != "ready":
            yield RenderedCopy(copy, (), copy.status, copy.reason)
        else:
            yield renderer.render(export, copy, issued_on=issued_on)

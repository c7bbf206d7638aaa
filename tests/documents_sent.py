"""Every kind of document the service sends, rendered once in each print size from the shipped
examples as the service renders it, after stamping: what a reader actually receives (issue 16).

Shared by tests/test_pdf_structure.py and tests/test_large_print.py, made once per process.
The copies are test_letter_geometry's (`examples/*.json`, a cancelled conference, an agreed and
a rejected amendment), one of each kind; the covering letter as the post batch makes it, with
its envelope's mark; the hand-over sheet.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import Any

from pipeline.contract.export import Export
from pipeline.planning.plan import PlannedCopy
from pipeline.procedure.profile import Profile, load_profiles
from pipeline.redaction.facts import AddressBlock
from pipeline.rendering.handover_sheet import handover_facts, handover_html
from pipeline.rendering.html import DEFAULT_TEMPLATES, Composer
from pipeline.rendering.pdf import render_pdf
from pipeline.rendering.pdf_marks import EnvelopeStamper, finish_pdf
from tests.conftest import with_real_format_postcodes
from tests.test_letter_geometry import LETTERS, _amendments, _conferences, _Letters

KINDS = (
    "invitation",
    "exclusion_letter",
    "decision_letter",
    "outline_plan",
    "record",
    "plan_ended_notice",
    "cancellation_notice",
    "amendment_notice",
    "amendment_rejection",
    "report_pack",
    "covering_letter",
    "handover_sheet",
    "authorised_copy",
)


@dataclass(frozen=True, slots=True)
class Delivered:
    kind: str
    large_print: bool
    label: str
    pdf: bytes
    authority: str = ""  # the sending authority's name, for a letter's logo
    docx: bytes | None = None  # the DOCX made with the PDF, where one is
    window: int = 0  # the lines in the envelope's window: the reader's name, address, postcode


class _OnceEach(_Letters):
    """test_letter_geometry's copies of the examples, rendered as the service renders them, each
    kind once in each print size (the geometry module renders every view and window height)."""

    def __init__(self, profile: Profile) -> None:
        super().__init__(profile)
        self.items: list[Delivered] = []

    def add(self, export: Export, copy: PlannedCopy, amendment: Any = None) -> None:
        kind = "authorised_copy" if copy.authorisation is not None else copy.document
        for large in (False, True):
            if any(d.kind == kind and d.large_print == large for d in self.items):
                continue
            result = self.renderer.render(
                export, dataclasses.replace(copy, large_print=large), amendment=amendment
            )
            assert result.status == "ready", (copy.recipient, copy.document, result.reason)
            files = dict(result.files)
            pdf = next(body for name, body in files.items() if name.endswith(".pdf"))
            docx = next((body for name, body in files.items() if name.endswith(".docx")), None)
            size = " large print" if large else ""
            label = f"{kind} to {copy.recipient}{size}"
            addressee = self.renderer.view(export, copy, amendment).addressee
            window = 0
            if addressee is not None and copy.document in LETTERS:
                window = 1 + len(addressee.lines) + (1 if addressee.postcode else 0)
            self.items.append(
                Delivered(kind, large, label, pdf, export.authority.name, docx, window)
            )


def _covering_letter(letters: _Letters, large: bool) -> tuple[bytes, str, str]:
    """A covering letter as the post batch makes one, with its envelope's mark stamped on."""
    data = with_real_format_postcodes(next(_conferences()))
    export = letters.export(data)
    copy = next(c for c in letters.plan(export) if c.document == "decision_letter" and c.channel)
    view = letters.renderer.view(export, dataclasses.replace(copy, large_print=large), None)
    addressee = view.addressee or AddressBlock(
        export.name_of(copy.recipient), ("1 Example Row",), None
    )
    view = dataclasses.replace(view, addressee=addressee, edition=())
    composer = letters.renderer.composer
    html = composer.environment.get_template("letters/covering_letter.html").render(
        v=view, stamp=None, enclosures=[("decision_letter", False)], inserts=()
    )
    covering = finish_pdf(render_pdf(html, composer.templates), "", composer.templates)
    mark = str(
        composer.environment.get_template("_words.html").module.envelope_mark(
            "B-1-0001", addressee.name
        )
    )  # type: ignore[attr-defined]
    with EnvelopeStamper([mark], composer.templates) as stamper:
        return stamper.stamp(covering, mark), copy.recipient, export.authority.name


@functools.cache
def documents_sent() -> tuple[Delivered, ...]:
    """Each kind of document sent, once in each print size (the hand-over sheet in standard
    print only: it goes to the social worker), as the reader receives it: stamped."""
    letters = _OnceEach(load_profiles()["default"])
    handover = None
    for data in _conferences():
        export = letters.export(with_real_format_postcodes(data))
        copies = letters.plan(export)
        for copy in copies:
            if copy.status != "held":
                letters.add(export, copy)
        sheet = next((c for c in copies if c.via and c.document == "record"), None)
        if sheet is not None and handover is None:
            html = handover_html(Composer.at(), handover_facts(export, sheet, (), ()))
            handover = finish_pdf(render_pdf(html, DEFAULT_TEMPLATES), "", DEFAULT_TEMPLATES)
    _amendments(letters, with_real_format_postcodes(next(_conferences())))
    out = list(letters.items)
    assert handover is not None
    out.append(Delivered("handover_sheet", False, "hand-over sheet", handover))
    for large in (False, True):
        pdf, to, authority = _covering_letter(letters, large)
        out.append(Delivered("covering_letter", large, f"covering letter to {to}", pdf, authority))
    return tuple(out)

"""The documents (spec §2): which exist at each stage, and, for an Export, a kind and a Viewer, the free text the document shows them.

`DOCUMENTS` is the one table of them. Only free text is
listed (what a person typed: paragraphs, reasons, recommendations, actions, the venue), each with
its JSON path, because that is what can mention a withheld address (spec §4 rule 4).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

from pipeline.contract.amendment import Amendment
from pipeline.contract.export import Export, Stage
from pipeline.contract.export_v2 import Report
from pipeline.planning.readers import Viewer, changes_held
from pipeline.planning.reports import appended_to_record, not_appended, reports_for_reader

DocumentKind = Literal[
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
]
TextField = tuple[str, str]  # (JSON path, text)

# The blocks of export content a document prints, each a kind of free text `free_text` lists.
Part = Literal[
    "plan_signer",  # who signed the outline plan
    "record_signers",  # who signed the record, and who took it
    "venue",
    "attendance",  # who attended, sent apologies or did not attend, with their roles
    "lead_social_workers",
    "exclusion",  # the exclusion the letter is about
    "exclusions",  # every exclusion, in the record
    "sections",  # the record's sections and appended reports
    "decisions",  # recommendations
    "decisions_with_dissent",  # recommendations and who dissented, in the record
    "ended_plans",  # the plans that end, and their lead social workers
    "plan",  # the outline plan's risks, outcomes, actions, services, contingency, core group
    "complaints",  # the authority's complaints contact
    "reports",  # each report to the conference in the reader's pack (planning.reports)
    "appended_reports",  # the reports the record carries (R19)
]


@dataclass(frozen=True, slots=True)
class Document:
    """One kind of document: when it exists, how it is laid out, and the free text it prints
    (spec §2), in the order it prints it. What a person calls it is written where the words a
    reader sees live: `templates/_words.html` (`document_name`)."""

    stage: Stage | None  # the conference's stage it is made at; None: on an amendment's decision
    layout: Literal["letter", "record"]  # templates/letters or templates/records, and the marks
    parts: tuple[Part, ...]


# Spec §2's table of documents, the one place it is written. Mirrors what the templates print
# (templates/letters/*.html, templates/records/*.html; records are headed with the venue by
# templates/records/_base.html); tests/test_property_leaks.py checks that a mention found here
# holds exactly the copies printing it.
DOCUMENTS: dict[DocumentKind, Document] = {
    "invitation": Document("scheduled", "letter", ("venue",)),
    "exclusion_letter": Document(
        "scheduled",
        "letter",
        ("exclusion", "complaints"),
    ),
    # Every recorded dissent, with whose it is, as in the record (R17): professional copies only
    # (pipeline.redaction.view); listed for every copy, so the mention guard over-holds, never under.
    "decision_letter": Document(
        "held",
        "letter",
        ("decisions_with_dissent", "lead_social_workers", "complaints"),
    ),
    "outline_plan": Document("held", "record", ("plan_signer", "venue", "plan")),
    "record": Document(
        "held",
        "record",
        (
            "plan_signer",
            "record_signers",
            "venue",
            "attendance",
            "lead_social_workers",
            "exclusions",
            "sections",
            "decisions_with_dissent",
            "plan",
            "appended_reports",
        ),
    ),
    "plan_ended_notice": Document("held", "letter", ("ended_plans",)),
    "cancellation_notice": Document("cancelled", "letter", ("venue",)),
    # Both also print the amendment's own text: `amendment_text`.
    "amendment_notice": Document(None, "letter", ()),
    "amendment_rejection": Document(None, "letter", ("complaints",)),
    # 000 §4.7.7; 002 §15.4: the family's copies of the reports, before the conference.
    "report_pack": Document("scheduled", "record", ("venue", "reports")),
}
RECORD_DOCUMENTS = frozenset(kind for kind, d in DOCUMENTS.items() if d.layout == "record")


def documents_at(stage: Stage) -> tuple[DocumentKind, ...]:
    """The documents a conference at `stage` is shown in."""
    return tuple(kind for kind, d in DOCUMENTS.items() if d.stage == stage)


def shows(document: DocumentKind, part: Part) -> bool:
    return part in DOCUMENTS[document].parts


def free_text(
    export: Export, document: DocumentKind, viewer: Viewer, subject: str | None = None
) -> Iterator[TextField]:
    """Every free-text field of `export` that `document` shows `viewer`.

    `subject` is the person an exclusion letter is about, or a report pack is for.
    """
    yield from _names_everywhere(export)
    for part in DOCUMENTS[document].parts:
        yield from _PARTS[part](export, viewer, subject)


def amendment_text(
    export: Export, document: DocumentKind, viewer: Viewer, amendment: Amendment
) -> Iterator[TextField]:
    """The free text of `amendment` that a notice or rejection letter shows `viewer`: each change
    to a section their copy of the record holds (what it said, what it says now), and, in a
    rejection letter, the chair's note (templates/letters/amendment_*.html)."""
    positions = {s.id: k for k, s in enumerate(export.record.sections)} if export.record else {}
    for i, change, section in changes_held(export, viewer, amendment):
        yield f"record.sections[{positions[section.id]}].heading", section.heading
        yield f"changes[{i}].replace", change.replace
        yield f"changes[{i}].with", change.with_
    if document == "amendment_rejection" and amendment.decision.note:
        yield "decision.note", amendment.decision.note


def _person(export: Export, person_id: str, *, with_role: bool) -> Iterator[TextField]:
    """A person's name as printed, and the words their role is printed in (job title, agency or
    relationship: pipeline.redaction.view `_role`)."""
    i = export.person_index(person_id)
    if i is None:
        return  # a child, or no one: children's names are printed everywhere
    person = export.people[i]
    yield f"people[{i}].name", person.name
    if with_role:
        for key in ("job_title", "agency", "relationship"):
            value = getattr(person, key)
            if value:
                yield f"people[{i}].{key}", value


def authorisation_text(export: Export, index: int) -> Iterator[TextField]:
    """What the marks of an authorised copy print on every page (spec §4 rule 5; templates/
    _marks.html): for whom it was made, on whose authority, and its purpose."""
    authorisation = export.distribution.authorisations[index]
    if authorisation.on_behalf_of:
        yield from _person(export, authorisation.on_behalf_of, with_role=False)
    yield from _person(export, authorisation.authorised_by, with_role=False)
    if authorisation.purpose:
        yield f"distribution.authorisations[{index}].purpose", authorisation.purpose


def _plan_signer(export: Export, viewer: Viewer, subject: str | None) -> Iterator[TextField]:
    if export.plan is not None and export.plan.signed_by:
        yield from _person(export, export.plan.signed_by, with_role=False)


def _record_signers(export: Export, viewer: Viewer, subject: str | None) -> Iterator[TextField]:
    if export.record is not None and export.record.signed_by:
        yield from _person(export, export.record.signed_by, with_role=False)
    if export.conference.minute_taker:
        yield from _person(export, export.conference.minute_taker, with_role=False)


def _names_everywhere(export: Export) -> Iterator[TextField]:
    """What every document prints: the children's names, the chair's name and title."""
    for i, child in enumerate(export.children):
        yield f"children[{i}].name", child.name
    for i, person in enumerate(export.people):
        if person.id == export.conference.chair:
            yield f"people[{i}].name", person.name
            if person.job_title:
                yield f"people[{i}].job_title", person.job_title


def _lead_social_workers(export: Export) -> Iterator[TextField]:
    for decision in export.decisions:
        if decision.lead_social_worker is not None:
            yield from _person(export, decision.lead_social_worker, with_role=False)


def _venue(export: Export) -> Iterator[TextField]:
    if export.conference.venue:
        yield "conference.venue", export.conference.venue


def _excluded_items(export: Export, index: int, viewer: Viewer) -> Iterator[TextField]:
    """The titles of the agenda items an exclusion names, where the reader may see them."""
    sections = export.record.sections if export.record is not None else ()
    exclusion = export.exclusions[index]
    for i, item in enumerate(export.agenda):
        if item.id in exclusion.agenda_items and viewer.may_see_agenda_title(item.id, sections):
            yield f"agenda[{i}].title", item.title


def _complaints(export: Export) -> Iterator[TextField]:
    if export.authority.complaints_contact:
        yield "authority.complaints_contact", export.authority.complaints_contact


def _exclusion(export: Export, subject: str | None, viewer: Viewer) -> Iterator[TextField]:
    for i, exclusion in enumerate(export.exclusions):
        if exclusion.person == subject:
            yield from _person(export, exclusion.person, with_role=False)
            yield from _excluded_items(export, i, viewer)
            yield f"exclusions[{i}].reason", exclusion.reason
            if exclusion.how_views_are_heard:
                yield f"exclusions[{i}].how_views_are_heard", exclusion.how_views_are_heard


def _decisions(export: Export, *, with_dissent: bool) -> Iterator[TextField]:
    for i, decision in enumerate(export.decisions):
        for j, text in enumerate(decision.recommendations):
            yield f"decisions[{i}].recommendations[{j}]", text
        if with_dissent:
            for j, dissent in enumerate(decision.dissent):
                yield f"decisions[{i}].dissent[{j}].view", dissent.view
                yield from _person(export, dissent.person, with_role=True)


def _plan(export: Export, viewer: Viewer) -> Iterator[TextField]:
    plan = export.plan
    if plan is None:
        return
    for i, child_plan in enumerate(plan.children):
        base = f"plan.children[{i}]"
        for j, text in enumerate(child_plan.risks):
            yield f"{base}.risks[{j}]", text
        for j, outcome in enumerate(child_plan.outcomes):
            yield f"{base}.outcomes[{j}].outcome", outcome.outcome
            for k, action in enumerate(outcome.actions):
                if not viewer.may_see(action.visibility):
                    continue
                path = f"{base}.outcomes[{j}].actions[{k}]"
                yield f"{path}.action", action.action
                for person in action.responsible:
                    yield from _person(export, person, with_role=False)
                if action.frequency:
                    yield f"{path}.frequency", action.frequency
        for j, text in enumerate(child_plan.services):
            yield f"{base}.services[{j}]", text
        for j, text in enumerate(child_plan.assessments):
            yield f"{base}.assessments[{j}]", text
    for j, text in enumerate(plan.contingency):
        yield f"plan.contingency[{j}]", text
    if plan.core_group is not None:
        for member in plan.core_group.members:
            yield from _person(export, member, with_role=True)


def _attendance(export: Export, viewer: Viewer, subject: str | None) -> Iterator[TextField]:
    for attendance in export.attendance:
        yield from _person(export, attendance.person, with_role=True)


def _all_exclusions(export: Export, viewer: Viewer, subject: str | None) -> Iterator[TextField]:
    for i, exclusion in enumerate(export.exclusions):
        yield from _person(export, exclusion.person, with_role=False)
        yield from _excluded_items(export, i, viewer)
        yield f"exclusions[{i}].reason", exclusion.reason
        if exclusion.how_views_are_heard:
            yield f"exclusions[{i}].how_views_are_heard", exclusion.how_views_are_heard


def _sections(export: Export, viewer: Viewer, subject: str | None) -> Iterator[TextField]:
    record = export.record
    if record is None:
        return
    for i, section in enumerate(record.sections):
        if not viewer.may_see_section(section):
            continue
        yield f"record.sections[{i}].heading", section.heading
        for j, paragraph in enumerate(section.paragraphs):
            yield f"record.sections[{i}].paragraphs[{j}]", paragraph
    for i, report in enumerate(record.appended_reports):
        if viewer.may_see(report.visibility):
            yield f"record.appended_reports[{i}].title", report.title


def _report_text(export: Export, viewer: Viewer, report: Report) -> Iterator[TextField]:
    """What a report prints where its reader may see it: title, author and agency, and each
    section not withheld from them (the same visibility decisions as the record's)."""
    if not viewer.may_see(report.visibility):
        return
    i = _report_positions(export)[report.id]
    yield f"reports[{i}].title", report.title
    yield f"reports[{i}].agency", report.agency
    yield from _person(export, report.author, with_role=True)
    if report.countersigned_by is not None:
        yield from _person(export, report.countersigned_by, with_role=False)
    for j, section in enumerate(report.sections):
        if viewer.may_see(section.visibility):
            yield f"reports[{i}].sections[{j}].heading", section.heading
            for k, paragraph in enumerate(section.paragraphs):
                yield f"reports[{i}].sections[{j}].paragraphs[{k}]", paragraph


def _report_positions(export: Export) -> dict[str, int]:
    return {r.id: i for i, r in enumerate(export.conference_reports())}


def _pack_reports(export: Export, viewer: Viewer, subject: str | None) -> Iterator[TextField]:
    """The reports in the pack of `subject`, the parent it is for (planning.reports)."""
    if subject is None or export.is_child(subject) or export.person_index(subject) is None:
        return
    for report in reports_for_reader(export, export.person(subject)):
        yield from _report_text(export, viewer, report)


def _appended_reports(export: Export, viewer: Viewer, subject: str | None) -> Iterator[TextField]:
    for report in appended_to_record(export, attended_parts=viewer.present_for is not None):
        yield from _report_text(export, viewer, report)
    # R19: a report the record does not carry is still named, by its title, where its reader
    # may see it (the record template's "not appended" list).
    positions = _report_positions(export)
    for report in not_appended(export):
        if viewer.may_see(report.visibility):
            yield f"reports[{positions[report.id]}].title", report.title


_PartText = Callable[[Export, Viewer, "str | None"], Iterator[TextField]]
_PARTS: dict[Part, _PartText] = {
    "plan_signer": _plan_signer,
    "record_signers": _record_signers,
    "venue": lambda export, viewer, subject: _venue(export),
    "attendance": _attendance,
    "lead_social_workers": lambda export, viewer, subject: _lead_social_workers(export),
    "exclusion": lambda export, viewer, subject: _exclusion(export, subject, viewer),
    "exclusions": _all_exclusions,
    "sections": _sections,
    "decisions": lambda export, viewer, subject: _decisions(export, with_dissent=False),
    "decisions_with_dissent": lambda export, viewer, subject: _decisions(export, with_dissent=True),
    "ended_plans": lambda export, viewer, subject: _lead_social_workers(export),
    "plan": lambda export, viewer, subject: _plan(export, viewer),
    "complaints": lambda export, viewer, subject: _complaints(export),
    "reports": _pack_reports,
    "appended_reports": _appended_reports,
}

"""An Export, a document kind and a Viewer → the free text from the export that the document shows them.

The content each document carries follows the spec's table of documents (§2). Only free text is
listed (what a person typed: paragraphs, reasons, recommendations, actions, the venue), each with
its JSON path, because that is what can mention a withheld address (spec §4 rule 4).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pipeline.contract.amendment import Amendment
from pipeline.contract.export import Export
from pipeline.planning.readers import Viewer, changes_held

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
]
TextField = tuple[str, str]  # (JSON path, text)


def free_text(
    export: Export, document: DocumentKind, viewer: Viewer, subject: str | None = None
) -> Iterator[TextField]:
    """Every free-text field of `export` that `document` shows `viewer`.

    `subject` is the person an exclusion letter is about.
    """
    # Mirrors what the templates print (templates/letters/*.html, templates/records/*.html);
    # tests/test_property_leaks.py checks that a mention here holds exactly the copies printing it.
    yield from _names_everywhere(export)
    yield from _signers(export, document)
    if document in ("invitation", "cancellation_notice"):
        yield from _venue(export)
    elif document == "exclusion_letter":
        yield from _exclusion(export, subject, viewer)
    elif document == "decision_letter":
        yield from _decisions(export, with_dissent=False)
        yield from _lead_social_workers(export)
        yield from _complaints(export)
    elif document == "plan_ended_notice":
        yield from _lead_social_workers(export)
    elif document == "outline_plan":
        # templates/records/_base.html heads every record-like document with the venue
        yield from _venue(export)
        yield from _plan(export, viewer)
    elif document == "record":
        yield from _record(export, viewer)
    elif document == "amendment_rejection":
        yield from _complaints(export)
    # amendment_notice and amendment_rejection print the amendment's own text: `amendment_text`.


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


def _signers(export: Export, document: DocumentKind) -> Iterator[TextField]:
    """Who signed the outline plan or the record, and who took the record."""
    if document in ("outline_plan", "record") and export.plan is not None and export.plan.signed_by:
        yield from _person(export, export.plan.signed_by, with_role=False)
    if document == "record":
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
    yield from _complaints(export)


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


def _record(export: Export, viewer: Viewer) -> Iterator[TextField]:
    yield from _venue(export)
    for attendance in export.attendance:
        yield from _person(export, attendance.person, with_role=True)
    yield from _lead_social_workers(export)
    for i, exclusion in enumerate(export.exclusions):
        yield from _person(export, exclusion.person, with_role=False)
        yield from _excluded_items(export, i, viewer)
        yield f"exclusions[{i}].reason", exclusion.reason
        if exclusion.how_views_are_heard:
            yield f"exclusions[{i}].how_views_are_heard", exclusion.how_views_are_heard
    record = export.record
    if record is not None:
        for i, section in enumerate(record.sections):
            if not viewer.may_see_section(section):
                continue
            yield f"record.sections[{i}].heading", section.heading
            for j, paragraph in enumerate(section.paragraphs):
                yield f"record.sections[{i}].paragraphs[{j}]", paragraph
        for i, report in enumerate(record.appended_reports):
            if viewer.may_see(report.visibility):
                yield f"record.appended_reports[{i}].title", report.title
    yield from _decisions(export, with_dissent=True)
    yield from _plan(export, viewer)

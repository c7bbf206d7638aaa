"""An Export, a document kind and a Viewer → the free text from the export that the document shows them.

The content each document carries follows the spec's table of documents (§2). Only free text is
listed (what a person typed: paragraphs, reasons, recommendations, actions, the venue), each with
its JSON path, because that is what can mention a withheld address (spec §4 rule 4).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pipeline.export_model import Export
from pipeline.visibility import Viewer

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
    if document in ("invitation", "cancellation_notice"):
        yield from _venue(export)
    elif document == "exclusion_letter":
        yield from _exclusion(export, subject, viewer)
    elif document == "decision_letter":
        yield from _decisions(export, with_dissent=False)
        yield from _complaints(export)
    elif document == "outline_plan":
        # templates/records/_base.html heads every record-like document with the venue
        yield from _venue(export)
        yield from _plan(export, viewer)
    elif document == "record":
        yield from _record(export, viewer)
    elif document == "amendment_rejection":
        yield from _complaints(export)
    # plan_ended_notice, amendment_notice and amendment_rejection carry no free text from the
    # export here; the amendment's own text is read where it is printed (process.Renderer).


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
                if action.frequency:
                    yield f"{path}.frequency", action.frequency
        for j, text in enumerate(child_plan.services):
            yield f"{base}.services[{j}]", text
        for j, text in enumerate(child_plan.assessments):
            yield f"{base}.assessments[{j}]", text
    for j, text in enumerate(plan.contingency):
        yield f"plan.contingency[{j}]", text


def _record(export: Export, viewer: Viewer) -> Iterator[TextField]:
    yield from _venue(export)
    for i, exclusion in enumerate(export.exclusions):
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

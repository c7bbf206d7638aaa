"""A child's own copy → the child it is written to (`ChildReader`), and only what is theirs.

A child who receives copies (`distribution.child_copies`; 000 §4.14.7-4.14.8; 002 §22.13-22.14)
gets their decision letter written to them: their first name, "you", their own decision and why,
in words for their age. Their brothers' and sisters' decisions are those
children's private matters, so the view of a child's own letter holds only the child's decision,
and only the child among the children. The template (templates/letters/child/) does the writing.
"""

from __future__ import annotations

import dataclasses

from pipeline.contract.export import Child, Decision, Export
from pipeline.planning.child_letters import child_age, first_name, is_child_letter
from pipeline.planning.plan import PlannedCopy
from pipeline.redaction.facts import ChildReader, RecipientView


def child_reader_for(export: Export, copy: PlannedCopy) -> ChildReader | None:
    """The child `copy` is written to, or None for every other copy (which stays as it was)."""
    if not is_child_letter(export, copy.recipient, copy.recipient_class, copy.document):
        return None
    child = export.child(copy.recipient)
    # The review conference is about the children with a plan: the child's next meeting only
    # where their own decision gives them one.
    decision = export.decision_for(child.id)
    has_plan = decision is not None and decision.has_plan and export.plan is not None
    return ChildReader(
        first_name=first_name(child.name),
        age=child_age(export, child.id),
        next_meeting=export.plan.review_conference_date if has_plan and export.plan else None,
    )


def child_addressee(export: Export, copy: PlannedCopy) -> str:
    """The name a child's copy is addressed to: on their own letter their first name, so the
    greeting reads "Dear Ella," in the HTML, the stamped PDF and the DOCX alike (all three print
    the addressee's name); on any other copy their full name, as before."""
    reader = child_reader_for(export, copy)
    return reader.first_name if reader is not None else export.child(copy.recipient).name


def own_decisions(export: Export, copy: PlannedCopy) -> tuple[Decision, ...]:
    """The decisions the copy may print: on a child's own letter, the child's own only."""
    if child_reader_for(export, copy) is None:
        return export.decisions
    # Without the recommendations: they are the professionals' own words and may name a brother
    # or sister; the social worker talks them through with the child (000 §4.14.7).
    return tuple(
        d.model_copy(update={"recommendations": ()})
        for d in export.decisions
        if d.child == copy.recipient
    )


def own_children(export: Export, copy: PlannedCopy) -> tuple[Child, ...]:
    """The subject children the copy is about: on a child's own letter, the child alone."""
    children = tuple(c for c in export.children if c.subject)
    if child_reader_for(export, copy) is None:
        return children
    return tuple(c for c in children if c.id == copy.recipient)


def with_advocacy(view: RecipientView, contact: str | None) -> RecipientView:
    """A child's letter with the profile's children's rights or advocacy contact in it; every
    other view as it was (so no other copy's content or fingerprint moves)."""
    if view.child_reader is None or contact is None:
        return view
    reader = dataclasses.replace(view.child_reader, advocacy_contact=contact)
    return dataclasses.replace(view, child_reader=reader)

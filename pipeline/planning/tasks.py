"""The planned copies → the work they need of people: hand-overs, the verbal invitation, and each need a copy must meet (000 §4.14.9; 002 §15.6, §22.15; R21)."""

from __future__ import annotations

from collections.abc import Iterator

from pipeline.contract.export import Export
from pipeline.planning.child_letters import child_age, is_child_letter, too_young_to_read
from pipeline.planning.plan import PlannedCopy, Task, TaskKind

# 000 §4.14.9; 002 §15.6, §22.15: each of these needs work by the social worker for every copy.
TASK_NEEDS: tuple[TaskKind, ...] = ("translation", "interpreter", "braille", "audio", "easy_read")
NEEDS_SOURCE = "000 §4.14.9; 002 §15.6, §22.15"


def verbal_invitations(
    export: Export, copies: tuple[PlannedCopy, ...], owner: str | None, source: str
) -> Iterator[Task]:
    """R21: the social worker tells each parent of the conference before the letter confirms it,
    so the task is due by the invitation's own due date."""
    for copy in copies:
        if copy.document != "invitation":
            continue
        person = export.person(copy.recipient)
        if person.role in ("parent", "carer") or person.parental_responsibility:
            yield Task(
                "verbal_invitation", owner, copy.recipient, "invitation", copy.due, f"R21; {source}"
            )


def copy_tasks(
    export: Export, copies: tuple[PlannedCopy, ...], owner: str | None
) -> Iterator[Task]:
    """A hand-over task for each copy through the social worker; one task per copy per need."""
    for copy in copies:
        if copy.via is not None:
            yield Task(
                "hand_over",
                copy.via,
                copy.recipient,
                copy.document,
                copy.due,
                "spec §3; 000 §4.14.5; 002 §22.9",
            )
        if export.is_child(copy.recipient):
            continue  # the contract records no needs for children (R81)
        needs = export.person(copy.recipient).needs
        for need in TASK_NEEDS:
            if need in needs:
                yield Task(
                    need, copy.via or owner, copy.recipient, copy.document, copy.due, NEEDS_SOURCE
                )
        if copy.language is not None and copy.language.translation and "translation" not in needs:
            # R81, R82: a reader of another language than the documents' is owed a translation
            # whether or not the export lists the need; one task, never two.
            yield Task(
                "translation",
                copy.via or owner,
                copy.recipient,
                copy.document,
                copy.due,
                f"R81, R82; {NEEDS_SOURCE}",
            )


def explain_in_person(export: Export, copies: tuple[PlannedCopy, ...]) -> Iterator[Task]:
    """000 §4.14.7, 002 §22.13: the social worker explains and discusses the conference with the
    child. A child's own letter is written at a reading age of about 8; for a younger child it is
    not enough on its own, so the social worker who hands it over reads it with them, due with
    the copy. (No date of birth: the age is not known, and no task is raised for it.)"""
    for copy in copies:
        if not is_child_letter(export, copy.recipient, copy.recipient_class, copy.document):
            continue
        if too_young_to_read(child_age(export, copy.recipient)):
            yield Task(
                "explain_in_person",
                copy.via,
                copy.recipient,
                copy.document,
                copy.due,
                "000 §4.14.7; 002 §22.13",
            )

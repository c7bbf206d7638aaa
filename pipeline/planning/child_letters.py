"""A child's own copy (`distribution.child_copies`): which documents are written to the child, and the
child's age for the words it is written in (000 §4.14.7-4.14.8; 002 §22.13-22.14).

Pure, and below redaction, so that the view builder (which writes the letter to the child) and the
task list (which asks the social worker to explain it to a child too young to read it) read one rule.
"""

from __future__ import annotations

from datetime import date
from typing import Final

from pipeline.contract.export import Export
from pipeline.planning.documents import DocumentKind

# The documents with a version written to the child: their own decision letter. The outline plan
# and the record are the conference's own documents, one text for every family reader; a child the
# chair gives them to gets the family version (the chair chose to give that document).
CHILD_LETTERS: Final[frozenset[DocumentKind]] = frozenset({"decision_letter"})
# GOV.UK's upper aim for everyone (003 §2, §4; R79): a child's letter is never harder than this.
READING_AGE_CAP: Final = 11
# The child's letter is written at about a reading age of 8 (short words, short sentences). A
# younger child cannot be expected to read it alone, so the social worker reads and explains it
# with them in person (`tasks.explain_in_person`).
YOUNGEST_READER: Final = 8


def age_on(born: date | None, day: date) -> int | None:
    """Whole years from `born` to `day`; None when the date of birth is not known."""
    if born is None:
        return None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def child_age(export: Export, child_id: str) -> int | None:
    """The child's age on the conference day, from the export's date of birth."""
    child = export.child(child_id)
    if child.unborn:
        return None
    return age_on(child.date_of_birth, export.conference.date)


def reading_age_target(age: int | None) -> int:
    """The hardest a letter to a child of `age` may read: their age, never above 11; 11 when the
    age is not known (no date of birth: the cap is all that can be said)."""
    return READING_AGE_CAP if age is None else min(age, READING_AGE_CAP)


def too_young_to_read(age: int | None) -> bool:
    """A child younger than the letter's own reading age: someone must read it with them."""
    return age is not None and age < YOUNGEST_READER


def first_name(name: str) -> str:
    """The first word of the child's name. The contract has no known-as field, so this is the
    nearest to what the child is called; a council's known-as name would belong in the export."""
    words = name.split()
    return words[0] if words else name


def is_child_letter(export: Export, recipient: str, recipient_class: str, document: str) -> bool:
    """Is this copy a child's own letter: planned for the child (class child), of a kind written
    to children? An authorised copy held on a child's behalf is not (class authorised)."""
    return recipient_class == "child" and export.is_child(recipient) and document in CHILD_LETTERS

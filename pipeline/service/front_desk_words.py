"""A conference's export → the words the front desk shows for its people, documents and copies: names and roles, never ids.

Pure. An administrator reading the dashboard knows "Sarah Whitfield (mother)", not `p-mother`; a
copy is "the record", not `record`. Each page's url for a copy is made here, once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

from pipeline.contract.export import Export
from pipeline.rendering.handover_sheet import document_names


@dataclass(frozen=True, slots=True)
class PersonWords:
    """One person or child as the front desk names them."""

    name: str
    role: str  # "mother", "Social Worker", "chair", "child": what they are to the conference

    def __str__(self) -> str:
        return f"{self.name} ({self.role})" if self.role else self.name


People = Mapping[str, PersonWords]  # person or child id → their words, for one conference


def people_of(export: Export) -> dict[str, PersonWords]:
    """Each person and child of the conference in words: a family member by relationship, a
    professional by job title, anyone else by their role in the contract."""
    people = {
        p.id: PersonWords(p.name, p.relationship or p.job_title or p.role.replace("_", " "))
        for p in export.people
    }
    people.update({c.id: PersonWords(c.name, "child") for c in export.children})
    return people


def person_words(people: People, person: str | None) -> str | None:
    """ "Sarah Whitfield (mother)"; someone the export no longer names is "someone no longer in
    the export" rather than their id, which means nothing to a reader."""
    if person is None:
        return None
    found = people.get(person)
    return str(found) if found is not None else "someone no longer named in the export"


def family_of(export: Export) -> str:
    """The conference's family as an administrator knows it: the subject children's names
    (`cpc status` shows only the conference id; a name is what a person looks for)."""
    names = [c.name for c in export.children if c.subject] or [c.name for c in export.children]
    return ", ".join(names)


def document_words(document: str) -> str:
    """The document's everyday name, as the letters write it (templates/_words.html)."""
    return document_names().get(document, document.replace("_", " "))


def copy_document_words(document: str, on_behalf_of: str | None, people: People) -> str:
    """A copy's document: "record of the conference", and for whom when its reader has it for
    someone else (a solicitor's copy for their client, a parent's for their child)."""
    words = document_words(document)
    if on_behalf_of is None:
        return words
    found = people.get(on_behalf_of)
    return f"{words}, for {found.name if found is not None else 'someone no longer named'}"


def copy_url(conference_id: str, copy_key: str) -> str:
    """The copy page: `/conferences/<id>/copies/<copy_key>`, each part quoted whole (safe="").

    A copy key holds a "/" (`p-mother/record`), quoted as %2F. WSGI servers hand the web the
    path already decoded (PATH_INFO), so %2F arrives as "/" again: the web's route takes the key
    with a path converter (Flask's `<path:copy_key>`, the verbs after it:
    `/conferences/<id>/copies/<path:copy_key>/release`), which gives back the key as stored."""
    return f"/conferences/{quote(conference_id, safe='')}/copies/{quote(copy_key, safe='')}"


def conference_url(conference_id: str) -> str:
    return f"/conferences/{quote(conference_id, safe='')}"


def in_words(text: str | None, people: People) -> str | None:
    """A stored reason or check detail with the conference's ids in it put into words: a copy
    key ("p-police/record") as the person's name and the document, a bare id as the name. Only
    ids of this conference's people are replaced, longest first (`p-sw2` is not `p-sw`)."""
    if text is None or not people:
        return text
    ids = "|".join(re.escape(i) for i in sorted(people, key=len, reverse=True))
    copy_key = re.compile(rf"(?<![\w.-])({ids})/([a-z_]+)(-[\w.-]*[\w])?(?![\w-])")
    bare = re.compile(rf"(?<![\w.-])({ids})(?![\w-])")
    names = document_names()

    def copy(match: re.Match[str]) -> str:
        document = match.group(2)
        if document not in names:
            return people[match.group(1)].name + match.group(0)[len(match.group(1)) :]
        said = f"{people[match.group(1)].name}'s {document_words(document)}"
        suffix = (match.group(3) or "")[1:]  # "for-p-mother", "AMD-0412-01", "large-print"
        for_whom = next(
            (i for i in sorted(people, key=len, reverse=True) if suffix == f"for-{i}"), None
        )
        if for_whom is not None:
            return f"{said}, for {people[for_whom].name}"
        return f"{said} ({suffix})" if suffix else said

    with_copies = copy_key.sub(copy, text)
    return bare.sub(lambda m: people[m.group(1)].name, with_copies)

"""The store's current exports → each conference read as the status reads it: its people in words, its chair, its family, and what cannot be read.

The front desk's pages read the same rows `cpc status` reads (`store.status_rows`), and each
conference's export as a run would (`service.conference.load_conference`), once per page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pipeline.contract.export import Export
from pipeline.contract.load import load_export
from pipeline.procedure.profile import Profile
from pipeline.service.conference import load_conference
from pipeline.service.front_desk_words import People, family_of, people_of
from pipeline.service.status_report import Names
from pipeline.service.summary import plain_error
from pipeline.store.db import Store, StoredExport


@dataclass(frozen=True, slots=True)
class ReadConference:
    """One conference as the front desk shows it."""

    conference_id: str
    export: Export
    people: People
    family: str

    @property
    def chair(self) -> str:
        return self.export.conference.chair


@dataclass(frozen=True, slots=True)
class Readings:
    conferences: dict[str, ReadConference] = field(default_factory=dict)
    # For status_report: (conference, person) → (name, role); agreed amendments not made; why a
    # conference cannot be read now.
    names: Names = field(default_factory=dict)
    not_made: tuple[tuple[str, str, str], ...] = ()
    unreadable: dict[str, str] = field(default_factory=dict)


def read_one(conference_id: str, export: Export) -> ReadConference:
    return ReadConference(conference_id, export, people_of(export), family_of(export))


def read_all(
    store: Store, profiles: dict[str, Profile], exports: Sequence[StoredExport]
) -> Readings:
    """Each of `exports` read, and planned with its amendments as a run would (as `cpc status`
    does): a conference that cannot be read now is said, never a traceback."""
    conferences: dict[str, ReadConference] = {}
    names: dict[tuple[str, str], tuple[str, str]] = {}
    not_made: list[tuple[str, str, str]] = []
    unreadable: dict[str, str] = {}
    for stored in exports:
        conference_id = stored.conference_id
        try:
            export = load_export(stored.raw, profiles.keys())
            read = read_one(conference_id, export)
            conferences[conference_id] = read
            names.update({(conference_id, i): (w.name, w.role) for i, w in read.people.items()})
            current = load_conference(store, conference_id, profiles).read.current
        except Exception as exc:  # any fault reading one conference is said, the rest shown
            unreadable[conference_id] = plain_error(exc)
            continue
        not_made += [(conference_id, amendment_id, why) for amendment_id, why in current.failed]
    return Readings(conferences, names, tuple(not_made), unreadable)

"""A stored export and its amendments → the conference as the service reads it now (pure, milliseconds).

The read model every service step shares: the export with agreed amendments made, its profile and
calendar, and every copy the conference now calls for. `read_conference_copies` takes plain data
only, so a worker process can be given it; `load_conference` reads that data from the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.contract.amendment import Amendment
from pipeline.contract.export import Export
from pipeline.contract.load import load_document, load_export
from pipeline.planning.amendments import AmendmentInput, ConferenceCopies, conference_copies
from pipeline.planning.plan import DistributionPlan, PlannedCopy
from pipeline.planning.recipients import plan_distribution
from pipeline.planning.routing import DEFAULT_ROUTING, Routing
from pipeline.procedure.calendar import WorkingCalendar
from pipeline.procedure.profile import Profile

if TYPE_CHECKING:  # a worker process reads a conference without loading the database layer
    from pipeline.store.db import Store, StoredExport


@dataclass(frozen=True, slots=True)
class AmendmentContext:
    """What a conference's amendments are, as plain data a worker process can be given:
    each amendment's latest document with its order and its requester's record copy, and each
    record copy already delivered with the amendments it included."""

    amendments: tuple[tuple[int, bytes, str], ...] = ()
    holders: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class ReadConference:
    export: Export  # as exported
    profile: Profile
    calendar: WorkingCalendar
    current: ConferenceCopies  # with agreed amendments made, and the copies they call for


def read_conference_copies(
    raw: bytes,
    profiles: dict[str, Profile],
    context: AmendmentContext,
    routing: Routing = DEFAULT_ROUTING,
) -> ReadConference:
    """A stored export and its amendments → every copy the conference now calls for."""
    export = load_export(raw, profiles.keys())
    profile = profiles[export.authority.procedure_profile or "default"]
    calendar = profile.working_calendar(export.authority.nation)
    inputs = []
    for sequence, amendment_raw, requester_key in context.amendments:
        amendment = load_document(amendment_raw, profiles.keys())
        assert isinstance(amendment, Amendment)
        inputs.append(AmendmentInput(sequence, amendment, requester_key))
    current = conference_copies(
        export,
        profile,
        calendar,
        lambda e: plan_distribution(e, profile, calendar, routing),
        inputs,
        {key: frozenset(ids) for key, ids in context.holders},
    )
    return ReadConference(export, profile, calendar, current)


@dataclass(frozen=True)
class Conference:
    """One stored export with its amendments, read and planned again (pure, milliseconds)."""

    stored: StoredExport
    read: ReadConference
    context: AmendmentContext

    @property
    def export(self) -> Export:
        """The export with every agreed amendment made to its record."""
        return self.read.current.export

    @property
    def profile(self) -> Profile:
        return self.read.profile

    @property
    def calendar(self) -> WorkingCalendar:
        return self.read.calendar

    @property
    def copies(self) -> dict[str, PlannedCopy]:
        return self.read.current.copies

    @property
    def plan(self) -> DistributionPlan:
        return self.read.current.plan


def amendment_context(store: Store, conference_id: str) -> AmendmentContext:
    """The conference's amendments and the record copies already delivered, from the store."""
    holders: dict[str, tuple[str, ...]] = {}
    for delivery in store.deliveries(conference_id, state="sent"):
        if delivery.document == "record":
            included = set(holders.get(delivery.copy_key, ()))
            included.update(delivery.amendments_included or ())
            holders[delivery.copy_key] = tuple(sorted(included))
    rows = store.amendment_rows(conference_id)
    return AmendmentContext(
        amendments=tuple((r.sequence, r.raw, r.requester_copy_key) for r in rows),
        holders=tuple(sorted(holders.items())),
    )


def load_conference(
    store: Store,
    conference_id: str,
    profiles: dict[str, Profile],
    routing: Routing = DEFAULT_ROUTING,
) -> Conference:
    (stored,) = store.current_exports(conference_id)
    context = amendment_context(store, conference_id)
    read = read_conference_copies(stored.raw, profiles, context, routing)
    return Conference(stored, read, context)

"""The conferences a pass of a run works on, read once each, and their rendered copies delivered one conference at a time.

Shared by the run in one process (`run`) and a worker's job for one conference (`queue_worker`),
so the two deliver, record and report alike.
"""

from __future__ import annotations

import collections
from collections.abc import Iterable

from pipeline.delivery.preview import RenderedCopy
from pipeline.errors import StoreUnavailable
from pipeline.planning.routing import Routing
from pipeline.procedure.profile import Profile
from pipeline.service.conference import Conference, load_conference
from pipeline.service.delivering import Deliverer
from pipeline.service.render_pool import CopyJob
from pipeline.service.summary import plain_error
from pipeline.store.db import Store


class Conferences:
    """Conferences read for a pass of a run, on first use, the last few kept: a night of a
    thousand conferences is never all in memory (one is read again if asked for later)."""

    KEPT = 64

    def __init__(self, store: Store, profiles: dict[str, Profile], routing: Routing) -> None:
        self.store = store
        self.profiles = profiles
        self.routing = routing  # the channels this run can use: the plan chooses by them
        self.read: collections.OrderedDict[str, Conference] = collections.OrderedDict()

    def __call__(self, conference_id: str) -> Conference:
        if conference_id in self.read:
            self.read.move_to_end(conference_id)
        else:
            self.read[conference_id] = load_conference(
                self.store, conference_id, self.profiles, self.routing
            )
            while len(self.read) > self.KEPT:
                self.read.popitem(last=False)
        return self.read[conference_id]


def deliver_each(
    deliverer: Deliverer,
    rendered: Iterable[tuple[Conference, tuple[CopyJob, ...], tuple[RenderedCopy, ...] | str]],
) -> None:
    """Each conference's rendered copies delivered as they come (or why they could not be made
    recorded on them): in this run's process, or in a worker's job for one conference."""
    store, outcomes = deliverer.store, deliverer.outcomes
    for conference, jobs, outcome in rendered:
        conference_id = conference.stored.conference_id
        if isinstance(outcome, str):
            for job in jobs:
                # No delivery was begun: the copy keeps the reason, shown by `cpc status`.
                store.set_copy_failure(conference_id, job.copy_key, outcome)
                outcomes.failed(conference_id, job.copy_key, outcome)
            continue
        try:
            deliverer.deliver_rendered(conference, jobs, outcome)
        except StoreUnavailable:
            raise  # the store failed, not this conference: the run stops
        except Exception as exc:  # one conference's fault does not stop the others
            store.set_plan_error(conference_id, plain_error(exc))
            outcomes.not_planned(conference_id, exc)

"""The store's conferences → the copies to render now: ready, not yet delivered, not held.

Copies whose state moved on (held, waiting, refused) are written back with their reason, so
`cpc status` says why they did not go.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date

from pipeline.errors import StoreUnavailable
from pipeline.planning.copy_state import edition_lines
from pipeline.service.conference import Conference
from pipeline.service.copy_states import CopyHistory
from pipeline.service.outcomes import Outcomes
from pipeline.service.render_pool import CopyJob
from pipeline.service.summary import plain_error
from pipeline.store.db import Store


def choose_work(
    store: Store,
    conference_of: Callable[[str], Conference],
    outcomes: Outcomes,
    today: date,
    conference_ids: Sequence[str],
) -> Iterator[tuple[Conference, tuple[CopyJob, ...]]]:
    """Of `conference_ids` (the store's conferences with work), each with copies to render now,
    with how to render each: dated `today`, the run's day (the day they are delivered). One at
    a time, as the run asks: a night of a thousand conferences is never all in memory, and
    rendering starts with the first."""
    rows = store.troubled_rows()  # not every conference: those that could not be planned or sent
    troubled = {row.conference_id for row in rows}
    unplanned = {row.conference_id for row in rows if row.planned_at is None}
    for conference_id in conference_ids:
        if conference_id in unplanned:
            continue  # its copies are of a plan the current revision does not have
        try:
            jobs = _jobs(store, conference_id, conference_of, outcomes, today)
        except StoreUnavailable:
            raise  # the store failed, not this conference: the run stops
        except Exception as exc:  # this conference is skipped; every other one goes
            store.set_plan_error(conference_id, plain_error(exc))
            outcomes.not_planned(conference_id, exc)
            continue
        if conference_id in troubled:
            store.set_plan_error(conference_id, None)  # it can be read and sent again
        if jobs:
            yield conference_of(conference_id), jobs


def _jobs(
    store: Store,
    conference_id: str,
    conference_of: Callable[[str], Conference],
    outcomes: Outcomes,
    today: date,
) -> tuple[CopyJob, ...]:
    conference = conference_of(conference_id)
    rows = {r.copy_key: r for r in store.copy_rows(conference_id) if r.in_plan}
    history = CopyHistory.read(store, conference_id, conference.stored.revision)
    last = history.last
    jobs = []
    for key, copy in conference.copies.items():
        row = rows.get(key)
        if row is None or key in outcomes.failed_keys:
            continue
        stranded = row.status == "sending" and (key not in last or last[key].state != "pending")
        # A copy waiting only for a task (its translation) is looked at again: it goes once done.
        awaiting = row.status == "waiting" and copy.awaits is not None
        if row.status not in ("ready", "held") and not stranded and not awaiting:
            continue
        state = history.state(key, copy, row.fingerprint, row, last.get(key))
        if state.status != "ready":
            if (state.status, state.reason) != (row.status, row.reason):
                store.set_copy_state(
                    conference_id,
                    key,
                    status=state.status,
                    reason=state.reason,
                    hold_kind=state.hold_kind,
                )
            continue
        if awaiting:
            # Its task is done: ready now, as the delivery's compare-and-set expects.
            store.set_copy_state(conference_id, key, status="ready", reason=None)
        previous = last.get(key)
        edition = edition_lines(
            copy.document,
            state.reissue,
            previous.sent_on if previous else None,
            conference.stored.revision,
        )
        # Dated the run's day, the day the delivery records as sent: never after it is sent.
        jobs.append(CopyJob(key, edition, state.checked_by_person, row.fingerprint, today))
    return tuple(jobs)

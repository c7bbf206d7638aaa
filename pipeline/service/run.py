"""The store's conferences → every ready copy rendered, delivered once through its channel, and recorded.

One run: finish what a killed run left begun (from the spool), re-plan conferences with a new
revision, render the copies that are ready and not yet delivered (`render_pool`), deliver each as
soon as it is rendered (`delivering`), then put every posted letter of the run into one
print-ready batch. What renders and what delivers are passed in, as httpx is given a transport:
`renderer` and `channels`, the real ones by default.
"""

from __future__ import annotations

import collections
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pipeline.delivery.channel import ChannelSet
from pipeline.errors import RunInProgress, StoreUnavailable
from pipeline.files import PRIVATE_FILE, private_folder
from pipeline.planning.routing import Routing
from pipeline.procedure.profile import Profile
from pipeline.rendering.html import Composer
from pipeline.service.choosing import choose_work
from pipeline.service.conference import Conference, load_conference
from pipeline.service.copy_renderer import Renderer
from pipeline.service.copy_states import CopyHistory, has_content
from pipeline.service.delivering import Deliverer
from pipeline.service.destination import destination_for
from pipeline.service.notify_delivery import poll_notify
from pipeline.service.notify_letters import send_notify_letters
from pipeline.service.outcomes import Outcomes
from pipeline.service.render_pool import CopyJob, RenderJobs, render_all, render_jobs
from pipeline.service.replan import replan_new_revisions
from pipeline.service.routing_config import routing_for
from pipeline.service.settings import RunSettings
from pipeline.service.summary import Report, RunSummary, plain_error
from pipeline.store.db import Store

# What callers of the run take from here (the CLI): the settings, the summary, the read model.
__all__ = [
    "Report",
    "RunSettings",
    "RunSummary",
    "RunTools",
    "distribute",
    "load_conference",
    "plain_error",
]


@dataclass(frozen=True, slots=True)
class RunTools:
    """What a run renders with and delivers through, when not the real ones (a test's fakes).
    `renderer` must be picklable (a module-level function or a frozen dataclass) for workers."""

    renderer: RenderJobs | None = None
    channels: ChannelSet | None = None


class _Conferences:
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


def distribute(
    store: Store,
    profiles: dict[str, Profile],
    settings: RunSettings,
    report: Report = lambda _event, _fields: None,
    composer: Composer | None = None,
    *,
    renderer: RenderJobs | None = None,
    channels: ChannelSet | None = None,
) -> RunSummary:
    """One distribution run over everything in the store."""
    composer = composer or Composer.at()
    outcomes = Outcomes(report)
    conferences = _Conferences(store, profiles, routing_for(settings.channels, settings.smtp))
    if settings.dry_run:
        return _dry_run(store, conferences, composer, settings, outcomes)
    deliverer = Deliverer(
        store,
        settings,
        channels
        or ChannelSet.standard(settings.outbox, settings.smtp, settings.sent_at, settings.notify),
        outcomes,
        conferences,
        composer,
    )
    with _one_run_at_a_time(settings.spool.parent / "distribute.lock"):
        return _distribute(
            deliverer, conferences, profiles, composer, renderer or render_jobs, report
        )


@contextmanager
def _one_run_at_a_time(lock_path: Path) -> Iterator[None]:
    # flock is released by the kernel when the process ends, however it ends: a killed run
    # never leaves the next one locked out.
    private_folder(lock_path.parent)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, PRIVATE_FILE)
    with os.fdopen(fd, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise RunInProgress(
                "another cpc distribute is running on this state folder; this run did nothing"
            ) from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _distribute(
    deliverer: Deliverer,
    conferences: _Conferences,
    profiles: dict[str, Profile],
    composer: Composer,
    renderer: RenderJobs,
    report: Report,
) -> RunSummary:
    store, outcomes = deliverer.store, deliverer.outcomes
    # A council runs distribute nightly: it first reads Notify's status of what it sent before,
    # so a letter Notify could not print is failed (and said) before anything else is done.
    poll_notify(store, deliverer.channels.notify, outcomes)
    deliverer.recover()
    # A second pass only when finishing something (a post batch a killed run left, say) showed
    # that a conference moved on meanwhile: its updated copies or notices go in this run too.
    for attempt in range(2):
        replanned = replan_new_revisions(store, profiles, composer, outcomes.not_planned)
        outcomes.summary.replanned.extend(replanned)
        if attempt and not replanned:
            break
        conferences.read.clear()  # read again: what was planned may have changed
        with_work = store.conferences_with_work()
        work = _told(
            choose_work(store, conferences, outcomes, deliverer.settings.today, with_work), report
        )
        report("rendering", {"conferences": len(with_work)})
        for conference, jobs, outcome in render_all(work, deliverer.settings, renderer):
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
        deliverer.post()
        send_notify_letters(deliverer)  # each person's Notify letter copies as one letter
        if not any(row.plan_error is None for row in store.unplanned_rows()):
            break
    return outcomes.summary


def _told(
    work: Iterator[tuple[Conference, tuple[CopyJob, ...]]], report: Report
) -> Iterator[tuple[Conference, tuple[CopyJob, ...]]]:
    """The work as it is chosen, each conference's copies said as it comes (the progress bar's
    total grows with them: the night is planned as it is rendered, not all before)."""
    for conference, jobs in work:
        report("chosen", {"conference": conference.stored.conference_id, "copies": len(jobs)})
        yield conference, jobs


def _dry_run(
    store: Store,
    conferences: _Conferences,
    composer: Composer,
    settings: RunSettings,
    outcomes: Outcomes,
) -> RunSummary:
    """What a run would send, worked out without writing anything: new revisions are planned in
    memory only, and nothing is rendered."""
    summary = outcomes.summary
    for row in store.open_rows():  # a finished conference has nothing a run would send
        try:
            conference = conferences(row.conference_id)
        except Exception as exc:  # said, and the others are still looked at
            outcomes.not_planned(row.conference_id, exc)
            continue
        stored_rows = {r.copy_key: r for r in store.copy_rows(row.conference_id)}
        renderer = Renderer.for_profile(conference.profile, composer)
        history = CopyHistory.read(store, row.conference_id, conference.stored.revision)
        for key, copy in conference.copies.items():
            stored = stored_rows.get(key)
            if stored is not None and stored.in_plan and row.planned_at is not None:
                fingerprint = stored.fingerprint
            elif has_content(copy):
                fingerprint = renderer.fingerprint(
                    conference.export, copy, conference.read.current.amendment_of.get(key)
                )
            else:
                fingerprint = None
            state = history.state(key, copy, fingerprint, stored, history.last.get(key))
            if state.status == "ready":
                channel = destination_for(conference, copy, settings).channel
                summary.would_send.append((row.conference_id, key, channel))
            elif state.status == "held":
                summary.held.append((row.conference_id, key, state.reason or ""))
    return summary

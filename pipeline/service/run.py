"""The store's conferences → every ready copy rendered, delivered once through its channel, and recorded.

One run: finish what a killed run left begun (from the spool), re-plan conferences with a new
revision, render the copies that are ready and not yet delivered (`render_pool`), deliver each as
soon as it is rendered (`delivering`), then put every posted letter of the run into one
print-ready batch. What renders and what delivers are passed in, as httpx is given a transport:
`renderer` and `channels`, the real ones by default.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pipeline.delivery.channel import ChannelSet
from pipeline.errors import RunInProgress
from pipeline.procedure.profile import Profile
from pipeline.rendering.html import Composer
from pipeline.service.choosing import choose_work
from pipeline.service.conference import Conference, load_conference
from pipeline.service.conference_work import Conferences, deliver_each
from pipeline.service.copy_renderer import Renderer
from pipeline.service.copy_states import CopyHistory, has_content
from pipeline.service.delivering import Deliverer
from pipeline.service.destination import destination_for
from pipeline.service.job_queue import LIVE, QUEUE
from pipeline.service.notify_delivery import poll_notify
from pipeline.service.notify_letters import send_notify_letters
from pipeline.service.outcomes import Outcomes
from pipeline.service.post_room import post_all
from pipeline.service.queued_run import distribute_queued
from pipeline.service.render_pool import CopyJob, RenderJobs, render_all, render_jobs
from pipeline.service.replan import replan_new_revisions
from pipeline.service.routing_config import routing_for
from pipeline.service.run_guard import one_run_at_a_time
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
    conferences = Conferences(store, profiles, routing_for(settings.channels, settings.smtp))
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
    with one_run_at_a_time(store, settings.state_folder):
        if settings.queue is None and store.database_locks and store.queued_jobs(QUEUE, LIVE):
            # Workers are still doing a queued run's jobs: this run would finish or sweep what
            # they are writing (the spool, staged files) and send what they are sending.
            raise RunInProgress(
                "cpc workers are still doing the jobs of a queued run on this database; this "
                "run did nothing (run cpc distribute --queue, or wait for them)"
            )
        if settings.queue is not None:
            return distribute_queued(deliverer, profiles, composer, settings.queue, report)
        return _distribute(
            deliverer, conferences, profiles, composer, renderer or render_jobs, report
        )


def _distribute(
    deliverer: Deliverer,
    conferences: Conferences,
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
        deliver_each(deliverer, render_all(work, deliverer.settings, renderer))
        post_all(deliverer)
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
    conferences: Conferences,
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

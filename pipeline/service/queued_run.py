"""A delivery run spread over workers: the run's own steps here, each conference's rendering and delivery queued for `cpc worker`s on any machine.

The run (holding the database's run lock) reads Notify's news, finishes what a killed run left
when no worker is busy, re-plans new revisions, then queues one job per conference with work
(`job_queue`) and waits for them, giving a dead worker's job to another meanwhile. Only when every
job of the run has finished does it make the post batch and the Notify letters, once, from what
the workers began: one envelope a person, as in a run in one process. What the workers did is
read back from their audit lines and said as the run's summary.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from typing import Any

from pipeline.procedure.profile import Profile
from pipeline.rendering.html import Composer
from pipeline.service.delivering import Deliverer
from pipeline.service.job_queue import (
    LIVE,
    QUEUE,
    JobOfRun,
    cancel_waiting,
    enqueue,
    queue_app,
    queue_errors_wrapped,
    require_queue,
    retry_stalled_now,
)
from pipeline.service.notify_delivery import poll_notify
from pipeline.service.notify_letters import is_notify_letter, send_notify_letters
from pipeline.service.post_room import post_all
from pipeline.service.replan import replan_new_revisions
from pipeline.service.settings import QueueSettings
from pipeline.service.summary import Report, RunSummary
from pipeline.store.db import Store


def distribute_queued(
    deliverer: Deliverer,
    profiles: dict[str, Profile],
    composer: Composer,
    queue: QueueSettings,
    report: Report,
) -> RunSummary:
    store, outcomes, settings = deliverer.store, deliverer.outcomes, deliverer.settings
    summary = outcomes.summary
    require_queue(store)  # before anything is done: a SQLite store has no queue
    poll_notify(store, deliverer.channels.notify, outcomes)
    run = f"{settings.today:%Y%m%d}-{secrets.token_hex(4)}"
    app = queue_app(store, sync=True)
    # A job a dead worker left `doing` (a machine lost) is given back first: left, it would hold
    # its conference's lock against this run's job of it for ever.
    retry_stalled_now(store, queue.stalled_seconds)
    with queue_errors_wrapped("be opened"), app.open():
        cancel_waiting(store, app)
        if not store.queued_jobs(QUEUE, LIVE):
            # No worker is busy, so nothing in the spool or the outbox is being written: what a
            # killed run or worker left is finished or swept, as a run in one process does,
            # and files a killed worker staged for any conference (its log was its own).
            deliverer.recover()
            deliverer.sweep_every_conference()
        summary.replanned.extend(
            replan_new_revisions(store, profiles, composer, outcomes.not_planned)
        )
        conference_ids = sorted(set(store.conferences_with_work()) | _begun_not_sent(store))
        since = store.last_audit_id()
        jobs = [JobOfRun(c, run, settings.today, settings.sent_at) for c in conference_ids]
        job_ids = enqueue(store, app, jobs)
    report("queued", {"run": run, "conferences": len(job_ids)})
    states = _wait_for(store, job_ids, queue, report)
    _add_outcomes(summary, store.job_outcomes(run, since))
    for job, job_id in zip(jobs, job_ids, strict=True):
        state = states.get(job_id, "succeeded")  # a job done is deleted
        if state in ("cancelled", "aborted"):
            summary.not_planned.append(
                (job.conference_id, f"its job was {state} before a worker finished it")
            )
        elif state in LIVE:
            summary.not_planned.append(
                (
                    job.conference_id,
                    f"its job was not finished within {queue.wait_seconds:.0f} s (is a "
                    "cpc worker running?); the next run takes it, and makes the post batch",
                )
            )
        elif state == "failed" and not _said(summary, job.conference_id):
            summary.not_planned.append(
                (job.conference_id, "its job failed in the worker; see the worker's log")
            )
    if any(state in LIVE for state in states.values()):
        return summary  # the batch waits: a job still running may yet begin a posted copy
    post_all(deliverer)
    send_notify_letters(deliverer)
    return summary


def _begun_not_sent(store: Store) -> set[str]:
    """Conferences with a delivery begun and not sent that a worker finishes (the post and the
    Notify letters are finished by the run itself, after the jobs)."""
    return {
        d.conference_id
        for d in store.deliveries(state="pending")
        if d.channel != "post" and not is_notify_letter(d)
    }


def _wait_for(
    store: Store, job_ids: Sequence[int], queue: QueueSettings, report: Report
) -> dict[int, str]:
    """Until every job has finished or the wait is over: each job's last state."""
    started = time.monotonic()
    last_retry = started
    said_alone = False
    left = -1
    while True:
        states = store.job_states(job_ids)
        live = sum(1 for state in states.values() if state in LIVE)
        if live != left:
            report("jobs", {"waiting": live, "finished": len(job_ids) - live})
            left = live
        if live == 0:
            return states
        now = time.monotonic()
        if now - started > queue.wait_seconds:
            return states
        if now - last_retry >= queue.stalled_seconds / 2:
            last_retry = now
            retried = retry_stalled_now(store, queue.stalled_seconds)
            if retried:
                report("retried", {"jobs": retried, "why": "their worker stopped answering"})
            if not said_alone and not store.live_workers(queue.stalled_seconds):
                report("no_workers", {"why": "no cpc worker has been heard from; start one"})
                said_alone = True
        time.sleep(queue.poll_seconds)


def _said(summary: RunSummary, conference_id: str) -> bool:
    return any(
        item[0] == conference_id
        for items in (summary.failed, summary.refused, summary.not_planned)
        for item in items
    )


def _add_outcomes(summary: RunSummary, outcomes: list[tuple[str, dict[str, Any]]]) -> None:
    """Each job's tries (as their worker wrote them) added to the run's summary: what every try
    delivered, held or found late; what failed, as the conference's last try left it."""
    last: dict[str, dict[str, Any]] = {}
    for conference_id, done in outcomes:
        summary.delivered.update(done.get("delivered", {}))
        summary.held.extend(tuple(item) for item in done.get("held", ()))
        summary.refused.extend(tuple(item) for item in done.get("refused", ()))
        summary.late.extend(tuple(item) for item in done.get("late", ()))
        last[conference_id] = done
    for done in last.values():
        summary.failed.extend(tuple(item) for item in done.get("failed", ()))
        summary.not_planned.extend(tuple(item) for item in done.get("not_planned", ()))

"""The job queue a distributed run goes through: Procrastinate, in the PostgreSQL store's own database.

One job per conference with work to do, named by the task `TASK` on queue `QUEUE`, with the
conference as both its lock (one job of a conference is done at a time, on any machine) and its
queueing lock (never two of one conference waiting). A job is deferred in the same transaction
as the audit line that says it was queued. Procrastinate's errors are wrapped here, where they
enter, as `QueueUnavailable`; nothing else imports Procrastinate but the worker.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import procrastinate
import psycopg
import psycopg_pool
from procrastinate import exceptions as queue_errors
from procrastinate.jobs import Status

from pipeline.errors import NoQueue, QueueUnavailable
from pipeline.store.db import Store

TASK = "cpc.deliver_conference"
QUEUE = "cpc-distribute"
# The states in which a job still has to be done (Procrastinate's `todo` and `doing`).
LIVE = ("todo", "doing")


@dataclass(frozen=True, slots=True)
class JobOfRun:
    """What a job carries: its conference and the run's day and time (the worker records its
    deliveries as sent that day, whatever its own clock says)."""

    conference_id: str
    run: str
    today: date
    sent_at: datetime

    def args(self) -> dict[str, Any]:
        return {
            "conference_id": self.conference_id,
            "run": self.run,
            "today": self.today.isoformat(),
            "sent_at": self.sent_at.isoformat(),
        }

    @classmethod
    def from_args(cls, args: dict[str, Any]) -> JobOfRun:
        return cls(
            str(args["conference_id"]),
            str(args["run"]),
            date.fromisoformat(args["today"]),
            datetime.fromisoformat(args["sent_at"]),
        )


def require_queue(store: Store) -> None:
    if not store.database_locks:
        raise NoQueue(
            "a run spread over workers needs a PostgreSQL store (database_url): the job queue "
            "lives in its database; with SQLite, run cpc distribute without --queue"
        )


def queue_app(store: Store, *, sync: bool) -> procrastinate.App:
    """A Procrastinate app on the store's database: synchronous to defer and cancel, asynchronous
    for a worker and for finding a dead worker's jobs."""
    require_queue(store)
    connector: procrastinate.BaseConnector = (
        procrastinate.SyncPsycopgConnector(conninfo=store.libpq_conninfo)
        if sync
        else procrastinate.PsycopgConnector(conninfo=store.libpq_conninfo)
    )
    return procrastinate.App(connector=connector)


@contextmanager
def queue_errors_wrapped(doing: str) -> Iterator[None]:
    """Procrastinate's errors, and psycopg's that it lets through (opening its pool), as ours,
    in the words of their cause (Procrastinate's own say only "Database error")."""
    try:
        yield
    except (queue_errors.ProcrastinateException, psycopg.Error, psycopg_pool.PoolTimeout) as exc:
        cause = exc.__cause__ if exc.__cause__ is not None else exc
        words = " ".join(str(cause).split()) or type(cause).__name__
        raise QueueUnavailable(f"the job queue could not {doing}: {words}") from exc


def enqueue(store: Store, app: procrastinate.App, jobs: Sequence[JobOfRun]) -> list[int]:
    """One job per conference, each deferred with its audit line; the jobs' ids."""
    ids: list[int] = []
    with queue_errors_wrapped("take the run's jobs"):
        for job in jobs:
            deferrer = app.configure_task(
                TASK,
                queue=QUEUE,
                lock=job.conference_id,
                queueing_lock=job.conference_id,
            )
            made = deferrer.make_new_job(**job.args())
            deferred: list[int] = []

            def defer(connection: Any, made: Any = made, deferred: list[int] = deferred) -> None:
                queued = app.job_manager.defer_job(made, connection=connection)
                assert queued.id is not None
                deferred.append(queued.id)

            store.in_driver_transaction(
                "queued for a worker",
                {"run": job.run, "conference": job.conference_id},
                defer,
            )
            ids.extend(deferred)
    return ids


def cancel_waiting(store: Store, app: procrastinate.App) -> int:
    """Jobs of earlier runs still waiting (their run stopped before a worker took them): cancelled,
    so that this run's jobs carry this run's day. One a worker took meanwhile is left to finish."""
    cancelled = 0
    with queue_errors_wrapped("cancel an earlier run's jobs"):
        for job_id, _, _ in store.queued_jobs(QUEUE, ("todo",)):
            if app.job_manager.cancel_job_by_id(job_id):
                cancelled += 1
    return cancelled


async def retry_stalled(app: procrastinate.App, stalled_seconds: float) -> int:
    """Jobs a dead worker held (no heartbeat for `stalled_seconds`, or its worker row pruned)
    given back to the queue for another worker; how many. One whose conference has a newer job
    waiting (its run stopped, a later run queued the conference again) is ended as failed
    instead: two jobs of a conference may not wait at once, and while the dead one stays
    `doing` it holds the conference's lock and the newer one is never taken."""
    retried = 0
    stalled = await app.job_manager.get_stalled_jobs(
        queue=QUEUE, seconds_since_heartbeat=stalled_seconds
    )
    for job in stalled:
        assert job.id is not None
        try:
            await app.job_manager.retry_job(job)
            retried += 1
        except queue_errors.UniqueViolation:
            await app.job_manager.finish_job_by_id_async(
                job.id, status=Status.FAILED, delete_job=False
            )
        except queue_errors.ProcrastinateException:
            continue  # another process retried it first, or it finished meanwhile
    return retried


def retry_stalled_now(store: Store, stalled_seconds: float) -> int:
    """`retry_stalled` from synchronous code (the run waiting for its jobs)."""

    async def once() -> int:
        app = queue_app(store, sync=False)
        async with app.open_async():
            return await retry_stalled(app, stalled_seconds)

    with queue_errors_wrapped("give a dead worker's jobs to another"):
        return asyncio.run(once())

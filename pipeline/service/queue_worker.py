"""`cpc worker`: the job queue's jobs → each conference's copies rendered and delivered here, recorded exactly once in the shared store.

A worker takes one job at a time (one conference), holding the conference with an advisory lock
of the database besides Procrastinate's own job lock: should a worker be taken for dead while it
still works (a long pause), the job given to another waits until the first lets go. The job is
the run's pass over one conference, with the same steps and records: what a killed worker began
for it is finished first (its bytes are in the shared spool, its staged files in the shared
outbox), then its ready copies are rendered in this process and delivered. Posted copies and
Notify letters are only begun: the run that queued the job batches them once every job is done.
Deliveries that failed for a reason that may pass send the job back to the queue with a growing
wait; other failures are recorded on the copy, as in a run, and the job is done.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace

import procrastinate
from procrastinate.jobs import Job
from procrastinate.retry import BaseRetryStrategy, RetryDecision

from pipeline.delivery.channel import ChannelSet
from pipeline.errors import ConferenceBusy, DeliveriesToRetry, StoreUnavailable
from pipeline.procedure.profile import Profile
from pipeline.rendering.html import Composer
from pipeline.service.choosing import choose_work
from pipeline.service.conference_work import Conferences, deliver_each
from pipeline.service.delivering import Deliverer
from pipeline.service.job_queue import (
    QUEUE,
    TASK,
    JobOfRun,
    queue_app,
    queue_errors_wrapped,
    retry_stalled,
)
from pipeline.service.outcomes import Outcomes
from pipeline.service.render_pool import RenderJobs, render_all, render_jobs
from pipeline.service.routing_config import routing_for
from pipeline.service.settings import QueueSettings, RunSettings
from pipeline.service.summary import Report
from pipeline.store.db import Store


@dataclass(frozen=True, slots=True)
class Worker:
    """What every job of this worker uses; the run's day comes with each job."""

    store: Store
    profiles: dict[str, Profile]
    settings: RunSettings  # its day and time are replaced by each job's
    queue: QueueSettings
    composer: Composer
    report: Report
    renderer: RenderJobs | None = None  # a test's; the real one by default
    channels: ChannelSet | None = None

    def do(self, job: JobOfRun) -> None:
        """One conference's pass of the run; raises to have the job tried again."""
        settings = replace(self.settings, today=job.today, sent_at=job.sent_at, workers=0)
        outcomes = Outcomes(self.report)
        conferences = Conferences(
            self.store, self.profiles, routing_for(settings.channels, settings.smtp)
        )
        channels = self.channels or ChannelSet.standard(
            settings.outbox, settings.smtp, settings.sent_at, settings.notify
        )
        deliverer = Deliverer(self.store, settings, channels, outcomes, conferences, self.composer)
        with self.store.advisory_lock(f"conference {job.conference_id}") as held:
            if not held:
                raise ConferenceBusy(
                    f"conference {job.conference_id} is held by another worker; tried again later"
                )
            deliverer.recover_conference(job.conference_id)
            work = choose_work(
                self.store, conferences, outcomes, settings.today, [job.conference_id]
            )
            deliver_each(deliverer, render_all(work, settings, self.renderer or render_jobs))
            # What this worker staged is begun or swept by now; the next job of a conference
            # sweeps what a killed worker staged for it (under the same lock), so the machine's
            # staging log, which a run in one process reads after a kill, is not needed here.
            deliverer.staging_log.clear()
        summary = outcomes.summary
        # Counted by the tries that ended here, not Procrastinate's attempts, which also count
        # a job given back because its worker died or its conference was busy.
        attempt = self.store.job_tries(job.run, job.conference_id) + 1
        self.store.record_job_outcome(job.run, job.conference_id, attempt, summary.to_json())
        if summary.failed:
            raise DeliveriesToRetry(
                f"{len(summary.failed)} deliveries of conference {job.conference_id} failed "
                "for a reason that may pass"
            )


@dataclass(frozen=True, slots=True)
class _Retry(BaseRetryStrategy):
    """A held conference: again in a moment, for as long as it takes. A failure that may pass:
    again after retry_wait * 2**attempt, up to `attempts` in all (then the next run's turn)."""

    queue: QueueSettings
    store: Store

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if isinstance(exception, ConferenceBusy):
            return RetryDecision(retry_in={"seconds": round(self.queue.heartbeat_seconds) or 1})
        if isinstance(exception, DeliveriesToRetry | StoreUnavailable):
            args = job.task_kwargs
            tries = self.store.job_tries(str(args["run"]), str(args["conference_id"]))
            if tries >= self.queue.attempts:
                return None
            return RetryDecision(
                retry_in={"seconds": self.queue.retry_wait_seconds * 2 ** max(tries - 1, 0)}
            )
        return None


def run_worker(
    worker: Worker, *, once: bool = False, name: str | None = None, signals: bool = True
) -> None:
    """Take jobs until stopped (SIGINT or SIGTERM: the job in hand is finished first); with
    `once`, until the queue has none left. `signals`: False where this is not the main thread."""
    app = queue_app(worker.store, sync=False)

    @app.task(name=TASK, queue=QUEUE, retry=_Retry(worker.queue, worker.store))
    def deliver_conference(**args: str) -> None:
        worker.do(JobOfRun.from_args(args))

    async def watch_for_dead_workers() -> None:
        while True:
            try:
                await retry_stalled(app, worker.queue.stalled_seconds)
            except procrastinate.exceptions.ProcrastinateException as exc:
                worker.report("error", {"conference": "", "error": f"the job queue: {exc}"})
            await asyncio.sleep(worker.queue.heartbeat_seconds)

    async def main() -> None:
        async with app.open_async():
            watcher = asyncio.create_task(watch_for_dead_workers())
            try:
                await app.run_worker_async(
                    queues=[QUEUE],
                    concurrency=1,  # one layout at a time: a worker process is one core's work
                    wait=not once,
                    name=name or "cpc-worker",
                    delete_jobs="successful",
                    update_heartbeat_interval=worker.queue.heartbeat_seconds,
                    stalled_worker_timeout=worker.queue.stalled_seconds,
                    fetch_job_polling_interval=min(5.0, worker.queue.heartbeat_seconds),
                    install_signal_handlers=signals,
                )
            finally:
                watcher.cancel()

    with queue_errors_wrapped("run this worker"):
        asyncio.run(main())

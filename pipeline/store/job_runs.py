"""What the job queue's jobs of one run did, and where each job stands: read for `cpc distribute` while workers on other machines do the work.

A worker ends each job by writing what it did for its conference (the counts and lists a run
prints) as one audit line, in the transaction of its last record; the run that queued the jobs
reads them back to say what the whole run did. Where each job stands is Procrastinate's own
table, read by id for the run's jobs only (a thousand `get_job_status` calls a second would not
do).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from pipeline.store.base import StoreBase
from pipeline.store.schema import audit_log

JOB_FINISHED = "queued job finished"


class JobRunsMixin(StoreBase):
    def last_audit_id(self) -> int:
        with self.reading() as connection:
            return int(connection.execute(sa.select(sa.func.max(audit_log.c.id))).scalar() or 0)

    def record_job_outcome(
        self, run: str, conference_id: str, attempt: int, summary: dict[str, Any]
    ) -> None:
        with self.transaction() as connection:
            self.audit(
                connection,
                JOB_FINISHED,
                {"run": run, "attempt": attempt, "summary": summary},
                conference_id=conference_id,
            )

    def job_outcomes(self, run: str, after_id: int) -> list[tuple[str, dict[str, Any]]]:
        """Every try's outcome of run `run`, (conference, summary), in the order written (audit
        lines after `after_id`)."""
        query = (
            sa.select(audit_log.c.conference_id, audit_log.c.detail)
            .where(audit_log.c.id > after_id, audit_log.c.action == JOB_FINISHED)
            .order_by(audit_log.c.id)
        )
        with self.reading() as connection:
            rows = connection.execute(query).all()
        return [
            (str(row.conference_id), row.detail["summary"])
            for row in rows
            if row.detail.get("run") == run
        ]

    def job_tries(self, run: str, conference_id: str) -> int:
        """How many tries of run `run`'s job for the conference have ended (its own outcome
        lines: a try given back because its worker died, or its conference was busy, wrote
        none)."""
        query = sa.select(audit_log.c.detail).where(
            audit_log.c.conference_id == conference_id, audit_log.c.action == JOB_FINISHED
        )
        with self.reading() as connection:
            details = connection.execute(query).scalars().all()
        return sum(1 for detail in details if detail.get("run") == run)

    def job_states(self, job_ids: Sequence[int]) -> dict[int, str]:
        """Procrastinate's status of each job named (a job no longer there is absent)."""
        if not job_ids:
            return {}
        query = sa.text(
            "SELECT id, status::text AS status FROM procrastinate_jobs WHERE id = ANY(:ids)"
        )
        with self.reading() as connection:
            rows = connection.execute(query, {"ids": list(job_ids)}).all()
        return {int(row.id): str(row.status) for row in rows}

    def queued_jobs(self, queue: str, statuses: Sequence[str]) -> list[tuple[int, str, str]]:
        """(id, status, queueing lock) of the queue's jobs in those states."""
        query = sa.text(
            "SELECT id, status::text AS status, coalesce(queueing_lock, '') AS queueing_lock "
            "FROM procrastinate_jobs WHERE queue_name = :queue "
            "AND status::text = ANY(:statuses) ORDER BY id"
        )
        with self.reading() as connection:
            rows = connection.execute(query, {"queue": queue, "statuses": list(statuses)}).all()
        return [(int(r.id), str(r.status), str(r.queueing_lock)) for r in rows]

    def live_workers(self, seconds: float) -> int:
        """Workers that said they were alive in the last `seconds`."""
        query = sa.text(
            "SELECT count(*) FROM procrastinate_workers "
            "WHERE last_heartbeat > now() - make_interval(secs => :seconds)"
        )
        with self.reading() as connection:
            return int(connection.execute(query, {"seconds": seconds}).scalar() or 0)

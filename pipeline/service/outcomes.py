"""What happened to each copy in a run → the run's summary and its report events (one place).

Every step of the run tells this what it did with a copy, so the summary `cpc distribute` prints
and the events in the log always agree.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field

from pipeline.errors import CpcError
from pipeline.service.summary import Report, RunSummary, plain_error
from pipeline.store.db import StoredDelivery


@dataclass
class Outcomes:
    report: Report
    summary: RunSummary = field(default_factory=RunSummary)
    # Not tried again in the same run's second pass.
    failed_keys: set[str] = field(default_factory=set)

    def delivered(self, delivery: StoredDelivery, channel: str, late_by: int | None) -> None:
        if late_by is not None:
            self.summary.late.append((delivery.conference_id, delivery.copy_key, late_by))
        self.report(
            "delivered",
            {
                "conference": delivery.conference_id,
                "copy": delivery.copy_key,
                "channel": channel,
            }
            | ({"late_by_working_days": late_by} if late_by is not None else {}),
        )

    def failed(self, conference_id: str, key: str, why: str, *, permanent: bool = False) -> None:
        self.failed_keys.add(key)
        (self.summary.refused if permanent else self.summary.failed).append(
            (conference_id, key, why)
        )
        self.report(
            "failed",
            {
                "conference": conference_id,
                "copy": key,
                "error": why,
                "retry": "waits for a new revision or the chair"
                if permanent
                else "tried again next run",
            },
        )

    def held(self, conference_id: str, key: str, why: str) -> None:
        self.summary.held.append((conference_id, key, why))
        self.report("held", {"conference": conference_id, "copy": key})

    def log_unexpected(self, conference_id: str, exc: BaseException) -> None:
        """A fault nobody foresaw: its traceback goes to the log (one JSON line), not the screen."""
        self.report(
            "error",
            {
                "conference": conference_id,
                "error": plain_error(exc),
                "traceback": "".join(traceback.format_exception(exc)),
            },
        )

    def not_planned(self, conference_id: str, exc: Exception) -> None:
        why = plain_error(exc)
        if (conference_id, why) not in self.summary.not_planned:
            self.summary.not_planned.append((conference_id, why))
        self.report("not_planned", {"conference": conference_id, "error": why})
        if not isinstance(exc, CpcError):
            self.log_unexpected(conference_id, exc)

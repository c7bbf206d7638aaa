"""The settings of one delivery run: its day, its folders, its channels and how it renders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from pipeline.config import Channels
from pipeline.delivery.email import SmtpSettings
from pipeline.delivery.notify import NotifySettings


@dataclass(frozen=True, slots=True)
class QueueSettings:
    """A run spread over `cpc worker`s on a PostgreSQL store (the job queue, Procrastinate)."""

    # How long `cpc distribute` waits for the workers to finish its jobs before it stops without
    # making the post batch (the next run makes it).
    wait_seconds: float = 4 * 3600.0
    poll_seconds: float = 1.0
    # A worker heard from less often than this is taken for dead, and its job is given to
    # another; workers say they are alive every `heartbeat_seconds`.
    stalled_seconds: float = 30.0
    heartbeat_seconds: float = 10.0
    # A conference whose deliveries failed for a reason that may pass (a mail server down) is
    # tried again this many times, waiting retry_wait_seconds * 2**attempt in between.
    attempts: int = 5
    retry_wait_seconds: int = 30


@dataclass(frozen=True, slots=True)
class RunSettings:
    today: date
    sent_at: datetime
    outbox: Path
    spool: Path
    channels: Channels
    smtp: SmtpSettings | None
    message_id_domain: str
    profile_dirs: tuple[Path, ...]
    workers: int = 0  # 0: render in this process (tests, small runs)
    document_timeout: float = 60.0
    dry_run: bool = False
    notify: NotifySettings | None = None  # GOV.UK Notify, where a channel is "notify"
    # This machine's own state folder (the run's file lock, the staging log); the spool may be
    # elsewhere, on storage every machine of a run shares. None: the spool's parent.
    state: Path | None = None
    # Spread over workers through the job queue (PostgreSQL only); None: in this process.
    queue: QueueSettings | None = None

    @property
    def state_folder(self) -> Path:
        return self.state if self.state is not None else self.spool.parent

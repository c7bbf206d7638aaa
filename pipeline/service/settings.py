"""The settings of one delivery run: its day, its folders, its channels and how it renders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from pipeline.config import Channels
from pipeline.delivery.email import SmtpSettings
from pipeline.delivery.notify import NotifySettings


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

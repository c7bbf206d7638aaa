"""`cpc distribute`: the store's ready copies → each recipient's channel, recorded in the history.

The run itself is `pipeline.service.run`; this module turns the command line and the
configuration into its settings and its summary into what a person reads.
"""

from __future__ import annotations

import os
import sys
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer

from pipeline import clock
from pipeline.cli.base import (
    ConfigOption,
    TodayOption,
    app,
    config_from,
    fail,
    fail_with,
    open_store,
    profiles_from,
    real_today,
    today_from,
)
from pipeline.cli.exit_codes import DONE, REFUSED
from pipeline.errors import CpcError, StoreUnavailable

if TYPE_CHECKING:
    # The run (renderer, channels, store) is imported when `cpc distribute` runs, not at start.
    from pipeline.config import Config
    from pipeline.delivery.notify import NotifySettings
    from pipeline.service.run import RunSettings


def run_settings(
    config: Config,
    today: date,
    real_day: bool,
    dry_run: bool,
    workers: int | None,
    queued: bool = False,
) -> RunSettings:
    from pipeline.delivery.email import SmtpSettings
    from pipeline.service.run import RunSettings
    from pipeline.service.settings import QueueSettings

    smtp = None
    if config.smtp.host:
        smtp = SmtpSettings(
            host=config.smtp.host,
            port=config.smtp.port,
            starttls=config.smtp.starttls,
            username=config.smtp.username,
            password=config.smtp_password(os.environ),
            sender=config.smtp.sender,
            timeout=config.smtp.timeout_seconds,
        )
    sent_at = (
        clock.now()
        if real_day
        else datetime.combine(today, time(9, 0), tzinfo=ZoneInfo("Europe/London"))
    )
    return RunSettings(
        today=today,
        sent_at=sent_at,
        outbox=config.folders.outbox,
        spool=config.spool,
        state=config.folders.state,
        channels=config.channels,
        smtp=smtp,
        message_id_domain=config.smtp.message_id_domain,
        profile_dirs=tuple(config.folders.profiles),
        workers=config.rendering.workers if workers is None else workers,
        document_timeout=config.rendering.document_timeout_seconds,
        dry_run=dry_run,
        notify=_notify_settings(config) if config.uses_notify else None,
        queue=QueueSettings(
            wait_seconds=config.queue.wait_minutes * 60,
            stalled_seconds=config.queue.stalled_seconds,
            heartbeat_seconds=config.queue.heartbeat_seconds,
            attempts=config.queue.attempts,
            retry_wait_seconds=config.queue.retry_wait_seconds,
        )
        if queued
        else None,
    )


def _notify_settings(config: Config) -> NotifySettings:
    from pipeline.delivery.notify import NotifySettings

    notify = config.notify
    return NotifySettings(
        api_key=config.notify_api_key(os.environ),
        base_url=notify.base_url,
        email_template_id=notify.email_template_id,
        postage=notify.postage,
        retention_period=notify.retention_period,
        retries=notify.retries,
        backoff_seconds=notify.backoff_seconds,
        timeout=notify.timeout_seconds,
    )


@app.command()
def distribute(
    ctx: typer.Context,
    today: TodayOption = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Say what would be sent; change nothing (may look ahead: --today).",
            metavar="",
        ),
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", min=0, help="Worker processes for rendering (0: in this process)."
        ),
    ] = None,
    queue: Annotated[
        bool | None,
        typer.Option(
            "--queue/--no-queue",
            help="Queue one job per conference for `cpc worker`s (PostgreSQL store), wait for "
            "them, then make the post batch. Default: [queue] enabled.",
        ),
    ] = None,
    config_path: ConfigOption = None,
) -> None:
    """Deliver every ready copy not yet delivered, through each recipient's channel; exit 1 if any failed."""
    from pipeline.cli.output import print_summary, run_reporter
    from pipeline.service.run import RunTools
    from pipeline.service.run import distribute as run_distribution

    config = config_from(config_path)
    profiles = profiles_from(list(config.folders.profiles))
    run_day = today_from(today)
    actual_day = real_today()
    if run_day > actual_day and not dry_run:
        # A real run on a later date would write that date into the delivery history, which is
        # never rewritten: only a dry run may look ahead.
        fail(
            f"--today {run_day.isoformat()} is after today ({actual_day.isoformat()}): a real run "
            "records what it sends on the day it runs; use --dry-run to see what a later day "
            "would send"
        )
    store = open_store(config)
    queued = config.queue.enabled if queue is None else queue
    settings = run_settings(
        config, run_day, today is None, dry_run, workers, queued and not dry_run
    )
    try:
        with run_reporter(sys.stderr) as report:
            # A test gives its fake renderer or channels as the context's object; else the real ones.
            tools = ctx.obj if isinstance(ctx.obj, RunTools) else RunTools()
            summary = run_distribution(
                store, profiles, settings, report, renderer=tools.renderer, channels=tools.channels
            )
    except StoreUnavailable:
        raise  # the state store could not be used: said by the last net, exit 2
    except CpcError as exc:
        store.close()
        fail_with(exc)
    store.close()
    print_summary(summary, dry_run)
    raise typer.Exit(REFUSED if summary.any_failed else DONE)

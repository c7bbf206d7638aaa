"""`cpc worker`: take the job queue's jobs (one conference each) and render and deliver them here, on any machine sharing the PostgreSQL store and the outbox storage."""

from __future__ import annotations

import json
import logging
import sys
import traceback
from datetime import UTC, datetime
from typing import Annotated

import typer

from pipeline.cli.base import ConfigOption, app, config_from, fail_with, open_store, profiles_from
from pipeline.cli.exit_codes import DONE
from pipeline.errors import CpcError, StoreUnavailable


class _JsonLines(logging.Handler):
    """Procrastinate's own log (a job failed for good, a worker's side task) as one JSON line
    each on stderr, the traceback in a field, like the run's events: never a bare traceback."""

    def emit(self, record: logging.LogRecord) -> None:
        line: dict[str, object] = {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "event": "queue",
            "level": record.levelname.lower(),
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["traceback"] = "".join(traceback.format_exception(*record.exc_info))
        sys.stderr.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")


@app.command()
def worker(
    ctx: typer.Context,
    once: Annotated[
        bool,
        typer.Option("--once", help="Stop when the queue is empty (else: until stopped)."),
    ] = False,
    name: Annotated[
        str | None, typer.Option("--name", help="This worker's name in the logs.")
    ] = None,
    config_path: ConfigOption = None,
) -> None:
    """Render and deliver the conferences `cpc distribute --queue` queued; stop with Ctrl-C or SIGTERM (the job in hand is finished)."""
    from datetime import date

    from pipeline.cli.output import run_reporter
    from pipeline.cli.run_commands import run_settings
    from pipeline.rendering.html import Composer
    from pipeline.service.job_queue import require_queue
    from pipeline.service.queue_worker import Worker, run_worker
    from pipeline.service.run import RunTools

    queue_log = logging.getLogger("procrastinate")
    queue_log.addHandler(_JsonLines(logging.WARNING))
    queue_log.propagate = False  # not also through logging's last resort, as plain text
    config = config_from(config_path)
    profiles = profiles_from(list(config.folders.profiles))
    store = open_store(config)
    try:
        require_queue(store)
        # Each job brings its run's day and time; these stand until the first job replaces them.
        settings = run_settings(config, date.min, True, False, 0, queued=True)
        assert settings.queue is not None  # asked for with queued=True
        tools = ctx.obj if isinstance(ctx.obj, RunTools) else RunTools()
        with run_reporter(sys.stderr) as report:
            run_worker(
                Worker(
                    store,
                    profiles,
                    settings,
                    settings.queue,
                    Composer.at(),
                    report,
                    renderer=tools.renderer,
                    channels=tools.channels,
                ),
                once=once,
                name=name,
            )
    except StoreUnavailable:
        raise  # said by the last net, exit 2
    except CpcError as exc:
        store.close()
        fail_with(exc)
    store.close()
    raise typer.Exit(DONE)

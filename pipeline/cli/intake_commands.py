"""`cpc ingest` and `cpc watch`: files dropped in the inbox → the store, processed/ or quarantine/.

Both make the store if there is none (and say so); each file's outcome is one line, and an
unexpected fault's traceback one JSON line on stderr for the log.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pipeline.cli.base import (
    ConfigOption,
    app,
    config_from,
    fail,
    fail_with,
    open_store,
    profiles_from,
)
from pipeline.cli.exit_codes import DONE, ENVIRONMENT, REFUSED
from pipeline.errors import InboxBusy
from pipeline.files import PRIVATE_FILE, PRIVATE_FOLDER, make_private, private_folder

if TYPE_CHECKING:
    # The inbox, the store and the composer are imported when `ingest` or `watch` runs.
    from pipeline.config import Config
    from pipeline.intake.inbox import InboxFolders, IngestOutcome
    from pipeline.procedure.profile import Profile
    from pipeline.service.ingest import StoreSink
    from pipeline.store.db import Store


def _service_folders(config: Config) -> InboxFolders:
    """The inbox's folders, with processed/, quarantine/ and the state folder private (0700):
    they keep every export taken in, with every address."""
    from pipeline.intake.inbox import InboxFolders

    for folder in (config.quarantine, config.processed, config.folders.state):
        private_folder(folder)
        make_private(folder, PRIVATE_FOLDER)
    folders = InboxFolders.at(config.folders.inbox, config.quarantine, config.processed)
    folders.ensure()
    return folders


def _sink(config: Config, store: Store, profiles: dict[str, Profile]) -> StoreSink:
    from pipeline.rendering.html import Composer
    from pipeline.service.ingest import StoreSink

    return StoreSink(
        store, profiles, Composer.at(), lambda message: typer.echo(message, err=True), _log_fault
    )


def _log_fault(what: str, fault: BaseException) -> None:
    """An unexpected error: its traceback as one JSON line on stderr, for the log."""
    trace = "".join(traceback.format_exception(fault))
    line = {"event": "unexpected_error", "while": what, "error": repr(fault), "traceback": trace}
    sys.stderr.write(json.dumps(line, ensure_ascii=False) + "\n")


def _print_outcome(outcome: IngestOutcome) -> None:
    # A file moved into processed/ or quarantine/ keeps the mode it was dropped with: it holds
    # every address of the export, so it is made the service's own.
    if outcome.moved_to is not None:
        make_private(Path(outcome.moved_to), PRIVATE_FILE)
    if outcome.fault is not None:
        _log_fault(f"taking {outcome.source}", outcome.fault)
    if outcome.outcome == "quarantined":
        typer.echo(f"{outcome.source}: QUARANTINED: {outcome.reason} ({outcome.moved_to})")
    elif outcome.outcome == "left":
        typer.echo(f"{outcome.source}: LEFT: {outcome.reason}", err=True)
    elif outcome.outcome == "requeued":
        typer.echo(f"{outcome.source}: {outcome.reason} ({outcome.moved_to})")
    else:
        typer.echo(f"{outcome.source}: {outcome.outcome} ({outcome.moved_to})")


def _print_note(message: str, fault: BaseException | None = None) -> None:
    if fault is not None:
        _log_fault(message, fault)
    typer.echo(message, err=True)


@app.command()
def ingest(
    files: Annotated[
        list[Path] | None,
        typer.Argument(help="Files to take in (default: every file now in the inbox)."),
    ] = None,
    config_path: ConfigOption = None,
) -> None:
    """Take exports and amendments into the store; move each to processed/, or to quarantine/ with a reason."""
    from pipeline.intake.inbox import ingest_file, non_files, requeue_changed, scan

    config = config_from(config_path)
    profiles = profiles_from(list(config.folders.profiles))
    for path in files or ():
        # A name given that is not a file is a mistake to say, not a file to skip.
        if not path.exists():
            fail(f"{path}: no such file; nothing was taken in")
        if not path.is_file():
            fail(f"{path}: not a file (a folder?); name export or amendment files; nothing was "
                  "taken in")
    try:
        folders = _service_folders(config)
    except OSError as exc:
        fail(f"cannot make the inbox folders ({exc.strerror}: {exc.filename}); nothing taken")
    store = open_store(config, create=True)
    sink = _sink(config, store, profiles)
    not_done = 0
    try:
        if not files:
            for outcome in requeue_changed(folders):
                _print_outcome(outcome)
            for non_file in non_files(folders):
                typer.echo(f"{non_file.path}: {non_file.reason}", err=True)
        paths = files if files else [seen.path for seen in scan(folders)]
        for path in paths:
            outcome = ingest_file(path, folders, sink, profiles.keys(), config.intake.max_bytes)
            if outcome is None:
                typer.echo(f"{path}: not found (taken by another process?)", err=True)
                continue
            not_done += outcome.outcome in ("quarantined", "left")
            _print_outcome(outcome)
    except OSError as exc:  # the quarantine folder itself unreadable, say: one line, not a trace
        fail(f"cannot go on taking files ({exc.strerror}: {exc.filename})")
    finally:
        store.close()
    raise typer.Exit(REFUSED if not_done else DONE)


@app.command()
def watch(config_path: ConfigOption = None) -> None:
    """Watch the inbox and take each file once it is whole, until interrupted (Ctrl-C)."""
    from pipeline.intake.watch import watch as run_watcher

    config = config_from(config_path)
    profiles = profiles_from(list(config.folders.profiles))
    try:
        folders = _service_folders(config)
    except OSError as exc:
        fail(f"cannot make the inbox folders ({exc.strerror}: {exc.filename})", ENVIRONMENT)
    store = open_store(config, create=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        run_watcher(
            folders,
            _sink(config, store, profiles),
            profiles.keys(),
            settle_seconds=config.intake.settle_seconds,
            rescan_seconds=config.intake.rescan_seconds,
            max_bytes=config.intake.max_bytes,
            stop=stop,
            on_outcome=_print_outcome,
            on_note=_print_note,
            on_started=lambda: typer.echo(f"watching {folders.root} (Ctrl-C to stop)", err=True),
        )
    except KeyboardInterrupt:
        stop.set()
    except InboxBusy as exc:
        fail_with(exc)
    finally:
        store.close()


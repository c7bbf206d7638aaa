"""Accepted documents → the store, and the conference planned again at once (so `cpc status` knows before any run).

This is the inbox's Sink for the real service: the store keeps the bytes first; planning follows
and, should it fail, is left for the next distribution run to do, since the document is already
safely kept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pipeline.errors import CpcError, StoreUnavailable, TransientFault
from pipeline.intake.accept import Accepted
from pipeline.procedure.profile import Profile
from pipeline.rendering.html import Composer
from pipeline.service.amendment_intake import take_amendment
from pipeline.service.conference import load_conference
from pipeline.service.replan import replan
from pipeline.service.status_report import Quarantined
from pipeline.store.db import Store

log = logging.getLogger(__name__)


@dataclass
class StoreSink:
    store: Store
    profiles: dict[str, Profile]
    composer: Composer
    on_problem: Callable[[str], None] = lambda _message: None
    # An unexpected error and what was being done: the CLI writes its traceback as a JSON line.
    on_fault: Callable[[str, BaseException], None] | None = None

    def take(self, accepted: Accepted, source_name: str) -> Literal["new", "duplicate"]:
        try:
            if accepted.kind == "amendment":
                taken = take_amendment(self.store, accepted, source_name, self.profiles)
                conference_id = accepted.document.conference_id
            else:
                taken = self.store.take(accepted, source_name)
                conference_id = accepted.document.conference.id
        except StoreUnavailable as exc:
            if exc.kind == "raced":
                # Another process (a second watcher, `cpc ingest` beside `cpc watch`) committed
                # the same bytes between our look and our insert: next time they are a duplicate.
                raise TransientFault(
                    "another process was taking the same document at the same moment"
                ) from exc
            if exc.kind == "locked":
                # SQLite's "database is locked" (another process held a write lock past the busy
                # timeout), a lost connection: the store will take the file once that clears.
                raise TransientFault(
                    f"the store could not be written ({_first_line(exc)})"
                ) from exc
            # Any other database fault leaves the file in the inbox as an unexpected error (the
            # inbox quarantines a CpcError, and the file is not at fault): SQLAlchemy's own
            # error, so the inbox names it as before.
            raise exc.__cause__ or exc  # noqa: B904 (the cause is the error said)
        except CpcError:
            # The store's checks read outside one snapshot: another process committing these
            # very bytes between them makes them look like a reused export_id. If the bytes are
            # now in the store, they were taken, by the other process: a duplicate, not stale.
            if self.store.has_document(accepted.sha256):
                return "duplicate"
            raise
        if taken == "new":
            try:
                conference = load_conference(self.store, conference_id, self.profiles)
                replan(self.store, conference, self.composer, self.profiles)
            except CpcError as exc:
                self.on_problem(
                    f"{source_name}: kept, but not planned yet ({exc}); the next run plans it"
                )
            except Exception as exc:
                # The bytes are committed, so the file must still leave the inbox; planning is
                # done again by the next run, and the error is reported, not raised.
                if self.on_fault is not None:
                    self.on_fault(f"planning {source_name}", exc)
                else:
                    log.error("planning %s failed", source_name, exc_info=exc)
                self.on_problem(
                    f"{source_name}: kept, but not planned yet (an unexpected "
                    f"{type(exc).__name__}, logged); the next run plans it"
                )
        return taken


def _first_line(exc: BaseException) -> str:
    return (str(getattr(exc, "orig", None) or exc).splitlines() or [type(exc).__name__])[0]


def quarantined_files(folder: Path) -> list[Quarantined]:
    """Each quarantined file with the first line of its reason, oldest first."""
    if not folder.is_dir():
        return []
    found = []
    for reason in sorted(folder.glob("*.reason.txt")):
        text = reason.read_text(encoding="utf-8", errors="replace")
        found.append(Quarantined(reason.name.removesuffix(".reason.txt"), _reason_line(text)))
    return found


def _reason_line(text: str) -> str:
    for line in text.splitlines():
        if line.lower().startswith("reason:"):
            return line.split(":", 1)[1].strip()
    return " ".join(text.split())[:300]

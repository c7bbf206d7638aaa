"""What one delivery run did → the counts and lists `cpc distribute` prints, and errors in plain words.

Report is the run's event sink (one JSON line each in the log; progress on the terminal).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import CpcError
from pipeline.terminal_text import printable

Report = Callable[[str, dict[str, Any]], None]


@dataclass
class RunSummary:
    delivered: Counter[str] = field(default_factory=Counter)
    held: list[tuple[str, str, str]] = field(default_factory=list)
    # (conference, copy, why): tried again by the next run.
    failed: list[tuple[str, str, str]] = field(default_factory=list)
    # (conference, copy, why): refused for good; waits for a new revision or the chair.
    refused: list[tuple[str, str, str]] = field(default_factory=list)
    # (conference, why): could not be read or planned; nothing of it was sent, the rest went.
    not_planned: list[tuple[str, str]] = field(default_factory=list)
    # (conference, copy, working days): delivered after its due date.
    late: list[tuple[str, str, int]] = field(default_factory=list)
    would_send: list[tuple[str, str, str]] = field(default_factory=list)
    post_batches: list[Path] = field(default_factory=list)
    replanned: list[str] = field(default_factory=list)

    @property
    def any_failed(self) -> bool:
        return bool(self.failed or self.refused or self.not_planned)

    def to_json(self) -> dict[str, Any]:
        return {
            "delivered": dict(self.delivered),
            "held": [list(h) for h in self.held],
            "failed": [list(f) for f in self.failed],
            "refused": [list(f) for f in self.refused],
            "not_planned": [list(n) for n in self.not_planned],
            "late": [list(item) for item in self.late],
            "would_send": [list(w) for w in self.would_send],
            "post_batches": [str(p) for p in self.post_batches],
            "replanned": self.replanned,
        }


def plain_error(exc: BaseException) -> str:
    """An error in words for the person reading the status: the pipeline's own and the system's
    (a full disk) as they are; anything else named as a fault in the program, one line."""
    if isinstance(exc, CpcError | OSError):
        return printable(str(exc))
    return printable(f"an unexpected fault in cpc ({type(exc).__name__}: {exc}); see the log")

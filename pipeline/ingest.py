"""Accepted documents → the store, and a new revision's plan saved at once (so `cpc status` knows it before any run).

This is the inbox's Sink for the real service: the store keeps the bytes first; planning follows
and, should it fail, is left for the next distribution run to do, since the document is already
safely kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pipeline.compose import Composer
from pipeline.distribute import read_conference, replan
from pipeline.errors import CpcError
from pipeline.intake import Accepted
from pipeline.profile import Profile
from pipeline.status_report import Quarantined
from pipeline.store import Store


@dataclass
class StoreSink:
    store: Store
    profiles: dict[str, Profile]
    composer: Composer
    on_problem: Callable[[str], None] = lambda _message: None

    def take(self, accepted: Accepted, source_name: str) -> Literal["new", "duplicate"]:
        taken = self.store.take(accepted, source_name)
        if taken == "new" and accepted.kind == "export":
            conference_id = accepted.document.conference.id  # type: ignore[union-attr]
            try:
                for stored in self.store.current_exports(conference_id):
                    replan(self.store, read_conference(stored, self.profiles), self.composer)
            except CpcError as exc:
                self.on_problem(
                    f"{source_name}: kept, but not planned yet ({exc}); the next run plans it"
                )
        return taken


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

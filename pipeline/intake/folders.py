"""What the inbox is made of: its folders, a file seen in it, and what became of each file taken.

Shared by the reader (`pipeline.intake.inbox`), the watcher's settling (`pipeline.intake.settle`)
and the quarantine (`pipeline.intake.quarantine`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NamedTuple, Protocol

from pipeline.intake.accept import Accepted

SUBFOLDERS = ("exports", "amendments")
IGNORED_SUFFIXES = (".tmp", ".part")  # names writers use until a file is complete


class Sink(Protocol):
    """Where accepted documents go: the store. `take` returns only once the bytes are durable."""

    def take(self, accepted: Accepted, source_name: str) -> Literal["new", "duplicate"]:
        """Commit the document; "duplicate" if these exact bytes were taken before."""
        ...


@dataclass(frozen=True, slots=True)
class InboxFolders:
    """The inbox root (with exports/ and amendments/ below it) and where files go after it."""

    root: Path
    quarantine: Path
    processed: Path

    @classmethod
    def at(
        cls, root: Path, quarantine: Path | None = None, processed: Path | None = None
    ) -> InboxFolders:
        """The folders for `root`; quarantine/ and processed/ beside it unless given."""
        root = Path(root).absolute()
        return cls(
            root,
            Path(quarantine).absolute() if quarantine else root.parent / "quarantine",
            Path(processed).absolute() if processed else root.parent / "processed",
        )

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    @property
    def amendments(self) -> Path:
        return self.root / "amendments"

    @property
    def drop_folders(self) -> tuple[Path, ...]:
        return tuple(self.root / name for name in SUBFOLDERS)

    def ensure(self) -> None:
        """Create any of the folders that is missing."""
        for folder in (*self.drop_folders, self.quarantine, self.processed):
            folder.mkdir(parents=True, exist_ok=True)


class Seen(NamedTuple):
    """One look at a candidate file."""

    path: Path
    size: int
    mtime_ns: int


Outcome = Literal["taken", "duplicate", "quarantined", "left", "requeued"]


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    """What became of one inbox file: where it went and, if quarantined or left, why.

    "left": a transient fault or an unexpected error; the file is still at `source` (`moved_to`
    is `source`) and is taken next time. "requeued": a quarantined file changed in quarantine/
    and was moved back to the inbox (`moved_to`). `fault` is the unexpected exception, with its
    traceback, for the caller to log; None for every reason the pipeline gives on purpose.
    """

    source: Path
    outcome: Outcome
    reason: str | None
    moved_to: Path
    fault: BaseException | None = None


@dataclass(frozen=True, slots=True)
class NonFile:
    """Something in the inbox that is not a file the pipeline takes, and what it is."""

    path: Path
    reason: str



def printable_name(name: str) -> str:
    """`name` as it may be written in a reason, a log line or the store: characters that do not
    print (a newline, bytes that are not UTF-8) written as escapes, so a name cannot forge a line."""
    if name.isprintable():
        return name
    return "".join(c if c.isprintable() else f"\\x{{{ord(c):x}}}" for c in name)

"""The pipeline's exceptions, one tree; only the CLI turns them into messages and exit codes.

CpcError
├── ContractError      an export or amendment breaks the contract (carries every FieldIssue)
├── ProfileError       a procedure profile is unknown or malformed
├── CalendarError      a date calculation was asked for something it cannot answer
├── RenderError        a document could not be rendered exactly as written (nothing produced)
├── UnreadableFile     (pipeline.checking.leak_check) a file cannot be read back, so nothing is proved
├── RejectedFile       (intake) a dropped file is not an export or amendment we can take
├── StaleDocument      (inbox) the store holds a later revision, or the id with other content
├── TransientFault     a fault expected to clear (full disk, locked store, permissions): the file
│                      is left where it is and taken next time, never quarantined
├── InboxBusy          (inbox) another `cpc watch` holds the inbox's lock
├── ConfigError        (config) the service's configuration cannot be used
├── StoreError         (store) a decision or hand-over that does not apply to the copy named
│   └── NoStore        (store) a command that reads or decides found no store (it makes none)
├── DeliveryError      (deliver_email) the mail server refused or could not be reached;
│                      `permanent` (SMTP 5xx: waits for a person) or not (tried again)
├── PostBatchError     (post_batch) a letter's PDF cannot go into the post batch
├── RunInProgress      (distribute) another distribution run holds the state folder's lock
└── AmendmentRefused   (amendment_intake) a request or decision that does not stand
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldIssue:
    """One problem with one field: where it is (a JSON path) and what is wrong, in plain words."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class CpcError(Exception):
    """Base of every error the pipeline raises on purpose."""


class ContractError(CpcError):
    """An input file breaks the contract; `issues` lists every problem found, not only the first."""

    def __init__(
        self,
        issues: list[FieldIssue] | tuple[FieldIssue, ...],
        source: str = "",
        note: str | None = None,
    ) -> None:
        self.issues: tuple[FieldIssue, ...] = tuple(issues)
        self.source = source
        self.note = note  # what was not checked, and why; not a problem in itself
        head = f"{source}: " if source else ""
        count = len(self.issues)
        lines = "\n".join(f"  - {issue}" for issue in self.issues)
        tail = f"\n  ({note})" if note else ""
        super().__init__(f"{head}{count} problem{'s' if count != 1 else ''}\n{lines}{tail}")


class ProfileError(CpcError):
    """A procedure profile could not be found or does not follow the profile format."""


class CalendarError(CpcError):
    """A working-day or date calculation got an argument it cannot work with."""


class RenderError(CpcError):
    """A document could not be rendered exactly as written; nothing was produced."""


class TransientFault(CpcError):
    """A fault expected to clear by itself or by an administrator: a full disk, a store locked by
    another process, a permission. Nothing about the file is wrong, so it is never quarantined:
    it is left where it is and taken next time."""

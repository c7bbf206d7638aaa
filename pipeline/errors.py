"""The pipeline's exceptions, one tree; only the CLI turns them into messages and exit codes (one table, `pipeline.cli.exit_codes`).

Every error belongs to one of five categories, so a caller can tell what kind of thing went wrong
without knowing every class: the input is bad (a person fixes the file or the command), it
conflicts with what is already so (another run, a later revision: try again later or not at all),
the configuration or environment cannot be used (an administrator fixes it), a delivery failed
(the run records it and tries again or waits), or the pipeline itself is at fault. Third-party
errors (SQLAlchemy, WeasyPrint, smtplib, pikepdf) are wrapped into these where they enter.

CpcError
├── BadInput               a person must change the file or the command
│   ├── ContractError      an export or amendment breaks the contract (carries every FieldIssue)
│   ├── RejectedFile       (intake) a dropped file is not an export or amendment we can take
│   ├── AmendmentRefused   (service) a request or decision that does not stand
│   ├── StoreError         (store) a decision or hand-over that does not apply to the copy named
│   ├── AccountError       (accounts) an account that cannot be added or changed as asked
│   ├── SignInRefused      (accounts) a sign-in refused: its words never say whether the email exists
│   ├── NotPermitted       (web) the signed-in person may not do this (answered 403)
│   └── CalendarError      a date calculation was asked for something it cannot answer
├── Conflict               what is asked clashes with what is already so
│   ├── StaleDocument      (inbox) the store holds a later revision, or the id with other content
│   ├── StaleExport        (preview) the folder holds a later revision, or the same with other content
│   ├── InboxBusy          (inbox) another `cpc watch` holds the inbox's lock
│   ├── RunInProgress      (run) another distribution run holds the state folder's lock
│   └── TransientFault     a fault expected to clear (full disk, locked store, permissions): the file
│                          is left where it is and taken next time, never quarantined
├── ConfigurationProblem   an administrator must change the configuration or the machine
│   ├── ConfigError        (config) the service's configuration cannot be used
│   ├── ProfileError       a procedure profile is unknown or malformed
│   ├── NoStore            (store) a command that reads or decides found no store (it makes none)
│   └── StoreUnavailable   (store) the database refused or failed (locked, unreadable, gone):
│                          SQLAlchemy's error, wrapped where it enters
├── DeliveryProblem        a copy could not be delivered
│   ├── DeliveryError      (email) the mail server refused or could not be reached;
│   │                      `permanent` (SMTP 5xx: waits for a person) or not (tried again)
│   └── PostBatchError     (post) a letter's PDF cannot go into the post batch
└── InternalFault          the pipeline could not do its own part
    ├── RenderError        a document could not be rendered exactly as written (nothing produced)
    └── UnreadableFile     (checking) a file cannot be read back, so nothing is proved
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

StoreFault = Literal["locked", "raced", "other"]


@dataclass(frozen=True, slots=True)
class FieldIssue:
    """One problem with one field: where it is (a JSON path) and what is wrong, in plain words."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class CpcError(Exception):
    """Base of every error the pipeline raises on purpose."""


class BadInput(CpcError):
    """The input is wrong: a person must change the file or the command."""


class Conflict(CpcError):
    """What is asked clashes with what is already so; it may stand later, or never."""


class ConfigurationProblem(CpcError):
    """The configuration or the machine cannot be used as it is; an administrator must change it."""


class DeliveryProblem(CpcError):
    """A copy could not be delivered by its channel."""


class InternalFault(CpcError):
    """The pipeline could not do its own part (render, read back); nothing was produced."""


class ContractError(BadInput):
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


class ProfileError(ConfigurationProblem):
    """A procedure profile could not be found or does not follow the profile format."""


class CalendarError(BadInput):
    """A working-day or date calculation got an argument it cannot work with."""


class RenderError(InternalFault):
    """A document could not be rendered exactly as written; nothing was produced."""


class TransientFault(Conflict):
    """A fault expected to clear by itself or by an administrator: a full disk, a store locked by
    another process, a permission. Nothing about the file is wrong, so it is never quarantined:
    it is left where it is and taken next time."""


class StaleExport(Conflict):
    """The outbox already holds a later revision of the conference, or the same one with other content."""


class PostBatchError(DeliveryProblem):
    """A posted PDF could not be read, or an envelope holds a page that is not its addressee's; no batch was made."""


class DeliveryError(DeliveryProblem):
    """An e-mail could not be handed to the SMTP server; the message never quotes what was attached.

    `permanent`: the server refused this message for good (an SMTP 5xx reply to the sender, a
    recipient or the data): sending it again unchanged would be refused again, so it waits for a
    person. Otherwise (a 4xx reply, a refused or dropped connection, a timeout, a TLS or login
    problem an administrator can put right) a later run tries again. `reply` is the server's own
    words, with the message's addresses replaced by <recipient> and <sender>."""

    def __init__(self, message: str, *, permanent: bool = False, reply: str | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.reply = reply


class ConfigError(ConfigurationProblem):
    """The configuration file or an environment override cannot be used; the message names the key."""


class UnreadableFile(InternalFault):
    """A file could not be opened as the type its name says, so it cannot be shown to be free of leaks."""


class AmendmentRefused(BadInput):
    """An amendment document the store will not take; the message says why, for an administrator."""


class RunInProgress(Conflict):
    """Another distribution run holds the lock: two at once would deliver everything twice."""


class NoQueue(ConfigurationProblem):
    """A run spread over workers was asked for where there is no job queue (a SQLite store)."""


class QueueUnavailable(ConfigurationProblem):
    """The job queue (Procrastinate, in the PostgreSQL store) could not be used."""


class ConferenceBusy(Conflict):
    """Another worker holds this conference (a job of it is still being done): tried again later."""


class DeliveriesToRetry(Conflict):
    """Some of a conference's deliveries failed for a reason that may pass: its job is tried again."""


class StoreError(BadInput):
    """The store cannot do what was asked (an unknown copy, a decision that does not apply)."""


class NotPermitted(BadInput):
    """The signed-in person may not do what they asked (not this conference's chair, say): the
    front desk answers 403 and the service is not asked at all."""


class NoStore(ConfigurationProblem):
    """A command that only reads or decides found no store where it looked: it makes none."""


class RejectedFile(BadInput):
    """A dropped file is not an export or amendment the pipeline can take; `reason` says why.

    The reason is written for an administrator. Apart from the contract's own messages (which
    name a JSON path and may show a short found value), it quotes nothing from the file.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class StaleDocument(Conflict):
    """The store refuses a document it already holds in a later revision, or reused with other content."""


class InboxBusy(Conflict):
    """Another `cpc watch` is watching this inbox; two would race for every file."""


class StoreUnavailable(ConfigurationProblem):
    """The state store's database could not be used (locked by another process, unreadable, gone).

    Raised from the store in place of SQLAlchemy's own error, which stays as `__cause__`; the
    message is SQLAlchemy's first line, which names the database problem but no stored content.
    `kind` says what a caller may do about it: `locked` (another process held the lock past the
    busy timeout, or the connection was lost: try again later), `raced` (another process wrote
    the same row first), `other`."""

    def __init__(self, message: str, kind: StoreFault = "other") -> None:
        super().__init__(message)
        self.kind: StoreFault = kind


class AccountError(BadInput):
    """An account cannot be added or changed as asked: the email is not an address, the
    password is too short, the role unknown, the email taken, or no such account."""


class SignInRefused(BadInput):
    """A sign-in refused. Its message is safe to show on the sign-in page: a wrong password, an
    unknown email and a disabled account are refused in the same words, so the page never tells
    which emails have accounts; a lock says until when."""

"""The store's rows as frozen values: what every read of the store returns, never a bare mapping.

Each row type names the columns its readers use, with the statuses, hold kinds and channels as
the `Literal`s the planning stage defines once (`pipeline.planning.plan`, `copy_state`): a
reader cannot mistype a column or compare a status with a word the store never writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from pipeline.config import DeliveryChannel
from pipeline.planning.copy_state import (
    AmendmentStatus,
    CopyStatus,
    DecisionKind,
    DeliveryState,
    HoldKind,
)
from pipeline.planning.plan import Status, TaskKind


@dataclass(frozen=True, slots=True)
class StoredExport:
    conference_id: str
    revision: int
    export_id: str
    sha256: str
    raw: bytes


@dataclass(frozen=True, slots=True)
class StoredDelivery:
    id: int
    conference_id: str
    copy_key: str
    revision: int
    recipient: str
    document: str
    channel: DeliveryChannel
    via: str | None
    edition: str
    state: DeliveryState
    fingerprint: str
    files: tuple[dict[str, Any], ...]
    message_id: str | None
    batch_id: str | None
    destination: str | None
    sent_on: date | None
    received_on: date | None
    handed_over_on: date | None
    amendments_included: tuple[str, ...] | None = None
    # The last failure, the real time it left, its due date and how late it was.
    error: str | None = None
    error_kind: str | None = None  # transient | permanent
    failed_at: datetime | None = None
    attempts: int = 0
    delivered_at: datetime | None = None
    due: date | None = None
    late_by: int | None = None
    # GOV.UK Notify: its notification id, last status, when that was read, the print-run day.
    notify_id: str | None = None
    notify_status: str | None = None
    notify_status_at: datetime | None = None
    notify_print_day: date | None = None

    @property
    def failed(self) -> bool:
        """Not delivered, and the last try failed: `pending` is tried again, `failed` is not."""
        return self.state in ("pending", "failed") and self.error is not None


@dataclass(frozen=True, slots=True)
class ConferenceRow:
    """A conference's current revision, its plan's checks, and why it cannot be planned."""

    conference_id: str
    revision: int
    document_id: int
    stage: str
    profile: str
    checks: tuple[dict[str, Any], ...]
    planned_at: datetime | None
    plan_error: str | None = None


@dataclass(frozen=True, slots=True)
class RevisionRow:
    """One export revision as it was received."""

    revision: int
    document_id: str  # the export_id
    sha256: str
    source_name: str
    received_at: datetime


@dataclass(frozen=True, slots=True)
class CopyRow:
    """One copy a plan of the conference named, and where it stands now."""

    id: int
    conference_id: str
    copy_key: str
    recipient: str
    document: str
    view: str
    revision: int
    in_plan: bool
    plan_status: Status
    status: CopyStatus
    reason: str | None
    hold_kind: HoldKind | None
    due: date
    via: str | None
    handover_by: date | None
    channel_hint: str | None
    recipient_class: str
    on_behalf_of: str | None
    fingerprint: str | None
    failure: str | None  # why the last run could not make it (no delivery was begun)


@dataclass(frozen=True, slots=True)
class TaskRow:
    id: int
    conference_id: str
    kind: TaskKind
    owner: str | None
    recipient: str
    document: str
    due: date
    in_plan: bool
    done_on: date | None
    report: str | None = None  # the report's id, for a task about one report


@dataclass(frozen=True, slots=True)
class DecisionRow:
    """The chair's release or withdrawal of one copy; a release answers one hold on one content."""

    id: int
    conference_id: str
    copy_key: str
    decision: DecisionKind
    fingerprint: str | None
    by: str
    why: str
    at: datetime
    hold_kind: HoldKind | None
    revision: int | None


@dataclass(frozen=True, slots=True)
class HandoverRow:
    id: int
    delivery_id: int
    conference_id: str
    copy_key: str
    on: date
    by: str
    note: str
    correction: bool
    at: datetime


@dataclass(frozen=True, slots=True)
class AmendmentRow:
    amendment_id: str
    conference_id: str
    requested_by: str
    requester_copy_key: str
    received_on: date
    window_ends: date
    late: bool
    status: AmendmentStatus
    decided_by: str | None
    decided_on: date | None
    note: str | None
    sequence: int
    raw: bytes  # the latest document: the request, then the decision
    first_seen_at: datetime
    decided_at: datetime | None


@dataclass(frozen=True, slots=True)
class AuditLine:
    id: int
    at: datetime
    actor: str
    action: str
    conference_id: str | None
    copy_key: str | None
    detail: dict[str, Any]
    # Who was signed in: "web:<email>", "os:<login>"; None for the pipeline's own work.
    user: str | None = None


@dataclass(frozen=True, slots=True)
class UserRow:
    """A web account: its email (lower-cased), role and Argon2 hash, never a password."""

    id: int
    email: str
    role: str
    password_hash: str
    disabled: bool
    created_at: datetime
    disabled_at: datetime | None


@dataclass(frozen=True, slots=True)
class WebSessionRow:
    """One front-desk session: whose, when it began, was last used, and ended (if it has)."""

    token_sha256: str
    user_id: int
    started_at: datetime
    seen_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True, slots=True)
class SignInAttemptRow:
    """One sign-in attempt: `locked`, refused unchecked because a lock was on."""

    id: int
    at: datetime
    email: str
    address: str
    succeeded: bool
    locked: bool


Row = TypeVar("Row")


def row_of(kind: type[Row], mapping: Mapping[Any, Any]) -> Row:
    """The row type's columns from a result row's mapping (columns it does not name are left)."""
    values = {f.name: mapping[f.name] for f in fields(kind)}  # type: ignore[arg-type]
    if "raw" in values:
        values["raw"] = bytes(values["raw"])
    if "checks" in values:
        values["checks"] = tuple(values["checks"])
    return kind(**values)


def delivery_of(m: Mapping[Any, Any]) -> StoredDelivery:
    return StoredDelivery(
        id=m["id"],
        conference_id=m["conference_id"],
        copy_key=m["copy_key"],
        revision=m["revision"],
        recipient=m["recipient"],
        document=m["document"],
        channel=m["channel"],
        via=m["via"],
        edition=m["edition"],
        state=m["state"],
        fingerprint=m["fingerprint"],
        files=tuple(m["files"]),
        message_id=m["message_id"],
        batch_id=m["batch_id"],
        destination=m["destination"],
        sent_on=m["sent_on"],
        received_on=m["received_on"],
        handed_over_on=m["handed_over_on"],
        amendments_included=tuple(m["amendments_included"])
        if m["amendments_included"] is not None
        else None,
        error=m["error"],
        error_kind=m["error_kind"],
        failed_at=aware(m["failed_at"]),
        attempts=m["attempts"] or 0,
        delivered_at=aware(m["delivered_at"]),
        due=m["due"],
        late_by=m["late_by"],
        notify_id=m["notify_id"],
        notify_status=m["notify_status"],
        notify_status_at=aware(m["notify_status_at"]),
        notify_print_day=m["notify_print_day"],
    )


def aware(moment: datetime | None) -> datetime | None:
    # SQLite keeps no zone: what the store writes is UTC, so read it back as UTC.
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment

"""A copy's rows (its deliveries, the chair's decisions, hand-overs, audit lines) → lines in words for the front desk's pages, and where it stands now.

Pure over the store's rows and the conference's people in words (`front_desk_words`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from pipeline.service.front_desk_words import (
    People,
    copy_document_words,
    copy_url,
    document_words,
    in_words,
    person_words,
)
from pipeline.store.db import StoredDelivery
from pipeline.store.rows import AuditLine, CopyRow, DecisionRow, HandoverRow


@dataclass(frozen=True, slots=True)
class CopyLine:
    copy_key: str
    url: str
    recipient: str
    document: str
    view: str
    channel: str
    due: date
    status: str  # in words: "Released by Helen Marsh (chair) on ...", "Delivered on ..."


@dataclass(frozen=True, slots=True)
class DeliveryLine:
    copy_key: str
    url: str
    recipient: str
    document: str
    edition: str
    state: str
    channel: str
    via: str | None
    due: date | None
    sent_on: date | None
    received_on: date | None
    error: str | None


@dataclass(frozen=True, slots=True)
class AmendmentLine:
    amendment_id: str
    requested_by: str
    received_on: date
    window_ends: date
    late: bool
    status: str
    decided_by: str | None
    decided_on: date | None
    note: str | None
    notices_sent: int
    problem: str | None


@dataclass(frozen=True, slots=True)
class DecisionLine:
    copy_key: str
    url: str
    copy: str  # "Sarah Whitfield (mother): the record"
    decision: str
    by: str
    why: str
    at: datetime


@dataclass(frozen=True, slots=True)
class HandoverLine:
    on: date
    by: str
    note: str
    correction: bool
    at: datetime


@dataclass(frozen=True, slots=True)
class AuditEvent:
    at: datetime
    action: str
    by: str
    why: str | None


@dataclass(frozen=True, slots=True)
class RevisionLine:
    revision: int
    export_id: str
    received_at: datetime
    source: str


@dataclass(frozen=True, slots=True)
class SentFile:
    """One file of a delivery; `path` where the service put it (the outbox folder), if it was put
    in a folder (an e-mail's or a letter's file is not kept beside the delivery)."""

    name: str
    sha256: str
    size: int
    path: Path | None
    sent_on: date | None
    edition: str

    @property
    def is_document(self) -> bool:
        """The document itself (a PDF), not the hand-over sheet or the editable copy."""
        return self.name.endswith(".pdf") and not self.name.startswith("handover-sheet")


def status_words(
    row: CopyRow,
    deliveries: Sequence[StoredDelivery],
    decisions: Sequence[DecisionRow],
    people: People,
) -> str:
    """Where a copy stands now, as a person says it. A copy the chair released that has not gone
    yet says "Released" (the run sends it); one sent through a social worker says whether it was
    handed over (spec §5: the hand-over is the recipient's receipt)."""
    mine = [d for d in deliveries if d.copy_key == row.copy_key]
    latest = mine[-1] if mine else None
    if row.status == "withdrawn":
        return f"Withdrawn: {in_words(row.reason, people)}" if row.reason else "Withdrawn"
    if latest is not None and latest.failed and row.status != "delivered":
        return f"Failed: {in_words(latest.error, people)}"
    if row.status == "delivered" and latest is not None and latest.state == "sent":
        return _delivered_words(latest, people)
    # A release answers one content (its fingerprint): an old release of an earlier content
    # does not make a new copy "released".
    released = [
        d
        for d in decisions
        if d.copy_key == row.copy_key
        and d.decision == "released"
        and d.fingerprint == row.fingerprint
    ]
    if row.status in ("ready", "sending") and released:
        last = released[-1]
        going = "being sent" if row.status == "sending" else "it goes with the next run"
        return (
            f"Released by {person_words(people, last.by)} on {last.at.date().isoformat()}: {going}"
        )
    if row.failure and row.status in ("ready", "held"):
        return f"Failed: {in_words(row.failure, people)}; tried again by the next run"
    words = {
        "ready": "Ready: it goes with the next run",
        "sending": "Being sent",
        "held": "Held for the chair",
        "waiting": "Waiting",
        "failed": "Failed",
        "delivered": "Delivered",
    }[row.status]
    return (
        f"{words}: {in_words(row.reason, people)}"
        if row.reason and row.status in ("held", "waiting")
        else words
    )


def _delivered_words(d: StoredDelivery, people: People) -> str:
    assert d.sent_on is not None  # a sent delivery has its date
    if d.via is None:
        return f"Delivered on {d.sent_on.isoformat()} ({_channel_words(d.channel)})"
    via = person_words(people, d.via)
    if d.handed_over_on is None:
        return f"With {via} since {d.sent_on.isoformat()}, not yet handed over"
    return f"Handed over by {via} on {d.handed_over_on.isoformat()}"


def _channel_words(channel: str) -> str:
    return {
        "folder": "to the outbox folder",
        "email": "by e-mail",
        "post": "by post",
        "notify": "by GOV.UK Notify",
    }.get(channel, channel)


def channel_of(row: CopyRow, deliveries: Sequence[StoredDelivery]) -> str:
    # The channel it went by, if it went; else the one the plan expects.
    sent = [d for d in deliveries if d.copy_key == row.copy_key]
    return sent[-1].channel if sent else (row.channel_hint or "")


def copy_line(
    row: CopyRow,
    deliveries: Sequence[StoredDelivery],
    decisions: Sequence[DecisionRow],
    people: People,
) -> CopyLine:
    return CopyLine(
        copy_key=row.copy_key,
        url=copy_url(row.conference_id, row.copy_key),
        recipient=person_words(people, row.recipient) or "",
        document=copy_document_words(row.document, row.on_behalf_of, people),
        view=row.view,
        channel=channel_of(row, deliveries),
        due=row.due,
        status=status_words(row, deliveries, decisions, people),
    )


def delivery_line(d: StoredDelivery, people: People) -> DeliveryLine:
    return DeliveryLine(
        copy_key=d.copy_key,
        url=copy_url(d.conference_id, d.copy_key),
        recipient=person_words(people, d.recipient) or "",
        document=document_words(d.document),
        edition=d.edition,
        state="failed" if d.failed else d.state,
        channel=d.channel,
        via=person_words(people, d.via),
        due=d.due,
        sent_on=d.sent_on,
        received_on=d.received_on,
        error=in_words(d.error, people),
    )


def decision_line(d: DecisionRow, rows: Sequence[CopyRow], people: People) -> DecisionLine:
    row = next((r for r in rows if r.copy_key == d.copy_key), None)
    document = document_words(row.document) if row is not None else d.copy_key.split("/")[-1]
    recipient = person_words(people, d.copy_key.split("/", 1)[0])
    return DecisionLine(
        copy_key=d.copy_key,
        url=copy_url(d.conference_id, d.copy_key),
        copy=f"{recipient}: {document}",
        decision=d.decision,
        by=_actor(d.by, people),
        why=in_words(d.why, people) or "",
        at=d.at,
    )


def handover_line(h: HandoverRow, people: People) -> HandoverLine:
    return HandoverLine(
        h.on, _actor(h.by, people), in_words(h.note, people) or "", h.correction, h.at
    )


def audit_event(line: AuditLine, people: People) -> AuditEvent:
    # Only the reason from the detail: the rest (a destination, an address) is the audit page's,
    # for those who may read the audit log.
    why = line.detail.get("why") or line.detail.get("note")
    return AuditEvent(
        line.at,
        line.action.replace("_", " "),
        _actor(line.actor, people),
        in_words(str(why), people) if why else None,
    )


def _actor(actor: str, people: People) -> str:
    """Who acted: a person of the conference by name, the service as itself, a signed-in user
    (`web:...`, `os:...`) as recorded."""
    if actor == "cpc-pipeline":
        return "the service"
    return str(people[actor]) if actor in people else actor


def sent_files(d: StoredDelivery) -> list[SentFile]:
    folder = Path(d.destination) if d.channel == "folder" and d.destination else None
    return [
        SentFile(
            name=f["name"],
            sha256=f["sha256"],
            size=int(f.get("bytes", 0)),
            path=folder / f["name"] if folder is not None else None,
            sent_on=d.sent_on,
            edition=d.edition,
        )
        for f in d.files
    ]

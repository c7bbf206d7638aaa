"""An accepted amendment document and the store → the request recorded (or its decision), or refused with the reason.

A request is checked against the record as its requester received it: the conference
is known, the requester was sent the record (and, where it went through the lead social worker,
was handed it), each section is one their copy holds and each `replace` text is in it as sent. A
request after the requester's window is recorded and marked late; the chair may still agree it
(spec §5; 000 §4.14.4; 002 §22.6). The same `amendment_id` again with the chair's decision moves it
on; a decision by anyone but the conference's chair is refused (002 §22.7, R61).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pipeline.contract.amendment import Amendment
from pipeline.contract.load import load_document
from pipeline.errors import AmendmentRefused
from pipeline.intake.accept import AcceptedAmendment
from pipeline.planning.amendments import request_problems, window_end
from pipeline.procedure.profile import Profile
from pipeline.service.conference import (
    AmendmentContext,
    load_conference,
    read_conference_copies,
)
from pipeline.service.decisions import require_chair
from pipeline.store.db import Store, StoredDelivery


def _requester_record(store: Store, amendment: Amendment) -> StoredDelivery:
    sent = [
        d
        for d in store.deliveries(amendment.conference_id, state="sent")
        if d.recipient == amendment.requested_by and d.document == "record"
    ]
    if not sent:
        raise AmendmentRefused(
            f"{amendment.amendment_id}: {amendment.requested_by} has not been sent the record of "
            f"{amendment.conference_id}, so there is nothing of theirs to amend"
        )
    latest = sent[-1]
    if latest.via is not None and latest.handed_over_on is None:
        raise AmendmentRefused(
            f"{amendment.amendment_id}: the record for {amendment.requested_by} is with the lead "
            "social worker and its hand-over is not recorded (cpc handed-over); record it, then "
            "drop the request again"
        )
    return latest


def _check_request(
    store: Store, amendment: Amendment, profiles: dict[str, Profile]
) -> dict[str, Any]:
    """The stored values of a new request, or AmendmentRefused naming every problem."""
    delivery = _requester_record(store, amendment)
    included = set(delivery.amendments_included or ())
    # The record as they received it: that revision, with the amendments their copy carried.
    as_received = read_conference_copies(
        store.export_raw(amendment.conference_id, delivery.revision),
        profiles,
        AmendmentContext(
            amendments=tuple(
                (row.sequence, row.raw, row.requester_copy_key)
                for row in store.amendment_rows(amendment.conference_id)
                if row.amendment_id in included
            )
        ),
    ).current
    copy_then = as_received.copies.get(delivery.copy_key)
    problems = (
        request_problems(as_received.export, copy_then, amendment)
        if copy_then is not None
        else [f"the copy {delivery.copy_key} cannot be read again"]
    )
    conference = load_conference(store, amendment.conference_id, profiles)
    if problems:
        # Or as they hold it now, with the notices of amendments agreed since attached.
        current = conference.read.current
        copy = current.copies.get(delivery.copy_key)
        if copy is None or request_problems(current.export, copy, amendment):
            raise AmendmentRefused(
                f"{amendment.amendment_id}: checked against the record as "
                f"{amendment.requested_by} received it: " + "; ".join(problems)
            )
    assert delivery.received_on is not None  # sent, and handed over where it went via
    ends = window_end(delivery.received_on, conference.profile, conference.calendar)
    return {
        "requested_by": amendment.requested_by,
        "requester_copy_key": delivery.copy_key,
        "received_on": amendment.received_on,
        "window_ends": ends,
        "late": amendment.received_on > ends,
    }


def _check_chair(store: Store, amendment: Amendment, profiles: dict[str, Profile]) -> None:
    export = load_conference(store, amendment.conference_id, profiles).read.export
    require_chair(
        export,
        amendment.decision.by,
        refused=lambda chair: AmendmentRefused(
            f"{amendment.amendment_id}: decision.by is {amendment.decision.by}, but only the "
            f"conference's chair ({chair}) decides on an amendment (002 §22.7)"
        ),
    )


def _same_request(stored: Amendment, incoming: Amendment) -> bool:
    return (stored.requested_by, stored.received_on, stored.changes) == (
        incoming.requested_by,
        incoming.received_on,
        incoming.changes,
    )


def take_amendment(
    store: Store,
    accepted: AcceptedAmendment,
    source_name: str,
    profiles: dict[str, Profile],
    *,
    user: str | None = None,
) -> Literal["new", "duplicate"]:
    """An amendment request, or the chair's decision on one → on record ("new") or already so
    ("duplicate"); AmendmentRefused if it does not stand. `user`: who was signed in when the
    decision was made (the web's chair), for the audit line; None for a file in the inbox."""
    amendment = accepted.document
    if store.has_document(accepted.sha256):
        return "duplicate"
    if not store.current_exports(amendment.conference_id):
        raise AmendmentRefused(
            f"{amendment.amendment_id}: no conference {amendment.conference_id} has been taken in"
        )
    row = store.amendment_row(amendment.amendment_id)
    decision = amendment.decision
    values: dict[str, Any]
    if row is None:
        values = _check_request(store, amendment, profiles)
        action = "amendment_requested"
    else:
        stored = load_document(row.raw, profiles.keys())
        assert isinstance(stored, Amendment)
        if row.conference_id != amendment.conference_id or not _same_request(stored, amendment):
            raise AmendmentRefused(
                f"{amendment.amendment_id}: a request with this id was already received with "
                "other details; a new request needs a new amendment_id"
            )
        if row.status != "pending":
            if stored.decision == decision or decision.status == "pending":
                # The same decision again, however the file was written; or the request itself
                # arriving after its decision (files are taken in name order).
                return "duplicate"
            raise AmendmentRefused(
                f"{amendment.amendment_id}: already {row.status} by {row.decided_by} on "
                f"{row.decided_on}; a decision is not changed by a later file"
            )
        if decision.status == "pending":
            return "duplicate"
        values = {}
        action = f"amendment_{decision.status}"
    if decision.status != "pending":
        _check_chair(store, amendment, profiles)
        values |= {
            "status": decision.status,
            "decided_by": decision.by,
            "decided_on": decision.on,
            "note": decision.note,
            "decided_at": datetime.now(UTC),
        }
        if row is None:
            action = f"amendment_{decision.status}"
    else:
        values |= {"status": "pending"}
    store.save_amendment(
        accepted,
        source_name,
        values,
        action=action,
        actor=decision.by if decision.status != "pending" and decision.by else "cpc-pipeline",
        user=user,
    )
    return "new"

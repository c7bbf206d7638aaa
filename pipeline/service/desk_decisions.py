"""A decision made on the front desk → the same path the service takes for it from a file: an amendment decision through the amendment intake; a replaced quarantined file back to the inbox.

The chair's agreement or rejection of an amendment is made into the amendment document the
case-management system would send with the decision (`cpc-amendment/1`: the request as stored,
with its `decision` filled in), checked by the intake as a dropped file is
(`intake.accept.read_document`) and taken by `service.amendment_intake.take_amendment`, so every
check there applies (only the conference's chair decides, 002 §22.7, R61; a decided request is not
decided again). Who may ask for either is `service.acting`'s to say, before these are called.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import PurePath
from typing import Any

from pipeline import clock
from pipeline.errors import AmendmentRefused, RejectedFile, StoreError
from pipeline.intake.accept import AcceptedAmendment, read_document
from pipeline.intake.folders import InboxFolders
from pipeline.intake.quarantine import REASON_SUFFIX, requeue_if_changed
from pipeline.procedure.calendar import uk_date
from pipeline.procedure.profile import Profile
from pipeline.service.amendment_intake import take_amendment
from pipeline.service.conference import load_conference
from pipeline.service.decisions import person_id_for
from pipeline.store.db import Store

FRONT_DESK = "the front desk"


def decision_document(raw: bytes, *, agreed: bool, by: str, on: date, note: str) -> bytes:
    """The stored request with the chair's decision: what the case-management system sends
    (examples/amendment-agreed.json), every other field as it was received."""
    data: dict[str, Any] = json.loads(raw)
    decision: dict[str, Any] = {
        "status": "agreed" if agreed else "rejected",
        "by": by,
        "on": on.isoformat(),
    }
    if note.strip():
        decision["note"] = note.strip()
    data["decision"] = decision
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


def decide_amendment(
    store: Store,
    profiles: dict[str, Profile],
    amendment_id: str,
    *,
    agreed: bool,
    note: str,
    by: str,
    on: date,
    user: str,
    today: date | None = None,
) -> None:
    """The chair's decision on a pending amendment, as if the decision file had arrived.

    `by`: the chair's person id (or name, as `cpc release --by` takes it); `on`: the day decided,
    not after `today` (default: today in the UK by the real clock); `user`: who is signed in,
    on the audit line (and in the document's source name). The next run plans the conference
    again, as it does after a decision file."""
    today = today if today is not None else uk_date(clock.now())
    if on > today:
        raise AmendmentRefused(
            f"{amendment_id}: decided on {on.isoformat()} is after today "
            f"({today.isoformat()}); a decision is recorded once it has been made"
        )
    row = store.amendment_row(amendment_id)
    if row is None:
        raise AmendmentRefused(f"{amendment_id}: no such amendment has been received")
    if row.status != "pending":
        raise AmendmentRefused(
            f"{amendment_id}: already {row.status} by {row.decided_by} on {row.decided_on}; "
            "a decision is not changed"
        )
    export = load_conference(store, row.conference_id, profiles).export
    raw = decision_document(row.raw, agreed=agreed, by=person_id_for(export, by), on=on, note=note)
    source = f"{FRONT_DESK}: decision of {amendment_id} by {user}"
    try:
        accepted = read_document(raw, source, profiles.keys())
    except RejectedFile as exc:
        raise AmendmentRefused(f"{amendment_id}: {exc.reason}") from exc
    assert isinstance(accepted, AcceptedAmendment)  # made from a stored amendment
    take_amendment(store, accepted, source, profiles, user=user)


def requeue_quarantined(
    folders: InboxFolders, name: str, *, user: str, store: Store, why: str = ""
) -> None:
    """An administrator sends one quarantined file, replaced since it was quarantined, back to
    the inbox to be looked at again (as `intake.quarantine.requeue_changed` does for a file its
    writer finished there); audited with who did it. `name`: the file's name in quarantine/, no
    folder. An unchanged file is refused: it would only be quarantined again for the same
    reason."""
    if not name or PurePath(name).name != name or name in (".", "..") or "\\" in name:
        raise StoreError(f"{name!r} is not the name of a quarantined file (no folders)")
    if (
        name.endswith(REASON_SUFFIX)
        or not (folders.quarantine / f"{name}{REASON_SUFFIX}").is_file()
    ):
        raise StoreError(f"{name}: no such file in the quarantine")
    if not (folders.quarantine / name).is_file():
        raise StoreError(f"{name}: the quarantined file is gone (only its reason is left)")
    # The audit line and the move in one transaction: a move that fails leaves no line saying
    # it happened, and a store that cannot be written leaves the file where it was.
    with store.transaction() as connection:
        store.audit(
            connection,
            "quarantine_requeued",
            {"file": name, "why": why},
            actor=user,
            user=user,
        )
        outcome = requeue_if_changed(folders, name)
        if outcome is None:
            raise StoreError(
                f"{name}: unchanged since it was quarantined, so it would be quarantined again "
                "for the same reason; replace it in the quarantine folder first"
            )

"""A person's decision and the store's rows → the decision recorded, or refused with the reason.

Whether a decision applies is decided here and only here; the store only records it. The chair's
release and withdrawal of a held copy (spec §4 rule 7) and the chair's decision on an amendment
(002 §22.7, R61) share one chair check, by the chair's person id. A hand-over and a task done
are refused when their date cannot be true (spec §5: the receipt date starts the amendment
window, so a wrong one moves it).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date

from pipeline.contract.export import Export
from pipeline.errors import CpcError, StoreError
from pipeline.planning.copy_state import RELEASABLE
from pipeline.store.db import Store, StoredDelivery
from pipeline.store.rows import CopyRow

# The tasks about one report (planning.report_work), each named by its report's id.
REPORT_TASKS = ("submit_report", "countersign_report")


def person_id_for(export: Export, by: str) -> str:
    """The person id `by` names: an id of the conference's people, else the one person of that
    name; as given if it names nobody (or two people), so no check can match it."""
    if any(p.id == by for p in export.people):
        return by
    named = [p.id for p in export.people if p.name == by]
    return named[0] if len(named) == 1 else by


def require_chair(
    export: Export, person_id: str | None, *, refused: Callable[[str], CpcError]
) -> None:
    """Only the conference's chair decides (spec §4 rule 7; 002 §22.7, R61): `refused(chair_id)`
    is raised for anyone else, in the words of what they tried to decide."""
    chair = export.conference.chair
    if person_id != chair:
        raise refused(chair)


def release(store: Store, row: CopyRow, *, by: str, why: str, user: str | None = None) -> None:
    """The chair's release of a held copy: the next run sends it. Only a hold a person can
    judge is released (RELEASABLE); the others need a corrected export or a withdrawal.
    `user`, here and below: who was signed in to decide ("web:<email>", "os:<login>"), for the
    audit line beside `by`."""
    check_release(row)
    store.record_decision(
        row.conference_id,
        row.copy_key,
        "released",
        by=by,
        why=why,
        fingerprint=row.fingerprint,
        hold_kind=row.hold_kind,
        revision=row.revision,
        user=user,
    )


def check_release(row: CopyRow) -> None:
    """Raises StoreError, with the reason, if the copy cannot be released (as `release` would):
    so several can be checked before any is recorded."""
    conference, copy = row.conference_id, row.copy_key
    if row.status != "held":
        raise StoreError(
            f"{conference} {copy} is {row.status}, not held: there is nothing to release"
        )
    if row.hold_kind not in RELEASABLE:
        raise StoreError(
            f"{conference} {copy} cannot be released: {row.reason}. A copy that would "
            "show the reader something withheld from them never goes (spec §4 rule 4); a "
            "changed record needs an agreed amendment (spec §5). Correct the export (a new "
            "revision) or withdraw the copy."
        )


def withdraw(
    store: Store,
    row: CopyRow,
    *,
    by: str,
    why: str,
    pending: Collection[str],
    user: str | None = None,
) -> None:
    """The chair's decision that a copy is never sent. `pending`: the conference's copies with
    a delivery begun and not finished."""
    check_withdraw(row, pending)
    store.record_decision(
        row.conference_id,
        row.copy_key,
        "withdrawn",
        by=by,
        why=why,
        fingerprint=row.fingerprint,
        user=user,
    )


def check_withdraw(row: CopyRow, pending: Collection[str]) -> None:
    """Raises StoreError, with the reason, if the copy cannot be withdrawn (as `withdraw` would)."""
    conference, copy = row.conference_id, row.copy_key
    if row.status in ("delivered", "sending", "withdrawn") or copy in pending:
        # A copy being sent may already have left (a file written, an e-mail accepted): it
        # is not for the chair to unsend. One refused for good (`failed`) may be withdrawn.
        status = "being sent" if copy in pending else row.status
        raise StoreError(f"{conference} {copy} is already {status}: it cannot be withdrawn")


def record_handover(
    store: Store,
    conference_id: str,
    copy_key: str,
    *,
    on: date,
    by: str,
    note: str,
    today: date,
    correction: bool = False,
    user: str | None = None,
) -> StoredDelivery:
    """The lead social worker handed the copy over on `on`: the recipient's receipt date.

    `correction`: a date recorded by mistake is corrected (each date stays on record). A date
    after `today`, or before the copy reached the social worker, cannot be true and is refused."""
    delivery = store.handover_delivery(conference_id, copy_key)
    where = f"{conference_id} {copy_key}"
    if delivery is None:
        raise StoreError(
            f"{where}: no copy has been sent to a social worker to hand "
            "over, so there is nothing to record as handed over"
        )
    if correction and delivery.handed_over_on is None:
        raise StoreError(
            f"{where}: no hand-over is recorded, so there is nothing to "
            "correct; record it with `cpc handed-over` without --correct"
        )
    if not correction and delivery.handed_over_on is not None:
        raise StoreError(
            f"{where}: already recorded as handed over on "
            f"{delivery.handed_over_on}; if that date is wrong, correct it with "
            "`cpc handed-over ... --correct --on DATE --note WHY`"
        )
    if on > today:
        raise StoreError(
            f"{where}: --on {on} is after today ({today}); a hand-over "
            "is recorded once it has happened"
        )
    assert delivery.sent_on is not None  # a sent delivery has its date
    if on < delivery.sent_on:
        raise StoreError(
            f"{where}: handed over on {on}, before it reached the "
            f"social worker on {delivery.sent_on}"
        )
    if correction and on == delivery.handed_over_on:
        raise StoreError(f"{where}: the hand-over is already recorded on {on}; nothing to correct")
    return store.record_handover(
        delivery, on=on, by=by, note=note, correction=correction, user=user
    )


def record_task_done(
    store: Store,
    conference_id: str,
    kind: str,
    recipient: str,
    document: str,
    *,
    on: date,
    by: str,
    today: date,
    report: str | None = None,
    user: str | None = None,
) -> None:
    """A person did a task the plan set (a translation, say); re-planning keeps it done.
    A date after `today`, or a hand-over before the copy reached the social worker, cannot
    be true and is refused. A task about a report (`REPORT_TASKS`) names its report, and
    no other task does: each report's submit_report is its own task."""
    if kind in REPORT_TASKS and not report:
        raise StoreError(
            f"{conference_id}: a {kind} task is about one report; name it with --report ID"
        )
    if kind not in REPORT_TASKS and report:
        raise StoreError(
            f"{conference_id}: a {kind} task is about no report; --report is only for "
            f"{' and '.join(REPORT_TASKS)}"
        )
    if on > today:
        raise StoreError(
            f"{conference_id}: --on {on} is after today ({today}); a task is recorded as done "
            "once it has been done"
        )
    if kind == "hand_over":
        reached = store.first_reached_social_worker(conference_id, recipient, document)
        if reached is None or on < reached:
            when = f"on {reached}" if reached else "yet"
            raise StoreError(
                f"{conference_id}: --on {on}: {recipient}'s {document} had not reached "
                f"the social worker {when}, so it cannot have been handed over then"
            )
    if not store.record_task_done(
        conference_id, kind, recipient, document, on=on, by=by, report=report, user=user
    ):
        about = f" about report {report}" if report else ""
        raise StoreError(
            f"{conference_id}: no open {kind} task{about} for {recipient}'s {document}"
        )

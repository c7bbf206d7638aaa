"""The store's deliveries and decisions about one conference → what the run will do with each copy.

Shared by re-planning, choosing what to render and the dry run, so the three never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.planning.copy_state import (
    CopyState,
    Decision,
    LastDelivery,
    RefusedDelivery,
    copy_state,
)
from pipeline.planning.plan import PlannedCopy
from pipeline.store.db import Store, StoredDelivery
from pipeline.store.rows import CopyRow


def last_deliveries(store: Store, conference_id: str) -> dict[str, StoredDelivery]:
    """Each copy's latest delivery sent or under way; one refused for good is not among them
    (nothing of it reached anyone), see `refusals`."""
    last: dict[str, StoredDelivery] = {}
    for delivery in store.deliveries(conference_id):
        if delivery.state != "failed":
            last[delivery.copy_key] = delivery  # ordered by id: the latest wins
    return last


def refusals(store: Store, conference_id: str) -> dict[str, RefusedDelivery]:
    """Copies whose latest delivery was refused for good."""
    latest: dict[str, StoredDelivery] = {}
    for delivery in store.deliveries(conference_id):
        latest[delivery.copy_key] = delivery
    return {
        key: RefusedDelivery(d.revision, d.channel, d.error or "refused")
        for key, d in latest.items()
        if d.state == "failed"
    }


def decisions_for(
    store: Store, conference_id: str, revision: int
) -> dict[str, tuple[Decision, ...]]:
    found: dict[str, list[Decision]] = {}
    for row in store.decisions_for(conference_id):
        if row.hold_kind == "short_items" and row.revision != revision:
            continue  # a person checked that revision's short items; a new one may add more
        found.setdefault(row.copy_key, []).append(
            Decision(row.decision, row.fingerprint, row.hold_kind)
        )
    return {key: tuple(value) for key, value in found.items()}


def has_content(copy: PlannedCopy) -> bool:
    """Whether the copy's content is worked out now (its fingerprint): a ready copy, and one
    waiting only for a task, which goes as it is once the task is done."""
    return copy.status == "ready" or copy.awaits is not None


def tasks_done(store: Store, conference_id: str) -> frozenset[tuple[str, str, str]]:
    """(kind, recipient, document) of each task of the plan marked done: a copy waiting for
    its translation (`PlannedCopy.awaits`) goes once it is."""
    return frozenset(
        (t.kind, t.recipient, t.document)
        for t in store.task_rows(conference_id)
        if t.done_on is not None and t.in_plan
    )


def state_of(
    copy: PlannedCopy,
    fingerprint: str | None,
    row: CopyRow | None,
    last: StoredDelivery | None,
    decisions: tuple[Decision, ...],
    refused: RefusedDelivery | None = None,
    revision: int | None = None,
    done: frozenset[tuple[str, str, str]] = frozenset(),
) -> CopyState:
    render_hold = None
    if (
        row is not None
        and row.status in ("held", "ready")
        and row.hold_kind not in (None, "changed_after_sent", "changed_record")
        and row.plan_status == "ready"
    ):
        render_hold = (row.hold_kind, row.reason, row.fingerprint)
    return copy_state(
        document=copy.document,
        plan_status=copy.status,
        plan_reason=copy.reason,
        fingerprint=fingerprint,
        last=LastDelivery(last.fingerprint, last.sent_on, last.state) if last else None,
        decisions=decisions,
        render_hold=render_hold,
        refused=refused,
        revision=revision,
        plan_hold=copy.hold or "address",
        awaited_done=copy.awaits is not None
        and (copy.awaits, copy.recipient, copy.document) in done,
    )


@dataclass(frozen=True, slots=True)
class CopyHistory:
    """What the store records of one conference's copies (deliveries, refusals, the chair's
    decisions, tasks done), read once, from which each copy's state is worked out with the
    plan: the one reading `choosing`, `replan` and the dry run share."""

    revision: int
    last: dict[str, StoredDelivery]
    refused: dict[str, RefusedDelivery]
    decisions: dict[str, tuple[Decision, ...]]
    done: frozenset[tuple[str, str, str]]

    @classmethod
    def read(cls, store: Store, conference_id: str, revision: int) -> CopyHistory:
        return cls(
            revision,
            last_deliveries(store, conference_id),
            refusals(store, conference_id),
            decisions_for(store, conference_id, revision),
            tasks_done(store, conference_id),
        )

    def state(
        self,
        key: str,
        copy: PlannedCopy,
        fingerprint: str | None,
        row: CopyRow | None,
        last: StoredDelivery | None,
    ) -> CopyState:
        """`last`: the copy's last delivery as the caller judges it (replan compares a sent
        copy under the release that sent it)."""
        return state_of(
            copy,
            fingerprint,
            row,
            last,
            self.decisions.get(key, ()),
            self.refused.get(key),
            self.revision,
            self.done,
        )

"""Decisions people made → on record: the chair's release or withdrawal, a hand-over, a task done.

The store only records, each with its audit line in one transaction: whether a decision applies
(the copy is held, the date can be true) is for `pipeline.service.decisions`, which reads first.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from pipeline.errors import StoreError
from pipeline.planning.copy_state import DecisionKind, HoldKind
from pipeline.store.base import StoreBase, now
from pipeline.store.rows import DecisionRow, HandoverRow, StoredDelivery, delivery_of, row_of
from pipeline.store.schema import copies, decisions, deliveries, handovers, tasks


class DecisionsMixin(StoreBase):
    def decisions_for(self, conference_id: str) -> list[DecisionRow]:
        with self.reading() as connection:
            rows = connection.execute(
                sa.select(decisions)
                .where(decisions.c.conference_id == conference_id)
                .order_by(decisions.c.id)
            )
            return [row_of(DecisionRow, r._mapping) for r in rows]

    def record_decision(
        self,
        conference_id: str,
        copy_key: str,
        decision: DecisionKind,
        *,
        by: str,
        why: str,
        fingerprint: str | None,
        hold_kind: HoldKind | None = None,
        revision: int | None = None,
        user: str | None = None,
    ) -> None:
        """`user`: who was signed in to decide (the audit line's), beside `by` the chair named."""
        with self.transaction() as connection:
            connection.execute(
                decisions.insert().values(
                    conference_id=conference_id,
                    copy_key=copy_key,
                    decision=decision,
                    fingerprint=fingerprint,
                    by=by,
                    why=why,
                    at=now(),
                    hold_kind=hold_kind,
                    revision=revision,
                )
            )
            if decision == "withdrawn":
                connection.execute(
                    copies.update()
                    .where(copies.c.conference_id == conference_id, copies.c.copy_key == copy_key)
                    .values(status="withdrawn", reason=f"withdrawn by {by}: {why}")
                )
            else:
                connection.execute(
                    copies.update()
                    .where(copies.c.conference_id == conference_id, copies.c.copy_key == copy_key)
                    # The hold's kind stays: the run reads it with the release to know what the
                    # chair judged (a person read what the leak check could not look for).
                    .values(status="ready", reason=f"released by {by}: {why}")
                )
            self.audit(
                connection,
                decision,
                {"why": why, "fingerprint": fingerprint},
                actor=by,
                conference_id=conference_id,
                copy_key=copy_key,
                user=user,
            )

    def handover_rows(self, conference_id: str | None = None) -> list[HandoverRow]:
        query = sa.select(handovers).order_by(handovers.c.id)
        if conference_id is not None:
            query = query.where(handovers.c.conference_id == conference_id)
        with self.reading() as connection:
            return [row_of(HandoverRow, r._mapping) for r in connection.execute(query)]

    def handover_delivery(self, conference_id: str, copy_key: str) -> StoredDelivery | None:
        """The copy's latest delivery sent to a social worker to hand over, if any."""
        with self.reading() as connection:
            row = connection.execute(
                sa.select(deliveries)
                .where(
                    deliveries.c.conference_id == conference_id,
                    deliveries.c.copy_key == copy_key,
                    deliveries.c.state == "sent",
                    deliveries.c.via.is_not(None),
                )
                .order_by(deliveries.c.id.desc())
            ).first()
        return delivery_of(row._mapping) if row is not None else None

    def first_reached_social_worker(
        self, conference_id: str, recipient: str, document: str
    ) -> date | None:
        """The day a recipient's document first reached the social worker to hand over."""
        with self.reading() as connection:
            reached: date | None = connection.execute(
                sa.select(sa.func.min(deliveries.c.sent_on)).where(
                    deliveries.c.conference_id == conference_id,
                    deliveries.c.recipient == recipient,
                    deliveries.c.document == document,
                    deliveries.c.via.is_not(None),
                    deliveries.c.state == "sent",
                )
            ).scalar()
        return reached

    def record_handover(
        self,
        delivery: StoredDelivery,
        *,
        on: date,
        by: str,
        note: str,
        correction: bool = False,
        user: str | None = None,
    ) -> StoredDelivery:
        """The lead social worker handed the copy over on `on`: the recipient's receipt date.

        Nothing is rewritten: each date and each correction is a row of its own (with who
        recorded it) and a line of the audit log, and the latest is the effective receipt date.
        Compare-and-set on the hand-over date the caller checked: two people recording the same
        copy at once cannot both be taken."""
        conference_id, copy_key = delivery.conference_id, delivery.copy_key
        was = delivery.handed_over_on
        with self.transaction() as connection:
            # The delivery holds the effective date (the latest recorded), which the amendment
            # window and the status read; the rows below keep every date ever recorded.
            unchanged = (
                deliveries.c.handed_over_on.is_(None)
                if was is None
                else deliveries.c.handed_over_on == was
            )
            moved = connection.execute(
                deliveries.update()
                .where(deliveries.c.id == delivery.id, unchanged)
                .values(handed_over_on=on, received_on=on)
            ).rowcount
            if moved != 1:
                raise StoreError(
                    f"{conference_id} {copy_key}: its hand-over was recorded by someone else "
                    "meanwhile; look at `cpc history` and record it again if need be"
                )
            connection.execute(
                handovers.insert().values(
                    delivery_id=delivery.id,
                    conference_id=conference_id,
                    copy_key=copy_key,
                    on=on,
                    by=by,
                    note=note,
                    correction=correction,
                    at=now(),
                )
            )
            connection.execute(
                tasks.update()
                .where(
                    tasks.c.conference_id == conference_id,
                    tasks.c.kind == "hand_over",
                    tasks.c.recipient == delivery.recipient,
                    tasks.c.document == delivery.document,
                )
                .values(done_on=on)
            )
            self.audit(
                connection,
                "handover_corrected" if correction else "handed_over",
                {
                    "recipient": delivery.recipient,
                    "document": delivery.document,
                    "on": on.isoformat(),
                    "note": note,
                }
                | ({"was": was.isoformat()} if correction and was is not None else {}),
                actor=by,
                conference_id=conference_id,
                copy_key=copy_key,
                user=user,
            )
            updated = connection.execute(
                sa.select(deliveries).where(deliveries.c.id == delivery.id)
            ).one()
            return delivery_of(updated._mapping)

    def record_task_done(
        self,
        conference_id: str,
        kind: str,
        recipient: str,
        document: str,
        *,
        on: date,
        by: str,
        report: str | None = None,
        user: str | None = None,
    ) -> bool:
        """An open task the plan set marked done on `on` (re-planning keeps it done); False,
        recording nothing, if there is no such open task. `report`: the report a task is about
        (None for a task about none), so one report's task never closes another's."""
        with self.transaction() as connection:
            done = connection.execute(
                tasks.update()
                .where(
                    tasks.c.conference_id == conference_id,
                    tasks.c.kind == kind,
                    tasks.c.recipient == recipient,
                    tasks.c.document == document,
                    tasks.c.report.is_(None) if report is None else tasks.c.report == report,
                    tasks.c.in_plan,
                    tasks.c.done_on.is_(None),
                )
                .values(done_on=on)
            ).rowcount
            if not done:
                return False
            about = {"report": report} if report is not None else {}
            self.audit(
                connection,
                "task_done",
                {"task": kind, "recipient": recipient, "document": document, "on": on.isoformat()}
                | about,
                actor=by,
                conference_id=conference_id,
                user=user,
            )
            return True

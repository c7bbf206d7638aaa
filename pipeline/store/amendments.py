"""An amendment request, then the chair's decision → its row and bytes on record, and the conference set to be planned again."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from pipeline.intake.accept import AcceptedAmendment
from pipeline.store.base import SYSTEM_ACTOR, StoreBase, now
from pipeline.store.documents import keep
from pipeline.store.rows import AmendmentRow, row_of
from pipeline.store.schema import amendments, conferences


class AmendmentsMixin(StoreBase):
    def amendment_rows(self, conference_id: str | None = None) -> list[AmendmentRow]:
        query = sa.select(amendments).order_by(amendments.c.sequence)
        if conference_id is not None:
            query = query.where(amendments.c.conference_id == conference_id)
        with self.reading() as connection:
            return [row_of(AmendmentRow, r._mapping) for r in connection.execute(query)]

    def amendment_row(self, amendment_id: str) -> AmendmentRow | None:
        with self.reading() as connection:
            row = connection.execute(
                sa.select(amendments).where(amendments.c.amendment_id == amendment_id)
            ).first()
        return row_of(AmendmentRow, row._mapping) if row is not None else None

    def save_amendment(
        self,
        accepted: AcceptedAmendment,
        source_name: str,
        values: dict[str, Any],
        *,
        action: str,
        actor: str = SYSTEM_ACTOR,
        user: str | None = None,
    ) -> None:
        """Keep the document's bytes and the amendment's new state, with the audit line, at once.
        `user`: who was signed in when the decision was made (None: a file in the inbox)."""
        amendment = accepted.document
        amendment_id = amendment.amendment_id
        conference_id = amendment.conference_id
        with self.transaction() as connection:
            keep(connection, accepted, source_name, conference_id, amendment_id, None)
            exists = connection.execute(
                sa.select(amendments.c.amendment_id).where(
                    amendments.c.amendment_id == amendment_id
                )
            ).first()
            if exists is None:
                sequence = (
                    connection.execute(sa.select(sa.func.max(amendments.c.sequence))).scalar() or 0
                ) + 1
                connection.execute(
                    amendments.insert().values(
                        amendment_id=amendment_id,
                        conference_id=conference_id,
                        raw=accepted.raw,
                        sequence=sequence,
                        first_seen_at=now(),
                        **values,
                    )
                )
            else:
                connection.execute(
                    amendments.update()
                    .where(amendments.c.amendment_id == amendment_id)
                    .values(raw=accepted.raw, **values)
                )
            # A decision changes what the conference calls for: plan it again.
            connection.execute(
                conferences.update()
                .where(conferences.c.conference_id == conference_id)
                .values(planned_at=None)
            )
            self.audit(
                connection,
                action,
                {"amendment_id": amendment_id, "source": source_name, "sha256": accepted.sha256}
                | {
                    k: v.isoformat() if isinstance(v, date) else v
                    for k, v in values.items()
                    if k
                    in (
                        "status",
                        "late",
                        "received_on",
                        "window_ends",
                        "decided_on",
                        "note",
                        "requested_by",
                    )
                },
                actor=actor,
                conference_id=conference_id,
                user=user,
            )

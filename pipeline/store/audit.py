"""The audit log → its lines, oldest first: who received what and why, and every decision.

Written only beside the change it explains (`StoreBase.audit`, in the same transaction); the
table is append-only (SQLite triggers refuse changes).
"""

from __future__ import annotations

import sqlalchemy as sa

from pipeline.store.base import StoreBase
from pipeline.store.rows import AuditLine, row_of
from pipeline.store.schema import audit_log


class AuditReads(StoreBase):
    def audit_lines(self, conference_id: str | None = None) -> list[AuditLine]:
        query = sa.select(audit_log).order_by(audit_log.c.id)
        if conference_id is not None:
            query = query.where(audit_log.c.conference_id == conference_id)
        with self.reading() as connection:
            return [row_of(AuditLine, r._mapping) for r in connection.execute(query)]

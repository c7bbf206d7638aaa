"""Exports taken in → the conference's current revision, every revision's bytes, and why a revision cannot be planned.

The store, not the inbox, is the record of what arrived: each document's exact bytes are kept.
A stale revision or a reused export_id is refused (spec §1).
"""

from __future__ import annotations

from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pipeline.errors import StaleDocument, StoreError
from pipeline.intake.accept import Accepted, AcceptedExport
from pipeline.store.base import StoreBase, now
from pipeline.store.rows import ConferenceRow, RevisionRow, StoredExport, row_of
from pipeline.store.schema import conferences, received_documents


class DocumentsMixin(StoreBase):
    def take(self, accepted: Accepted, source_name: str) -> Literal["new", "duplicate"]:
        """Keep the document's bytes; refuse a stale revision or a reused id (spec §1)."""
        if accepted.kind != "export":
            raise StoreError(
                "amendments are taken by pipeline.service.ingest, which checks them first"
            )
        with self.transaction() as connection:
            seen = connection.execute(
                sa.select(received_documents.c.id).where(
                    received_documents.c.sha256 == accepted.sha256
                )
            ).first()
            if seen is not None:
                self.audit(
                    connection,
                    "duplicate_received",
                    {"source": source_name, "sha256": accepted.sha256},
                    conference_id=accepted.document.conference.id,
                )
                return "duplicate"
            return self._take_export(connection, accepted, source_name)

    def _take_export(
        self, connection: Connection, accepted: AcceptedExport, source_name: str
    ) -> Literal["new"]:
        export = accepted.document
        conference_id = export.conference.id
        revision = export.revision
        export_id = export.export_id
        reused = connection.execute(
            sa.select(received_documents.c.id).where(
                received_documents.c.kind == "export",
                received_documents.c.document_id == export_id,
            )
        ).first()
        if reused is not None:
            raise StaleDocument(
                f"export_id {export_id} was already taken with other content; a changed export "
                "needs a new export_id and a higher revision (spec §1)"
            )
        current = connection.execute(
            sa.select(conferences.c.revision).where(conferences.c.conference_id == conference_id)
        ).scalar()
        if current is not None and revision <= current:
            raise StaleDocument(
                f"{conference_id}: revision {revision} is not higher than revision {current} "
                "already taken; a lower or equal revision is stale and is not sent (spec §1)"
            )
        document_id = keep(connection, accepted, source_name, conference_id, export_id, revision)
        values: dict[str, Any] = {
            "revision": revision,
            "document_id": document_id,
            "stage": export.conference.stage,
            "profile": export.authority.procedure_profile or "default",
            "checks": [],
            "planned_at": None,
        }
        if current is None:
            connection.execute(conferences.insert().values(conference_id=conference_id, **values))
        else:
            connection.execute(
                conferences.update()
                .where(conferences.c.conference_id == conference_id)
                .values(**values)
            )
        self.audit(
            connection,
            "export_received",
            {
                "source": source_name,
                "revision": revision,
                "export_id": export_id,
                "sha256": accepted.sha256,
            },
            conference_id=conference_id,
        )
        return "new"

    def current_exports(self, conference_id: str | None = None) -> list[StoredExport]:
        query = current_exports_query()
        if conference_id is not None:
            query = query.where(conferences.c.conference_id == conference_id)
        with self.reading() as connection:
            return [StoredExport(*row) for row in connection.execute(query)]

    def conference_rows(self) -> list[ConferenceRow]:
        with self.reading() as connection:
            rows = connection.execute(sa.select(conferences).order_by(conferences.c.conference_id))
            return [row_of(ConferenceRow, r._mapping) for r in rows]

    def revisions(self, conference_id: str) -> list[RevisionRow]:
        query = (
            sa.select(
                received_documents.c.revision,
                received_documents.c.document_id,
                received_documents.c.sha256,
                received_documents.c.source_name,
                received_documents.c.received_at,
            )
            .where(
                received_documents.c.conference_id == conference_id,
                received_documents.c.kind == "export",
            )
            .order_by(received_documents.c.revision)
        )
        with self.reading() as connection:
            return [row_of(RevisionRow, r._mapping) for r in connection.execute(query)]

    def has_document(self, sha: str) -> bool:
        with self.reading() as connection:
            return (
                connection.execute(
                    sa.select(received_documents.c.id).where(received_documents.c.sha256 == sha)
                ).first()
                is not None
            )

    def export_raw(self, conference_id: str, revision: int) -> bytes:
        with self.reading() as connection:
            raw = connection.execute(
                sa.select(received_documents.c.raw).where(
                    received_documents.c.conference_id == conference_id,
                    received_documents.c.kind == "export",
                    received_documents.c.revision == revision,
                )
            ).scalar()
        if raw is None:
            raise StoreError(f"{conference_id} has no revision {revision}")
        return bytes(raw)

    def set_plan_error(self, conference_id: str, error: str | None) -> None:
        """Why the conference's current revision cannot be planned (None: it can again).
        Audited once for each new reason, not on every run that meets it again."""
        with self.transaction() as connection:
            before = connection.execute(
                sa.select(conferences.c.plan_error).where(
                    conferences.c.conference_id == conference_id
                )
            ).scalar()
            if before == error:
                return
            connection.execute(
                conferences.update()
                .where(conferences.c.conference_id == conference_id)
                .values(plan_error=error, plan_failed=error is not None)
            )
            if error is not None:
                self.audit(connection, "not_planned", {"error": error}, conference_id=conference_id)


def keep(
    connection: Connection,
    accepted: Accepted,
    source_name: str,
    conference_id: str,
    document_id: str,
    revision: int | None,
) -> int:
    """A document's exact bytes, as received: the store, not the inbox, is the record of it."""
    key = connection.execute(
        received_documents.insert().values(
            sha256=accepted.sha256,
            kind=accepted.kind,
            conference_id=conference_id,
            document_id=document_id,
            revision=revision,
            source_name=source_name,
            received_at=now(),
            raw=accepted.raw,
        )
    ).inserted_primary_key
    assert key is not None  # an insert of one row
    return int(key[0])


def current_exports_query() -> sa.Select[Any]:
    """Each conference's current export, as `StoredExport` fields, in conference order."""
    return (
        sa.select(
            conferences.c.conference_id,
            conferences.c.revision,
            received_documents.c.document_id,
            received_documents.c.sha256,
            received_documents.c.raw,
        )
        .join(received_documents, received_documents.c.id == conferences.c.document_id)
        .order_by(conferences.c.conference_id)
    )

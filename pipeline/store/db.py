"""The state store: documents taken in, plans, copies, decisions, deliveries and the audit log, in one database.

SQLite in WAL mode by default (one file under the state folder), any SQLAlchemy URL by
configuration; the schema is brought up to date by Alembic when the store opens. Every change and
the audit line that explains it are written in one transaction, so a crash leaves either both or
neither.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy.engine import Connection, Engine, Row

from pipeline import clock
from pipeline.errors import NoStore, StaleDocument, StoreError
from pipeline.files import (
    PRIVATE_FILE,
    PRIVATE_FOLDER,
    make_private,
    private_file,
    private_folder,
)
from pipeline.intake.accept import Accepted
from pipeline.planning.copy_state import permanent_failure_reason
from pipeline.store.schema import (
    amendments,
    audit_log,
    conferences,
    copies,
    decisions,
    deliveries,
    handovers,
    received_documents,
    tasks,
)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SYSTEM_ACTOR = "cpc-pipeline"


def _now() -> datetime:
    return clock.now()


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
    channel: str
    via: str | None
    edition: str
    state: str
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

    @property
    def failed(self) -> bool:
        """Not delivered, and the last try failed: `pending` is tried again, `failed` is not."""
        return self.state in ("pending", "failed") and self.error is not None


def _delivery(row: Row[Any]) -> StoredDelivery:
    m = row._mapping
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
        failed_at=_aware(m["failed_at"]),
        attempts=m["attempts"] or 0,
        delivered_at=_aware(m["delivered_at"]),
        due=m["due"],
        late_by=m["late_by"],
    )


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite keeps no zone: what the store writes is UTC, so read it back as UTC.
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL: readers (cpc status) never block the nightly run; FULL sync: a committed delivery
    # survives a power cut, which is what "delivered exactly once" rests on.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def store_file(url: str) -> Path | None:
    """The SQLite file a URL names, or None for an in-memory or server database."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        return Path(url.removeprefix("sqlite:///"))
    return None


def describe_url(url: str) -> str:
    """The store a URL names, as a person reads it: the file, or the URL without its password."""
    path = store_file(url)
    if path is not None:
        return str(path.absolute())
    return sa.engine.make_url(url).render_as_string(hide_password=True)


class Store:
    """One database of the service's state; every method is one transaction."""

    def __init__(self, engine: Engine, created: bool = False) -> None:
        self.engine = engine
        self.created = created  # this open made the store (a new SQLite file)

    @classmethod
    def open(cls, url: str, *, create: bool = True) -> Store:
        """The store at `url`, migrated to the current schema. `create=False`: refuse (NoStore)
        rather than make a new empty SQLite store, which would report "all clear"."""
        created = False
        path = store_file(url)
        if path is not None:
            if not path.exists() and not create:
                raise NoStore(
                    f"no state store at {path.absolute()}: nothing has been taken in there. "
                    "Run this in the service's folder or name its configuration (--config or "
                    "CPC_CONFIG); `cpc ingest` or `cpc watch` makes the store."
                )
            # The state folder and the store hold every address, the withheld ones too: made
            # private before SQLite writes anything, and kept so (SQLite gives its -wal and -shm
            # files the database file's mode).
            private_folder(path.parent)
            make_private(path.parent, PRIVATE_FOLDER)
            created = private_file(path)
            make_private(path, PRIVATE_FILE)
        engine = sa.create_engine(url)
        if engine.dialect.name == "sqlite":
            sa.event.listen(engine, "connect", _sqlite_pragmas)
        store = cls(engine, created)
        store.migrate()
        if path is not None:
            for companion in (Path(f"{path}-wal"), Path(f"{path}-shm")):
                make_private(companion, PRIVATE_FILE)
        return store

    def migrate(self) -> None:
        settings = AlembicConfig()
        settings.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as connection:
            settings.attributes["connection"] = connection
            command.upgrade(settings, "head")

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        with self.engine.begin() as connection:
            yield connection

    # ---- audit -----------------------------------------------------------------------------------

    @staticmethod
    def audit(
        connection: Connection,
        action: str,
        detail: dict[str, Any],
        *,
        actor: str = SYSTEM_ACTOR,
        conference_id: str | None = None,
        copy_key: str | None = None,
    ) -> None:
        connection.execute(
            audit_log.insert().values(
                at=_now(),
                actor=actor,
                action=action,
                conference_id=conference_id,
                copy_key=copy_key,
                detail=detail,
            )
        )

    def audit_lines(self, conference_id: str | None = None) -> list[dict[str, Any]]:
        query = sa.select(audit_log).order_by(audit_log.c.id)
        if conference_id is not None:
            query = query.where(audit_log.c.conference_id == conference_id)
        with self.engine.connect() as connection:
            return [dict(r._mapping) for r in connection.execute(query)]

    # ---- intake (the inbox's Sink) ---------------------------------------------------------------

    def take(self, accepted: Accepted, source_name: str) -> Literal["new", "duplicate"]:
        """Keep the document's bytes; refuse a stale revision or a reused id (spec §1)."""
        if accepted.kind != "export":
            raise StoreError("amendments are taken by pipeline.service.ingest, which checks them first")
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
                    conference_id=accepted.document.conference.id,  # type: ignore[union-attr]
                )
                return "duplicate"
            return self._take_export(connection, accepted, source_name)

    def _take_export(
        self, connection: Connection, accepted: Accepted, source_name: str
    ) -> Literal["new"]:
        export = accepted.document
        conference_id = export.conference.id  # type: ignore[union-attr]
        revision = export.revision  # type: ignore[union-attr]
        export_id = export.export_id  # type: ignore[union-attr]
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
        document_id = _keep(connection, accepted, source_name, conference_id, export_id, revision)
        values = {
            "revision": revision,
            "document_id": document_id,
            "stage": export.conference.stage,  # type: ignore[union-attr]
            "profile": export.authority.procedure_profile or "default",  # type: ignore[union-attr]
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

    # ---- conferences -----------------------------------------------------------------------------

    def current_exports(self, conference_id: str | None = None) -> list[StoredExport]:
        query = (
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
        if conference_id is not None:
            query = query.where(conferences.c.conference_id == conference_id)
        with self.engine.connect() as connection:
            return [StoredExport(*row) for row in connection.execute(query)]

    def conference_rows(self) -> list[dict[str, Any]]:
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(conferences).order_by(conferences.c.conference_id))
            return [dict(r._mapping) for r in rows]

    def revisions(self, conference_id: str) -> list[dict[str, Any]]:
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
        with self.engine.connect() as connection:
            return [dict(r._mapping) for r in connection.execute(query)]

    # ---- copies and tasks ------------------------------------------------------------------------

    def copy_rows(self, conference_id: str | None = None) -> list[dict[str, Any]]:
        query = sa.select(copies).order_by(copies.c.conference_id, copies.c.id)
        if conference_id is not None:
            query = query.where(copies.c.conference_id == conference_id)
        with self.engine.connect() as connection:
            return [dict(r._mapping) for r in connection.execute(query)]

    def conferences_with_work(self) -> list[str]:
        """Conferences with a copy that may be ready to send: the others need not be read."""
        query = (
            sa.select(copies.c.conference_id)
            .where(copies.c.in_plan, copies.c.status.in_(("ready", "held")))
            .distinct()
            .order_by(copies.c.conference_id)
        )
        with self.engine.connect() as connection:
            return list(connection.execute(query).scalars())

    def copy_row(self, conference_id: str, copy_key: str) -> dict[str, Any]:
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(copies).where(
                    copies.c.conference_id == conference_id, copies.c.copy_key == copy_key
                )
            ).first()
        if row is None:
            raise StoreError(f"{conference_id} has no copy {copy_key}")
        return dict(row._mapping)

    def task_rows(self, conference_id: str | None = None) -> list[dict[str, Any]]:
        query = sa.select(tasks).where(tasks.c.in_plan).order_by(tasks.c.due, tasks.c.id)
        if conference_id is not None:
            query = query.where(tasks.c.conference_id == conference_id)
        with self.engine.connect() as connection:
            return [dict(r._mapping) for r in connection.execute(query)]

    def save_plan(
        self,
        conference_id: str,
        revision: int,
        checks: list[dict[str, Any]],
        planned: Sequence[dict[str, Any]],
        planned_tasks: Sequence[dict[str, Any]],
    ) -> None:
        """The conference's copies and tasks as its current plan says; copies earlier plans named
        and this one does not stay on record, out of the plan."""
        with self.transaction() as connection:
            connection.execute(
                copies.update().where(copies.c.conference_id == conference_id).values(in_plan=False)
            )
            existing = {
                row.copy_key: row
                for row in connection.execute(
                    sa.select(copies.c.copy_key, copies.c.status).where(
                        copies.c.conference_id == conference_id
                    )
                )
            }
            for values in planned:
                key = values["copy_key"]
                row = {
                    **values,
                    "conference_id": conference_id,
                    "revision": revision,
                    "in_plan": True,
                }
                if key in existing:
                    connection.execute(
                        copies.update()
                        .where(copies.c.conference_id == conference_id, copies.c.copy_key == key)
                        .values(**row)
                    )
                else:
                    connection.execute(copies.insert().values(**row))
            done = {
                (t.kind, t.recipient, t.document): t.done_on
                for t in connection.execute(
                    sa.select(tasks).where(tasks.c.conference_id == conference_id)
                )
            }
            connection.execute(tasks.delete().where(tasks.c.conference_id == conference_id))
            for task in planned_tasks:
                connection.execute(
                    tasks.insert().values(
                        conference_id=conference_id,
                        in_plan=True,
                        done_on=done.get((task["kind"], task["recipient"], task["document"])),
                        **task,
                    )
                )
            connection.execute(
                conferences.update()
                .where(conferences.c.conference_id == conference_id)
                .values(checks=checks, planned_at=_now())
            )
            self.audit(
                connection,
                "planned",
                {"revision": revision, "copies": len(planned), "tasks": len(planned_tasks)},
                conference_id=conference_id,
            )

    def set_copy_state(
        self,
        conference_id: str,
        copy_key: str,
        *,
        status: str,
        reason: str | None,
        hold_kind: str | None = None,
        fingerprint: str | None = None,
    ) -> None:
        with self.transaction() as connection:
            before = connection.execute(
                sa.select(copies.c.status, copies.c.reason).where(
                    copies.c.conference_id == conference_id, copies.c.copy_key == copy_key
                )
            ).first()
            values: dict[str, Any] = {"status": status, "reason": reason, "hold_kind": hold_kind}
            if fingerprint is not None:
                values["fingerprint"] = fingerprint
            connection.execute(
                copies.update()
                .where(copies.c.conference_id == conference_id, copies.c.copy_key == copy_key)
                .values(**values)
            )
            if status == "held" and (
                before is None or (before.status, before.reason) != (status, reason)
            ):
                self.audit(
                    connection,
                    "held",
                    {"reason": reason, "hold_kind": hold_kind},
                    conference_id=conference_id,
                    copy_key=copy_key,
                )

    # ---- decisions -------------------------------------------------------------------------------

    def decisions_for(self, conference_id: str) -> list[dict[str, Any]]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(decisions)
                .where(decisions.c.conference_id == conference_id)
                .order_by(decisions.c.id)
            )
            return [dict(r._mapping) for r in rows]

    def record_decision(
        self,
        conference_id: str,
        copy_key: str,
        decision: Literal["released", "withdrawn"],
        *,
        by: str,
        why: str,
        fingerprint: str | None,
        hold_kind: str | None = None,
        revision: int | None = None,
    ) -> None:
        with self.transaction() as connection:
            connection.execute(
                decisions.insert().values(
                    conference_id=conference_id,
                    copy_key=copy_key,
                    decision=decision,
                    fingerprint=fingerprint,
                    by=by,
                    why=why,
                    at=_now(),
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
            )

    # ---- deliveries ------------------------------------------------------------------------------

    def deliveries(
        self, conference_id: str | None = None, state: str | None = None
    ) -> list[StoredDelivery]:
        query = sa.select(deliveries).order_by(deliveries.c.id)
        if conference_id is not None:
            query = query.where(deliveries.c.conference_id == conference_id)
        if state is not None:
            query = query.where(deliveries.c.state == state)
        with self.engine.connect() as connection:
            return [_delivery(r) for r in connection.execute(query)]

    def delivery(self, delivery_id: int) -> StoredDelivery:
        with self.engine.connect() as connection:
            return _delivery(
                connection.execute(
                    sa.select(deliveries).where(deliveries.c.id == delivery_id)
                ).one()
            )

    def begin_delivery(self, values: dict[str, Any]) -> int | None:
        """Record the intent before anything leaves: a crash after this line is finished by the
        next run from the spool, with the same bytes and the same Message-ID.

        Compare-and-set: None, recording nothing, unless the copy is still as the run found it
        (not sending, same content): a revision taken in while it rendered, or another run,
        must not be answered with these bytes."""
        with self.transaction() as connection:
            pending = connection.execute(
                sa.select(deliveries.c.id).where(
                    deliveries.c.conference_id == values["conference_id"],
                    deliveries.c.copy_key == values["copy_key"],
                    deliveries.c.state == "pending",
                )
            ).first()
            if pending is not None:
                return None  # that delivery is finished first
            claimed = connection.execute(
                copies.update()
                .where(
                    copies.c.conference_id == values["conference_id"],
                    copies.c.copy_key == values["copy_key"],
                    # "sending" with no delivery pending: a re-plan raced the finish of the last
                    # one and left the row behind.
                    copies.c.status.in_(("ready", "held", "sending")),
                    copies.c.fingerprint == values["fingerprint"],
                )
                .values(status="sending", reason=None)
            ).rowcount
            if claimed != 1:
                return None
            delivery_id = connection.execute(
                deliveries.insert().values(state="pending", started_at=_now(), **values)
            ).inserted_primary_key[0]
            return int(delivery_id)

    def assign_batch(self, delivery_ids: Sequence[int], batch_id: str) -> None:
        with self.transaction() as connection:
            connection.execute(
                deliveries.update()
                .where(deliveries.c.id.in_(delivery_ids), deliveries.c.batch_id.is_(None))
                .values(batch_id=batch_id)
            )

    def finish_delivery(
        self,
        delivery_id: int,
        *,
        sent_on: date,
        received_on: date | None,
        destination: str,
        why: str,
        late_by: int | None = None,
    ) -> None:
        with self.transaction() as connection:
            self._finish(
                connection, delivery_id, sent_on, received_on, destination, why, late_by
            )

    def finish_batch(
        self,
        received: Sequence[tuple[int, date | None, int | None]],
        *,
        sent_on: date,
        destination: str,
        why: str,
    ) -> None:
        """Every letter of a post batch recorded sent at once: a batch file is never rewritten
        with some of its letters missing (spec: each copy posted exactly once).
        `received`: (delivery, receipt date, working days late or None) for each letter."""
        with self.transaction() as connection:
            for delivery_id, received_on, late_by in received:
                self._finish(
                    connection, delivery_id, sent_on, received_on, destination, why, late_by
                )

    def _finish(
        self,
        connection: Connection,
        delivery_id: int,
        sent_on: date,
        received_on: date | None,
        destination: str,
        why: str,
        late_by: int | None,
    ) -> None:
        row = connection.execute(sa.select(deliveries).where(deliveries.c.id == delivery_id)).one()
        if row.state != "pending":
            return  # finished (or withdrawn) already: idempotent
        delivered_at = _now()
        connection.execute(
            deliveries.update()
            .where(deliveries.c.id == delivery_id)
            .values(
                state="sent",
                sent_on=sent_on,
                received_on=received_on,
                destination=destination,
                delivered_at=delivered_at,
                late_by=late_by,
                attempts=deliveries.c.attempts + 1,
            )
        )
        planned = connection.execute(
            sa.select(copies.c.fingerprint).where(
                copies.c.conference_id == row.conference_id, copies.c.copy_key == row.copy_key
            )
        ).scalar()
        connection.execute(
            copies.update()
            .where(copies.c.conference_id == row.conference_id, copies.c.copy_key == row.copy_key)
            .values(status="delivered", reason=None, hold_kind=None, failure=None)
        )
        current_revision = connection.execute(
            sa.select(conferences.c.revision).where(
                conferences.c.conference_id == row.conference_id
            )
        ).scalar()
        agreed_since = row.document == "record" and bool(
            {
                a
                for (a,) in connection.execute(
                    sa.select(amendments.c.amendment_id).where(
                        amendments.c.conference_id == row.conference_id,
                        amendments.c.status == "agreed",
                    )
                )
            }
            - set(row.amendments_included or ())
        )
        if planned != row.fingerprint or row.revision != current_revision or agreed_since:
            # The conference moved on while this was in flight (a new revision, an amendment
            # agreed): plan it again, so an updated copy or a notice is not forgotten.
            connection.execute(
                conferences.update()
                .where(conferences.c.conference_id == row.conference_id)
                .values(planned_at=None)
            )
        self.audit(
            connection,
            "delivered",
            {
                "recipient": row.recipient,
                "document": row.document,
                "edition": row.edition,
                "channel": row.channel,
                "via": row.via,
                "destination": destination,
                "files": row.files,
                "message_id": row.message_id,
                "batch_id": row.batch_id,
                "sent_on": sent_on.isoformat(),
                "delivered_at": delivered_at.isoformat(),
                "received_on": received_on.isoformat() if received_on else None,
                "due": row.due.isoformat() if row.due else None,
                "late_by_working_days": late_by,
                "why": why,
            },
            conference_id=row.conference_id,
            copy_key=row.copy_key,
        )

    def record_failure(
        self, delivery_id: int, *, error: str, permanent: bool
    ) -> StoredDelivery | None:
        """A begun delivery did not go: keep the channel's words and how it failed.

        Transient (a server down, a timeout, a full disk): it stays pending and the next run
        tries again with the same bytes and Message-ID. Permanent (the server refused it, SMTP
        5xx): nothing was sent and nothing is tried again until a person acts, by a corrected
        export (a new revision) or the chair's withdrawal. None if it was no longer pending."""
        with self.transaction() as connection:
            row = connection.execute(
                sa.select(deliveries).where(deliveries.c.id == delivery_id)
            ).one()
            if row.state != "pending":
                return None
            kind = "permanent" if permanent else "transient"
            values: dict[str, Any] = {
                "error": error,
                "error_kind": kind,
                "failed_at": _now(),
                "attempts": deliveries.c.attempts + 1,
            }
            if permanent:
                values["state"] = "failed"
            connection.execute(
                deliveries.update().where(deliveries.c.id == delivery_id).values(**values)
            )
            if permanent:
                connection.execute(
                    copies.update()
                    .where(
                        copies.c.conference_id == row.conference_id,
                        copies.c.copy_key == row.copy_key,
                    )
                    .values(
                        status="failed",
                        reason=permanent_failure_reason(row.channel, error),
                        hold_kind=None,
                    )
                )
            self.audit(
                connection,
                "delivery_failed",
                {
                    "recipient": row.recipient,
                    "document": row.document,
                    "channel": row.channel,
                    "error": error,
                    "kind": kind,
                    "attempt": (row.attempts or 0) + 1,
                },
                conference_id=row.conference_id,
                copy_key=row.copy_key,
            )
            return _delivery(
                connection.execute(sa.select(deliveries).where(deliveries.c.id == delivery_id)).one()
            )

    def set_copy_failure(self, conference_id: str, copy_key: str, failure: str | None) -> None:
        """Why the last run could not make a copy (no delivery was begun), or None once it can."""
        with self.transaction() as connection:
            connection.execute(
                copies.update()
                .where(copies.c.conference_id == conference_id, copies.c.copy_key == copy_key)
                .values(failure=failure)
            )
            if failure is not None:
                self.audit(
                    connection,
                    "copy_failed",
                    {"error": failure},
                    conference_id=conference_id,
                    copy_key=copy_key,
                )

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
                .values(plan_error=error)
            )
            if error is not None:
                self.audit(
                    connection, "not_planned", {"error": error}, conference_id=conference_id
                )

    def handover_rows(self, conference_id: str | None = None) -> list[dict[str, Any]]:
        query = sa.select(handovers).order_by(handovers.c.id)
        if conference_id is not None:
            query = query.where(handovers.c.conference_id == conference_id)
        with self.engine.connect() as connection:
            return [dict(r._mapping) for r in connection.execute(query)]

    def record_handover(
        self,
        conference_id: str,
        copy_key: str,
        *,
        on: date,
        by: str,
        note: str,
        today: date,
        correction: bool = False,
    ) -> StoredDelivery:
        """The lead social worker handed the copy over: the recipient's receipt date.

        `correction`: a hand-over date recorded by mistake is corrected. Nothing is rewritten:
        each date and each correction is a row of its own (with who recorded it) and a line of
        the audit log, and the latest is the effective receipt date. A date after
        `today`, or before the copy reached the social worker, cannot be true and is refused."""
        with self.transaction() as connection:
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
            if row is None:
                raise StoreError(
                    f"{conference_id} {copy_key}: no copy has been sent to a social worker to hand "
                    "over, so there is nothing to record as handed over"
                )
            if correction and row.handed_over_on is None:
                raise StoreError(
                    f"{conference_id} {copy_key}: no hand-over is recorded, so there is nothing to "
                    "correct; record it with `cpc handed-over` without --correct"
                )
            if not correction and row.handed_over_on is not None:
                raise StoreError(
                    f"{conference_id} {copy_key}: already recorded as handed over on "
                    f"{row.handed_over_on}; if that date is wrong, correct it with "
                    "`cpc handed-over ... --correct --on DATE --note WHY`"
                )
            if on > today:
                raise StoreError(
                    f"{conference_id} {copy_key}: --on {on} is after today ({today}); a hand-over "
                    "is recorded once it has happened"
                )
            if on < row.sent_on:
                raise StoreError(
                    f"{conference_id} {copy_key}: handed over on {on}, before it reached the "
                    f"social worker on {row.sent_on}"
                )
            if correction and on == row.handed_over_on:
                raise StoreError(
                    f"{conference_id} {copy_key}: the hand-over is already recorded on {on}; "
                    "nothing to correct"
                )
            connection.execute(
                handovers.insert().values(
                    delivery_id=row.id,
                    conference_id=conference_id,
                    copy_key=copy_key,
                    on=on,
                    by=by,
                    note=note,
                    correction=correction,
                    at=_now(),
                )
            )
            # The delivery holds the effective date (the latest recorded), which the amendment
            # window and the status read; the rows above keep every date ever recorded.
            connection.execute(
                deliveries.update()
                .where(deliveries.c.id == row.id)
                .values(handed_over_on=on, received_on=on)
            )
            connection.execute(
                tasks.update()
                .where(
                    tasks.c.conference_id == conference_id,
                    tasks.c.kind == "hand_over",
                    tasks.c.recipient == row.recipient,
                    tasks.c.document == row.document,
                )
                .values(done_on=on)
            )
            self.audit(
                connection,
                "handover_corrected" if correction else "handed_over",
                {
                    "recipient": row.recipient,
                    "document": row.document,
                    "on": on.isoformat(),
                    "note": note,
                }
                | ({"was": row.handed_over_on.isoformat()} if correction else {}),
                actor=by,
                conference_id=conference_id,
                copy_key=copy_key,
            )
            updated = connection.execute(
                sa.select(deliveries).where(deliveries.c.id == row.id)
            ).one()
            return _delivery(updated)

    def record_task_done(
        self,
        conference_id: str,
        kind: str,
        recipient: str,
        document: str,
        *,
        on: date,
        by: str,
        today: date,
    ) -> None:
        """A person did a task the plan set (a translation, say); re-planning keeps it done.
        A date after `today`, or a hand-over before the copy reached the social worker, cannot
        be true and is refused."""
        if on > today:
            raise StoreError(
                f"{conference_id}: --on {on} is after today ({today}); a task is recorded as done "
                "once it has been done"
            )
        with self.transaction() as connection:
            if kind == "hand_over":
                reached = connection.execute(
                    sa.select(sa.func.min(deliveries.c.sent_on)).where(
                        deliveries.c.conference_id == conference_id,
                        deliveries.c.recipient == recipient,
                        deliveries.c.document == document,
                        deliveries.c.via.is_not(None),
                        deliveries.c.state == "sent",
                    )
                ).scalar()
                if reached is None or on < reached:
                    when = f"on {reached}" if reached else "yet"
                    raise StoreError(
                        f"{conference_id}: --on {on}: {recipient}'s {document} had not reached "
                        f"the social worker {when}, so it cannot have been handed over then"
                    )
            done = connection.execute(
                tasks.update()
                .where(
                    tasks.c.conference_id == conference_id,
                    tasks.c.kind == kind,
                    tasks.c.recipient == recipient,
                    tasks.c.document == document,
                    tasks.c.in_plan,
                    tasks.c.done_on.is_(None),
                )
                .values(done_on=on)
            ).rowcount
            if not done:
                raise StoreError(
                    f"{conference_id}: no open {kind} task for {recipient}'s {document}"
                )
            self.audit(
                connection,
                "task_done",
                {"task": kind, "recipient": recipient, "document": document, "on": on.isoformat()},
                actor=by,
                conference_id=conference_id,
            )

    # ---- amendments --------------------------------------------------------------------

    def has_document(self, sha: str) -> bool:
        with self.engine.connect() as connection:
            return (
                connection.execute(
                    sa.select(received_documents.c.id).where(received_documents.c.sha256 == sha)
                ).first()
                is not None
            )

    def export_raw(self, conference_id: str, revision: int) -> bytes:
        with self.engine.connect() as connection:
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

    def amendment_rows(self, conference_id: str | None = None) -> list[dict[str, Any]]:
        query = sa.select(amendments).order_by(amendments.c.sequence)
        if conference_id is not None:
            query = query.where(amendments.c.conference_id == conference_id)
        with self.engine.connect() as connection:
            return [dict(r._mapping) for r in connection.execute(query)]

    def amendment_row(self, amendment_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(amendments).where(amendments.c.amendment_id == amendment_id)
            ).first()
        return dict(row._mapping) if row is not None else None

    def save_amendment(
        self,
        accepted: Accepted,
        source_name: str,
        values: dict[str, Any],
        *,
        action: str,
        actor: str = SYSTEM_ACTOR,
    ) -> None:
        """Keep the document's bytes and the amendment's new state, with the audit line, at once."""
        amendment = accepted.document
        amendment_id = amendment.amendment_id  # type: ignore[union-attr]
        conference_id = amendment.conference_id  # type: ignore[union-attr]
        with self.transaction() as connection:
            _keep(connection, accepted, source_name, conference_id, amendment_id, None)
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
                        first_seen_at=_now(),
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
            )


def _keep(
    connection: Connection,
    accepted: Accepted,
    source_name: str,
    conference_id: str,
    document_id: str,
    revision: int | None,
) -> int:
    """A document's exact bytes, as received: the store, not the inbox, is the record of it."""
    return int(
        connection.execute(
            received_documents.insert().values(
                sha256=accepted.sha256,
                kind=accepted.kind,
                conference_id=conference_id,
                document_id=document_id,
                revision=revision,
                source_name=source_name,
                received_at=_now(),
                raw=accepted.raw,
            )
        ).inserted_primary_key[0]
    )


def content_key(*parts: str) -> str:
    """A short stable hash of some strings, for names that must say nothing personal."""
    return hashlib.sha256(json.dumps(parts).encode("utf-8")).hexdigest()[:20]

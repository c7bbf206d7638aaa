"""The state store's tables (SQLAlchemy Core): what was taken in, planned, decided, delivered and audited.

The migrations in `pipeline/migrations/` create exactly these tables; a test compares the two, so
the code and the database cannot drift apart.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

metadata = sa.MetaData()


class UtcDateTime(sa.TypeDecorator[datetime]):
    """A moment, written and read back as aware UTC on every backend.

    PostgreSQL keeps the instant (`timestamptz`) and gives it back in the session's zone; SQLite
    keeps the text of the wall-clock time and drops the zone, so a London time written as it
    was would read back an hour out in summer. Written as UTC (zone dropped on SQLite, whose text
    form has none), read back as UTC on both. A moment without a zone is refused: which instant
    it names is a guess. The SQL type is `DateTime(timezone=True)`'s, so the migrations are the same.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"a moment without a time zone cannot be stored: {value.isoformat()}")
        moment = value.astimezone(UTC)
        return moment.replace(tzinfo=None) if dialect.name == "sqlite" else moment

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Every file taken in, byte for byte: the store, not the inbox, is the record of what arrived.
received_documents = sa.Table(
    "received_documents",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("kind", sa.String(16), nullable=False),  # export | amendment
    sa.Column("conference_id", sa.String(64), nullable=False, index=True),
    sa.Column("document_id", sa.String(64), nullable=False),  # export_id or amendment_id
    sa.Column("revision", sa.Integer, nullable=True),
    sa.Column("source_name", sa.Text, nullable=False),
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.Column("raw", sa.LargeBinary, nullable=False),
    # The export_id reuse check (spec §1) is one lookup, not a read of every export (0006).
    sa.Index("ix_received_documents_kind_document_id", "kind", "document_id"),
)

conferences = sa.Table(
    "conferences",
    metadata,
    sa.Column("conference_id", sa.String(64), primary_key=True),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("document_id", sa.Integer, sa.ForeignKey("received_documents.id"), nullable=False),
    sa.Column("stage", sa.String(16), nullable=False),
    sa.Column("profile", sa.String(64), nullable=False),
    sa.Column("checks", sa.JSON, nullable=False, default=list),
    sa.Column("planned_at", UtcDateTime, nullable=True),
    # Why the current revision cannot be planned: reported, and the run goes on.
    sa.Column("plan_error", sa.Text, nullable=True),
    # Kept with `plan_error` and the plan (0006), so that which conferences have open work is
    # an indexed lookup (`pipeline.store.open_work`): the reason's text is not indexed (its
    # length is not bounded), and an agreed amendment the record no longer has the text for
    # leaves the chair something to do however finished the copies are.
    sa.Column("plan_failed", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("amendments_not_made", sa.Integer, nullable=False, server_default="0"),
    sa.Index("ix_conferences_planned_at", "planned_at"),
    sa.Index("ix_conferences_plan_failed", "plan_failed"),
    sa.Index("ix_conferences_amendments_not_made", "amendments_not_made"),
)

# One row per copy the plans of a conference have ever named (copy_key: recipient/file stem).
copies = sa.Table(
    "copies",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("conference_id", sa.String(64), nullable=False),
    sa.Column("copy_key", sa.String(200), nullable=False),
    sa.Column("recipient", sa.String(64), nullable=False),
    sa.Column("document", sa.String(32), nullable=False),
    sa.Column("view", sa.String(32), nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("in_plan", sa.Boolean, nullable=False),
    sa.Column("plan_status", sa.String(16), nullable=False),  # ready | waiting | held (the plan's)
    sa.Column("status", sa.String(16), nullable=False),  # + delivered, withdrawn, sending
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("hold_kind", sa.String(32), nullable=True),
    sa.Column("due", sa.Date, nullable=False),
    sa.Column("via", sa.String(64), nullable=True),
    sa.Column("handover_by", sa.Date, nullable=True),
    sa.Column("channel_hint", sa.String(32), nullable=True),
    sa.Column("recipient_class", sa.String(40), nullable=False),
    sa.Column("on_behalf_of", sa.String(64), nullable=True),
    sa.Column("fingerprint", sa.String(64), nullable=True),
    # Why the last run could not make this copy (rendering stopped, say): no delivery was begun.
    sa.Column("failure", sa.Text, nullable=True),
    sa.UniqueConstraint("conference_id", "copy_key", name="uq_copies_conference_key"),
    # Copies not yet with their reader, by status (open work), without reading delivered ones.
    sa.Index("ix_copies_status_in_plan", "status", "in_plan", "conference_id"),
)

deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("conference_id", sa.String(64), nullable=False, index=True),
    sa.Column("copy_key", sa.String(200), nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("recipient", sa.String(64), nullable=False),
    sa.Column("document", sa.String(32), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),  # folder | email | post | notify
    sa.Column("via", sa.String(64), nullable=True),  # the social worker it went to, to hand over
    sa.Column("edition", sa.String(32), nullable=False),  # original | updated | amended-N ...
    sa.Column("state", sa.String(16), nullable=False),  # pending | sent | failed (permanently)
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("files", sa.JSON, nullable=False),  # [{name, sha256, bytes}]
    sa.Column("message_id", sa.String(200), nullable=True),
    sa.Column("batch_id", sa.String(64), nullable=True),
    sa.Column("destination", sa.Text, nullable=True),
    sa.Column("started_at", UtcDateTime, nullable=False),
    sa.Column("sent_on", sa.Date, nullable=True),
    sa.Column("received_on", sa.Date, nullable=True),
    sa.Column("handed_over_on", sa.Date, nullable=True),
    # For a record: the agreed amendments the copy sent already carried.
    sa.Column("amendments_included", sa.JSON, nullable=True),
    # The last failure (the channel's or server's words; transient: a later run tries
    # again; permanent: it waits for a person), the real time it left beside the run's date, and
    # how many working days after its due date it left (None: on time).
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("error_kind", sa.String(16), nullable=True),  # transient | permanent
    sa.Column("failed_at", UtcDateTime, nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("delivered_at", UtcDateTime, nullable=True),
    sa.Column("due", sa.Date, nullable=True),
    sa.Column("late_by", sa.Integer, nullable=True),
    # GOV.UK Notify (migration 0005): its notification id, its last status and when it was read,
    # and the day a letter went into Notify's print run.
    sa.Column("notify_id", sa.String(64), nullable=True),
    sa.Column("notify_status", sa.String(32), nullable=True),
    sa.Column("notify_status_at", UtcDateTime, nullable=True),
    sa.Column("notify_print_day", sa.Date, nullable=True),
    # Open work (0006): deliveries begun and not finished, copies with a social worker not yet
    # handed over, and what was sent in the last days (late deliveries), each an index range.
    # State first in both: else SQLite reads every sent delivery by an index of the state alone.
    sa.Index("ix_deliveries_handover", "state", "handed_over_on", "via"),
    sa.Index("ix_deliveries_sent_on", "state", "sent_on", "late_by"),
)

decisions = sa.Table(
    "decisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("conference_id", sa.String(64), nullable=False),
    sa.Column("copy_key", sa.String(200), nullable=False),
    sa.Column("decision", sa.String(16), nullable=False),  # released | withdrawn
    sa.Column("fingerprint", sa.String(64), nullable=True),
    # What a release answers, and on which revision: a person's check of short withheld items
    # holds for that revision only, since a new one may withhold more.
    sa.Column("by", sa.Text, nullable=False),
    sa.Column("why", sa.Text, nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("hold_kind", sa.String(32), nullable=True),
    sa.Column("revision", sa.Integer, nullable=True),
    sa.Index("ix_decisions_conference_id", "conference_id"),
)

tasks = sa.Table(
    "tasks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("conference_id", sa.String(64), nullable=False, index=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("owner", sa.String(64), nullable=True),
    sa.Column("recipient", sa.String(64), nullable=False),
    sa.Column("document", sa.String(32), nullable=False),
    sa.Column("due", sa.Date, nullable=False),
    sa.Column("in_plan", sa.Boolean, nullable=False),
    sa.Column("done_on", sa.Date, nullable=True),
    # The report a task is about (submit_report, countersign_report), else None (0010).
    sa.Column("report", sa.String(64), nullable=True),
    sa.Index("ix_tasks_done_on", "done_on", "in_plan"),
)

# Every hand-over recorded and every correction of one, never rewritten; the latest
# row of a delivery is its effective hand-over (and receipt) date.
handovers = sa.Table(
    "handovers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("delivery_id", sa.Integer, sa.ForeignKey("deliveries.id"), nullable=False),
    sa.Column("conference_id", sa.String(64), nullable=False, index=True),
    sa.Column("copy_key", sa.String(200), nullable=False),
    sa.Column("on", sa.Date, nullable=False),
    sa.Column("by", sa.Text, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("correction", sa.Boolean, nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
)

# Append-only: who received what and why, and every decision. SQLite triggers refuse changes.
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("conference_id", sa.String(64), nullable=True, index=True),
    sa.Column("copy_key", sa.String(200), nullable=True),
    sa.Column("detail", sa.JSON, nullable=False),
    # Who was signed in when it was done (0007): "web:<email>" for a web account, "os:<login>"
    # for the CLI's operating-system user; None for the pipeline's own work and older lines.
    sa.Column("user", sa.Text, nullable=True),
)

# The accounts that may sign in to the web front desk (0007). The email is kept lower-cased,
# so one address is one account however it is typed; never a password, only its Argon2 hash.
users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(320), nullable=False, unique=True),
    sa.Column("role", sa.String(32), nullable=False),  # administrator | chair | social_worker | …
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("disabled_at", UtcDateTime, nullable=True),
)

# Every sign-in attempt, by the email typed (lower-cased, whether or not it is an account's)
# and the address it came from: the lock after repeated failures counts these (0007).
sign_in_attempts = sa.Table(
    "sign_in_attempts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", UtcDateTime, nullable=False),  # UTC
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("address", sa.String(64), nullable=False),
    sa.Column("succeeded", sa.Boolean, nullable=False),
    # Refused unchecked because a lock was on: no password was tried, so it is not a failure
    # that could lengthen the lock.
    sa.Column("locked", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index("ix_sign_in_attempts_email_at", "email", "at"),
    sa.Index("ix_sign_in_attempts_address_at", "address", "at"),
)

# The front desk's sessions, on the server (0008): the cookie holds only a random token, kept
# here as its SHA-256, so signing out (or disabling the account) ends the session for good,
# even for a copy of the cookie, and idle time is measured here, not by the cookie.
web_sessions = sa.Table(
    "web_sessions",
    metadata,
    sa.Column("token_sha256", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("started_at", UtcDateTime, nullable=False),  # UTC
    sa.Column("seen_at", UtcDateTime, nullable=False),  # UTC
    sa.Column("ended_at", UtcDateTime, nullable=True),  # UTC
)

# Each amendment's request and the chair's decision, and what each record copy included.
amendments = sa.Table(
    "amendments",
    metadata,
    sa.Column("amendment_id", sa.String(64), primary_key=True),
    sa.Column("conference_id", sa.String(64), nullable=False, index=True),
    sa.Column("requested_by", sa.String(64), nullable=False),
    sa.Column("requester_copy_key", sa.String(200), nullable=False),
    sa.Column("received_on", sa.Date, nullable=False),
    sa.Column("window_ends", sa.Date, nullable=False),
    sa.Column("late", sa.Boolean, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # pending | agreed | rejected
    sa.Column("decided_by", sa.String(64), nullable=True),
    sa.Column("decided_on", sa.Date, nullable=True),
    sa.Column("note", sa.Text, nullable=True),
    sa.Column("sequence", sa.Integer, nullable=False),
    sa.Column("raw", sa.LargeBinary, nullable=False),  # the latest document: request, then decision
    sa.Column("first_seen_at", UtcDateTime, nullable=False),
    sa.Column("decided_at", UtcDateTime, nullable=True),
    sa.Index("ix_amendments_status", "status"),
)

"""The first store: documents taken in, conferences, copies, deliveries, decisions, tasks, audit log.

Revision ID: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "received_documents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("conference_id", sa.String(64), nullable=False, index=True),
        sa.Column("document_id", sa.String(64), nullable=False),
        sa.Column("revision", sa.Integer, nullable=True),
        sa.Column("source_name", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("raw", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "conferences",
        sa.Column("conference_id", sa.String(64), primary_key=True),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column(
            "document_id", sa.Integer, sa.ForeignKey("received_documents.id"), nullable=False
        ),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("profile", sa.String(64), nullable=False),
        sa.Column("checks", sa.JSON, nullable=False),
        sa.Column("planned_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "copies",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conference_id", sa.String(64), nullable=False),
        sa.Column("copy_key", sa.String(200), nullable=False),
        sa.Column("recipient", sa.String(64), nullable=False),
        sa.Column("document", sa.String(32), nullable=False),
        sa.Column("view", sa.String(32), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("in_plan", sa.Boolean, nullable=False),
        sa.Column("plan_status", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("hold_kind", sa.String(32), nullable=True),
        sa.Column("due", sa.Date, nullable=False),
        sa.Column("via", sa.String(64), nullable=True),
        sa.Column("handover_by", sa.Date, nullable=True),
        sa.Column("channel_hint", sa.String(32), nullable=True),
        sa.Column("recipient_class", sa.String(40), nullable=False),
        sa.Column("on_behalf_of", sa.String(64), nullable=True),
        sa.Column("fingerprint", sa.String(64), nullable=True),
        sa.UniqueConstraint("conference_id", "copy_key", name="uq_copies_conference_key"),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conference_id", sa.String(64), nullable=False, index=True),
        sa.Column("copy_key", sa.String(200), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("recipient", sa.String(64), nullable=False),
        sa.Column("document", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("via", sa.String(64), nullable=True),
        sa.Column("edition", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("files", sa.JSON, nullable=False),
        sa.Column("message_id", sa.String(200), nullable=True),
        sa.Column("batch_id", sa.String(64), nullable=True),
        sa.Column("destination", sa.Text, nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_on", sa.Date, nullable=True),
        sa.Column("received_on", sa.Date, nullable=True),
        sa.Column("handed_over_on", sa.Date, nullable=True),
    )
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conference_id", sa.String(64), nullable=False),
        sa.Column("copy_key", sa.String(200), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=True),
        sa.Column("by", sa.Text, nullable=False),
        sa.Column("why", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conference_id", sa.String(64), nullable=False, index=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("owner", sa.String(64), nullable=True),
        sa.Column("recipient", sa.String(64), nullable=False),
        sa.Column("document", sa.String(32), nullable=False),
        sa.Column("due", sa.Date, nullable=False),
        sa.Column("in_plan", sa.Boolean, nullable=False),
        sa.Column("done_on", sa.Date, nullable=True),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("conference_id", sa.String(64), nullable=True, index=True),
        sa.Column("copy_key", sa.String(200), nullable=True),
        sa.Column("detail", sa.JSON, nullable=False),
    )
    if op.get_bind().dialect.name == "sqlite":
        # The audit log is append-only: the database itself refuses to change or remove a line.
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
            )


def downgrade() -> None:
    for table in (
        "audit_log",
        "tasks",
        "decisions",
        "deliveries",
        "copies",
        "conferences",
        "received_documents",
    ):
        op.drop_table(table)

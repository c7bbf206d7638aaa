"""Failed and late deliveries are kept, hand-overs are recorded with their corrections, and a conference that cannot be planned says why.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        # The last failure of this delivery: the channel's (or server's) words, and whether a
        # later run tries again (transient) or it waits for a person (permanent).
        batch.add_column(sa.Column("error", sa.Text, nullable=True))
        batch.add_column(sa.Column("error_kind", sa.String(16), nullable=True))
        batch.add_column(sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer, nullable=False, server_default="0"))
        # The real time it left, beside the run's date (`sent_on`), and how late it was.
        batch.add_column(sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("due", sa.Date, nullable=True))
        batch.add_column(sa.Column("late_by", sa.Integer, nullable=True))
    with op.batch_alter_table("conferences") as batch:
        batch.add_column(sa.Column("plan_error", sa.Text, nullable=True))
    with op.batch_alter_table("copies") as batch:
        batch.add_column(sa.Column("failure", sa.Text, nullable=True))
    op.create_table(
        "handovers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("delivery_id", sa.Integer, sa.ForeignKey("deliveries.id"), nullable=False),
        sa.Column("conference_id", sa.String(64), nullable=False, index=True),
        sa.Column("copy_key", sa.String(200), nullable=False),
        sa.Column("on", sa.Date, nullable=False),
        sa.Column("by", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("correction", sa.Boolean, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("handovers")
    with op.batch_alter_table("copies") as batch:
        batch.drop_column("failure")
    with op.batch_alter_table("conferences") as batch:
        batch.drop_column("plan_error")
    with op.batch_alter_table("deliveries") as batch:
        for column in (
            "late_by",
            "due",
            "delivered_at",
            "attempts",
            "failed_at",
            "error_kind",
            "error",
        ):
            batch.drop_column(column)

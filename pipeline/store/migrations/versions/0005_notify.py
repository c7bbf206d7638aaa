"""A delivery through GOV.UK Notify keeps Notify's notification id, its last status and when it was read, and the day a letter went into Notify's print run.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_COLUMNS = ("notify_id", "notify_status", "notify_status_at", "notify_print_day")


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("notify_id", sa.String(64), nullable=True))
        # Notify's own word (accepted, received, delivered, permanent-failure, ...): a failure
        # turns the delivery failed, so it is never shown as sent.
        batch.add_column(sa.Column("notify_status", sa.String(32), nullable=True))
        batch.add_column(sa.Column("notify_status_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("notify_print_day", sa.Date, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        for column in reversed(_COLUMNS):
            batch.drop_column(column)

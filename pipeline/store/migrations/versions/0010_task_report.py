"""A task may be about one report: the report's id beside the task, so each report's tasks are told apart.

The plan sets a `submit_report` and a `countersign_report` task for each report that has not
reached the chair or not been countersigned (000 §4.7.8-4.7.9; 002 §15.1, §15.7): every one
is for the chair and about the document "report", so without the report's id two reports'
tasks would be one row to mark done, and one report marked done would close the other's.
A task about no report (a translation, a hand-over) has none. The same on SQLite and
PostgreSQL.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("report", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("report")

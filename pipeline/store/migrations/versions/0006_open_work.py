"""The export_id reuse check is one indexed lookup, and which conferences have open work is a handful of indexed lookups, so a command costs what the open work costs, not what the history does.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# (index, table, columns): what `pipeline.store.open_work` and the reuse check look up by.
_INDEXES = (
    ("ix_received_documents_kind_document_id", "received_documents", ("kind", "document_id")),
    ("ix_conferences_planned_at", "conferences", ("planned_at",)),
    ("ix_conferences_plan_failed", "conferences", ("plan_failed",)),
    ("ix_conferences_amendments_not_made", "conferences", ("amendments_not_made",)),
    ("ix_copies_status_in_plan", "copies", ("status", "in_plan", "conference_id")),
    # State first: a query of one state and a range reads that range, not every sent delivery.
    ("ix_deliveries_handover", "deliveries", ("state", "handed_over_on", "via")),
    ("ix_deliveries_sent_on", "deliveries", ("state", "sent_on", "late_by")),
    ("ix_decisions_conference_id", "decisions", ("conference_id",)),
    ("ix_tasks_done_on", "tasks", ("done_on", "in_plan")),
    ("ix_amendments_status", "amendments", ("status",)),
)


def upgrade() -> None:
    with op.batch_alter_table("conferences") as batch:
        # Whether the current revision cannot be planned (its reason is `plan_error`, whose
        # text is too long to index), and how many agreed amendments the record no longer has
        # the text for (the chair must look again): kept with the plan by the store.
        batch.add_column(
            sa.Column("plan_failed", sa.Boolean, nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("amendments_not_made", sa.Integer, nullable=False, server_default="0")
        )
    conferences = sa.table(
        "conferences",
        sa.column("conference_id", sa.String),
        sa.column("plan_error", sa.Text),
        sa.column("plan_failed", sa.Boolean),
        sa.column("planned_at", sa.DateTime),
    )
    amendments = sa.table(
        "amendments", sa.column("conference_id", sa.String), sa.column("status", sa.String)
    )
    op.execute(
        conferences.update()
        .where(conferences.c.plan_error.is_not(None))
        .values(plan_failed=sa.true())
    )
    # Whether an agreed amendment of a conference planned before this could be made is known
    # only by planning it: the next run plans those conferences again (as it does when a
    # delivery finishes after the conference moved on), which counts them.
    op.execute(
        conferences.update()
        .where(
            conferences.c.conference_id.in_(
                sa.select(amendments.c.conference_id).where(amendments.c.status == "agreed")
            )
        )
        .values(planned_at=None)
    )
    for name, table, columns in _INDEXES:
        op.create_index(name, table, list(columns))


def downgrade() -> None:
    for name, table, _columns in reversed(_INDEXES):
        op.drop_index(name, table_name=table)
    with op.batch_alter_table("conferences") as batch:
        batch.drop_column("amendments_not_made")
        batch.drop_column("plan_failed")

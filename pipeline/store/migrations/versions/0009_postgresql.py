"""On PostgreSQL: the audit log append-only there too, and the job queue's tables (Procrastinate).

SQLite refuses UPDATE and DELETE on the audit log by the triggers of 0001; PostgreSQL gets the
same refusal from a trigger function here. The distributed run (`cpc distribute` enqueuing one
job per conference, `cpc worker` on any machine taking them) keeps its jobs in the same
database, so that a job and the rows it stands for are written together: Procrastinate's own
schema, of the release pinned in pyproject.toml, is applied as it ships. Nothing changes on
SQLite, where a run stays in one process.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_APPEND_ONLY = """
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
"""


def _run_script(sql: str) -> None:
    # The driver's own cursor: a script of many statements, with no parameters, so its `%`
    # signs are not taken for placeholders (SQLAlchemy's text() would read its colons).
    cursor = op.get_bind().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql)
    finally:
        cursor.close()


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    from procrastinate.schema import SchemaManager

    _run_script(_APPEND_ONLY)
    _run_script(SchemaManager.get_schema())


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _run_script(
        "DROP TRIGGER audit_log_no_truncate ON audit_log;"
        "DROP TRIGGER audit_log_no_delete ON audit_log;"
        "DROP TRIGGER audit_log_no_update ON audit_log;"
        "DROP FUNCTION audit_log_append_only();"
    )
    # Procrastinate's tables are left: they hold jobs, and its schema ships no downgrade.

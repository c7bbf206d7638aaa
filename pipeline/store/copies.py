"""A conference's plan → its copies and tasks on record, and each copy's state as the run decides it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa

from pipeline.errors import StoreError
from pipeline.store.base import StoreBase, now
from pipeline.store.rows import CopyRow, TaskRow, row_of
from pipeline.store.schema import conferences, copies, tasks

# What a planned task (`Task.to_json()`, or the service's own dict) gives its row; anything
# else it carries (its `source`, which the plan keeps) is not the store's.
TASK_FIELDS = ("kind", "owner", "recipient", "document", "due", "report")


def _task_values(task: Mapping[str, Any]) -> dict[str, Any]:
    """A planned task's row values; its due date as `Task.to_json()` writes it, too."""
    values = {name: task[name] for name in TASK_FIELDS if name in task}
    if isinstance(values.get("due"), str):
        values["due"] = date.fromisoformat(values["due"])
    return values


class CopiesMixin(StoreBase):
    def copy_rows(self, conference_id: str | None = None) -> list[CopyRow]:
        query = sa.select(copies).order_by(copies.c.conference_id, copies.c.id)
        if conference_id is not None:
            query = query.where(copies.c.conference_id == conference_id)
        with self.reading() as connection:
            return [row_of(CopyRow, r._mapping) for r in connection.execute(query)]

    def conferences_with_work(self) -> list[str]:
        """Conferences with a copy that may be ready to send: the others need not be read. A
        copy waiting for its translation (a profile's `language_copy = "wait"`) may be, once a
        task of its copy is done."""
        ready = sa.select(copies.c.conference_id).where(
            copies.c.in_plan, copies.c.status.in_(("ready", "held"))
        )
        task_done = (
            sa.select(copies.c.conference_id)
            .join(
                tasks,
                sa.and_(
                    tasks.c.conference_id == copies.c.conference_id,
                    tasks.c.recipient == copies.c.recipient,
                    tasks.c.document == copies.c.document,
                ),
            )
            .where(
                copies.c.in_plan,
                copies.c.status == "waiting",
                tasks.c.in_plan,
                tasks.c.done_on.is_not(None),
            )
        )
        query = sa.union(ready, task_done).order_by("conference_id")
        with self.reading() as connection:
            return list(connection.execute(query).scalars())

    def copy_row(self, conference_id: str, copy_key: str) -> CopyRow:
        with self.reading() as connection:
            row = connection.execute(
                sa.select(copies).where(
                    copies.c.conference_id == conference_id, copies.c.copy_key == copy_key
                )
            ).first()
        if row is None:
            raise StoreError(f"{conference_id} has no copy {copy_key}")
        return row_of(CopyRow, row._mapping)

    def task_rows(self, conference_id: str | None = None) -> list[TaskRow]:
        query = sa.select(tasks).where(tasks.c.in_plan).order_by(tasks.c.due, tasks.c.id)
        if conference_id is not None:
            query = query.where(tasks.c.conference_id == conference_id)
        with self.reading() as connection:
            return [row_of(TaskRow, r._mapping) for r in connection.execute(query)]

    def save_plan(
        self,
        conference_id: str,
        revision: int,
        checks: list[dict[str, Any]],
        planned: Sequence[dict[str, Any]],
        planned_tasks: Sequence[dict[str, Any]],
        amendments_not_made: int = 0,
    ) -> None:
        """The conference's copies and tasks as its current plan says; copies earlier plans named
        and this one does not stay on record, out of the plan. `amendments_not_made`: how many
        agreed amendments the record no longer has the text for (open work for the chair)."""
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
            # A task done stays done however often the conference is planned again; each
            # report's tasks are their own (two reports' submit_report are two tasks).
            done = {
                (t.kind, t.recipient, t.document, t.report): t.done_on
                for t in connection.execute(
                    sa.select(tasks).where(tasks.c.conference_id == conference_id)
                )
            }
            connection.execute(tasks.delete().where(tasks.c.conference_id == conference_id))
            for task in planned_tasks:
                key = (task["kind"], task["recipient"], task["document"], task.get("report"))
                connection.execute(
                    tasks.insert().values(
                        conference_id=conference_id,
                        in_plan=True,
                        done_on=done.get(key),
                        **_task_values(task),
                    )
                )
            connection.execute(
                conferences.update()
                .where(conferences.c.conference_id == conference_id)
                .values(checks=checks, planned_at=now(), amendments_not_made=amendments_not_made)
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

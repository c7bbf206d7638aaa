"""Web accounts and sign-in attempts → on record: who may sign in, with what role, and every attempt to.

The store only records: whether an email is an address, a password long enough, a sign-in
allowed or locked, is for `pipeline.service.accounts`. A password never reaches here, only its
Argon2 hash. Times are kept in UTC (SQLite keeps no zone, so one given in another zone would
be compared as if it were UTC).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from pipeline.errors import StoreError
from pipeline.store.base import StoreBase, now, utc
from pipeline.store.rows import SignInAttemptRow, UserRow, aware
from pipeline.store.schema import sign_in_attempts, users, web_sessions


def _user_of(mapping: Any) -> UserRow:
    created = aware(mapping["created_at"])
    assert created is not None  # the column is not nullable
    return UserRow(
        id=mapping["id"],
        email=mapping["email"],
        role=mapping["role"],
        password_hash=mapping["password_hash"],
        disabled=bool(mapping["disabled"]),
        created_at=created,
        disabled_at=aware(mapping["disabled_at"]),
    )


def _attempt_of(mapping: Any) -> SignInAttemptRow:
    at = aware(mapping["at"])
    assert at is not None
    return SignInAttemptRow(
        id=mapping["id"],
        at=at,
        email=mapping["email"],
        address=mapping["address"],
        succeeded=bool(mapping["succeeded"]),
        locked=bool(mapping["locked"]),
    )


class UsersMixin(StoreBase):
    def add_user(self, email: str, role: str, password_hash: str, *, user: str) -> UserRow:
        """A new account, with its audit line; `user`: who added it."""
        with self.transaction() as connection:
            new_id = connection.execute(
                users.insert()
                .values(
                    email=email,
                    role=role,
                    password_hash=password_hash,
                    disabled=False,
                    created_at=utc(now()),
                )
                .returning(users.c.id)
            ).scalar_one()
            self.audit(
                connection,
                "user_added",
                {"email": email, "role": role},
                actor=user,
                user=user,
            )
            return _user_of(
                connection.execute(sa.select(users).where(users.c.id == new_id)).one()._mapping
            )

    def user_by_email(self, email: str) -> UserRow | None:
        """The account of an email as kept (lower-cased): the caller lower-cases what was typed."""
        with self.reading() as connection:
            row = connection.execute(sa.select(users).where(users.c.email == email)).first()
        return _user_of(row._mapping) if row is not None else None

    def user_by_id(self, user_id: int) -> UserRow | None:
        with self.reading() as connection:
            row = connection.execute(sa.select(users).where(users.c.id == user_id)).first()
        return _user_of(row._mapping) if row is not None else None

    def users(self) -> list[UserRow]:
        """Every account, in the order they were added."""
        with self.reading() as connection:
            rows = connection.execute(sa.select(users).order_by(users.c.id))
            return [_user_of(r._mapping) for r in rows]

    def disable_user(self, user_id: int, *, user: str) -> UserRow:
        """The account can no longer sign in (its row and history stay); with its audit line.
        Compare-and-set: an account already disabled is refused, not disabled twice."""
        with self.transaction() as connection:
            changed = connection.execute(
                users.update()
                .where(users.c.id == user_id, users.c.disabled.is_(False))
                .values(disabled=True, disabled_at=utc(now()))
            ).rowcount
            if changed != 1:
                raise StoreError(f"account {user_id} is not an enabled account")
            # Its sessions end with it: a page open in a browser cannot act for it any more.
            connection.execute(
                web_sessions.update()
                .where(web_sessions.c.user_id == user_id, web_sessions.c.ended_at.is_(None))
                .values(ended_at=utc(now()))
            )
            row = _user_of(
                connection.execute(sa.select(users).where(users.c.id == user_id)).one()._mapping
            )
            self.audit(
                connection,
                "user_disabled",
                {"email": row.email, "role": row.role},
                actor=user,
                user=user,
            )
            return row

    def replace_password_hash(self, user_id: int, password_hash: str) -> None:
        """The same password hashed with today's parameters (Argon2's are raised over time)."""
        with self.transaction() as connection:
            connection.execute(
                users.update().where(users.c.id == user_id).values(password_hash=password_hash)
            )

    def record_sign_in_attempt(
        self,
        *,
        email: str,
        address: str,
        succeeded: bool,
        at: datetime,
        lines: Sequence[tuple[str, dict[str, Any]]],
        user: str,
        locked: bool = False,
    ) -> None:
        """One attempt and its audit lines, (action, detail) each (sign_in, sign_in_failed,
        sign_in_locked), in one transaction: no attempt counts that the audit log does not show."""
        with self.transaction() as connection:
            connection.execute(
                sign_in_attempts.insert().values(
                    at=utc(at),
                    email=email,
                    address=address,
                    succeeded=succeeded,
                    locked=locked,
                )
            )
            for action, detail in lines:
                self.audit(connection, action, detail, actor=user, user=user)

    def failures_since(
        self, *, since: datetime, email: str | None = None, address: str | None = None
    ) -> list[SignInAttemptRow]:
        """The failed attempts (a password tried and refused) for an email or from an address
        since `since`, oldest first; attempts refused unchecked by a lock are not failures."""
        if (email is None) == (address is None):
            raise ValueError("failures_since: give an email or an address, one of them")
        by = (
            sign_in_attempts.c.email == email
            if email is not None
            else (sign_in_attempts.c.address == address)
        )
        query = (
            sa.select(sign_in_attempts)
            .where(
                by,
                sign_in_attempts.c.at >= utc(since),
                sign_in_attempts.c.succeeded.is_(False),
                sign_in_attempts.c.locked.is_(False),
            )
            .order_by(sign_in_attempts.c.at, sign_in_attempts.c.id)
        )
        with self.reading() as connection:
            return [_attempt_of(r._mapping) for r in connection.execute(query)]

    def sign_in_attempts(self) -> list[SignInAttemptRow]:
        """Every attempt, oldest first (for an administrator and the tests)."""
        with self.reading() as connection:
            rows = connection.execute(sa.select(sign_in_attempts).order_by(sign_in_attempts.c.id))
            return [_attempt_of(r._mapping) for r in rows]

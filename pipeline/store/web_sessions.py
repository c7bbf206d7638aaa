"""Front-desk sessions → on record: begun at sign-in, seen on each page, ended at sign-out or when
the account is disabled. Whether one is still good (idle, too old) is the web's to say."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from pipeline.store.base import StoreBase, utc
from pipeline.store.rows import WebSessionRow, aware
from pipeline.store.schema import web_sessions


class WebSessionsMixin(StoreBase):
    def begin_web_session(self, token_sha256: str, user_id: int, *, at: datetime) -> None:
        with self.transaction() as connection:
            connection.execute(
                web_sessions.insert().values(
                    token_sha256=token_sha256, user_id=user_id, started_at=utc(at), seen_at=utc(at)
                )
            )

    def web_session(self, token_sha256: str) -> WebSessionRow | None:
        with self.reading() as connection:
            row = connection.execute(
                sa.select(web_sessions).where(web_sessions.c.token_sha256 == token_sha256)
            ).first()
        if row is None:
            return None
        m = row._mapping
        started, seen = aware(m["started_at"]), aware(m["seen_at"])
        assert started is not None and seen is not None  # not nullable
        return WebSessionRow(m["token_sha256"], m["user_id"], started, seen, aware(m["ended_at"]))

    def saw_web_session(self, token_sha256: str, *, at: datetime) -> None:
        with self.transaction() as connection:
            connection.execute(
                web_sessions.update()
                .where(web_sessions.c.token_sha256 == token_sha256, web_sessions.c.ended_at.is_(None))
                .values(seen_at=utc(at))
            )

    def end_web_session(
        self, token_sha256: str, *, at: datetime, user: str, why: str = "signed out"
    ) -> None:
        """The session ends for good, with its audit line (`user`: whose session it was)."""
        with self.transaction() as connection:
            ended = connection.execute(
                web_sessions.update()
                .where(web_sessions.c.token_sha256 == token_sha256, web_sessions.c.ended_at.is_(None))
                .values(ended_at=utc(at))
            ).rowcount
            if ended:
                self.audit(connection, "sign_out", {"why": why}, actor=user, user=user)

    def end_web_sessions_of(self, user_id: int, *, at: datetime) -> int:
        """Every open session of the account ended (it was disabled); how many."""
        with self.transaction() as connection:
            return int(
                connection.execute(
                    web_sessions.update()
                    .where(web_sessions.c.user_id == user_id, web_sessions.c.ended_at.is_(None))
                    .values(ended_at=utc(at))
                ).rowcount
            )

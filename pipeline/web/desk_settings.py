"""The configuration's `[web]` section and the state folder → what the front desk runs with.

The session key signs every cookie: it is made once, at random, in the state folder (0600), so a
restart keeps people signed in and a copy of the repository holds no secret.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from pipeline.config import Config
from pipeline.files import PRIVATE_FILE, make_private, write_atomically

SECRET_FILE = "web-session.key"


@dataclass(frozen=True, slots=True)
class DeskSettings:
    authority: str
    secret_key: bytes
    secure_cookies: bool
    idle: timedelta
    longest: timedelta
    max_failures: int
    failure_window: timedelta
    lock_for: timedelta
    proxies: int
    quarantine: Path
    inbox: Path


def session_key(state: Path) -> bytes:
    """The key in the state folder, made the first time (64 random bytes, 0600)."""
    path = state / SECRET_FILE
    if not path.exists():
        write_atomically(path, secrets.token_bytes(64))
        make_private(path, PRIVATE_FILE)
    key = path.read_bytes()
    if len(key) < 32:
        raise ValueError(f"{path}: the session key is too short; delete it to make a new one")
    return key


def desk_settings(config: Config) -> DeskSettings:
    web = config.web
    return DeskSettings(
        authority=web.authority,
        secret_key=session_key(config.folders.state),
        secure_cookies=web.secure_cookies,
        idle=timedelta(minutes=web.idle_minutes),
        longest=timedelta(hours=web.session_hours),
        max_failures=web.max_failures,
        failure_window=timedelta(minutes=web.failure_window_minutes),
        lock_for=timedelta(minutes=web.lock_minutes),
        proxies=web.proxies,
        quarantine=config.quarantine,
        inbox=config.folders.inbox,
    )

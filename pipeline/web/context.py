"""What every view works with, kept on the application (no global state): the store, the
profiles, the settings and the clock."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app

from pipeline.config import Config
from pipeline.procedure.profile import Profile
from pipeline.store.db import Store
from pipeline.web.desk_settings import DeskSettings

EXTENSION = "cpc_desk"


@dataclass(frozen=True, slots=True)
class Desk:
    config: Config
    store: Store
    profiles: dict[str, Profile]
    settings: DeskSettings
    now: Callable[[], datetime]  # aware, UTC
    today: Callable[[], date]  # the UK's date
    # One sign-in at a time in this server: the count of failures, the password's check and the
    # attempt's record go together, so parallel guesses cannot all pass before the lock is seen.
    # (A second `cpc serve` on the same store would need its own: the README says run one.)
    sign_in_lock: threading.Lock = field(default_factory=threading.Lock)


def desk() -> Desk:
    found: Desk = current_app.extensions[EXTENSION]
    return found

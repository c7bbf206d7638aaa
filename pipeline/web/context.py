"""What every view works with, kept on the application (no global state): the store, the
profiles, the settings and the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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


def desk() -> Desk:
    found: Desk = current_app.extensions[EXTENSION]
    return found

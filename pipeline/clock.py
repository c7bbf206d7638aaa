"""The real time, read in one place (an I/O edge).

The guards compare what a person or a run says with it (a `--today` or `--on` after today is
refused), and each delivery records it beside the run's date. Read through this module
(`clock.now()`), so a test can stand the service on a day of its choosing.
"""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """The real time now, with its time zone (UTC)."""
    return datetime.now(UTC)

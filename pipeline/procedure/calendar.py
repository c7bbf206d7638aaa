"""Dates → deadlines: working days of one UK nation (weekends, bank holidays, local closures), months, 24 hours.

Bank holidays are the GOV.UK bank-holidays feed (https://www.gov.uk/bank-holidays.json), the list
UK councils work to, as cached in the pinned `govuk-bank-holidays` package: read from the
package's JSON file, never fetched at run time, so two installs of one commit give the same due
dates. For a year the feed does not hold, the pinned `holidays` package stands in. A profile may add
a day (an announced holiday the cache lacks) or remove one, each with its source, and adds its
own closure days (spec §3).
"""

from __future__ import annotations

import json
from calendar import monthrange
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from pipeline.errors import CalendarError

if TYPE_CHECKING:
    import holidays

Nation = Literal["england", "wales", "scotland", "northern_ireland"]
UK_TIME = ZoneInfo("Europe/London")
# The feed has one list for England and Wales together (GOV.UK "divisions").
FEED_DIVISION: dict[str, str] = {
    "england": "england-and-wales",
    "wales": "england-and-wales",
    "scotland": "scotland",
    "northern_ireland": "northern-ireland",
}
# `holidays` subdivisions, for the years past the feed.
_SUBDIVISION: dict[str, str] = {
    "england": "ENG",
    "wales": "WLS",
    "scotland": "SCT",
    "northern_ireland": "NIR",
}


@dataclass(frozen=True, slots=True)
class Feed:
    """One division of the cached GOV.UK feed: its holidays by date, and the years it covers."""

    days: Mapping[date, str]
    years: frozenset[int]


@cache
def govuk_feed(nation: str) -> Feed:
    """The cached GOV.UK feed for a nation's division (the package's JSON; no network)."""
    if nation not in FEED_DIVISION:
        raise CalendarError(f"no bank-holiday calendar for nation {nation!r}")
    text = (resources.files("govuk_bank_holidays") / "bank-holidays.json").read_text("utf-8")
    events = json.loads(text)[FEED_DIVISION[nation]]["events"]
    days = {date.fromisoformat(e["date"]): str(e["title"]) for e in events}
    return Feed(days, frozenset(d.year for d in days))


@cache
def _fallback(nation: Nation) -> holidays.HolidayBase:
    """The `holidays` package's calendar for a year past the feed. Made when first asked:
    making it imports every country `holidays` knows (~0.2 s), which a plan within the feed's
    years never needs. HolidayBase fills in each year on first lookup."""
    import holidays  # here, not at the top: with dateutil, ~20 ms of every command's start

    return holidays.country_holidays("GB", subdiv=_SUBDIVISION[nation])


@dataclass(frozen=True, slots=True)
class DayChange:
    """A profile's change to the bank holidays: a day added (with its name) or removed, and why."""

    day: date
    source: str
    name: str | None = None  # None: the day is removed


@dataclass(frozen=True)
class WorkingCalendar:
    """Working days for one nation: not a weekend, not one of its bank holidays, not a closure day."""

    nation: Nation
    closure_days: frozenset[date] = frozenset()
    changes: tuple[DayChange, ...] = ()
    _feed: Feed = field(init=False, repr=False, compare=False)
    _added: Mapping[date, str] = field(init=False, repr=False, compare=False)
    _removed: frozenset[date] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.nation not in _SUBDIVISION:
            raise CalendarError(f"no bank-holiday calendar for nation {self.nation!r}")
        object.__setattr__(self, "_feed", govuk_feed(self.nation))
        added = {c.day: c.name for c in self.changes if c.name is not None}
        object.__setattr__(self, "_added", added)
        removed = frozenset(c.day for c in self.changes if c.name is None)
        object.__setattr__(self, "_removed", removed)

    @classmethod
    def for_nation(
        cls,
        nation: Nation,
        closure_days: Iterable[date] = (),
        changes: Iterable[DayChange] = (),
    ) -> WorkingCalendar:
        return cls(nation, frozenset(closure_days), tuple(changes))

    def bank_holiday(self, day: date) -> str | None:
        """The name of the bank holiday on `day` in this nation, or None."""
        if day in self._added:
            return self._added[day]
        if day in self._removed:
            return None
        if day.year in self._feed.years:
            return self._feed.days.get(day)
        name = _fallback(self.nation).get(day)
        return None if name is None else str(name)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and self.bank_holiday(day) is None and day not in self.closure_days

    def why_not_working(self, day: date) -> str | None:
        """A short reason a day is not a working day, or None if it is one."""
        if day.weekday() >= 5:
            return day.strftime("%A")
        name = self.bank_holiday(day)
        if name is not None:
            return name
        if day in self.closure_days:
            return "local closure day"
        return None

    def add_working_days(self, start: date, count: int) -> date:
        """The `count`-th working day after `start` (start itself never counts); 0 gives start."""
        if count < 0:
            return self.working_days_before(start, -count)
        day = start
        for _ in range(count):
            day += timedelta(days=1)
            while not self.is_working_day(day):
                day += timedelta(days=1)
        return day

    def working_days_before(self, end: date, count: int) -> date:
        """The `count`-th working day before `end` (end itself never counts); 0 gives end."""
        if count < 0:
            return self.add_working_days(end, -count)
        day = end
        for _ in range(count):
            day -= timedelta(days=1)
            while not self.is_working_day(day):
                day -= timedelta(days=1)
        return day

    def next_working_day_on_or_after(self, day: date) -> date:
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days fall after `start`, up to and including `end` (negative if end < start)."""
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        day = start
        while day < end:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count


def months_after(start: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (31 Jan + 1 month → 28 or 29 Feb)."""
    # As dateutil's relativedelta(months=n) counts, in the standard library (typed, no stubs).
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, monthrange(year, month)[1]))


def weeks_after(start: date, weeks: int) -> date:
    return start + timedelta(weeks=weeks)


def hours_after_uk(day: date, at: time | None, hours: int) -> datetime:
    """`hours` of elapsed time after `at` on `day` in UK local time, returned in UK local time.

    Elapsed, not wall-clock: across the change to or from summer time 24 hours can end on a
    different wall-clock hour. Without a time, the day's start is used, the earliest it can be.
    """
    start = datetime.combine(day, at or time(0, 0), tzinfo=UK_TIME)
    return (start.astimezone(ZoneInfo("UTC")) + timedelta(hours=hours)).astimezone(UK_TIME)


def uk_date(moment: datetime) -> date:
    """The UK calendar date of an aware timestamp."""
    if moment.tzinfo is None:
        # A naive time would be read in this machine's zone, which need not be the UK's.
        raise CalendarError(f"{moment.isoformat()} has no time zone")
    return moment.astimezone(UK_TIME).date()

"""Dates → deadlines: working days of one UK nation (weekends, bank holidays, local closures), months, 24 hours.

Bank holidays come from the `holidays` package (gov.uk's lists for England, Wales, Scotland and
Northern Ireland, substitute days included); a profile adds its own closure days (spec §3).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import holidays
from dateutil.relativedelta import relativedelta

from pipeline.errors import CalendarError

Nation = Literal["england", "wales", "scotland", "northern_ireland"]
UK_TIME = ZoneInfo("Europe/London")
_SUBDIVISION: dict[str, str] = {
    "england": "ENG",
    "wales": "WLS",
    "scotland": "SCT",
    "northern_ireland": "NIR",
}


@dataclass(frozen=True)
class WorkingCalendar:
    """Working days for one nation: not a weekend, not one of its bank holidays, not a closure day."""

    nation: Nation
    closure_days: frozenset[date] = frozenset()
    _bank_holidays: holidays.HolidayBase = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.nation not in _SUBDIVISION:
            raise CalendarError(f"no bank-holiday calendar for nation {self.nation!r}")
        # HolidayBase fills in each year on first lookup, so any year works without listing it here.
        bank = holidays.country_holidays("GB", subdiv=_SUBDIVISION[self.nation])
        object.__setattr__(self, "_bank_holidays", bank)

    @classmethod
    def for_nation(cls, nation: Nation, closure_days: Iterable[date] = ()) -> WorkingCalendar:
        return cls(nation, frozenset(closure_days))

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self._bank_holidays and day not in self.closure_days

    def why_not_working(self, day: date) -> str | None:
        """A short reason a day is not a working day, or None if it is one."""
        if day.weekday() >= 5:
            return day.strftime("%A")
        if day in self._bank_holidays:
            return str(self._bank_holidays.get(day))
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
    return start + relativedelta(months=months)


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

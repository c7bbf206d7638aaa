"""Working days, months and 24 hours in UK time (spec §3).

spec §3: "Working days exclude weekends, the bank holidays of the authority's `nation` and the
profile's closure days. 'Within 24 hours' runs from the end of the conference in UK local time."

Every expected date below was worked out by hand from gov.uk's bank-holiday lists for England,
Wales, Scotland and Northern Ireland, with the counting written beside it. Days of the week used:
  1 Jan 2026 Thu; 17 Mar 2026 Tue; 12 Jul 2026 Sun, 13 Jul Mon; 3 Aug 2026 Mon; 31 Aug 2026 Mon;
  25 Oct 2026 Sun; 30 Nov 2026 Mon; 25 Dec 2026 Fri, 26 Dec Sat, 28 Dec Mon; 1 Jan 2027 Fri,
  2 Jan Sat, 4 Jan Mon; 26 Mar 2027 Good Friday, 28 Mar Easter Sunday, 29 Mar Easter Monday;
  30 Nov 2025 Sun, 1 Dec 2025 Mon.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from pipeline.errors import CalendarError
from pipeline.procedure.calendar import (
    UK_TIME,
    DayChange,
    WorkingCalendar,
    govuk_feed,
    hours_after_uk,
    months_after,
    uk_date,
)

ENG, WLS, SCT, NIR = "england", "wales", "scotland", "northern_ireland"
NATIONS = (ENG, WLS, SCT, NIR)

_CALENDARS = {nation: WorkingCalendar.for_nation(nation) for nation in NATIONS}


def cal(nation: str) -> WorkingCalendar:
    return _CALENDARS[nation]


def ends(everywhere: date, **elsewhere: date) -> dict[str, date]:
    """The expected date per nation: `everywhere`, except the nations named."""
    assert set(elsewhere) <= set(NATIONS), elsewhere
    return {nation: elsewhere.get(nation, everywhere) for nation in NATIONS}


# ---- which days are bank holidays where ---------------------------------------------------------
# (day, nations where it is NOT a working day). Every row is a weekday unless said otherwise.
HOLIDAYS = [
    # Christmas Day 2026, Friday: a bank holiday in all four nations.
    (date(2026, 12, 25), {ENG, WLS, SCT, NIR}),
    # Boxing Day 2026 falls on Saturday 26 Dec; the substitute is Monday 28 Dec everywhere.
    (date(2026, 12, 28), {ENG, WLS, SCT, NIR}),
    # Tuesday 29 Dec 2026: an ordinary working day everywhere.
    (date(2026, 12, 29), set()),
    # New Year's Day 2027, Friday: everywhere.
    (date(2027, 1, 1), {ENG, WLS, SCT, NIR}),
    # 2 January is a Scottish bank holiday; in 2027 it is a Saturday, substitute Monday 4 Jan.
    (date(2027, 1, 4), {SCT}),
    # St Andrew's Day, Monday 30 Nov 2026: Scotland only.
    (date(2026, 11, 30), {SCT}),
    # St Andrew's Day 2025 was Sunday 30 Nov; Scotland's substitute is Monday 1 Dec 2025.
    (date(2025, 12, 1), {SCT}),
    # St Patrick's Day, Tuesday 17 Mar 2026: Northern Ireland only.
    (date(2026, 3, 17), {NIR}),
    # Good Friday 2027, 26 Mar: everywhere (Scotland included).
    (date(2027, 3, 26), {ENG, WLS, SCT, NIR}),
    # Easter Monday 2027, 29 Mar: not a bank holiday in Scotland.
    (date(2027, 3, 29), {ENG, WLS, NIR}),
    # Scotland's summer bank holiday: first Monday of August, 3 Aug 2026.
    (date(2026, 8, 3), {SCT}),
    # The summer bank holiday of England, Wales and NI: last Monday of August, 31 Aug 2026.
    (date(2026, 8, 31), {ENG, WLS, NIR}),
    # Battle of the Boyne: 12 Jul 2026 is a Sunday, so NI's holiday is Monday 13 Jul 2026.
    (date(2026, 7, 13), {NIR}),
    # Sunday 12 Jul 2026 itself: a weekend, so not a working day anywhere.
    (date(2026, 7, 12), {ENG, WLS, SCT, NIR}),
]


@pytest.mark.parametrize(
    ("day", "nation", "working"),
    [
        pytest.param(day, nation, nation not in off, id=f"{day}-{nation}")
        for day, off in HOLIDAYS
        for nation in NATIONS
    ],
)
def test_is_working_day_follows_each_nations_bank_holidays(
    day: date, nation: str, working: bool
) -> None:
    assert cal(nation).is_working_day(day) is working
    assert (cal(nation).why_not_working(day) is None) is working


# ---- add_working_days across each nation's holidays ---------------------------------------------
# (start, working days, expected end per nation), counting from the day after `start`.
ADD = [
    # Thu 24 Dec 2026 + 1 WD, all nations: Fri 25 (Christmas), Sat 26, Sun 27, Mon 28 (Boxing Day
    # substitute) are skipped; Tue 29 Dec is the 1st working day.
    (date(2026, 12, 24), 1, ends(date(2026, 12, 29))),
    # Thu 31 Dec 2026 + 1 WD. E/W/NI: Fri 1 Jan (New Year), Sat 2, Sun 3 skipped → Mon 4 Jan.
    # Scotland: Mon 4 Jan is also off (2 Jan substitute) → Tue 5 Jan 2027.
    (
        date(2026, 12, 31),
        1,
        ends(date(2027, 1, 4), scotland=date(2027, 1, 5)),
    ),
    # Fri 27 Nov 2026 + 1 WD: Sat 28, Sun 29 skipped; Mon 30 Nov is St Andrew's Day in Scotland,
    # so Scotland → Tue 1 Dec; elsewhere Mon 30 Nov.
    (
        date(2026, 11, 27),
        1,
        ends(date(2026, 11, 30), scotland=date(2026, 12, 1)),
    ),
    # Fri 28 Nov 2025 + 1 WD: Sat 29, Sun 30 (St Andrew's Day) skipped; Mon 1 Dec 2025 is the
    # substitute in Scotland → Tue 2 Dec; elsewhere Mon 1 Dec.
    (
        date(2025, 11, 28),
        1,
        ends(date(2025, 12, 1), scotland=date(2025, 12, 2)),
    ),
    # Mon 16 Mar 2026 + 1 WD: Tue 17 Mar is St Patrick's Day in NI → Wed 18; elsewhere Tue 17.
    (
        date(2026, 3, 16),
        1,
        ends(date(2026, 3, 17), northern_ireland=date(2026, 3, 18)),
    ),
    # Thu 25 Mar 2027 + 1 WD: Fri 26 (Good Friday), Sat 27, Sun 28 skipped everywhere.
    # E/W/NI also skip Mon 29 (Easter Monday) → Tue 30 Mar; Scotland works Mon 29 Mar.
    (
        date(2027, 3, 25),
        1,
        ends(date(2027, 3, 30), scotland=date(2027, 3, 29)),
    ),
    # Fri 31 Jul 2026 + 1 WD: Sat 1, Sun 2 Aug skipped; Mon 3 Aug is Scotland's summer holiday
    # → Scotland Tue 4 Aug; elsewhere Mon 3 Aug.
    (
        date(2026, 7, 31),
        1,
        ends(date(2026, 8, 3), scotland=date(2026, 8, 4)),
    ),
    # Fri 28 Aug 2026 + 1 WD: Sat 29, Sun 30 skipped; Mon 31 Aug is the summer holiday in
    # E/W/NI → Tue 1 Sep; Scotland works Mon 31 Aug.
    (
        date(2026, 8, 28),
        1,
        ends(date(2026, 9, 1), scotland=date(2026, 8, 31)),
    ),
    # Fri 10 Jul 2026 + 1 WD: Sat 11, Sun 12 skipped; Mon 13 Jul is the Boyne holiday in NI
    # → NI Tue 14 Jul; elsewhere Mon 13 Jul.
    (
        date(2026, 7, 10),
        1,
        ends(date(2026, 7, 13), northern_ireland=date(2026, 7, 14)),
    ),
    # Mon 14 Dec 2026 + 20 WD (a record deadline across Christmas).
    # E/W/NI: Tue15 1, Wed16 2, Thu17 3, Fri18 4, Mon21 5, Tue22 6, Wed23 7, Thu24 8,
    #   [Fri25 Sat26 Sun27 Mon28 off], Tue29 9, Wed30 10, Thu31 11, [Fri1 Sat2 Sun3 off],
    #   Mon4 12, Tue5 13, Wed6 14, Thu7 15, Fri8 16, Mon11 17, Tue12 18, Wed13 19, Thu14 20
    #   → Thu 14 Jan 2027.
    # Scotland: as above but Mon 4 Jan is off too, so Tue5 12 … Thu14 19, Fri15 20 → Fri 15 Jan.
    (
        date(2026, 12, 14),
        20,
        ends(date(2027, 1, 14), scotland=date(2027, 1, 15)),
    ),
]


@pytest.mark.parametrize(
    ("nation", "start", "count", "expected"),
    [
        pytest.param(nation, start, count, per_nation[nation], id=f"{start}+{count}-{nation}")
        for start, count, per_nation in ADD
        for nation in NATIONS
    ],
)
def test_add_working_days_by_nation(nation: str, start: date, count: int, expected: date) -> None:
    assert cal(nation).add_working_days(start, count) == expected


# ---- working_days_before -------------------------------------------------------------------------
BEFORE = [
    # Tue 5 Jan 2027 - 3 WD. E/W/NI: Mon4 1, [Sun3 Sat2 Fri1 off], Thu31 Dec 2, Wed30 Dec 3
    # → Wed 30 Dec 2026. Scotland: [Mon4 Sun3 Sat2 Fri1 off], Thu31 1, Wed30 2, Tue29 3
    # → Tue 29 Dec 2026.
    (
        date(2027, 1, 5),
        3,
        ends(date(2026, 12, 30), scotland=date(2026, 12, 29)),
    ),
    # Tue 29 Dec 2026 - 1 WD, all nations: [Mon28 Sun27 Sat26 Fri25 off] → Thu 24 Dec 2026.
    (date(2026, 12, 29), 1, ends(date(2026, 12, 24))),
    # Thu 14 Jan 2027 - 5 WD (the hand-over lead time before a record due date):
    # Wed13 1, Tue12 2, Mon11 3, Fri8 4, Thu7 5 → Thu 7 Jan 2027 everywhere.
    (date(2027, 1, 14), 5, ends(date(2027, 1, 7))),
    # Tue 30 Mar 2027 - 1 WD. E/W/NI: [Mon29 Easter Monday, Sun28, Sat27, Fri26 Good Friday]
    # → Thu 25 Mar. Scotland: Mon 29 Mar is a working day.
    (
        date(2027, 3, 30),
        1,
        ends(date(2027, 3, 25), scotland=date(2027, 3, 29)),
    ),
]


@pytest.mark.parametrize(
    ("nation", "end", "count", "expected"),
    [
        pytest.param(nation, end, count, starts[nation], id=f"{end}-{count}-{nation}")
        for end, count, starts in BEFORE
        for nation in NATIONS
    ],
)
def test_working_days_before_by_nation(nation: str, end: date, count: int, expected: date) -> None:
    assert cal(nation).working_days_before(end, count) == expected


# ---- counting conventions ------------------------------------------------------------------------


def test_zero_working_days_is_the_same_date_even_on_a_holiday() -> None:
    england = cal(ENG)
    # Sat 26 Dec 2026 and Fri 25 Dec 2026 are not working days, but 0 days after is the day itself.
    assert england.add_working_days(date(2026, 12, 26), 0) == date(2026, 12, 26)
    assert england.working_days_before(date(2026, 12, 25), 0) == date(2026, 12, 25)
    assert england.working_days_between(date(2026, 12, 25), date(2026, 12, 25)) == 0


def test_counting_starts_the_day_after() -> None:
    # Mon 7 Dec 2026 + 1 WD = Tue 8 Dec (Mon 7 itself never counts); + 5 = Mon 14 Dec
    # (Tue8 1, Wed9 2, Thu10 3, Fri11 4, [Sat12 Sun13], Mon14 5).
    england = cal(ENG)
    assert england.add_working_days(date(2026, 12, 7), 1) == date(2026, 12, 8)
    assert england.add_working_days(date(2026, 12, 7), 5) == date(2026, 12, 14)
    # and back: Tue 8 Dec - 1 WD = Mon 7 Dec (Tue 8 itself never counts).
    assert england.working_days_before(date(2026, 12, 8), 1) == date(2026, 12, 7)


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        # Sat 5 Dec 2026 + 1: Sun 6 skipped, Mon 7 Dec is the 1st.
        (date(2026, 12, 5), 1, date(2026, 12, 7)),
        # Sun 6 Dec 2026 + 1: Mon 7 Dec.
        (date(2026, 12, 6), 1, date(2026, 12, 7)),
        # Sat 5 Dec 2026 + 5: Mon7 1, Tue8 2, Wed9 3, Thu10 4, Fri11 5 → Fri 11 Dec.
        (date(2026, 12, 5), 5, date(2026, 12, 11)),
    ],
)
def test_start_on_a_weekend(start: date, count: int, expected: date) -> None:
    assert cal(ENG).add_working_days(start, count) == expected


def test_negative_counts_go_the_other_way() -> None:
    england = cal(ENG)
    # Tue 29 Dec 2026 - 1 WD = Thu 24 Dec (see BEFORE); Thu 24 Dec + 1 WD = Tue 29 Dec.
    assert england.add_working_days(date(2026, 12, 29), -1) == date(2026, 12, 24)
    assert england.working_days_before(date(2026, 12, 24), -1) == date(2026, 12, 29)


# ---- closure days --------------------------------------------------------------------------------
COUNCIL_CLOSED = [date(2026, 12, 29), date(2026, 12, 30), date(2026, 12, 31)]


def test_closure_days_are_not_working_days() -> None:
    # England, council closed Tue 29 - Thu 31 Dec 2026. Thu 24 Dec + 1 WD:
    # Fri25 (Christmas), Sat26, Sun27, Mon28 (Boxing Day sub.), Tue29-Thu31 (closed),
    # Fri1 Jan (New Year), Sat2, Sun3 → Mon 4 Jan 2027.
    closed = WorkingCalendar.for_nation(ENG, COUNCIL_CLOSED)
    assert closed.add_working_days(date(2026, 12, 24), 1) == date(2027, 1, 4)
    # Back again: Mon 4 Jan - 1 WD → Thu 24 Dec.
    assert closed.working_days_before(date(2027, 1, 4), 1) == date(2026, 12, 24)
    assert not closed.is_working_day(date(2026, 12, 30))
    assert closed.why_not_working(date(2026, 12, 30)) == "local closure day"
    # The closure is this calendar's only: plain England still works Wed 30 Dec.
    assert cal(ENG).is_working_day(date(2026, 12, 30))
    assert cal(ENG).why_not_working(date(2026, 12, 30)) is None


def test_closure_days_in_scotland_stack_with_the_2_january_substitute() -> None:
    # Scotland, closed 29-31 Dec 2026. Thu 24 Dec + 1 WD: Fri25, Sat26, Sun27, Mon28, Tue29-Thu31
    # (closed), Fri1, Sat2, Sun3, Mon4 (2 Jan substitute) → Tue 5 Jan 2027.
    closed = WorkingCalendar.for_nation(SCT, COUNCIL_CLOSED)
    assert closed.add_working_days(date(2026, 12, 24), 1) == date(2027, 1, 5)


def test_a_closure_day_on_a_weekend_changes_nothing() -> None:
    # Closed Sat 5 Dec 2026 (already a weekend): Fri 4 Dec + 1 WD is still Mon 7 Dec.
    closed = WorkingCalendar.for_nation(ENG, [date(2026, 12, 5)])
    assert closed.add_working_days(date(2026, 12, 4), 1) == date(2026, 12, 7)


# ---- why_not_working -----------------------------------------------------------------------------


def test_why_not_working_names_the_weekday_or_the_holiday() -> None:
    # Sat 26 Dec 2026 is reported as a Saturday (Boxing Day itself falls on it).
    assert cal(ENG).why_not_working(date(2026, 12, 26)) == "Saturday"
    assert cal(ENG).why_not_working(date(2026, 12, 27)) == "Sunday"
    assert "Christmas" in (cal(WLS).why_not_working(date(2026, 12, 25)) or "")
    assert "Boxing" in (cal(NIR).why_not_working(date(2026, 12, 28)) or "")
    assert "Andrew" in (cal(SCT).why_not_working(date(2026, 11, 30)) or "")
    assert "Patrick" in (cal(NIR).why_not_working(date(2026, 3, 17)) or "")
    assert "Boyne" in (cal(NIR).why_not_working(date(2026, 7, 13)) or "")
    assert "Good Friday" in (cal(SCT).why_not_working(date(2027, 3, 26)) or "")
    # An ordinary Wednesday: no reason.
    assert cal(SCT).why_not_working(date(2026, 12, 9)) is None


# ---- working_days_between ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nation", "closures", "start", "end", "expected"),
    [
        # Thu 24 Dec 2026 → Mon 4 Jan 2027, England: after the 24th, up to and including the 4th:
        # Tue29, Wed30, Thu31, Mon4 are working → 4.
        (ENG, [], date(2026, 12, 24), date(2027, 1, 4), 4),
        # Same in Scotland: Mon 4 Jan is the 2 Jan substitute → Tue29, Wed30, Thu31 → 3.
        (SCT, [], date(2026, 12, 24), date(2027, 1, 4), 3),
        # England, closed 29-31 Dec: only Mon 4 Jan → 1.
        (ENG, COUNCIL_CLOSED, date(2026, 12, 24), date(2027, 1, 4), 1),
        # Backwards gives the negative: Mon 4 Jan → Thu 24 Dec in England → -4.
        (ENG, [], date(2027, 1, 4), date(2026, 12, 24), -4),
        # Mon 7 → Fri 11 Dec 2026: Tue8, Wed9, Thu10, Fri11 → 4 (start not counted, end counted).
        (ENG, [], date(2026, 12, 7), date(2026, 12, 11), 4),
        # Fri 11 → Sun 13 Dec 2026: only a weekend → 0.
        (ENG, [], date(2026, 12, 11), date(2026, 12, 13), 0),
    ],
)
def test_working_days_between(
    nation: str, closures: list[date], start: date, end: date, expected: int
) -> None:
    calendar = WorkingCalendar.for_nation(nation, closures)
    assert calendar.working_days_between(start, end) == expected


@pytest.mark.parametrize("nation", NATIONS)
def test_between_undoes_add(nation: str) -> None:
    # Whatever add_working_days gives, working_days_between counts back the same number.
    calendar = cal(nation)
    for offset in range(0, 40, 3):
        start = date(2026, 12, 1) + timedelta(days=offset)
        for count in (0, 1, 2, 5, 10, 20):
            end = calendar.add_working_days(start, count)
            assert calendar.working_days_between(start, end) == count, (start, count)
            if count:
                assert calendar.is_working_day(end), (start, count)


# ---- the GOV.UK feed is the authority (issue 11) ------------------------------------------------
# Issue 11: "The GOV.UK feed is the authority UK councils work to." The calendar reads the feed as
# cached in the pinned govuk-bank-holidays package; `holidays` only answers for years past it.


def test_15_june_2026_in_scotland_is_the_feeds_answer_a_working_day() -> None:
    # holidays 0.109 makes Monday 15 June 2026 a Scottish bank holiday (the World Cup final); the
    # GOV.UK feed (scotland, 2026) has no such day: its 2026 list runs New Year's Day, 2 January,
    # Good Friday, 4 May, 25 May, 3 Aug, 30 Nov, 25 Dec, 28 Dec.
    monday = date(2026, 6, 15)
    assert monday.weekday() == 0
    assert monday not in govuk_feed(SCT).days
    assert cal(SCT).is_working_day(monday)
    assert cal(SCT).why_not_working(monday) is None
    # Friday 12 June 2026 + 1 working day in Scotland: Monday 15 June (Sat 13, Sun 14 skipped).
    assert cal(SCT).add_working_days(date(2026, 6, 12), 1) == date(2026, 6, 15)


# Every difference, in the years the feed holds, between the feed's weekday bank holidays and
# those of the pinned `holidays`, that this calendar accepts (the feed's answer is used).
# `holidays` also lists the day itself when a holiday falls on a weekend (e.g. Sat 26 Dec 2026);
# a weekend is never a working day, so those entries change nothing and are not compared.
ACCEPTED_DIFFERENCES: dict[tuple[str, date], str] = {
    # holidays 0.109 only: Scotland's participation in the FIFA World Cup final; not in the feed.
    (SCT, date(2026, 6, 15)): "holidays only",
}


def test_the_feed_and_the_holidays_package_agree_on_every_weekday_the_feed_covers() -> None:
    import holidays

    found: dict[tuple[str, date], str] = {}
    subdivision = {ENG: "ENG", WLS: "WLS", SCT: "SCT", NIR: "NIR"}
    for nation in NATIONS:
        feed = govuk_feed(nation)
        assert feed.years == frozenset(range(2012, 2029)), nation  # the cache of the pinned package
        other = holidays.country_holidays("GB", subdiv=subdivision[nation], years=sorted(feed.years))
        feed_days = {d for d in feed.days if d.weekday() < 5}
        other_days = {d for d in other if d.weekday() < 5}
        for day in feed_days - other_days:
            found[(nation, day)] = "feed only"
        for day in other_days - feed_days:
            found[(nation, day)] = "holidays only"
    assert found == ACCEPTED_DIFFERENCES


@pytest.mark.parametrize("nation", NATIONS)
def test_every_weekday_holiday_of_the_feed_is_not_a_working_day(nation: str) -> None:
    feed = govuk_feed(nation)
    for day, name in feed.days.items():
        assert not cal(nation).is_working_day(day), (nation, day, name)
        if day.weekday() < 5:
            assert cal(nation).why_not_working(day) == name


def test_england_and_wales_are_one_division_of_the_feed() -> None:
    assert govuk_feed(ENG).days == govuk_feed(WLS).days
    assert govuk_feed(SCT).days != govuk_feed(NIR).days


def test_years_past_the_feed_come_from_the_holidays_package() -> None:
    # 2029 is past the cached feed (2012-2028). Christmas Day 2029 is a Tuesday, Boxing Day a
    # Wednesday: both bank holidays everywhere; St Andrew's Day 2029 is Friday 30 Nov (Scotland).
    assert 2029 not in govuk_feed(ENG).years
    assert not cal(ENG).is_working_day(date(2029, 12, 25))
    assert not cal(NIR).is_working_day(date(2029, 12, 26))
    assert not cal(SCT).is_working_day(date(2029, 11, 30))
    assert cal(ENG).is_working_day(date(2029, 11, 30))
    # Mon 24 Dec 2029 + 1 working day in England: Thu 27 Dec (Tue 25, Wed 26 are holidays).
    assert cal(ENG).add_working_days(date(2029, 12, 24), 1) == date(2029, 12, 27)


def test_a_profile_may_add_or_remove_a_bank_holiday_with_its_source() -> None:
    added = DayChange(date(2026, 6, 15), "announced 2026-06-10 (example)", "World Cup final")
    removed = DayChange(date(2026, 11, 30), "example: the council works on St Andrew's Day")
    changed = WorkingCalendar.for_nation(SCT, changes=(added, removed))
    assert not changed.is_working_day(date(2026, 6, 15))
    assert changed.why_not_working(date(2026, 6, 15)) == "World Cup final"
    assert changed.is_working_day(date(2026, 11, 30))
    # Fri 12 Jun 2026 + 1 WD with the added day: Tue 16 Jun (Sat, Sun, Mon 15 skipped).
    assert changed.add_working_days(date(2026, 6, 12), 1) == date(2026, 6, 16)
    assert cal(SCT).is_working_day(date(2026, 6, 15))  # the plain calendar is untouched


def test_the_calendar_never_fetches_the_feed(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the calendar tried to use the network")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    govuk_feed.cache_clear()
    try:
        calendar = WorkingCalendar.for_nation(NIR)
        assert not calendar.is_working_day(date(2026, 3, 17))  # St Patrick's Day, from the cache
    finally:
        govuk_feed.cache_clear()


def test_unknown_nation_is_refused() -> None:
    with pytest.raises(CalendarError, match="france"):
        WorkingCalendar("france")  # type: ignore[arg-type]


# ---- months_after --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        # 31 Jan 2027 + 1 month: 31 Feb doesn't exist, 2027 is not a leap year → 28 Feb 2027.
        (date(2027, 1, 31), 1, date(2027, 2, 28)),
        # 31 Jan 2028 + 1 month: 2028 is a leap year → 29 Feb 2028.
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        # 30 Nov 2026 + 3 months: Dec, Jan, Feb → 30 Feb doesn't exist → 28 Feb 2027.
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        # 31 Aug 2026 + 6 months: Sep, Oct, Nov, Dec, Jan, Feb → 28 Feb 2027.
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        # 29 Feb 2028 + 12 months: 29 Feb 2029 doesn't exist → 28 Feb 2029.
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        # 15 Mar 2027 + 3 months: no clamping → 15 Jun 2027.
        (date(2027, 3, 15), 3, date(2027, 6, 15)),
        # 31 Mar 2027 - 1 month (counting back): 31 Feb doesn't exist → 28 Feb 2027.
        (date(2027, 3, 31), -1, date(2027, 2, 28)),
        # 0 months: the same day.
        (date(2026, 11, 30), 0, date(2026, 11, 30)),
    ],
)
def test_months_after_clamps_to_the_months_end(start: date, months: int, expected: date) -> None:
    assert months_after(start, months) == expected


# ---- hours_after_uk and uk_date ------------------------------------------------------------------


def _assert_uk(moment: datetime, wall: datetime, offset_hours: int) -> None:
    """`moment` shows the wall-clock time `wall` in UK time, at UTC+offset_hours."""
    assert moment.utcoffset() == timedelta(hours=offset_hours)
    assert moment.replace(tzinfo=None) == wall
    assert moment.astimezone(UTC) == (wall - timedelta(hours=offset_hours)).replace(tzinfo=UTC)


def test_24_hours_across_the_spring_clock_change() -> None:
    # Sat 27 Mar 2027 23:30 GMT = 23:30 UTC. Clocks go forward at 01:00 GMT on Sun 28 Mar 2027.
    # +24 h elapsed = Sun 28 Mar 23:30 UTC = Mon 29 Mar 00:30 BST (UTC+1).
    end = hours_after_uk(date(2027, 3, 27), time(23, 30), 24)
    _assert_uk(end, datetime(2027, 3, 29, 0, 30), 1)


def test_24_hours_across_the_autumn_clock_change() -> None:
    # Sat 24 Oct 2026 23:30 BST = 22:30 UTC. Clocks go back at 02:00 BST on Sun 25 Oct 2026.
    # +24 h elapsed = Sun 25 Oct 22:30 UTC = Sun 25 Oct 22:30 GMT (UTC+0).
    end = hours_after_uk(date(2026, 10, 24), time(23, 30), 24)
    _assert_uk(end, datetime(2026, 10, 25, 22, 30), 0)


def test_24_hours_on_ordinary_days() -> None:
    # Mon 7 Dec 2026 14:00 GMT + 24 h = Tue 8 Dec 14:00 GMT.
    _assert_uk(hours_after_uk(date(2026, 12, 7), time(14, 0), 24), datetime(2026, 12, 8, 14, 0), 0)
    # Wed 1 Jul 2026 16:45 BST + 24 h = Thu 2 Jul 16:45 BST.
    _assert_uk(hours_after_uk(date(2026, 7, 1), time(16, 45), 24), datetime(2026, 7, 2, 16, 45), 1)
    # Hours are not working days: Thu 24 Dec 2026 15:00 + 24 h = Fri 25 Dec (Christmas) 15:00.
    _assert_uk(
        hours_after_uk(date(2026, 12, 24), time(15, 0), 24), datetime(2026, 12, 25, 15, 0), 0
    )


def test_hours_without_a_time_start_at_midnight() -> None:
    # No conference end time: the day's start, 00:00 on Mon 7 Dec 2026 → Tue 8 Dec 00:00 GMT.
    _assert_uk(hours_after_uk(date(2026, 12, 7), None, 24), datetime(2026, 12, 8, 0, 0), 0)


def test_hours_after_uk_answers_in_uk_time() -> None:
    end = hours_after_uk(date(2026, 7, 1), time(9, 0), 1)
    assert end.tzinfo == UK_TIME


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # 30 Nov 2026 is in GMT (UTC+0): 23:30Z is 23:30 on 30 Nov.
        (datetime(2026, 11, 30, 23, 30, tzinfo=UTC), date(2026, 11, 30)),
        # 30 Jun 2026 is in BST (UTC+1): 23:30Z is 00:30 on 1 Jul.
        (datetime(2026, 6, 30, 23, 30, tzinfo=UTC), date(2026, 7, 1)),
        # 24 Oct 2026 23:30Z: still BST (clocks go back at 01:00Z on 25 Oct) → 00:30 on 25 Oct.
        (datetime(2026, 10, 24, 23, 30, tzinfo=UTC), date(2026, 10, 25)),
        # A timestamp given with its own offset: 2026-07-01 01:00+02:00 = 23:00Z 30 Jun
        # = 00:00 BST 1 Jul.
        (datetime(2026, 7, 1, 1, 0, tzinfo=timezone(timedelta(hours=2))), date(2026, 7, 1)),
        # 2026-07-01 00:30+02:00 = 22:30Z 30 Jun = 23:30 BST 30 Jun.
        (datetime(2026, 7, 1, 0, 30, tzinfo=timezone(timedelta(hours=2))), date(2026, 6, 30)),
    ],
)
def test_uk_date(moment: datetime, expected: date) -> None:
    assert uk_date(moment) == expected


def test_uk_date_refuses_a_naive_timestamp() -> None:
    # Read in the machine's own zone, a naive time could land on the wrong UK day.
    with pytest.raises(CalendarError):
        uk_date(datetime(2026, 6, 30, 23, 30))

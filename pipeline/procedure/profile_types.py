"""The types of a procedure profile: periods, cited values, copy rules and the Profile itself.

A Profile is immutable and validated when it is built (`pipeline.procedure.profile_build`), so
a plan never meets a value it cannot use.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Generic, Literal, TypeVar

from pipeline.procedure.calendar import (
    DayChange,
    Nation,
    WorkingCalendar,
    hours_after_uk,
    months_after,
    weeks_after,
)
from pipeline.procedure.profile_language import LanguageSettings

Unit = Literal["working_days", "hours", "months", "weeks"]
RecipientClass = Literal[
    "professional",
    "lead_social_worker",
    "parent_attended",
    "parent_absent",
    "parent_excluded_part",
    "parent_excluded_whole",
    "family_member",
    "child",
]
SharedDocument = Literal["decision_letter", "outline_plan", "record"]
# A copy due by an event rather than after a period: the plan's first core group meeting (002 §22.8).
DueEvent = Literal["first_core_group"]
_DUE_EVENTS: dict[str, DueEvent] = {"first core group": "first_core_group"}
# A class that need not be stated: its copies follow this class's rules where a profile is silent.
_FALLBACK_CLASS: dict[str, RecipientClass] = {"lead_social_worker": "professional"}
_PERIOD = re.compile(r"^\s*([0-9]+)\s+(working days?|hours?|months?|weeks?)\s*$")


@dataclass(frozen=True, slots=True)
class Period:
    """A span of time as procedures state it: '1 working day', '24 hours', '3 months', '1 week'."""

    amount: int
    unit: Unit

    @classmethod
    def parse(cls, text: str) -> Period:
        match = _PERIOD.match(text)
        if match is None:
            raise ValueError(
                f"{text!r} is not a period; write e.g. '1 working day', '24 hours', '3 months'"
            )
        word = match.group(2)
        unit: Unit = (
            "working_days"
            if word.startswith("working")
            else "hours"
            if word.startswith("hour")
            else "months"
            if word.startswith("month")
            else "weeks"
        )
        return cls(int(match.group(1)), unit)

    def after(self, start: date, calendar: WorkingCalendar, at: time | None = None) -> date:
        """The date this period ends, counted from `start` (and `at`, for hours, in UK time)."""
        if self.unit == "working_days":
            return calendar.add_working_days(start, self.amount)
        if self.unit == "months":
            return months_after(start, self.amount)
        if self.unit == "weeks":
            return weeks_after(start, self.amount)
        return hours_after_uk(start, at, self.amount).date()

    def moment_after(self, start: date, at: time | None) -> datetime | None:
        """For an hours period, the exact UK time it ends; None for day-based periods."""
        return hours_after_uk(start, at, self.amount) if self.unit == "hours" else None

    def before(self, end: date, calendar: WorkingCalendar) -> date:
        if self.unit == "working_days":
            return calendar.working_days_before(end, self.amount)
        if self.unit == "months":
            return months_after(end, -self.amount)
        if self.unit == "weeks":
            return weeks_after(end, -self.amount)
        raise ValueError("a period in hours cannot be counted back to a date")

    def __str__(self) -> str:
        words = {
            "working_days": "working day",
            "hours": "hour",
            "months": "month",
            "weeks": "week",
        }[self.unit]
        return f"{self.amount} {words}{'' if self.amount == 1 else 's'}"


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Sourced(Generic[T]):
    """A profile value and the paragraph of the procedure it comes from."""

    value: T
    source: str


@dataclass(frozen=True, slots=True)
class CopyRule:
    """When one class of recipient must have one document, and whether it goes through the social worker.

    `due` is a period after the conference, an event (`first_core_group`: by the plan's first core
    group meeting), or None: this class is not sent the document (the source says why, e.g. 002
    §22.8: the final outline plan travels in the record). `channel = "post"`: posted, as the
    procedure says; `attended_only`: only to a recipient who attended (some or all of) the conference.
    """

    due: Period | DueEvent | None
    via_lead_social_worker: bool
    source: str
    channel: Literal["post"] | None = None
    attended_only: bool = False

    @property
    def sent(self) -> bool:
        return self.due is not None


@dataclass(frozen=True)
class Profile:
    name: str
    title: str
    closure_days: frozenset[date]
    handover_lead_time: Sourced[Period]
    copies: Mapping[RecipientClass, Mapping[SharedDocument, CopyRule]]
    notices: Mapping[str, Sourced[Period]]
    timeliness: Mapping[str, Sourced[Any]]
    supporter_record_with_parent_consent: Sourced[bool]
    glossary: Mapping[str, str]
    bank_holiday_changes: tuple[DayChange, ...] = ()
    # R21: the social worker invites each parent verbally before the written invitation (002 §8.2).
    parents_invited_verbally_first: Sourced[bool] = Sourced(False, "000 §4.4.1 (no verbal step)")
    # Whom a child can ask for help to say what they think or to complain (the authority's
    # children's rights or advocacy service), printed in a child's own letter; None: not given.
    children_advocacy_contact: Sourced[str] | None = None
    # 000 §4.14.9; R81, R82: the documents' language and what a reader of another is given.
    language: LanguageSettings = field(default_factory=LanguageSettings)
    # Where the glossary's acronyms come from ([glossary] source).
    glossary_source: str = ""
    # [terms]: a word a family meets (lower case) → its plain meaning, with the meaning's source.
    terms: Mapping[str, Sourced[str]] = field(default_factory=dict)
    # [reports]: how long before the conference each report is due (R41, R42); None: not asked.
    reports: Mapping[str, Sourced[Period | None]] = field(default_factory=dict)

    def working_calendar(self, nation: Nation) -> WorkingCalendar:
        """The nation's GOV.UK working days with this profile's closures and bank-holiday changes."""
        return WorkingCalendar.for_nation(nation, self.closure_days, self.bank_holiday_changes)

    def copy_rule(self, recipient_class: RecipientClass, document: SharedDocument) -> CopyRule:
        return self.copies[recipient_class][document]

    def notice(self, name: str) -> Sourced[Period]:
        return self.notices[name]

    def report_period(self, name: str) -> Sourced[Period | None]:
        """A [reports] value: a period counted back from the conference, or None (not asked)."""
        return self.reports[name]

    def limit(self, name: str) -> Sourced[Any]:
        """A timeliness value; its `value` is a Period, a number, a [low, high] pair or None."""
        return self.timeliness[name]

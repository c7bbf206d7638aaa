"""Procedure profiles: TOML data → a validated, immutable Profile (who receives what, by when, and why).

A profile is where a local authority's procedure lives as data (spec §3): deadlines per recipient
and document, notice periods, timeliness limits, closure days and the glossary. Each value names
its source paragraph. Profiles ship in `pipeline/profiles/`; an authority adds its own by dropping a
`NAME.toml` in a folder given to `load_profiles` (the CLI's `--profiles-dir` or `CPC_PROFILES_DIR`),
usually starting with `extends = "default"` and stating only what differs.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from importlib import resources
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from pipeline.errors import ProfileError
from pipeline.procedure.calendar import (
    DayChange,
    Nation,
    WorkingCalendar,
    hours_after_uk,
    months_after,
    weeks_after,
)

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

    def working_calendar(self, nation: Nation) -> WorkingCalendar:
        """The nation's GOV.UK working days with this profile's closures and bank-holiday changes."""
        return WorkingCalendar.for_nation(nation, self.closure_days, self.bank_holiday_changes)

    def copy_rule(self, recipient_class: RecipientClass, document: SharedDocument) -> CopyRule:
        return self.copies[recipient_class][document]

    def notice(self, name: str) -> Sourced[Period]:
        return self.notices[name]

    def limit(self, name: str) -> Sourced[Any]:
        """A timeliness value; its `value` is a Period, a number, a [low, high] pair or None."""
        return self.timeliness[name]


# ---- reading TOML -------------------------------------------------------------------------------


class _SourcedIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    value: Any
    source: str


class _CopyIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    # A period ("1 working day", "24 hours"), "first core group", or "none" (not sent).
    due: str
    via: Literal["lead_social_worker"] | None = None
    channel: Literal["post"] | None = None
    attended_only: bool = False
    source: str

    @field_validator("due")
    @classmethod
    def _period(cls, value: str) -> str:
        if value.strip() not in ("none", *_DUE_EVENTS):
            Period.parse(value)
        return value

    def rule(self) -> CopyRule:
        text = self.due.strip()
        due: Period | DueEvent | None = (
            None if text == "none" else _DUE_EVENTS[text] if text in _DUE_EVENTS else Period.parse(text)
        )
        return CopyRule(
            due,
            self.via == "lead_social_worker",
            self.source,
            self.channel,
            self.attended_only,
        )


_CLASSES: tuple[RecipientClass, ...] = get_args(RecipientClass)
_NOTICES = (
    "invitation_after_export",
    "invitation_before_conference",
    "exclusion_letter_after_decision",
    "plan_ended_notice",
    "cancellation_notice_after_export",
    "amendment_notice",
    "amendment_window",
    "post_receipt",
)
# The unit each value is counted in, and whether a profile may say "none" (the code then skips
# that check); anything else would load and then fail half-way through a plan.
_UNITS: dict[str, tuple[tuple[Unit, ...], bool]] = {
    "invitation_after_export": (("working_days",), False),
    "invitation_before_conference": (("working_days",), False),
    "exclusion_letter_after_decision": (("working_days",), False),
    "plan_ended_notice": (("working_days", "hours"), False),
    "cancellation_notice_after_export": (("working_days",), False),
    "amendment_notice": (("working_days",), False),
    "amendment_window": (("working_days", "weeks"), False),
    "post_receipt": (("working_days",), False),
    "initial_conference": (("working_days",), False),
    "transfer_in_conference": (("working_days",), False),
    "first_core_group": (("working_days",), False),
    "first_review": (("months",), False),
    "later_review": (("months",), False),
    "pre_birth_review_after_birth": (("months",), True),
    "pre_birth_review_after_conference": (("months",), True),
    "exclusion_request_before_conference": (("working_days",), False),
}
_PERIOD_LIMITS = (
    "initial_conference",
    "transfer_in_conference",
    "first_core_group",
    "first_review",
    "later_review",
    "pre_birth_review_after_birth",
    "pre_birth_review_after_conference",
    "exclusion_request_before_conference",
)


class _DayAddedIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    date: date
    name: str
    source: str


class _DayRemovedIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    date: date
    source: str


class _BankHolidaysIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    add: list[_DayAddedIn] = []
    remove: list[_DayRemovedIn] = []


class _ProfileIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    name: str
    title: str
    closure_days: list[date] = []
    bank_holidays: _BankHolidaysIn = _BankHolidaysIn()
    handover: dict[Literal["lead_time"], _SourcedIn]
    copies: dict[RecipientClass, dict[SharedDocument, _CopyIn]]
    notices: dict[str, _SourcedIn]
    timeliness: dict[str, _SourcedIn]
    authorisations: dict[Literal["supporter_record_with_parent_consent"], _SourcedIn]
    invitations: dict[Literal["parents_invited_verbally_first"], _SourcedIn]
    glossary: dict[str, str] = {}


def _period_or_none(entry: _SourcedIn, where: str, key: str) -> Sourced[Period | None]:
    units, may_be_none = _UNITS[key]
    if entry.value == "none":
        if not may_be_none:
            raise ProfileError(f"{where} cannot be 'none'")
        return Sourced(None, entry.source)
    if not isinstance(entry.value, str):
        raise ProfileError(f"{where}: expected a period such as '3 months' or 'none'")
    try:
        period = Period.parse(entry.value)
    except ValueError as exc:
        raise ProfileError(f"{where}: {exc}") from exc
    if period.unit not in units:
        allowed = " or ".join(u.replace("_", " ") for u in units)
        raise ProfileError(
            f"{where}: must be counted in {allowed}, not {period.unit.replace('_', ' ')}"
        )
    return Sourced(period, entry.source)


def _exact_keys(origin: str, table: str, given: Mapping[str, Any], known: tuple[str, ...]) -> None:
    # A misspelt key would otherwise be ignored and the default silently kept.
    for key in given:
        if key not in known:
            raise ProfileError(
                f"profile {origin}: {table}.{key} is not a known setting "
                f"(known: {', '.join(known)})"
            )
    for key in known:
        if key not in given:
            raise ProfileError(f"profile {origin}: {table}.{key} is missing")


def _is_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _build(raw: dict[str, Any], origin: str) -> Profile:
    try:
        data = _ProfileIn.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ProfileError(f"profile {origin}: {problems}") from exc
    for cls in _CLASSES:
        for doc in ("decision_letter", "outline_plan", "record"):
            if doc not in data.copies.get(cls, {}) and cls not in _FALLBACK_CLASS:
                raise ProfileError(f"profile {origin}: copies.{cls}.{doc} is missing")
    _exact_keys(origin, "notices", data.notices, _NOTICES)
    _exact_keys(
        origin,
        "timeliness",
        data.timeliness,
        (*_PERIOD_LIMITS, "pre_birth_gestation_weeks", "quorum_other_agencies"),
    )

    copies: dict[RecipientClass, dict[SharedDocument, CopyRule]] = {}
    for cls in _CLASSES:
        given = {doc: rule.rule() for doc, rule in data.copies.get(cls, {}).items()}
        fallback = _FALLBACK_CLASS.get(cls)
        if fallback is not None:
            # The lead social worker is a professional; a profile states only where they differ.
            given = {**{d: r.rule() for d, r in data.copies[fallback].items()}, **given}
        copies[cls] = given
    notices: dict[str, Sourced[Period]] = {}
    for key in _NOTICES:
        period = _period_or_none(data.notices[key], f"profile {origin}: notices.{key}", key)
        assert period.value is not None  # no notice may be 'none' (_UNITS)
        notices[key] = Sourced(period.value, period.source)
    timeliness: dict[str, Sourced[Any]] = {
        key: _period_or_none(data.timeliness[key], f"profile {origin}: timeliness.{key}", key)
        for key in _PERIOD_LIMITS
    }
    weeks = data.timeliness["pre_birth_gestation_weeks"]
    if weeks.value != "none" and not (
        isinstance(weeks.value, list)
        and len(weeks.value) == 2
        and all(_is_number(w) for w in weeks.value)
    ):
        raise ProfileError(
            f"profile {origin}: timeliness.pre_birth_gestation_weeks must be [low, high] or 'none'"
        )
    timeliness["pre_birth_gestation_weeks"] = Sourced(
        None if weeks.value == "none" else tuple(weeks.value), weeks.source
    )
    quorum = data.timeliness["quorum_other_agencies"]
    if not _is_number(quorum.value):
        raise ProfileError(f"profile {origin}: timeliness.quorum_other_agencies must be a number")
    timeliness["quorum_other_agencies"] = Sourced(quorum.value, quorum.source)
    lead_in = data.handover["lead_time"]
    try:
        lead = Period.parse(lead_in.value) if isinstance(lead_in.value, str) else None
    except ValueError as exc:
        raise ProfileError(f"profile {origin}: handover.lead_time: {exc}") from exc
    if lead is None or lead.unit != "working_days":
        raise ProfileError(f"profile {origin}: handover.lead_time must be in working days")
    supporter = data.authorisations["supporter_record_with_parent_consent"]
    if not isinstance(supporter.value, bool):
        raise ProfileError(
            f"profile {origin}: authorisations.supporter_record_with_parent_consent must be "
            "true or false"
        )
    verbally = data.invitations["parents_invited_verbally_first"]
    if not isinstance(verbally.value, bool):
        raise ProfileError(
            f"profile {origin}: invitations.parents_invited_verbally_first must be true or false"
        )
    return Profile(
        name=data.name,
        title=data.title,
        closure_days=frozenset(data.closure_days),
        handover_lead_time=Sourced(lead, lead_in.source),
        copies=copies,
        notices=notices,
        timeliness=timeliness,
        supporter_record_with_parent_consent=Sourced(supporter.value, supporter.source),
        glossary=dict(data.glossary),
        bank_holiday_changes=_day_changes(data.bank_holidays, origin),
        parents_invited_verbally_first=Sourced(verbally.value, verbally.source),
    )


def _day_changes(given: _BankHolidaysIn, origin: str) -> tuple[DayChange, ...]:
    """A profile's bank-holiday changes; a day both added and removed is a mistake, not a choice."""
    added = {d.date for d in given.add}
    both = sorted(added & {d.date for d in given.remove})
    if both:
        raise ProfileError(
            f"profile {origin}: bank_holidays adds and removes {', '.join(map(str, both))}"
        )
    return (
        *(DayChange(d.date, d.source, d.name) for d in given.add),
        *(DayChange(d.date, d.source) for d in given.remove),
    )


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Tables merge key by key; a leaf (a value or copy rule with its source) replaces the base's."""
    merged = dict(base)
    for key, value in override.items():
        # A leaf is one value with its citation: it replaces the base's whole, so a citation can
        # never be changed without restating the value it cites.
        is_leaf = isinstance(value, dict) and "source" in value
        if isinstance(value, dict) and not is_leaf and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value  # a leaf replaces the whole entry, its citation included
    return merged


def _read_toml(path: Path | Any) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"cannot read profile {path}: {exc}") from exc


def _raw_profiles(extra_dirs: Iterable[Path]) -> dict[str, tuple[dict[str, Any], str]]:
    raw: dict[str, tuple[dict[str, Any], str]] = {}
    shipped = resources.files("pipeline.procedure") / "profiles"
    sources: list[Any] = sorted(
        (p for p in shipped.iterdir() if p.name.endswith(".toml")), key=lambda p: p.name
    )
    for folder in extra_dirs:
        if not folder.is_dir():
            raise ProfileError(f"profiles folder {folder} does not exist")
        sources.extend(sorted(folder.glob("*.toml")))
    for path in sources:
        data = _read_toml(path)
        name = data.get("name")
        if name != path.name.removesuffix(".toml"):
            raise ProfileError(
                f"profile {path}: `name` must be {path.name.removesuffix('.toml')!r}"
            )
        raw[name] = (data, str(path))  # a local file may replace a shipped profile of the same name
    return raw


def load_profiles(extra_dirs: Iterable[Path] = ()) -> dict[str, Profile]:
    """Every profile shipped with the package plus those in `extra_dirs`, by name."""
    raw = _raw_profiles(extra_dirs)

    def resolve(name: str, chain: tuple[str, ...]) -> dict[str, Any]:
        if name in chain:
            raise ProfileError(f"profile {name}: `extends` goes round in a circle")
        if name not in raw:
            raise ProfileError(f"profile {chain[-1]} extends {name!r}, which does not exist")
        data, _ = raw[name]
        parent = data.get("extends")
        own = {k: v for k, v in data.items() if k != "extends"}
        return _merge(resolve(parent, (*chain, name)), own) if parent else own

    return {name: _build(resolve(name, ()), origin) for name, (_, origin) in raw.items()}

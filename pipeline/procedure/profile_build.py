"""A profile's TOML data (already merged with what it extends) → a validated, immutable Profile.

Pure: the data comes in as a dict; `pipeline.procedure.profile_files` reads the files. Every key,
unit and type is checked here, once, when the profile is loaded (the registry of keys is
`pipeline.procedure.profile_keys`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from pipeline.errors import ProfileError
from pipeline.procedure.calendar import DayChange
from pipeline.procedure.profile_keys import KEYS, NOTICES, PERIOD_LIMITS, REPORTS, TIMELINESS
from pipeline.procedure.profile_language import language_settings
from pipeline.procedure.profile_types import (
    _DUE_EVENTS,
    _FALLBACK_CLASS,
    CopyRule,
    DueEvent,
    Period,
    Profile,
    RecipientClass,
    SharedDocument,
    Sourced,
)


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
            None
            if text == "none"
            else _DUE_EVENTS[text]
            if text in _DUE_EVENTS
            else Period.parse(text)
        )
        return CopyRule(
            due,
            self.via == "lead_social_worker",
            self.source,
            self.channel,
            self.attended_only,
        )


_CLASSES: tuple[RecipientClass, ...] = get_args(RecipientClass)


class _TermIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    meaning: str
    source: str


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
    reports: dict[str, _SourcedIn]
    authorisations: dict[Literal["supporter_record_with_parent_consent"], _SourcedIn]
    invitations: dict[Literal["parents_invited_verbally_first"], _SourcedIn]
    glossary: dict[str, str] = {}
    children: dict[Literal["advocacy_contact"], _SourcedIn] = {}
    language: dict[str, Any] = {}
    language_help: dict[str, Any] = {}
    terms: dict[str, _TermIn] = {}


def _period_or_none(entry: _SourcedIn, where: str, key: str) -> Sourced[Period | None]:
    units, may_be_none = KEYS[key].units, KEYS[key].may_be_none
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


def build_profile(raw: dict[str, Any], origin: str) -> Profile:
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
    _exact_keys(origin, "notices", data.notices, NOTICES)
    _exact_keys(
        origin,
        "timeliness",
        data.timeliness,
        TIMELINESS,
    )
    _exact_keys(origin, "reports", data.reports, REPORTS)

    copies: dict[RecipientClass, dict[SharedDocument, CopyRule]] = {}
    for cls in _CLASSES:
        given = {doc: rule.rule() for doc, rule in data.copies.get(cls, {}).items()}
        fallback = _FALLBACK_CLASS.get(cls)
        if fallback is not None:
            # The lead social worker is a professional; a profile states only where they differ.
            given = {**{d: r.rule() for d, r in data.copies[fallback].items()}, **given}
        copies[cls] = given
    notices: dict[str, Sourced[Period]] = {}
    for key in NOTICES:
        period = _period_or_none(data.notices[key], f"profile {origin}: notices.{key}", key)
        assert period.value is not None  # no notice may be 'none' (profile_keys.KEYS)
        notices[key] = Sourced(period.value, period.source)
    timeliness: dict[str, Sourced[Any]] = {
        key: _period_or_none(data.timeliness[key], f"profile {origin}: timeliness.{key}", key)
        for key in PERIOD_LIMITS
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
    advocacy = data.children.get("advocacy_contact")
    if advocacy is not None and not (isinstance(advocacy.value, str) and advocacy.value.strip()):
        raise ProfileError(f"profile {origin}: children.advocacy_contact must be some words")
    return Profile(
        name=data.name,
        title=data.title,
        closure_days=frozenset(data.closure_days),
        handover_lead_time=Sourced(lead, lead_in.source),
        copies=copies,
        notices=notices,
        timeliness=timeliness,
        supporter_record_with_parent_consent=Sourced(supporter.value, supporter.source),
        glossary={k: v for k, v in data.glossary.items() if k != "source"},
        glossary_source=_glossary_source(data.glossary, origin),
        terms=_terms(data.terms, origin),
        bank_holiday_changes=_day_changes(data.bank_holidays, origin),
        parents_invited_verbally_first=Sourced(verbally.value, verbally.source),
        children_advocacy_contact=Sourced(advocacy.value.strip(), advocacy.source)
        if advocacy is not None
        else None,
        language=language_settings(data.language, data.language_help, origin),
        reports={
            key: _period_or_none(data.reports[key], f"profile {origin}: reports.{key}", key)
            for key in REPORTS
        },
    )


def _glossary_source(glossary: Mapping[str, str], origin: str) -> str:
    # Every value in a profile names its source; the glossary's is one for the whole table.
    source = glossary.get("source", "").strip()
    if "source" in glossary and not source:
        raise ProfileError(
            f"profile {origin}: glossary.source is empty (where the acronyms come from)"
        )
    # A council's own profile written before the glossary named its source still loads: its
    # acronyms are its own, and one refusal here would stop every profile from loading.
    return source


def _terms(given: Mapping[str, _TermIn], origin: str) -> dict[str, Sourced[str]]:
    """[terms]: each a word a family meets, with a plain meaning and where the meaning comes from."""
    terms: dict[str, Sourced[str]] = {}
    for term, entry in given.items():
        where = f"profile {origin}: terms.{term!r}"
        if not term.strip() or term != " ".join(term.split()) or term != term.lower():
            # Matched in any case as a whole phrase: one spelling, lower case, single spaces.
            raise ProfileError(f"{where}: a term is written in lower case with single spaces")
        if not entry.meaning.strip():
            raise ProfileError(f"{where}: meaning is empty")
        if not entry.source.strip():
            raise ProfileError(f"{where}: source is empty (say where the meaning comes from)")
        terms[term] = Sourced(" ".join(entry.meaning.split()), entry.source.strip())
    return terms


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


def merge_tables(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Tables merge key by key; a leaf (a value or copy rule with its source) replaces the base's."""
    merged = dict(base)
    for key, value in override.items():
        # A leaf is one value with its citation: it replaces the base's whole, so a citation can
        # never be changed without restating the value it cites.
        # A value given without its source is a leaf too, so it is refused for lack of one
        # rather than taking the base's citation for a value that citation does not say.
        is_leaf = isinstance(value, dict) and ("source" in value or "value" in value)
        if isinstance(value, dict) and not is_leaf and isinstance(merged.get(key), dict):
            merged[key] = merge_tables(merged[key], value)
        else:
            merged[key] = value  # a leaf replaces the whole entry, its citation included
    return merged

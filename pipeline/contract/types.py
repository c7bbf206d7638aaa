"""Field types shared by the contract models: ids, text, dates and e-mail, as the JSON Schemas define them.

Validation is strict (the spec's README, section 1): a date is a string written YYYY-MM-DD and
nothing else, a timestamp carries its offset, nothing is coerced from another JSON type.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
)
from pydantic_core import PydanticCustomError

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# RFC 3339 date-time, as JSON Schema's `format: date-time` asks: a 'T', seconds, an offset.
_DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
# JSON Schema's `format: email` (RFC 5321, ASCII); we also refuse what could not be delivered or
# could smuggle a second address into a mail header: no spaces, controls, brackets or commas.
_EMAIL = (
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)


class Strict(BaseModel):
    """Base of every contract model: unknown fields refused, no coercion, immutable once built."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# Bounds the store and the calendar can hold. Due dates run months and working days
# past the conference and `holidays` is asked about those years, so no date may lie near the end
# of Python's calendar (year 9999); a revision must fit a 32-bit INTEGER column (PostgreSQL).
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2100, 12, 31)
MAX_REVISION = 2**31 - 1


def _in_range(value: date, found: str) -> None:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise PydanticCustomError(
            "date_out_of_range",
            "is {found}, outside the dates the pipeline can work with "
            "(" + f"{EARLIEST_DATE} to {LATEST_DATE}" + ")",
            {"found": found},
        )


def _iso_date_text(value: Any) -> Any:
    # Parsed here because strict mode behind a before-validator would refuse the string itself.
    if not isinstance(value, str):
        return value  # the strict date validator then says it is not a date
    if not _DATE.fullmatch(value):
        raise PydanticCustomError(
            "date_format",
            "must be a date written YYYY-MM-DD; found {found}",
            {"found": repr(value)},
        )
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError(
            "date_invalid", "is not a real calendar date; found {found}", {"found": repr(value)}
        ) from None
    _in_range(parsed, repr(value))
    return parsed


def _iso_datetime_text(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if not _DATE_TIME.fullmatch(value):
        raise PydanticCustomError(
            "datetime_format",
            "must be a date and time written like 2026-11-30T17:05:00Z (with its time zone); "
            "found {found}",
            {"found": repr(value)},
        )
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise PydanticCustomError(
            "datetime_invalid", "is not a real date and time; found {found}", {"found": repr(value)}
        ) from None
    # Both the date as written and the same moment in UTC: 9999-12-31T23:59:59-23:59 is a
    # real timestamp whose UTC (and UK) date is past the end of Python's calendar.
    _in_range(parsed.date(), repr(value))
    _in_range((parsed - parsed.utcoffset()).date(), repr(value))  # type: ignore[operator]
    return parsed


H = TypeVar("H", bound=Hashable)


def _unique(values: Sequence[H]) -> Sequence[H]:
    seen: set[H] = set()
    for value in values:
        if value in seen:
            raise PydanticCustomError(
                "unique_items", "lists {value} more than once", {"value": repr(value)}
            )
        seen.add(value)
    return values


Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Ref = Annotated[str, StringConstraints(pattern=ID_PATTERN)]


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank_text", "must not be blank")
    return value


Text = Annotated[str, StringConstraints(min_length=1, max_length=20000), AfterValidator(_not_blank)]
Email = Annotated[str, StringConstraints(max_length=254, pattern=_EMAIL)]
IsoDate = Annotated[date, BeforeValidator(_iso_date_text)]
IsoDateTime = Annotated[AwareDatetime, BeforeValidator(_iso_datetime_text)]
Time = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
UniqueTuple = AfterValidator(_unique)

__all__ = [
    "EARLIEST_DATE",
    "ID_PATTERN",
    "LATEST_DATE",
    "MAX_REVISION",
    "Email",
    "Id",
    "IsoDate",
    "IsoDateTime",
    "Ref",
    "Strict",
    "Text",
    "Time",
    "UniqueTuple",
    "datetime",
]

"""The one registry of a profile's notice and timeliness keys: the table each is in, its unit, and whether it may be "none".

A key a profile must state is named once, here; the builder checks a profile against this table
when it loads (a misspelt or missing key, a wrong unit), so a plan never meets one it cannot use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from pipeline.procedure.profile_types import Unit

Table = Literal["notices", "timeliness", "reports"]
# A period ("3 working days"); a [low, high] pair of numbers or "none"; or a plain number.
Kind = Literal["period", "range", "number"]


@dataclass(frozen=True, slots=True)
class Key:
    """One setting: the table it is in, what it holds, the units a period may be counted in, and
    whether "none" may be given (the code then skips that check)."""

    table: Table
    kind: Kind = "period"
    units: tuple[Unit, ...] = ("working_days",)
    may_be_none: bool = False


KEYS: Final[dict[str, Key]] = {
    "invitation_after_export": Key("notices"),
    "invitation_before_conference": Key("notices"),
    "exclusion_letter_after_decision": Key("notices"),
    "plan_ended_notice": Key("notices", units=("working_days", "hours")),
    "cancellation_notice_after_export": Key("notices"),
    "amendment_notice": Key("notices"),
    "amendment_window": Key("notices", units=("working_days", "weeks")),
    "post_receipt": Key("notices"),
    "initial_conference": Key("timeliness"),
    "transfer_in_conference": Key("timeliness"),
    "first_core_group": Key("timeliness"),
    "first_review": Key("timeliness", units=("months",)),
    "later_review": Key("timeliness", units=("months",)),
    "pre_birth_review_after_birth": Key("timeliness", units=("months",), may_be_none=True),
    "pre_birth_review_after_conference": Key("timeliness", units=("months",), may_be_none=True),
    "exclusion_request_before_conference": Key("timeliness"),
    "pre_birth_gestation_weeks": Key("timeliness", kind="range", units=()),
    "quorum_other_agencies": Key("timeliness", kind="number", units=()),
    # R41, R42: how long before the conference each report reaches the chair and the family.
    "social_worker_to_chair_initial": Key("reports"),
    "social_worker_to_chair_review": Key("reports"),
    "agency_to_chair_initial": Key("reports", units=("working_days", "hours")),
    "agency_to_chair_review": Key("reports", units=("working_days", "hours")),
    "to_family_initial": Key("reports"),
    "to_family_review": Key("reports"),
    "countersigned_before": Key("reports", units=("working_days", "hours"), may_be_none=True),
}


def keys_of(table: Table, kind: Kind | None = None) -> tuple[str, ...]:
    """The keys of one table (of one kind, if given), in the registry's order."""
    return tuple(
        name
        for name, key in KEYS.items()
        if key.table == table and (kind is None or key.kind == kind)
    )


NOTICES: Final = keys_of("notices")
PERIOD_LIMITS: Final = keys_of("timeliness", "period")
TIMELINESS: Final = keys_of("timeliness")
REPORTS: Final = keys_of("reports")

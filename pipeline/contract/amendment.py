"""An amendment request to a distributed record, format `cpc-amendment/1` (../shared/spec/cpc-amendment-1.schema.json)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from pipeline.contract.types import Id, IsoDate, Ref, Strict
from pipeline.errors import FieldIssue

LongText = Annotated[str, Field(max_length=20000)]


class Change(Strict):
    section: Ref
    kind: Literal["factual_correction", "meaning_changed"]
    replace: Annotated[str, Field(min_length=1, max_length=20000)]
    with_: Annotated[LongText, Field(alias="with")]
    explanation: LongText | None = None


class ChairDecision(Strict):
    status: Literal["pending", "agreed", "rejected"]
    by: Ref | None = None
    on: IsoDate | None = None
    note: LongText | None = None


class Amendment(Strict):
    """A recipient's request to correct the record, and the chair's decision on it (R60, R61)."""

    format: Literal["cpc-amendment/1"]
    amendment_id: Id
    conference_id: Id
    requested_by: Ref
    received_on: IsoDate
    changes: Annotated[tuple[Change, ...], Field(min_length=1)]
    decision: ChairDecision


def check_amendment(amendment: Amendment) -> list[FieldIssue]:
    """Cross-field problems in an amendment: a decided request names who decided and when."""
    issues: list[FieldIssue] = []
    decision = amendment.decision
    if decision.status != "pending":
        if decision.by is None:
            issues.append(
                FieldIssue("decision.by", f"is required when the decision is {decision.status}")
            )
        if decision.on is None:
            issues.append(
                FieldIssue("decision.on", f"is required when the decision is {decision.status}")
            )
        elif decision.on < amendment.received_on:
            issues.append(
                FieldIssue(
                    "decision.on",
                    f"is {decision.on}, before the request was received on {amendment.received_on}",
                )
            )
    return issues

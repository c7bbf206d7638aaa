"""Shared helpers: the shipped examples as dicts, and the plan of a (possibly mutated) export."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pipeline.contract import load_export
from pipeline.distribution import plan_distribution
from pipeline.plan_types import DistributionPlan, PlannedCopy
from pipeline.profile import Profile, load_profiles

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SHARED = Path(__file__).resolve().parents[2] / "shared"

_cache: dict[str, dict[str, Any]] = {}


def example(name: str) -> dict[str, Any]:
    """A fresh, mutable copy of an example export or amendment (by file stem)."""
    if name not in _cache:
        _cache[name] = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return copy.deepcopy(_cache[name])


@pytest.fixture(scope="session")
def profiles() -> dict[str, Profile]:
    return load_profiles()


PlanOf = Callable[..., DistributionPlan]


@pytest.fixture(scope="session")
def plan_of(profiles: dict[str, Profile]) -> PlanOf:
    """Validate an export dict as the pipeline would (bytes in), then plan it."""

    def run(data: dict[str, Any], extra: dict[str, Profile] | None = None) -> DistributionPlan:
        known = {**profiles, **(extra or {})}
        export = load_export(json.dumps(data).encode(), known.keys())
        profile = known[export.authority.procedure_profile or "default"]
        calendar = profile.working_calendar(export.authority.nation)
        return plan_distribution(export, profile, calendar)

    return run


def copies_of(plan: DistributionPlan, recipient: str) -> dict[str, PlannedCopy]:
    """One recipient's copies by document."""
    return {c.document: c for c in plan.copies if c.recipient == recipient}


def the_copy(plan: DistributionPlan, recipient: str, document: str) -> PlannedCopy:
    matches = [c for c in plan.copies if c.recipient == recipient and c.document == document]
    assert len(matches) == 1, f"{recipient} {document}: {len(matches)} copies"
    return matches[0]

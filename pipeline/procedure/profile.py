"""Procedure profiles: TOML data → a validated, immutable Profile (who receives what, by when, and why).

A profile is where a local authority's procedure lives as data (spec §3): deadlines per recipient
and document, notice periods, timeliness limits, closure days and the glossary. Each value names
its source paragraph. Profiles ship in `pipeline/profiles/`; an authority adds its own by dropping a
`NAME.toml` in a folder given to `load_profiles` (the CLI's `--profiles-dir` or `CPC_PROFILES_DIR`),
usually starting with `extends = "default"` and stating only what differs.

The package is split by job: `profile_types` (the values), `profile_keys` (the one registry of
notice and timeliness keys), `profile_build` (TOML data → Profile, pure) and `profile_files` (the
only I/O). Callers import from here.
"""

from __future__ import annotations

from pipeline.procedure.profile_files import load_profiles
from pipeline.procedure.profile_types import (
    CopyRule,
    DueEvent,
    Period,
    Profile,
    RecipientClass,
    SharedDocument,
    Sourced,
    Unit,
)

__all__ = [
    "CopyRule",
    "DueEvent",
    "Period",
    "Profile",
    "RecipientClass",
    "SharedDocument",
    "Sourced",
    "Unit",
    "load_profiles",
]

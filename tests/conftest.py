"""Shared helpers: the shipped examples as dicts, and the plan of a (possibly mutated) export."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import pipeline.clock
from pipeline.contract.amendment import Amendment
from pipeline.contract.load import load_document, load_export
from pipeline.planning.plan import DistributionPlan, PlannedCopy
from pipeline.planning.recipients import plan_distribution
from pipeline.planning.routing import DEFAULT_ROUTING, Routing
from pipeline.procedure.profile import Profile, load_profiles
from tests.mail_server import mail_server  # noqa: F401 - one SMTP server fixture for every module

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SHARED = Path(__file__).resolve().parents[2] / "shared"

_cache: dict[str, dict[str, Any]] = {}

# The real clock the service's guards compare with (issue 10: a real run may not be dated after
# today, nor a hand-over). The examples' conferences are in late 2026 and the tests run the
# service on days of their choosing, so the suite stands on a day after all of them; a test of
# a guard sets its own day with `real_now`.
TEST_NOW = datetime(2027, 12, 31, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="session", autouse=True)
def _test_clock() -> Iterator[list[datetime]]:
    """The real clock at TEST_NOW for the whole session (module fixtures run services too)."""
    moment = [TEST_NOW]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pipeline.clock, "now", lambda: moment[0])
        yield moment


@pytest.fixture
def real_now(_test_clock: list[datetime]) -> Iterator[Callable[[datetime], None]]:
    """Set the real clock for one test: `real_now(datetime(...))`; back to TEST_NOW after."""

    def set_to(value: datetime) -> None:
        _test_clock[0] = value

    yield set_to
    _test_clock[0] = TEST_NOW


def amendment_document(profiles: dict[str, Profile], **fields: Any) -> Amendment:
    """The example amendment with `fields` replaced, validated as the pipeline would."""
    data = example("amendment-agreed")
    data.update(fields)
    document = load_document(json.dumps(data).encode(), profiles.keys())
    assert isinstance(document, Amendment)
    return document


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

    def run(
        data: dict[str, Any],
        extra: dict[str, Profile] | None = None,
        routing: Routing = DEFAULT_ROUTING,
    ) -> DistributionPlan:
        known = {**profiles, **(extra or {})}
        export = load_export(json.dumps(data).encode(), known.keys())
        profile = known[export.authority.procedure_profile or "default"]
        calendar = profile.working_calendar(export.authority.nation)
        return plan_distribution(export, profile, calendar, routing)

    return run


def copies_of(plan: DistributionPlan, recipient: str) -> dict[str, PlannedCopy]:
    """One recipient's copies by document."""
    return {c.document: c for c in plan.copies if c.recipient == recipient}


def the_copy(plan: DistributionPlan, recipient: str, document: str) -> PlannedCopy:
    matches = [c for c in plan.copies if c.recipient == recipient and c.document == document]
    assert len(matches) == 1, f"{recipient} {document}: {len(matches)} copies"
    return matches[0]


# The spec's examples use fictional postcode areas (NB, EV, SB), which GOV.UK Notify refuses as
# "not-a-real-uk-postcode"; tests of letters Notify must accept post to the same people at
# real-format areas, the rest of each postcode kept.
_POSTCODE_AREAS = {"NB": "LS", "EV": "LE", "SB": "SO"}


def with_real_format_postcodes(data: dict[str, Any]) -> dict[str, Any]:
    def fix(code: str) -> str:
        area = re.match(r"[A-Z]+", code)
        return (
            _POSTCODE_AREAS.get(area.group(), area.group()) + code[area.end() :] if area else code
        )

    for person in data["people"]:
        if person.get("address"):
            person["address"]["postcode"] = fix(person["address"]["postcode"])
    if data["authority"].get("address"):
        data["authority"]["address"]["postcode"] = fix(data["authority"]["address"]["postcode"])
    return data


# ---- how xdist shares the suite between workers -----------------------------------------------

# Modules whose tests share a module fixture that takes seconds to make (a conference laid out,
# a service run through its first day, the crash trials' starting state). Split test by test
# between two workers, each worker makes the fixture once more, or waits on the other's lock;
# one worker takes each whole instead. (xdist's own `xdist_group` mark no longer groups under
# pytest 9.2: pytest-dev/pytest-xdist#1386.)
WHOLE_MODULES = frozenset(
    {
        "tests/browser/test_front_desk_browser.py",
        "tests/test_amendment_service.py",
        "tests/test_distribute_crash.py",
        "tests/test_letter_geometry.py",
        "tests/test_process.py",
        "tests/test_queued_run.py",
        "tests/test_service_e2e.py",
        # Each test a minute of processes (workers killed and restarted): whole, they are one
        # large unit and start early, instead of small ones handed out last.
        "tests/test_worker_crash.py",
    }
)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`-n N` (xdist's `load`): every test its own unit, but the modules above whole. Units are
    handed out largest first (xdist's loadscope order), so the long ones start early and the
    single tests even out the end."""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class WholeModulesScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if module in WHOLE_MODULES else nodeid

    return WholeModulesScheduling(config, log)


# ---- GOV.UK Notify: the test double on loopback (tests/notify_double.py), for every module ----
# ---- the store's backends: SQLite and a PostgreSQL server the suite starts itself ---------------


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test marked `one_store` in a module run on both stores is taken on SQLite only (not
    skipped: deselected, with its reason beside it): what it tests is the same on both, and the
    suite's time is better spent on what the store changes."""
    dropped = [
        item
        for item in items
        if item.get_closest_marker("one_store") and "[postgresql" in item.nodeid
    ]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item not in dropped]


from tests.backends import backend, database, module_database  # noqa: E402, F401 - fixtures
from tests.notify_double import notify_double  # noqa: E402, F401 - the fixture
from tests.postgres_server import postgres_server, postgres_url  # noqa: E402, F401 - fixtures

"""cpc-export/2 exports: the fields version 2 adds are refused, naming the field, where they break a rule across fields (pipeline.contract.report_checks); version 1 has none of them.

Every variant is one of the two v2 examples with one small change, so the issue it must produce
is known from the rule alone. `tests/test_contract_broken.py` also runs each row of `V2_BROKEN`
through its plain-words check.

examples/v2-initial-reports.json (scheduled initial conference Thu 3 Dec 2026, exported
2026-12-02T05:30:00Z, a UK date of Wed 2 Dec): people[2] p-mother, [3] p-father, [4] p-gran
(family member), [5] p-supporter, [7] p-father-sol, [8] p-sw, [10] p-police, [16] p-advocate;
reports[0] r-sw (submitted Fri 4 Dec; shared with the mother on the 7th and the father on the 8th;
sections sw1-sw4, sw2 withheld from p-father and p-father-sol), [1] r-police (shared with the
mother), [2] r-hv, [3] r-school (submitted Thu 10 Dec, the export's own day); children[0] c-ella
(gives_views, advocate p-advocate), [1] c-noah (not_involved); conference.arrangements[0]: access
for p-father. examples/v2-review-reports.json (held review, exported 2026-11-24T16:00:00Z):
reports[0] r-sw2, countersigned by p-tm2 on 17 Nov.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from pipeline.contract.export import Export
from pipeline.contract.export_v2 import ExportV2
from pipeline.contract.load import load_document, load_export
from pipeline.errors import ContractError, FieldIssue
from tests.mutations import Mutation, drop, put

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
KNOWN_PROFILES = frozenset({"default", "wirral"})
V2_INITIAL = "v2-initial-reports"
V2_REVIEW = "v2-review-reports"
V1_INITIAL = "initial-domestic-abuse"


@cache
def _raw(name: str) -> bytes:
    return (EXAMPLES / f"{name}.json").read_bytes()


def variant_bytes(name: str, mutations: list[Mutation]) -> bytes:
    """The example `name` with each mutation applied, as the bytes of a JSON file."""
    data: Any = copy.deepcopy(json.loads(_raw(name)))
    for mutate in mutations:
        mutate(data)
    return json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8")


def _issues(raw: bytes) -> tuple[FieldIssue, ...]:
    with pytest.raises(ContractError) as caught:
        load_export(raw, KNOWN_PROFILES, source="variant.json")
    return caught.value.issues


def _at(issues: tuple[FieldIssue, ...], path: str) -> list[str]:
    return [issue.message for issue in issues if issue.path == path]


def _listing(issues: tuple[FieldIssue, ...]) -> str:
    return "\n".join(f"  {issue.path!r}: {issue.message}" for issue in issues)


# --- the examples the variants start from ---------------------------------------------------------


@pytest.mark.parametrize("name", [V2_INITIAL, V2_REVIEW])
def test_a_v2_export_loads_as_export_v2_with_its_reports(name: str) -> None:
    export = load_export(_raw(name), KNOWN_PROFILES, source=f"{name}.json")
    assert type(export) is ExportV2
    assert export.format == "cpc-export/2"
    assert export.conference_reports() == export.reports
    # json.dumps of the parsed example (how variants are written) is valid too
    assert load_export(variant_bytes(name, []), KNOWN_PROFILES) == export


def test_the_initial_example_carries_what_the_variants_rely_on() -> None:
    export = load_export(_raw(V2_INITIAL), KNOWN_PROFILES)
    assert isinstance(export, ExportV2)
    assert [r.id for r in export.reports] == ["r-sw", "r-police", "r-hv", "r-school"]
    withheld = export.report("r-sw").sections[1]
    assert withheld.id == "sw2"
    assert withheld.visibility is not None
    assert withheld.visibility.withheld_from == ("p-father", "p-father-sol")
    assert [(c.id, c.participation, c.advocate) for c in export.children] == [
        ("c-ella", "gives_views", "p-advocate"),
        ("c-noah", "not_involved", None),
    ]
    assert [(a.person, a.kind, a.language) for a in export.conference.arrangements] == [
        ("p-father", "access", None)
    ]


@pytest.mark.parametrize("name", [V1_INITIAL, "review-plan-ends", "pre-birth-scheduled"])
def test_a_v1_export_loads_as_a_plain_export_with_no_reports(name: str) -> None:
    export = load_export(_raw(name), KNOWN_PROFILES)
    assert type(export) is Export
    assert export.conference_reports() == ()


def test_a_v1_export_marked_cpc_export_2_loads_as_v2_unchanged() -> None:
    """A superset: the same fields, read by the v2 model, mean the same (docs/cpc-export-2.md)."""
    v1 = load_export(_raw(V1_INITIAL), KNOWN_PROFILES)
    v2 = load_export(variant_bytes(V1_INITIAL, [put("format", "cpc-export/2")]), KNOWN_PROFILES)
    assert type(v2) is ExportV2
    assert v2.reports == () and v2.conference.arrangements == ()
    assert all(c.participation is None and c.advocate is None for c in v2.children)
    v1_fields = v1.model_dump(exclude={"format"})
    v2_fields = v2.model_dump(exclude={"format", "reports"})
    v2_fields["conference"].pop("arrangements")
    for child in v2_fields["children"]:
        for added in ("participation", "views_how", "advocate"):
            child.pop(added)
    assert v2_fields == v1_fields


# --- a v1 export carries none of the fields v2 adds ------------------------------------------------

NOT_A_FIELD = "is not a field of this format"


@pytest.mark.parametrize(
    ("mutation", "path"),
    [
        pytest.param(put("reports", []), "reports", id="reports"),
        pytest.param(
            put("children[0].participation", "attends"),
            "children[0].participation",
            id="participation",
        ),
        pytest.param(put("children[0].advocate", "p-gran"), "children[0].advocate", id="advocate"),
        pytest.param(
            put("children[0].views_how", "In writing."), "children[0].views_how", id="views-how"
        ),
        pytest.param(
            put("conference.arrangements", []), "conference.arrangements", id="arrangements"
        ),
    ],
)
def test_a_v1_export_carrying_a_v2_field_is_refused(mutation: Mutation, path: str) -> None:
    issues = _issues(variant_bytes(V1_INITIAL, [mutation]))
    assert [issue.path for issue in issues] == [path], _listing(issues)
    assert NOT_A_FIELD in issues[0].message


def test_a_v2_export_marked_cpc_export_1_names_every_v2_field() -> None:
    issues = _issues(variant_bytes(V2_INITIAL, [put("format", "cpc-export/1")]))
    assert {issue.path for issue in issues} == {
        "reports",
        "conference.arrangements",
        "children[0].participation",
        "children[0].views_how",
        "children[0].advocate",
        "children[1].participation",
    }, _listing(issues)
    assert all(NOT_A_FIELD in issue.message for issue in issues)


# --- the rules across the fields v2 adds (report_checks) -----------------------------------------

# (example, mutations, path of the issue, a word its message must hold)
V2_BROKEN = [
    # ---- who wrote, countersigned and was given each report (000 §4.7.7, §4.7.9; 002 §15.1) ----
    pytest.param(
        V2_INITIAL,
        [put("reports[0].author", "p-nobody")],
        "reports[0].author",
        "no such person",
        id="author-dangling",
    ),
    pytest.param(
        V2_INITIAL,
        [put("reports[0].author", "p-mother")],
        "reports[0].author",
        "must be a professional",
        id="author-a-parent",
    ),
    pytest.param(
        V2_INITIAL,
        [put("reports[2].author", "c-noah")],
        "reports[2].author",
        "a child",
        id="author-a-child",
    ),
    pytest.param(
        V2_REVIEW,
        [put("reports[0].countersigned_by", "p-mum")],
        "reports[0].countersigned_by",
        "team manager",
        id="countersigned-by-a-parent",
    ),
    pytest.param(
        V2_REVIEW,
        [drop("reports[0].countersigned_by")],
        "reports[0].countersigned_by",
        "countersigned_on",
        id="countersigned-on-without-by",
    ),
    pytest.param(
        V2_INITIAL,
        [put("reports[1].shared_with[0].person", "p-police")],
        "reports[1].shared_with[0].person",
        "parent, carer, family member or child",
        id="shared-with-a-professional",
    ),
    pytest.param(
        V2_INITIAL,
        # a supporter is given nothing of their own (002 §22.11)
        [put("reports[1].shared_with[0].person", "p-supporter")],
        "reports[1].shared_with[0].person",
        "role is supporter",
        id="shared-with-a-supporter",
    ),
    pytest.param(
        V2_INITIAL,
        [put("reports[1].shared_with[0].person", "p-nobody")],
        "reports[1].shared_with[0].person",
        "no such person",
        id="shared-with-dangling",
    ),
    pytest.param(
        V2_INITIAL,
        [
            drop("children[1].date_of_birth"),
            put("children[1].unborn", True),
            put("children[1].expected_delivery_date", "2027-01-20"),
            put("reports[1].shared_with[0].person", "c-noah"),
        ],
        "reports[1].shared_with[0].person",
        "not born yet",
        id="shared-with-an-unborn-child",
    ),
    # ---- ids and people listed once ----
    pytest.param(
        V2_INITIAL,
        [put("reports[3].id", "r-sw")],
        "reports[3].id",
        "more than once",
        id="report-id-repeated",
    ),
    pytest.param(
        V2_INITIAL,
        [put("reports[0].sections[3].id", "sw1")],
        "reports[0].sections[3].id",
        "section id",
        id="section-id-repeated",
    ),
    pytest.param(
        V2_INITIAL,
        [put("reports[0].shared_with[1].person", "p-mother")],
        "reports[0].shared_with[1].person",
        "more than once",
        id="shared-person-repeated",
    ),
    # ---- dates (spec §1: nothing is dated after exported_at, a UK date of 2026-12-02) ----
    pytest.param(
        V2_INITIAL,
        [put("reports[2].submitted_on", "2026-12-03")],
        "reports[2].submitted_on",
        "after the export was made on 2026-12-02",
        id="submitted-after-export",
    ),
    pytest.param(
        V2_REVIEW,
        [put("reports[0].countersigned_on", "2026-11-25")],
        "reports[0].countersigned_on",
        "after the export was made on 2026-11-24",
        id="countersigned-after-export",
    ),
    pytest.param(
        V2_INITIAL,
        [put("reports[0].shared_with[1].shared_on", "2026-12-03")],
        "reports[0].shared_with[1].shared_on",
        "after the export",
        id="shared-after-export",
    ),
    pytest.param(
        V2_INITIAL,
        [drop("reports[1].submitted_on")],
        "reports[1].submitted_on",
        "shared with the family",
        id="shared-but-not-submitted",
    ),
    # ---- the child's part (000 §4.4.3-4.4.17; 002 §13) ----
    pytest.param(
        V2_INITIAL,
        [put("children[0].advocate", "p-gran")],
        "children[0].advocate",
        "must be an advocate",
        id="advocate-a-family-member",
    ),
    pytest.param(
        V2_INITIAL,
        [put("children[0].advocate", "p-nobody")],
        "children[0].advocate",
        "no such person",
        id="advocate-dangling",
    ),
    pytest.param(
        V2_INITIAL,
        [
            drop("children[0].date_of_birth"),
            put("children[0].unborn", True),
            put("children[0].expected_delivery_date", "2027-01-20"),
        ],
        "children[0].participation",
        "not born yet",
        id="participation-of-an-unborn-child",
    ),
    pytest.param(
        V2_INITIAL,
        [put("children[1].views_how", "Noah drew a picture.")],
        "children[1].views_how",
        "not involved",
        id="views-how-of-a-child-not-involved",
    ),
    # ---- arrangements (000 §4.4.1; 002 §8.4-8.6) ----
    pytest.param(
        V2_INITIAL,
        [put("conference.arrangements[0].kind", "interpreter")],
        "conference.arrangements[0].language",
        "the language to interpret",
        id="interpreter-without-a-language",
    ),
    pytest.param(
        V2_INITIAL,
        [put("conference.arrangements[0].language", "pl")],
        "conference.arrangements[0].language",
        "only for an interpreter",
        id="access-with-a-language",
    ),
    pytest.param(
        V2_INITIAL,
        [put("conference.arrangements[0].person", "p-nobody")],
        "conference.arrangements[0].person",
        "no such person",
        id="arrangement-for-nobody",
    ),
    # ---- who may not see a report or a section (spec §4 rules 1-2) ----
    pytest.param(
        V2_INITIAL,
        [put("reports[0].sections[1].visibility.withheld_from[1]", "p-nobody")],
        "reports[0].sections[1].visibility.withheld_from[1]",
        "no such person",
        id="section-withheld-from-dangling",
    ),
    pytest.param(
        V2_INITIAL,
        [put("reports[2].visibility", {"withheld_from": ["p-ghost"]})],
        "reports[2].visibility.withheld_from[0]",
        "no such person",
        id="report-withheld-from-dangling",
    ),
]


@pytest.mark.parametrize(("name", "mutations", "path", "word"), V2_BROKEN)
def test_a_broken_v2_export_is_refused_naming_the_field_and_the_problem(
    name: str, mutations: list[Mutation], path: str, word: str
) -> None:
    issues = _issues(variant_bytes(name, mutations))
    messages = _at(issues, path)
    assert messages, f"no issue at {path!r}; got:\n{_listing(issues)}"
    assert any(word.lower() in m.lower() for m in messages), _listing(issues)


@pytest.mark.parametrize(
    ("mutation", "first", "second"),
    [
        pytest.param(put("reports[3].id", "r-sw"), "reports[0].id", "reports[3].id", id="report"),
        pytest.param(
            put("reports[0].sections[3].id", "sw1"),
            "reports[0].sections[0].id",
            "reports[0].sections[3].id",
            id="section",
        ),
        pytest.param(
            put("reports[0].shared_with[1].person", "p-mother"),
            "reports[0].shared_with[0].person",
            "reports[0].shared_with[1].person",
            id="shared-person",
        ),
    ],
)
def test_a_repeat_names_both_places(mutation: Mutation, first: str, second: str) -> None:
    issues = _issues(variant_bytes(V2_INITIAL, [mutation]))
    assert [issue.path for issue in issues] == [first, second], _listing(issues)


def test_a_section_id_may_repeat_in_another_report() -> None:
    # Section ids are unique within their report; each report is its own document.
    load_export(
        variant_bytes(V2_INITIAL, [put("reports[1].sections[0].id", "sw1")]), KNOWN_PROFILES
    )


def test_shared_but_not_submitted_is_said_once_however_many_it_was_shared_with() -> None:
    issues = _issues(variant_bytes(V2_INITIAL, [drop("reports[0].submitted_on")]))
    assert [issue.path for issue in issues] == ["reports[0].submitted_on"], _listing(issues)


@pytest.mark.parametrize(
    "mutations",
    [
        # a report may be given to an older child (000 §4.7.7; 002 §15.4)
        pytest.param([put("reports[1].shared_with[0].person", "c-ella")], id="shared-with-a-child"),
        # to a family member too (the grandmother)
        pytest.param([put("reports[1].shared_with[0].person", "p-gran")], id="shared-with-gran"),
        # submitted on the day the export was made (UK date 2026-12-02): not after it
        pytest.param([put("reports[2].submitted_on", "2026-12-02")], id="submitted-export-day"),
        # an interpreter with its language
        pytest.param(
            [
                put("conference.arrangements[0].kind", "interpreter"),
                put("conference.arrangements[0].language", "bfi"),
            ],
            id="interpreter-with-language",
        ),
        # an arrangement for a child
        pytest.param([put("conference.arrangements[0].person", "c-ella")], id="arrangement-child"),
        # an unborn child who takes no part
        pytest.param(
            [
                drop("children[1].date_of_birth"),
                put("children[1].unborn", True),
                put("children[1].expected_delivery_date", "2027-01-20"),
            ],
            id="unborn-not-involved",
        ),
        # a report withheld from a child
        pytest.param(
            [put("reports[2].visibility", {"withheld_from": ["c-ella"]})], id="withheld-from-child"
        ),
    ],
)
def test_what_the_rules_allow_is_accepted(mutations: list[Mutation]) -> None:
    """The controls: each rule above refuses only what it names."""
    load_export(variant_bytes(V2_INITIAL, mutations), KNOWN_PROFILES)


def test_every_v2_problem_is_reported_at_once() -> None:
    issues = _issues(
        variant_bytes(
            V2_INITIAL,
            [
                put("reports[0].author", "p-nobody"),
                put("reports[3].id", "r-hv"),
                put("children[0].advocate", "p-gran"),
                put("conference.arrangements[0].language", "pl"),
            ],
        )
    )
    assert {issue.path for issue in issues} == {
        "reports[0].author",
        "reports[2].id",
        "reports[3].id",
        "children[0].advocate",
        "conference.arrangements[0].language",
    }, _listing(issues)


def test_a_wrong_optional_v2_field_does_not_hide_the_cross_field_problems() -> None:
    # agency_type is optional: the rules across fields still run without it (load._validated_export)
    raw = variant_bytes(
        V2_INITIAL, [put("reports[3].agency_type", "school"), put("children[0].advocate", "p-gran")]
    )
    with pytest.raises(ContractError) as caught:
        load_document(raw, KNOWN_PROFILES)
    issues = caught.value.issues
    assert [issue.path for issue in issues] == ["reports[3].agency_type", "children[0].advocate"]
    assert "'school'" in issues[0].message
    assert "must be an advocate" in issues[1].message
    assert caught.value.note is None

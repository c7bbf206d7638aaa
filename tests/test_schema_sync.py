"""The pydantic models and the JSON Schemas stay in step: ../shared/spec's (cpc-export/1,
cpc-amendment/1) and the project's own pipeline/contract/schemas/cpc-export-2.schema.json.

- Every example of the spec is valid under its schema and under the models, and the copies shipped
  in examples/ are byte-identical to the spec's; the project's own v2 examples (examples/v2-*.json)
  are valid under the v2 schema and the v2 models.
- Each schema object has the same properties, required fields and enum values as its model.
- Each schema-level break (type, enum, const, pattern, required, additionalProperties, format,
  if/then, uniqueItems, minItems, ...) is refused by the schema and by the models, at the same path.
- cpc-export/2 is a superset of cpc-export/1 (docs/cpc-export-2.md): every v1 definition is in the
  v2 schema unchanged, v2 adds exactly the fields its models add, and every v1 spec example written
  as cpc-export/2 is valid and plans exactly as it did.

The models are deliberately stricter than the schema where the contract asks for more (spec README
§1: references resolve, dates agree, nothing is coerced); `test_contract_broken.py` covers those.
"""

from __future__ import annotations

import copy
import json
import types
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import pytest
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError
from pydantic import AwareDatetime, BaseModel

from pipeline.contract.amendment import Amendment
from pipeline.contract.export import Child, Export
from pipeline.contract.export_v2 import ChildV2, ExportV2
from pipeline.contract.load import load_document, load_export
from pipeline.errors import ContractError
from pipeline.planning.recipients import plan_distribution
from pipeline.procedure.profile_files import load_profiles
from tests.mutations import Mutation, drop, put

SPEC = Path(__file__).resolve().parents[1].parent / "shared" / "spec"
if not SPEC.is_dir():
    pytest.skip(
        f"the spec folder {SPEC} is not checked out beside this repository", allow_module_level=True
    )

SPEC_EXAMPLES = SPEC / "examples"
REPO = Path(__file__).resolve().parents[1]
SHIPPED_EXAMPLES = REPO / "examples"
KNOWN_PROFILES = frozenset({"default", "wirral"})
# The spec's formats; cpc-export/2 is the project's own (its schema ships in the package).
SPEC_FORMATS = ("cpc-export/1", "cpc-amendment/1")
SCHEMA_FILES = {
    "cpc-export/1": SPEC / "cpc-export-1.schema.json",
    "cpc-amendment/1": SPEC / "cpc-amendment-1.schema.json",
    "cpc-export/2": REPO / "pipeline" / "contract" / "schemas" / "cpc-export-2.schema.json",
}
MODELS: dict[str, type[BaseModel]] = {
    "cpc-export/1": Export,
    "cpc-amendment/1": Amendment,
    "cpc-export/2": ExportV2,
}


def _schema(fmt: str) -> dict[str, Any]:
    return json.loads(SCHEMA_FILES[fmt].read_text(encoding="utf-8"))


VALIDATORS = {
    fmt: Draft202012Validator(_schema(fmt), format_checker=Draft202012Validator.FORMAT_CHECKER)
    for fmt in SCHEMA_FILES
}


def _json_path(parts: Iterator[str | int] | list[str | int]) -> str:
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
    return path


def _schema_error_paths(error: SchemaError) -> list[str]:
    """The JSON paths a schema error is about, down to the missing or unexpected property."""
    base = list(error.absolute_path)
    if error.validator == "required":
        missing = [name for name in error.validator_value if name not in error.instance]
        return [_json_path([*base, name]) for name in missing]
    if error.validator == "additionalProperties":
        extra = [name for name in error.instance if name not in error.schema.get("properties", {})]
        return [_json_path([*base, name]) for name in extra]
    return [_json_path(base)]


def _schema_paths(data: Any) -> set[str]:
    fmt = data.get("format") if isinstance(data, dict) else None
    validator = VALIDATORS.get(fmt, VALIDATORS["cpc-export/1"])
    return {path for error in validator.iter_errors(data) for path in _schema_error_paths(error)}


def _model_paths(data: Any) -> set[str]:
    """The paths of the issues the pipeline reports; empty if it accepts the document."""
    try:
        load_document(json.dumps(data).encode(), KNOWN_PROFILES)
    except ContractError as error:
        return {issue.path for issue in error.issues}
    return set()


# --- the examples --------------------------------------------------------------------------------

SPEC_EXAMPLE_NAMES = sorted(path.name for path in SPEC_EXAMPLES.glob("*.json"))
# The project's own cpc-export/2 examples (not the spec's): an initial conference with four
# reports and a review conference, described in docs/cpc-export-2.md.
V2_EXAMPLE_NAMES = sorted(path.name for path in SHIPPED_EXAMPLES.glob("v2-*.json"))


def _example_path(name: str) -> Path:
    return (SHIPPED_EXAMPLES if name.startswith("v2-") else SPEC_EXAMPLES) / name


def _example(name: str) -> Any:
    return json.loads(_example_path(f"{name}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("fmt", sorted(SCHEMA_FILES))
def test_the_schemas_are_valid_draft_2020_12_schemas(fmt: str) -> None:
    schema = _schema(fmt)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["properties"]["format"] == {"const": fmt}


def test_the_spec_has_examples_of_both_formats() -> None:
    formats = {
        json.loads((SPEC_EXAMPLES / name).read_bytes())["format"] for name in SPEC_EXAMPLE_NAMES
    }
    assert formats == set(SPEC_FORMATS)


def test_the_project_ships_its_own_two_v2_examples() -> None:
    assert V2_EXAMPLE_NAMES == ["v2-initial-reports.json", "v2-review-reports.json"]
    for name in V2_EXAMPLE_NAMES:
        assert json.loads((SHIPPED_EXAMPLES / name).read_bytes())["format"] == "cpc-export/2"
        assert not (SPEC_EXAMPLES / name).exists(), f"{name} is the project's, not the spec's"


@pytest.mark.parametrize("name", SPEC_EXAMPLE_NAMES + V2_EXAMPLE_NAMES)
def test_each_example_is_valid_under_the_schema_and_the_models(name: str) -> None:
    raw = _example_path(name).read_bytes()
    data = json.loads(raw)
    errors = [
        f"{_json_path(list(e.absolute_path))}: {e.message}"
        for e in VALIDATORS[data["format"]].iter_errors(data)
    ]
    assert errors == []
    document = load_document(raw, KNOWN_PROFILES, source=name)
    assert isinstance(document, MODELS[data["format"]])


@pytest.mark.parametrize(
    "name",
    sorted(
        {p.name for p in SPEC_EXAMPLES.glob("*.json")}
        | {p.name for p in SHIPPED_EXAMPLES.glob("*.json")} - set(V2_EXAMPLE_NAMES)
    ),
)
def test_the_shipped_examples_are_the_spec_examples_byte_for_byte(name: str) -> None:
    spec, shipped = SPEC_EXAMPLES / name, SHIPPED_EXAMPLES / name
    assert spec.is_file(), f"examples/{name} is not an example of the spec"
    assert shipped.is_file(), f"the spec example {name} is not shipped in examples/"
    assert shipped.read_bytes() == spec.read_bytes(), (
        f"examples/{name} differs from the spec's copy"
    )


# --- the models have the schema's shape ----------------------------------------------------------


def _resolve(root: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), ref
        node = root
        for part in ref[2:].split("/"):
            node = node[part]
    return node


def _leaf_types(annotation: Any) -> list[Any]:
    """The types a field's values can have, without Annotated, None and tuple[..., ...]."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _leaf_types(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return [
            leaf
            for arg in get_args(annotation)
            if arg is not type(None)
            for leaf in _leaf_types(arg)
        ]
    if origin is tuple:
        return _leaf_types(get_args(annotation)[0])
    return [annotation]


def _fields(model: type[BaseModel]) -> dict[str, Any]:
    return {field.alias or name: field for name, field in model.model_fields.items()}


def _object_pairs(
    root: dict[str, Any], node: dict[str, Any], model: type[BaseModel], pointer: str
) -> Iterator[tuple[str, dict[str, Any], type[BaseModel]]]:
    """(JSON pointer, schema object, model) for the object and every object inside it."""
    yield pointer, node, model
    fields = _fields(model)
    for name, prop in node.get("properties", {}).items():
        if name not in fields:
            continue
        sub, sub_pointer = _resolve(root, prop), f"{pointer}/properties/{name}"
        if sub.get("type") == "array":
            sub, sub_pointer = _resolve(root, sub["items"]), f"{sub_pointer}/items"
        if sub.get("type") == "object" and "properties" in sub:
            nested = [
                t
                for t in _leaf_types(fields[name].annotation)
                if isinstance(t, type) and issubclass(t, BaseModel)
            ]
            assert len(nested) == 1, f"{sub_pointer}: no single model for this object"
            yield from _object_pairs(root, sub, nested[0], sub_pointer)


OBJECT_PAIRS = {
    f"{fmt} {pointer}": (fmt, node, model)
    for fmt in SCHEMA_FILES
    for pointer, node, model in _object_pairs(_schema(fmt), _schema(fmt), MODELS[fmt], "#")
}


def test_the_walk_reaches_every_model() -> None:
    reached = {model.__name__ for _, _, model in OBJECT_PAIRS.values()}
    reached_in_v2 = {
        model.__name__ for fmt, _, model in OBJECT_PAIRS.values() if fmt == "cpc-export/2"
    }
    assert {
        "ExportV2",
        "ConferenceV2",
        "Arrangement",
        "ChildV2",
        "Report",
        "ReportSection",
        "ReportSharing",
        "Visibility",
    } <= reached_in_v2
    assert {
        "Export",
        "Person",
        "Visibility",
        "Action",
        "Authorisation",
        "Amendment",
        "Change",
        "ChairDecision",
    } <= reached
    assert len(reached) >= 25


_PY_TYPES: dict[tuple[str, str | None], tuple[type, ...]] = {
    ("string", None): (str,),
    ("string", "date"): (date,),
    ("string", "date-time"): (datetime, AwareDatetime),  # a time zone is required (spec §1)
    ("string", "email"): (str,),
    ("integer", None): (int,),
    ("boolean", None): (bool,),
}


def _shape_mismatches(fmt: str, node: dict[str, Any], model: type[BaseModel]) -> list[str]:
    root = _schema(fmt)
    fields = _fields(model)
    problems: list[str] = []
    properties = set(node.get("properties", {}))
    if properties != set(fields):
        problems.append(
            f"properties: schema only {sorted(properties - set(fields))}, model only {sorted(set(fields) - properties)}"
        )
    required = set(node.get("required", []))
    model_required = {name for name, field in fields.items() if field.is_required()}
    if required != model_required:
        problems.append(f"required: schema {sorted(required)}, model {sorted(model_required)}")
    for name in sorted(properties & set(fields)):
        prop = _resolve(root, node["properties"][name])
        if prop.get("type") == "array":
            prop = _resolve(root, prop["items"])
        leaves = _leaf_types(fields[name].annotation)
        if "enum" in prop or "const" in prop:
            allowed = set(prop.get("enum", [prop.get("const")]))
            literal = {
                value for leaf in leaves if get_origin(leaf) is Literal for value in get_args(leaf)
            }
            if allowed != literal:
                problems.append(
                    f"{name}: schema values {sorted(allowed)}, model values {sorted(literal)}"
                )
        elif (prop.get("type"), prop.get("format")) in _PY_TYPES:
            expected = _PY_TYPES[(prop["type"], prop.get("format"))]
            if len(leaves) != 1 or leaves[0] not in expected:
                problems.append(
                    f"{name}: schema type {prop['type']}/{prop.get('format')}, model {leaves}"
                )
        elif prop.get("type") == "object":
            if not all(isinstance(t, type) and issubclass(t, BaseModel) for t in leaves):
                problems.append(f"{name}: schema object, model {leaves}")
        else:
            problems.append(f"{name}: schema node not understood by this test: {prop}")
    return problems


@pytest.mark.parametrize("key", sorted(OBJECT_PAIRS))
def test_each_schema_object_has_the_properties_required_fields_and_values_of_its_model(
    key: str,
) -> None:
    fmt, node, model = OBJECT_PAIRS[key]
    assert _shape_mismatches(fmt, node, model) == [], f"{key} vs {model.__name__}"


def test_the_shape_check_can_fail() -> None:
    """A schema object compared with the wrong model reports differences."""
    fmt, node, _ = OBJECT_PAIRS["cpc-export/1 #/properties/authority"]
    _, _, other = OBJECT_PAIRS["cpc-export/1 #/properties/conference"]
    assert _shape_mismatches(fmt, node, other)


def test_the_shape_check_sees_the_fields_v2_adds() -> None:
    """The v2 child compared with the v1 model: exactly the three fields v2 adds differ."""
    fmt, node, model = OBJECT_PAIRS["cpc-export/2 #/properties/children/items"]
    assert model is ChildV2
    assert _shape_mismatches(fmt, node, Child) == [
        "properties: schema only ['advocate', 'participation', 'views_how'], model only []"
    ]


# --- schema-level breakage: refused by both ------------------------------------------------------

INITIAL = "initial-domestic-abuse"
REVIEW = "review-plan-ends"
PRE_BIRTH = "pre-birth-scheduled"
AMENDMENT = "amendment-agreed"
# examples/v2-initial-reports.json: reports[0] r-sw (shared with the mother and the father;
# sections sw1-sw4), [1] r-police (author permits appending; shared with the mother), [2] r-hv,
# [3] r-school (due_to_chair); children[0] c-ella (gives_views, advocate p-advocate), [1] c-noah
# (not_involved); conference.arrangements[0]: access for the father.
V2_INITIAL = "v2-initial-reports"
# examples/v2-review-reports.json: reports[0] r-sw2, countersigned by p-tm2.
V2_REVIEW = "v2-review-reports"


SCHEMA_BREAKS = [
    # type
    pytest.param(INITIAL, [put("revision", "1")], "revision", id="type-integer-as-string"),
    pytest.param(
        INITIAL,
        [put("conference.quorate", "true")],
        "conference.quorate",
        id="type-boolean-as-string",
    ),
    pytest.param(
        INITIAL, [put("people[0].name", 42)], "people[0].name", id="type-number-for-string"
    ),
    pytest.param(INITIAL, [put("people", {})], "people", id="type-object-for-array"),
    pytest.param(
        INITIAL, [put("authority", "LA-NORTHBY")], "authority", id="type-string-for-object"
    ),
    # minimum
    pytest.param(INITIAL, [put("revision", 0)], "revision", id="minimum-revision"),
    # const (cpc-export/2 is a format of its own now: a v1 export so marked is valid, below)
    pytest.param(INITIAL, [put("format", "cpc-export/3")], "format", id="const-format"),
    # enum
    pytest.param(
        INITIAL, [put("authority.nation", "britain")], "authority.nation", id="enum-nation"
    ),
    pytest.param(INITIAL, [put("conference.stage", "done")], "conference.stage", id="enum-stage"),
    pytest.param(INITIAL, [put("people[2].role", "mother")], "people[2].role", id="enum-role"),
    pytest.param(
        INITIAL, [put("decisions[0].outcome", "plan")], "decisions[0].outcome", id="enum-outcome"
    ),
    pytest.param(
        INITIAL,
        [put("decisions[0].categories[0]", "abuse")],
        "decisions[0].categories[0]",
        id="enum-category",
    ),
    pytest.param(
        INITIAL,
        [put("exclusions[0].record_copy", "some")],
        "exclusions[0].record_copy",
        id="enum-record-copy",
    ),
    pytest.param(
        INITIAL, [put("people[2].needs", ["sign_language"])], "people[2].needs[0]", id="enum-need"
    ),
    # pattern
    pytest.param(INITIAL, [put("export_id", "LCS EXP")], "export_id", id="pattern-id-space"),
    pytest.param(INITIAL, [put("export_id", "-LCS")], "export_id", id="pattern-id-leading-dash"),
    pytest.param(INITIAL, [put("export_id", "A" * 65)], "export_id", id="pattern-id-65-chars"),
    pytest.param(
        INITIAL, [put("conference.start_time", "25:00")], "conference.start_time", id="pattern-time"
    ),
    pytest.param(
        INITIAL, [put("people[2].language", "English")], "people[2].language", id="pattern-language"
    ),
    # required
    pytest.param(INITIAL, [drop("attendance")], "attendance", id="required-top-level"),
    pytest.param(INITIAL, [drop("conference.chair")], "conference.chair", id="required-nested"),
    pytest.param(
        INITIAL,
        [drop("record.sections[0].heading")],
        "record.sections[0].heading",
        id="required-in-list-item",
    ),
    # additionalProperties
    pytest.param(INITIAL, [put("colour", "blue")], "colour", id="additional-top-level"),
    pytest.param(
        INITIAL, [put("people[0].nickname", "Nell")], "people[0].nickname", id="additional-nested"
    ),
    # format
    pytest.param(
        INITIAL,
        [put("conference.date", "23/11/2026")],
        "conference.date",
        id="format-date-uk-style",
    ),
    pytest.param(
        INITIAL,
        [put("conference.date", "2026-02-30")],
        "conference.date",
        id="format-date-not-real",
    ),
    pytest.param(
        INITIAL,
        [put("conference.date", "2026-11-23T00:00:00")],
        "conference.date",
        id="format-date-with-time",
    ),
    pytest.param(
        INITIAL,
        [put("exported_at", "2026-11-30T17:05:00")],
        "exported_at",
        id="format-date-time-no-zone",
    ),
    pytest.param(
        INITIAL, [put("people[0].email", "helen.marsh")], "people[0].email", id="format-email"
    ),
    # if/then
    pytest.param(
        REVIEW,
        [put("conference.kind", "transfer_in")],
        "conference.transfer_notification_date",
        id="if-transfer-in",
    ),
    pytest.param(
        REVIEW,
        [drop("conference.previous_conference_date")],
        "conference.previous_conference_date",
        id="if-review",
    ),
    pytest.param(
        PRE_BIRTH,
        [drop("children[0].expected_delivery_date")],
        "children[0].expected_delivery_date",
        id="if-unborn",
    ),
    pytest.param(
        INITIAL,
        [drop("decisions[0].categories")],
        "decisions[0].categories",
        id="if-plan-categories",
    ),
    pytest.param(
        INITIAL,
        [put("decisions[0].categories", [])],
        "decisions[0].categories",
        id="if-plan-categories-min-items",
    ),
    pytest.param(
        INITIAL,
        [drop("decisions[0].lead_social_worker")],
        "decisions[0].lead_social_worker",
        id="if-plan-lead-social-worker",
    ),
    pytest.param(
        REVIEW,
        [drop("decisions[0].plan_end_reason")],
        "decisions[0].plan_end_reason",
        id="if-plan-ends-reason",
    ),
    # uniqueItems
    pytest.param(
        INITIAL,
        [put("decisions[0].categories", ["neglect", "neglect"])],
        "decisions[0].categories",
        id="unique-categories",
    ),
    pytest.param(
        REVIEW,
        [put("people[4].needs", ["translation", "translation"])],
        "people[4].needs",
        id="unique-needs",
    ),
    pytest.param(
        INITIAL,
        [put("distribution.child_copies[0].documents", ["record", "record"])],
        "distribution.child_copies[0].documents",
        id="unique-child-copy-documents",
    ),
    # minItems / maxItems / minLength / maxLength
    pytest.param(INITIAL, [put("children", [])], "children", id="min-items-children"),
    pytest.param(
        INITIAL, [put("exclusions[0].grounds", [])], "exclusions[0].grounds", id="min-items-grounds"
    ),
    pytest.param(
        INITIAL,
        [put("distribution.authorisations[0].documents", [])],
        "distribution.authorisations[0].documents",
        id="min-items-documents",
    ),
    pytest.param(
        INITIAL,
        [put("authority.address.lines", ["x"] * 7)],
        "authority.address.lines",
        id="max-items-address-lines",
    ),
    pytest.param(INITIAL, [put("authority.name", "")], "authority.name", id="min-length-text"),
    pytest.param(
        INITIAL,
        [put("authority.address.postcode", "N")],
        "authority.address.postcode",
        id="min-length-postcode",
    ),
    pytest.param(
        INITIAL, [put("source_system", "x" * 201)], "source_system", id="max-length-source-system"
    ),
    # the amendment schema
    pytest.param(AMENDMENT, [put("changes", [])], "changes", id="amendment-min-items-changes"),
    pytest.param(
        AMENDMENT, [put("changes[0].kind", "typo")], "changes[0].kind", id="amendment-enum-kind"
    ),
    pytest.param(
        AMENDMENT,
        [put("decision.status", "approved")],
        "decision.status",
        id="amendment-enum-status",
    ),
    pytest.param(
        AMENDMENT, [put("received_on", "3 Dec 2026")], "received_on", id="amendment-format-date"
    ),
    pytest.param(
        AMENDMENT, [drop("changes[0].with")], "changes[0].with", id="amendment-required-with"
    ),
    pytest.param(
        AMENDMENT, [put("requested_by", "p school")], "requested_by", id="amendment-pattern"
    ),
    pytest.param(
        AMENDMENT, [put("decision.reason", "x")], "decision.reason", id="amendment-additional"
    ),
    # ---- cpc-export/1 has none of the fields cpc-export/2 adds ----
    pytest.param(INITIAL, [put("reports", [])], "reports", id="v1-has-no-reports"),
    pytest.param(
        INITIAL,
        [put("children[0].participation", "attends")],
        "children[0].participation",
        id="v1-child-has-no-participation",
    ),
    pytest.param(
        INITIAL,
        [put("conference.arrangements", [])],
        "conference.arrangements",
        id="v1-conference-has-no-arrangements",
    ),
    pytest.param(V2_INITIAL, [put("format", "cpc-export/1")], "reports", id="v2-export-marked-v1"),
    # ---- the cpc-export/2 schema ----
    # type
    pytest.param(V2_INITIAL, [put("reports", {})], "reports", id="v2-type-object-for-array"),
    pytest.param(
        V2_INITIAL,
        [put("reports[1].author_permits_appending", "true")],
        "reports[1].author_permits_appending",
        id="v2-type-boolean-as-string",
    ),
    pytest.param(
        V2_INITIAL,
        [put("reports[0].sections[0].paragraphs", "One paragraph.")],
        "reports[0].sections[0].paragraphs",
        id="v2-type-string-for-array",
    ),
    pytest.param(
        V2_INITIAL,
        [put("conference.arrangements[0]", "a ramp")],
        "conference.arrangements[0]",
        id="v2-type-string-for-object",
    ),
    # enum
    pytest.param(
        V2_INITIAL, [put("reports[0].kind", "assessment")], "reports[0].kind", id="v2-enum-kind"
    ),
    pytest.param(
        V2_INITIAL,
        [put("reports[3].agency_type", "school")],
        "reports[3].agency_type",
        id="v2-enum-agency-type",
    ),
    pytest.param(
        V2_INITIAL,
        [put("children[0].participation", "maybe")],
        "children[0].participation",
        id="v2-enum-participation",
    ),
    pytest.param(
        V2_INITIAL,
        [put("conference.arrangements[0].kind", "transport")],
        "conference.arrangements[0].kind",
        id="v2-enum-arrangement-kind",
    ),
    # pattern
    pytest.param(V2_INITIAL, [put("reports[0].id", "r sw")], "reports[0].id", id="v2-pattern-id"),
    pytest.param(
        V2_INITIAL, [put("reports[0].author", "-p-sw")], "reports[0].author", id="v2-pattern-ref"
    ),
    pytest.param(
        V2_INITIAL,
        [put("children[0].advocate", "p advocate")],
        "children[0].advocate",
        id="v2-pattern-advocate",
    ),
    pytest.param(
        V2_INITIAL,
        [
            put("conference.arrangements[0].kind", "interpreter"),
            put("conference.arrangements[0].language", "Polish"),
        ],
        "conference.arrangements[0].language",
        id="v2-pattern-language",
    ),
    # required
    pytest.param(
        V2_INITIAL, [drop("reports[0].author")], "reports[0].author", id="v2-required-author"
    ),
    pytest.param(V2_INITIAL, [drop("reports[2].kind")], "reports[2].kind", id="v2-required-kind"),
    pytest.param(
        V2_INITIAL, [drop("reports[3].agency")], "reports[3].agency", id="v2-required-agency"
    ),
    pytest.param(
        V2_INITIAL,
        [drop("reports[0].sections[1].paragraphs")],
        "reports[0].sections[1].paragraphs",
        id="v2-required-section-paragraphs",
    ),
    pytest.param(
        V2_INITIAL,
        [drop("reports[0].shared_with[1].shared_on")],
        "reports[0].shared_with[1].shared_on",
        id="v2-required-shared-on",
    ),
    pytest.param(
        V2_INITIAL,
        [drop("conference.arrangements[0].person")],
        "conference.arrangements[0].person",
        id="v2-required-arrangement-person",
    ),
    # additionalProperties
    pytest.param(
        V2_INITIAL, [put("reports[0].colour", "blue")], "reports[0].colour", id="v2-additional"
    ),
    pytest.param(
        V2_INITIAL,
        # a record's section names its agenda item; a report's section has none
        [put("reports[0].sections[0].agenda_item", "a1")],
        "reports[0].sections[0].agenda_item",
        id="v2-additional-section-agenda-item",
    ),
    pytest.param(
        V2_INITIAL,
        [put("reports[0].shared_with[0].by", "post")],
        "reports[0].shared_with[0].by",
        id="v2-additional-sharing",
    ),
    pytest.param(
        V2_INITIAL,
        [put("conference.arrangements[0].room", "2")],
        "conference.arrangements[0].room",
        id="v2-additional-arrangement",
    ),
    pytest.param(
        V2_INITIAL, [put("children[0].school", "x")], "children[0].school", id="v2-additional-child"
    ),
    # format
    pytest.param(
        V2_INITIAL,
        [put("reports[0].submitted_on", "04/12/2026")],
        "reports[0].submitted_on",
        id="v2-format-date-uk-style",
    ),
    pytest.param(
        V2_INITIAL,
        [put("reports[0].shared_with[0].shared_on", "2026-02-30")],
        "reports[0].shared_with[0].shared_on",
        id="v2-format-date-not-real",
    ),
    pytest.param(
        V2_INITIAL,
        [put("reports[3].due_to_chair", "2026-12-09T12:00:00Z")],
        "reports[3].due_to_chair",
        id="v2-format-date-with-time",
    ),
    # min length
    pytest.param(V2_INITIAL, [put("reports[0].title", "")], "reports[0].title", id="v2-min-length"),
    # if/then: the rules of one object the schema can state
    pytest.param(
        V2_REVIEW,
        [drop("reports[0].countersigned_by")],
        "reports[0].countersigned_by",
        id="v2-if-countersigned-on",
    ),
    pytest.param(
        V2_INITIAL,
        [drop("reports[0].submitted_on")],
        "reports[0].submitted_on",
        id="v2-if-shared-with",
    ),
    pytest.param(
        V2_INITIAL,
        [put("conference.arrangements[0].kind", "interpreter")],
        "conference.arrangements[0].language",
        id="v2-if-interpreter-language",
    ),
    pytest.param(
        V2_INITIAL,
        [put("conference.arrangements[0].language", "pl")],
        "conference.arrangements[0].language",
        id="v2-if-access-no-language",
    ),
    pytest.param(
        V2_INITIAL,
        [
            drop("children[0].date_of_birth"),
            put("children[0].unborn", True),
            put("children[0].expected_delivery_date", "2027-01-20"),
        ],
        "children[0].participation",
        id="v2-if-unborn-participation",
    ),
    pytest.param(
        V2_INITIAL,
        [put("children[1].views_how", "Noah drew a picture.")],
        "children[1].views_how",
        id="v2-if-not-involved-views-how",
    ),
    # null
    pytest.param(
        V2_INITIAL,
        [put("reports[0].submitted_on", None)],
        "reports[0].submitted_on",
        id="v2-null-date",
    ),
    pytest.param(
        V2_INITIAL,
        [put("children[0].advocate", None)],
        "children[0].advocate",
        id="v2-null-reference",
    ),
    # null is not a value of any optional field in the schema
    pytest.param(
        INITIAL,
        [put("conference.quorate", None)],
        "conference.quorate",
        id="null-boolean",
    ),
    pytest.param(
        INITIAL,
        [put("conference.minute_taker", None)],
        "conference.minute_taker",
        id="null-reference",
    ),
    pytest.param(
        INITIAL,
        [put("people[0].email", None)],
        "people[0].email",
        id="null-email",
    ),
    pytest.param(
        REVIEW,
        [put("authority.procedure_profile", None)],
        "authority.procedure_profile",
        id="null-profile",
    ),
    pytest.param(
        INITIAL,
        [put("record", None)],
        "record",
        id="null-object",
    ),
    pytest.param(
        INITIAL,
        [put("plan.review_conference_date", None)],
        "plan.review_conference_date",
        id="null-date",
    ),
    pytest.param(
        AMENDMENT,
        [put("changes[0].explanation", None)],
        "changes[0].explanation",
        id="null-amendment-text",
    ),
]


@pytest.mark.parametrize(("name", "mutations", "path"), SCHEMA_BREAKS)
def test_schema_level_breakage_is_refused_by_the_schema_and_by_the_models(
    name: str, mutations: list[Mutation], path: str
) -> None:
    data = _example(name)
    for mutate in mutations:
        mutate(data)
    schema_paths = _schema_paths(data)
    assert path in schema_paths, f"the schema does not refuse {path!r}: {sorted(schema_paths)}"
    model_paths = _model_paths(data)
    assert path in model_paths, f"the models do not refuse {path!r}: {sorted(model_paths)}"


# --- where the models are stricter than the schema, on purpose ------------------------------------

STRICTER_THAN_SCHEMA = [
    # spec §1 "no type is coerced": JSON Schema counts 1.0 as an integer
    pytest.param(INITIAL, [put("revision", 1.0)], "revision", id="float-with-zero-fraction"),
    # contract_types: an e-mail that could be delivered to (the schema's format only asks for '@')
    pytest.param(
        INITIAL,
        [put("people[0].email", "helen@localhost")],
        "people[0].email",
        id="email-without-domain-dot",
    ),
    # spec §1: every id referenced must resolve
    pytest.param(
        INITIAL,
        [put("attendance[2].person", "p-nobody")],
        "attendance[2].person",
        id="dangling-reference",
    ),
    # R73: one decision per subject child once held
    pytest.param(INITIAL, [drop("decisions[1]")], "decisions", id="missing-decision"),
    # spec §1: nothing is dated after exported_at
    pytest.param(
        INITIAL,
        [put("record.signed_on", "2026-12-01")],
        "record.signed_on",
        id="dated-after-export",
    ),
    # cpc-export/2 (pipeline.contract.report_checks): references resolve to the right person
    pytest.param(
        V2_INITIAL,
        [put("reports[0].author", "p-nobody")],
        "reports[0].author",
        id="v2-dangling-author",
    ),
    pytest.param(
        V2_INITIAL,
        [put("children[0].advocate", "p-gran")],
        "children[0].advocate",
        id="v2-advocate-not-an-advocate",
    ),
    # ids unique within their list
    pytest.param(
        V2_INITIAL, [put("reports[1].id", "r-sw")], "reports[1].id", id="v2-repeated-report-id"
    ),
    # 000 §4.7.7 and the export's own date: shared after the export was made
    pytest.param(
        V2_INITIAL,
        [put("reports[0].shared_with[1].shared_on", "2026-12-03")],
        "reports[0].shared_with[1].shared_on",
        id="v2-dated-after-export",
    ),
]


@pytest.mark.parametrize(("name", "mutations", "path"), STRICTER_THAN_SCHEMA)
def test_the_models_refuse_what_the_schema_allows_only_where_the_contract_asks(
    name: str, mutations: list[Mutation], path: str
) -> None:
    data = _example(name)
    for mutate in mutations:
        mutate(data)
    assert _schema_paths(data) == set()
    assert path in _model_paths(data)


# --- cpc-export/2 is a superset of cpc-export/1 (docs/cpc-export-2.md) --------------------------

# The only places the v1 schema's text changes: which format it is, and its name.
V2_CHANGES = {"#/$id", "#/title", "#/description", "#/properties/format/const"}
# Everything the v2 schema adds, one pointer per new key, as pipeline/contract/export_v2.py adds it:
# ExportV2.reports, ConferenceV2.arrangements, ChildV2's three fields, the models of a report and
# an arrangement, and the if/then rules of a v2 child.
V2_ADDITIONS = {
    "#/properties/reports",
    "#/properties/conference/properties/arrangements",
    "#/$defs/child/properties/participation",
    "#/$defs/child/properties/views_how",
    "#/$defs/child/properties/advocate",
    "#/$defs/child/allOf/1",
    "#/$defs/child/allOf/2",
    "#/$defs/report",
    "#/$defs/report_section",
    "#/$defs/report_sharing",
    "#/$defs/arrangement",
}


def _differences(v1: Any, v2: Any, pointer: str) -> Iterator[tuple[str, str]]:
    """("changed" | "added", pointer) for each place the v2 schema departs from the v1 one."""
    if isinstance(v1, dict) and isinstance(v2, dict):
        for key in v1:
            if key not in v2:
                yield "changed", f"{pointer}/{key}"
            else:
                yield from _differences(v1[key], v2[key], f"{pointer}/{key}")
        for key in v2.keys() - v1.keys():
            yield "added", f"{pointer}/{key}"
    elif isinstance(v1, list) and isinstance(v2, list) and pointer.endswith("/allOf"):
        # rules may be added after v1's, never in place of one
        for i, item in enumerate(v2):
            if i < len(v1):
                yield from _differences(v1[i], item, f"{pointer}/{i}")
            else:
                yield "added", f"{pointer}/{i}"
        if len(v2) < len(v1):
            yield "changed", pointer
    elif v1 != v2 or type(v1) is not type(v2):
        yield "changed", pointer


def test_every_v1_definition_is_in_the_v2_schema_unchanged() -> None:
    found = list(_differences(_schema("cpc-export/1"), _schema("cpc-export/2"), "#"))
    assert {p for kind, p in found if kind == "changed"} == V2_CHANGES
    assert _schema("cpc-export/2")["properties"]["format"] == {"const": "cpc-export/2"}


def test_the_v2_schema_adds_exactly_what_the_v2_models_add() -> None:
    found = list(_differences(_schema("cpc-export/1"), _schema("cpc-export/2"), "#"))
    assert {p for kind, p in found if kind == "added"} == V2_ADDITIONS
    # and the models agree: the v2 models have the v1 fields and these
    assert set(_fields(ExportV2)) - set(_fields(Export)) == {"reports"}
    assert set(_fields(ChildV2)) - set(_fields(Child)) == {"participation", "views_how", "advocate"}


def test_the_superset_check_can_fail() -> None:
    v1 = _schema("cpc-export/1")
    v2 = copy.deepcopy(v1)
    v2["$defs"]["person"]["properties"]["role"]["enum"].remove("observer")
    v2["$defs"]["child"]["allOf"] = []
    v2["$defs"]["child"]["properties"]["pets"] = {"type": "integer"}
    assert set(_differences(v1, v2, "#")) == {
        ("changed", "#/$defs/person/properties/role/enum"),
        ("changed", "#/$defs/child/allOf"),
        ("added", "#/$defs/child/properties/pets"),
    }


V1_EXPORT_EXAMPLES = [
    name
    for name in SPEC_EXAMPLE_NAMES
    if json.loads((SPEC_EXAMPLES / name).read_bytes())["format"] == "cpc-export/1"
]


def _plan(raw: bytes) -> tuple[Export, dict[str, Any]]:
    profiles = load_profiles()
    export = load_export(raw, profiles.keys())
    profile = profiles[export.authority.procedure_profile or "default"]
    plan = plan_distribution(export, profile, profile.working_calendar(export.authority.nation))
    return export, plan.to_json()


@pytest.mark.parametrize("name", V1_EXPORT_EXAMPLES)
def test_every_v1_export_written_as_v2_is_valid_and_means_the_same(name: str) -> None:
    """Issue's promise and docs/cpc-export-2.md: changing only `format` changes nothing else."""
    raw = (SPEC_EXAMPLES / name).read_bytes()
    data = json.loads(raw)
    data["format"] = "cpc-export/2"
    errors = [e.message for e in VALIDATORS["cpc-export/2"].iter_errors(data)]
    assert errors == []
    as_v1, v1_plan = _plan(raw)
    as_v2, v2_plan = _plan(json.dumps(data).encode())
    assert type(as_v1) is Export and type(as_v2) is ExportV2
    assert as_v2.conference_reports() == ()
    assert v2_plan == v1_plan
    assert v1_plan["copies"], "a plan with no copies would compare equal whatever it meant"


def test_the_v1_export_examples_cover_every_stage() -> None:
    stages = {
        json.loads((SPEC_EXAMPLES / name).read_bytes())["conference"]["stage"]
        for name in V1_EXPORT_EXAMPLES
    }
    assert {"scheduled", "held"} <= stages


def test_the_v2_schema_refuses_every_other_format() -> None:
    data = _example(V2_INITIAL)
    for other in ("cpc-export/1", "cpc-export/3", "cpc-amendment/1"):
        data["format"] = other
        errors = list(VALIDATORS["cpc-export/2"].iter_errors(data))
        assert [_json_path(list(e.absolute_path)) for e in errors] == ["format"], other

"""The pydantic models and the JSON Schemas of ../shared/spec stay in step.

- Every example of the spec is valid under its schema and under the models, and the copies shipped
  in examples/ are byte-identical to the spec's.
- Each schema object has the same properties, required fields and enum values as its model.
- Each schema-level break (type, enum, const, pattern, required, additionalProperties, format,
  if/then, uniqueItems, minItems, ...) is refused by the schema and by the models, at the same path.

The models are deliberately stricter than the schema where the contract asks for more (spec README
§1: references resolve, dates agree, nothing is coerced); `test_contract_broken.py` covers those.
"""

from __future__ import annotations

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
from pipeline.contract.export import Export
from pipeline.contract.load import load_document
from pipeline.errors import ContractError
from tests.mutations import Mutation, drop, put

SPEC = Path(__file__).resolve().parents[1].parent / "shared" / "spec"
if not SPEC.is_dir():
    pytest.skip(
        f"the spec folder {SPEC} is not checked out beside this repository", allow_module_level=True
    )

SPEC_EXAMPLES = SPEC / "examples"
SHIPPED_EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
KNOWN_PROFILES = frozenset({"default", "wirral"})
SCHEMA_FILES = {
    "cpc-export/1": "cpc-export-1.schema.json",
    "cpc-amendment/1": "cpc-amendment-1.schema.json",
}
MODELS: dict[str, type[BaseModel]] = {"cpc-export/1": Export, "cpc-amendment/1": Amendment}


def _schema(fmt: str) -> dict[str, Any]:
    return json.loads((SPEC / SCHEMA_FILES[fmt]).read_text(encoding="utf-8"))


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


def _example(name: str) -> Any:
    return json.loads((SPEC_EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))


def test_the_schemas_are_valid_draft_2020_12_schemas() -> None:
    for fmt in SCHEMA_FILES:
        Draft202012Validator.check_schema(_schema(fmt))


def test_the_spec_has_examples_of_both_formats() -> None:
    formats = {
        json.loads((SPEC_EXAMPLES / name).read_bytes())["format"] for name in SPEC_EXAMPLE_NAMES
    }
    assert formats == set(SCHEMA_FILES)


@pytest.mark.parametrize("name", SPEC_EXAMPLE_NAMES)
def test_each_spec_example_is_valid_under_the_schema_and_the_models(name: str) -> None:
    raw = (SPEC_EXAMPLES / name).read_bytes()
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
        | {p.name for p in SHIPPED_EXAMPLES.glob("*.json")}
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


# --- schema-level breakage: refused by both ------------------------------------------------------

INITIAL = "initial-domestic-abuse"
REVIEW = "review-plan-ends"
PRE_BIRTH = "pre-birth-scheduled"
AMENDMENT = "amendment-agreed"


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
    # const
    pytest.param(INITIAL, [put("format", "cpc-export/2")], "format", id="const-format"),
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

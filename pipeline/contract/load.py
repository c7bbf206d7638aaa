"""Bytes of an input file → a validated Export or Amendment, or a ContractError listing every problem.

Three layers, each reporting all it finds: the file must be UTF-8 JSON with no repeated keys; the
fields must match the format (pydantic, strict); fields must agree with each other (export_checks).
Messages are written for a conference administrator: the JSON path, then what is wrong in words.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Collection, Iterator
from typing import Any, TypeVar

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from pipeline.contract.amendment import Amendment, check_amendment
from pipeline.contract.checks import check_export
from pipeline.contract.export import Export
from pipeline.contract.export_v2 import ExportV2
from pipeline.contract.printable import CanPrint, unprintable_fields, unprintable_message
from pipeline.contract.types import ID_PATTERN
from pipeline.errors import ContractError, FieldIssue

EXPORT_FORMAT = "cpc-export/1"
EXPORT_FORMAT_2 = "cpc-export/2"
AMENDMENT_FORMAT = "cpc-amendment/1"
# Each conference export format and its model; version 2 is a superset of version 1.
EXPORT_MODELS: dict[str, type[Export]] = {EXPORT_FORMAT: Export, EXPORT_FORMAT_2: ExportV2}
KNOWN_FORMATS = (EXPORT_FORMAT, EXPORT_FORMAT_2, AMENDMENT_FORMAT)
M = TypeVar("M", Export, Amendment)


def load_export(
    raw: bytes,
    known_profiles: Collection[str],
    source: str = "",
    can_print: CanPrint | None = None,
) -> Export:
    """Validate the bytes of a `cpc-export/1` or `/2` file; raise ContractError with every problem."""
    document = load_document(raw, known_profiles, source, can_print)
    if not isinstance(document, Export):
        raise ContractError(
            [FieldIssue("format", f"is {AMENDMENT_FORMAT}, but a conference export was expected")],
            source,
        )
    return document


def load_document(
    raw: bytes,
    known_profiles: Collection[str],
    source: str = "",
    can_print: CanPrint | None = None,
) -> Export | Amendment:
    """Validate an export or an amendment, chosen by its `format` field.

    `can_print`, where given (the edges pass pipeline.rendering.fonts.installed_fonts_can_print), refuses
    any text holding a character no installed font prints, naming its field."""
    data = _parse_json(raw, source)
    fmt = data.get("format")
    value_issues = list(_value_issues(data))
    if can_print is not None:
        value_issues.extend(
            FieldIssue(json_path(loc), unprintable_message(chars))
            for loc, chars in unprintable_fields(data, can_print)
        )
    if fmt == AMENDMENT_FORMAT:
        _raise_if_any(value_issues, source)
        amendment = _validate_fields(Amendment, _canonical(raw), source)
        _raise_if_any(check_amendment(amendment), source)
        return amendment
    if not isinstance(fmt, str) or fmt not in EXPORT_MODELS:
        found = "missing" if fmt is None else f"{fmt!r}"
        raise ContractError(
            [FieldIssue("format", f"is {found}; expected one of {', '.join(KNOWN_FORMATS)}")],
            source,
        )
    if value_issues:
        raise ContractError(value_issues, source)
    model = EXPORT_MODELS[fmt]
    export, issues, cross_checked = _validated_export(model, _canonical(raw), data, known_profiles)
    if issues:
        raise ContractError(issues, source, note=None if cross_checked else CROSS_CHECKS_LATER)
    assert export is not None  # no issues means the fields validated
    return export


CROSS_CHECKS_LATER = (
    "checks across fields, such as references, decisions and dates in order, run once the "
    "problems above are fixed"
)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
# Bidi embeddings, overrides and isolates: they make a letter show text in an order other than
# the one stored ("truoC nedniL 71" read as "17 Linden Court"), which only hides it from checks;
# nothing in these letters needs them. Right-to-left scripts need none of them.
_BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")
MAX_DEPTH = 32  # a valid export nests about 8 deep; far deeper is a broken or hostile file


def _canonical(raw: bytes) -> bytes:
    # The same text json.loads read, without a byte-order mark, for pydantic's own parser.
    return raw.removeprefix(b"\xef\xbb\xbf")


def _value_issues(data: Any) -> Iterator[FieldIssue]:
    """Values JSON allows but the contract never does: null, lone surrogates, absurd nesting."""
    stack: list[tuple[tuple[int | str, ...], Any]] = [((), data)]
    while stack:
        loc, value = stack.pop()
        if len(loc) > MAX_DEPTH:
            yield FieldIssue(json_path(loc[:MAX_DEPTH]), f"nests more than {MAX_DEPTH} levels deep")
            return
        if value is None:
            yield FieldIssue(json_path(loc), "must not be null: leave the field out instead")
        elif isinstance(value, str) and any("\ud800" <= c <= "\udfff" for c in value):
            yield FieldIssue(json_path(loc), "contains a broken character (a lone surrogate)")
        elif isinstance(value, str) and _CONTROL.search(value):
            # Such characters cannot stand in a document (XML forbids them) and print as nothing.
            yield FieldIssue(json_path(loc), "contains a control character that cannot be printed")
        elif isinstance(value, str) and (bidi := _BIDI_CONTROL.search(value)):
            yield FieldIssue(
                json_path(loc),
                f"contains a text-direction control character (U+{ord(bidi.group()):04X}) that "
                "would show the text in another order than it is written; remove it",
            )
        elif isinstance(value, dict):
            stack.extend(((*loc, k), v) for k, v in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend(((*loc, i), v) for i, v in reversed(list(enumerate(value))))


def _raise_if_any(issues: list[FieldIssue], source: str) -> None:
    if issues:
        raise ContractError(issues, source)


def _parse_json(raw: bytes, source: str) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ContractError(
            [FieldIssue("", f"the file is not UTF-8 text (byte {exc.start} cannot be read)")],
            source,
        ) from exc
    duplicates: list[str] = []

    def refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        # json.loads would silently keep the last of two equal keys: a withheld_from list could vanish.
        seen: dict[str, Any] = {}
        for key, value in pairs:
            if key in seen:
                duplicates.append(key)
            seen[key] = value
        return seen

    def refuse_constant(name: str) -> Any:
        raise ValueError(f"{name} is not a JSON value")

    try:
        data = json.loads(
            text, object_pairs_hook=refuse_duplicate_keys, parse_constant=refuse_constant
        )
    except json.JSONDecodeError as exc:
        raise ContractError(
            [
                FieldIssue(
                    "",
                    f"the file is not valid JSON: {exc.msg} at line {exc.lineno}, "
                    f"column {exc.colno}",
                )
            ],
            source,
        ) from exc
    except ValueError as exc:
        raise ContractError([FieldIssue("", f"the file is not valid JSON: {exc}")], source) from exc
    except RecursionError as exc:
        raise ContractError(
            [FieldIssue("", f"the file nests more than {MAX_DEPTH} levels deep")], source
        ) from exc
    if duplicates:
        raise ContractError(
            [
                FieldIssue(
                    "",
                    f"the key {key!r} appears twice in one object; each key may appear once",
                )
                for key in dict.fromkeys(duplicates)
            ],
            source,
        )
    if not isinstance(data, dict):
        raise ContractError([FieldIssue("", "the file must hold one JSON object { ... }")], source)
    return data


def _validate_fields(model: type[M], raw: bytes, source: str) -> M:
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise ContractError(_field_issues(exc), source) from exc


def _field_issues(exc: ValidationError) -> list[FieldIssue]:
    errors = exc.errors()
    deeper = [error["loc"] for error in errors]

    def explained_elsewhere(error: ErrorDetails) -> bool:
        # A list whose only item is malformed is also "too short" once that item is dropped;
        # the item's own problem is the one to fix.
        loc = error["loc"]
        return error["type"] == "too_short" and any(
            len(other) > len(loc) and other[: len(loc)] == loc for other in deeper
        )

    return [_issue(error) for error in errors if not explained_elsewhere(error)]


def _validated_export(
    model: type[Export], raw: bytes, data: dict[str, Any], known_profiles: Collection[str]
) -> tuple[Export | None, list[FieldIssue], bool]:
    """(the export if well formed, every problem found, whether the cross-field rules could run).

    When fields are wrong, cross-field rules still run if leaving out the wrong optional fields
    gives a well-formed export, so that an administrator sees a dangling reference and a bad
    e-mail in one go. A problem with a required field stops there: the rest cannot be read.
    """
    try:
        export = model.model_validate_json(raw)
    except ValidationError as exc:
        issues = _field_issues(exc)
        pruned = _without(data, [error["loc"] for error in exc.errors()])
        partial = None
        if pruned is not None:
            try:
                partial = model.model_validate(pruned, strict=False)
            except ValidationError:
                partial = None
        if partial is None:
            return None, issues, False
        bad_paths = {issue.path for issue in issues}
        issues.extend(
            issue
            for issue in check_export(partial, known_profiles)
            if not any(issue.path.startswith(bad) for bad in bad_paths)
        )
        return None, issues, True
    return export, check_export(export, known_profiles), True


def _without(data: dict[str, Any], locations: list[tuple[int | str, ...]]) -> dict[str, Any] | None:
    """A copy of `data` without the object keys at `locations`, or None if one is not an object key."""
    pruned = copy.deepcopy(data)
    for loc in locations:
        if not loc or not isinstance(loc[-1], str):
            return None
        parent: Any = pruned
        for part in loc[:-1]:
            try:
                parent = parent[part]
            except (KeyError, IndexError, TypeError):
                return None
        if not isinstance(parent, dict):
            return None
        parent.pop(loc[-1], None)
    return pruned


def json_path(loc: tuple[int | str, ...]) -> str:
    """('people', 3, 'email') → 'people[3].email'."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def _found(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_PATTERN_WORDS = {
    ID_PATTERN: (
        "must be an id: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"
    ),
    r"^([01][0-9]|2[0-3]):[0-5][0-9]$": "must be a time written HH:MM on the 24-hour clock",
    r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$": "must be a language code such as 'en', 'pl' or 'cy'",
}


def _issue(error: ErrorDetails) -> FieldIssue:
    loc = error["loc"]
    path = json_path(loc)
    kind = error["type"]
    ctx = error.get("ctx") or {}
    value = error.get("input")
    message: str
    if kind == "missing":
        message = "is required but missing"
    elif kind == "extra_forbidden":
        message = "is not a field of this format (check the spelling, or remove it)"
    elif kind == "literal_error":
        message = f"must be one of {ctx.get('expected')}; found {_found(value)}"
    elif kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        if "@" in pattern:
            message = f"must be an e-mail address such as name@example.org; found {_found(value)}"
        else:
            message = f"{_PATTERN_WORDS.get(pattern, 'has the wrong form')}; found {_found(value)}"
    elif kind in ("int_type", "int_from_float", "int_parsing"):
        message = f"must be a whole number; found {_found(value)}"
    elif kind == "bool_type":
        message = f"must be true or false (without quotes); found {_found(value)}"
    elif kind == "string_type":
        message = f"must be text in double quotes; found {_found(value)}"
    elif kind in ("date_type", "date_parsing"):
        message = f"must be a date written YYYY-MM-DD; found {_found(value)}"
    elif kind in ("datetime_type", "datetime_parsing", "timezone_aware"):
        message = (
            f"must be a date and time with its time zone, such as 2026-11-30T17:05:00Z; "
            f"found {_found(value)}"
        )
    elif kind in ("tuple_type", "list_type"):
        message = f"must be a list [ ... ]; found {_found(value)}"
    elif kind in ("model_type", "model_attributes_type", "dict_type"):
        message = f"must be an object {{ ... }}; found {_found(value)}"
    elif kind == "too_short":
        n = ctx.get("min_length", 1)
        message = f"must list at least {n} item{'s' if n != 1 else ''}"
    elif kind == "too_long":
        message = f"must list at most {ctx.get('max_length')} items"
    elif kind == "string_too_short":
        n = ctx.get("min_length", 1)
        message = "must not be empty" if n == 1 else f"must be at least {n} characters long"
    elif kind == "string_too_long":
        message = f"must be at most {ctx.get('max_length')} characters long"
    elif kind == "greater_than_equal":
        message = f"must be at least {ctx.get('ge')}; found {_found(value)}"
    elif kind == "less_than_equal":
        message = f"must be at most {ctx.get('le')}; found {_found(value)}"
    else:
        message = error["msg"]
    return FieldIssue(path, message)

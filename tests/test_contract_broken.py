"""Broken exports and amendments are refused, each with a plain message naming the field (spec README §1).

Every variant is one of the shipped examples with one small change, so the issue it must produce is
known exactly: the test asserts the JSON path of that issue, and where the words matter, a word of
the message. Each row cites the rule (rules.md id) or the spec section it breaks.

The examples used (see examples/): `initial-domestic-abuse` (held initial conference on Mon
23 Nov 2026, exported 30 Nov 2026), `review-plan-ends` (held review, 19 Nov 2026), `pre-birth-scheduled`
(scheduled pre-birth conference on 29 Dec 2026, exported 17 Dec 2026) and `amendment-agreed`.
Indices used below, in initial-domestic-abuse: people[0] p-chair, [2] p-mother, [3] p-father,
[4] p-gran, [8] p-sw, [10] p-police; attendance[0] chair, [2] mother, [3] father (attended_part,
present for a1, a2, a5), [4] gran; children[0] c-ella, [1] c-noah; exclusions[0] p-father, part a3, a4.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from pipeline.contract.load import KNOWN_FORMATS, load_document, load_export
from pipeline.errors import ContractError, FieldIssue
from tests.mutations import Mutation, _parent, drop, put
from tests.test_contract_v2 import V2_BROKEN

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
KNOWN_PROFILES = frozenset({"default", "wirral"})

INITIAL = "initial-domestic-abuse"
REVIEW = "review-plan-ends"
PRE_BIRTH = "pre-birth-scheduled"
AMENDMENT = "amendment-agreed"

Make = Callable[[], bytes]


# --- building variants ---------------------------------------------------------------------------


@cache
def _raw(name: str) -> bytes:
    return (EXAMPLES / f"{name}.json").read_bytes()


def _data(name: str) -> Any:
    return copy.deepcopy(json.loads(_raw(name)))


def append_copy_of(path: str) -> Mutation:
    """Append to the list holding `path` a copy of the item at `path`."""

    def mutate(data: Any) -> None:
        parent, last = _parent(data, path)
        parent.append(copy.deepcopy(parent[last]))

    return mutate


def append(path: str, value: Any) -> Mutation:
    def mutate(data: Any) -> None:
        parent, last = _parent(data, path)
        parent[last].append(copy.deepcopy(value))

    return mutate


def variant(name: str, *mutations: Mutation) -> Make:
    """The example `name` with each mutation applied, as the bytes of a JSON file."""

    def make() -> bytes:
        data = _data(name)
        for mutate in mutations:
            mutate(data)
        return json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8")

    return make


def raw_variant(name: str, old: bytes, new: bytes) -> Make:
    """The example's bytes with `old` (which occurs exactly once) replaced by `new`."""

    def make() -> bytes:
        raw = _raw(name)
        assert raw.count(old) == 1, f"{old!r} must occur once in {name}"
        return raw.replace(old, new)

    return make


def raw_bytes(make_raw: Callable[[], bytes]) -> Make:
    return make_raw


def _issues(raw: bytes, loader: Callable[..., Any] = load_export) -> tuple[FieldIssue, ...]:
    with pytest.raises(ContractError) as caught:
        loader(raw, KNOWN_PROFILES, source="variant.json")
    issues = caught.value.issues
    assert issues, "a ContractError must carry at least one issue"
    return issues


def _listing(issues: tuple[FieldIssue, ...]) -> str:
    return "\n".join(f"  {issue.path!r}: {issue.message}" for issue in issues)


def _assert_issue(issues: tuple[FieldIssue, ...], path: str, word: str | None) -> None:
    at_path = [issue for issue in issues if issue.path == path]
    assert at_path, f"no issue at {path!r}; got:\n{_listing(issues)}"
    if word is not None:
        assert any(word.lower() in issue.message.lower() for issue in at_path), (
            f"no issue at {path!r} mentions {word!r}; got:\n{_listing(issues)}"
        )


# --- the unmodified examples are valid, so each variant breaks exactly what it changes -----------


@pytest.mark.parametrize("name", [INITIAL, REVIEW, PRE_BIRTH, AMENDMENT])
def test_the_examples_the_variants_start_from_are_valid(name: str) -> None:
    document = load_document(_raw(name), KNOWN_PROFILES, source=f"{name}.json")
    assert document.format == _data(name)["format"]
    # json.dumps of the parsed example (how `variant` writes files) is valid too
    load_document(variant(name)(), KNOWN_PROFILES)


# --- the table -----------------------------------------------------------------------------------

_ACTION = "plan.children[0].outcomes[0].actions"

BROKEN_EXPORTS = [
    # ---- the file itself (spec README §1: "the file must be UTF-8 JSON"); path "" ----
    # truncated file: not JSON
    pytest.param(
        raw_bytes(lambda: _raw(INITIAL)[: len(_raw(INITIAL)) // 2]), "", "JSON", id="truncated"
    ),
    # trailing comma after the last member of an object: not JSON
    pytest.param(
        raw_variant(INITIAL, b'"quorate": true', b'"quorate": true,'),
        "",
        "JSON",
        id="trailing-comma",
    ),
    # an empty file
    pytest.param(raw_bytes(lambda: b""), "", "JSON", id="empty-file"),
    # Latin-1 bytes: not UTF-8
    pytest.param(
        raw_variant(INITIAL, b'"Helen Marsh"', '"Hélène Marsh"'.encode("latin-1")),
        "",
        "UTF-8",
        id="not-utf8",
    ),
    # a JSON array, not one object
    pytest.param(
        raw_bytes(lambda: b"[" + _raw(INITIAL) + b"]"), "", "object", id="array-not-object"
    ),
    # a bare JSON string
    pytest.param(raw_bytes(lambda: b'"cpc-export/1"'), "", "object", id="string-not-object"),
    # repeated key: json would silently keep the last value (spec §1, strict validation)
    pytest.param(
        raw_variant(INITIAL, b'"revision": 1,', b'"revision": 1,\n  "revision": 2,'),
        "",
        "revision",
        id="duplicate-key-top-level",
    ),
    # repeated key in a nested object: an address_withheld_from list must not vanish (spec §4.4)
    pytest.param(
        raw_variant(
            INITIAL,
            b'"address_withheld_from": [',
            b'"address_withheld_from": [],\n      "address_withheld_from": [',
        ),
        "",
        "address_withheld_from",
        id="duplicate-key-nested",
    ),
    # NaN and Infinity are not JSON values
    pytest.param(raw_variant(INITIAL, b'"revision": 1,', b'"revision": NaN,'), "", "NaN", id="nan"),
    pytest.param(
        raw_variant(INITIAL, b'"revision": 1,', b'"revision": Infinity,'),
        "",
        "Infinity",
        id="infinity",
    ),
    # ---- format (schema: format const; cpc-export/2 is a format of its own) ----
    pytest.param(
        variant(INITIAL, put("format", "cpc-export/3")),
        "format",
        "cpc-export/3",
        id="unknown-format",
    ),
    pytest.param(variant(INITIAL, drop("format")), "format", "missing", id="missing-format"),
    # ---- required fields (schema: required) ----
    pytest.param(
        variant(INITIAL, drop("attendance")), "attendance", "required", id="missing-attendance"
    ),
    pytest.param(
        variant(INITIAL, drop("exported_at")), "exported_at", "required", id="missing-exported-at"
    ),
    pytest.param(
        variant(INITIAL, drop("authority.nation")),
        "authority.nation",
        "required",
        id="missing-nation",
    ),
    pytest.param(
        variant(INITIAL, drop("conference.chair")),
        "conference.chair",
        "required",
        id="missing-chair",
    ),
    pytest.param(
        variant(INITIAL, drop("people[2].role")),
        "people[2].role",
        "required",
        id="missing-person-role",
    ),
    # R45, R49: the chair's decision on the excluded person's record is required
    pytest.param(
        variant(INITIAL, drop("exclusions[0].record_copy")),
        "exclusions[0].record_copy",
        "required",
        id="missing-record-copy",
    ),
    pytest.param(
        variant(INITIAL, drop("record.sections")),
        "record.sections",
        "required",
        id="missing-record-sections",
    ),
    pytest.param(
        variant(INITIAL, drop(f"{_ACTION}[0].responsible")),
        f"{_ACTION}[0].responsible",
        "required",
        id="missing-action-responsible",
    ),
    # ---- unknown fields (schema: additionalProperties false) ----
    pytest.param(
        variant(INITIAL, put("colour", "blue")), "colour", "not a field", id="extra-top-level"
    ),
    pytest.param(
        variant(INITIAL, put("people[0].nickname", "Nell")),
        "people[0].nickname",
        "not a field",
        id="extra-person-field",
    ),
    # a misspelt optional field is refused, not ignored (R04: categories must not silently vanish)
    pytest.param(
        variant(INITIAL, put("decisions[0].category", ["neglect"])),
        "decisions[0].category",
        "not a field",
        id="misspelt-field",
    ),
    # ---- wrong types, never coerced (spec §1 "no type is coerced") ----
    pytest.param(
        variant(INITIAL, put("revision", "1")), "revision", "whole number", id="revision-string"
    ),
    pytest.param(
        variant(INITIAL, put("revision", 1.0)), "revision", "whole number", id="revision-float-1.0"
    ),
    pytest.param(
        variant(INITIAL, put("revision", True)), "revision", "whole number", id="revision-boolean"
    ),
    # schema: revision minimum 1
    pytest.param(
        variant(INITIAL, put("revision", 0)), "revision", "at least 1", id="revision-zero"
    ),
    pytest.param(
        variant(INITIAL, put("conference.quorate", "true")),
        "conference.quorate",
        "true or false",
        id="boolean-as-string",
    ),
    pytest.param(
        variant(INITIAL, put("attendance[0].invited", 1)),
        "attendance[0].invited",
        "true or false",
        id="boolean-as-number",
    ),
    pytest.param(
        variant(INITIAL, put("people[0].name", 42)), "people[0].name", "text", id="number-for-text"
    ),
    pytest.param(
        variant(INITIAL, put("conference.date", 20261123)),
        "conference.date",
        "YYYY-MM-DD",
        id="number-for-date",
    ),
    pytest.param(
        variant(INITIAL, put("people", "p-chair")), "people", "list", id="string-for-list"
    ),
    pytest.param(
        variant(INITIAL, put("conference", [])), "conference", "object", id="list-for-object"
    ),
    # ---- enums (schema: enum) ----
    pytest.param(
        variant(INITIAL, put("authority.nation", "england_and_wales")),
        "authority.nation",
        "scotland",
        id="bad-nation",
    ),
    pytest.param(
        variant(INITIAL, put("conference.stage", "done")),
        "conference.stage",
        "held",
        id="bad-stage",
    ),
    pytest.param(
        variant(INITIAL, put("conference.kind", "initial_review")),
        "conference.kind",
        "pre_birth",
        id="bad-kind",
    ),
    pytest.param(
        variant(INITIAL, put("people[2].role", "mother")), "people[2].role", "parent", id="bad-role"
    ),
    pytest.param(
        variant(INITIAL, put("attendance[2].status", "present")),
        "attendance[2].status",
        "attended",
        id="bad-attendance-status",
    ),
    # R01, R72: the outcome words are fixed
    pytest.param(
        variant(INITIAL, put("decisions[0].outcome", "plan")),
        "decisions[0].outcome",
        "child_protection_plan",
        id="bad-outcome",
    ),
    # R04: the four categories of harm
    pytest.param(
        variant(INITIAL, put("decisions[0].categories", ["domestic_abuse"])),
        "decisions[0].categories[0]",
        "emotional_abuse",
        id="bad-category",
    ),
    # R46: the listed grounds of exclusion
    pytest.param(
        variant(INITIAL, put("exclusions[0].grounds", ["threats", "family_conflict"])),
        "exclusions[0].grounds[0]",
        "violence_or_threats",
        id="bad-exclusion-ground",
    ),
    # R49: full, attended_parts or none
    pytest.param(
        variant(INITIAL, put("exclusions[0].record_copy", "parts")),
        "exclusions[0].record_copy",
        "attended_parts",
        id="bad-record-copy",
    ),
    # ---- ids (schema: $defs/id pattern) ----
    pytest.param(
        variant(INITIAL, put("export_id", "LCS EXP 1")), "export_id", "id", id="id-with-space"
    ),
    pytest.param(
        variant(INITIAL, put("export_id", "-LCS-EXP")),
        "export_id",
        "starting with a letter or digit",
        id="id-leading-dash",
    ),
    pytest.param(variant(INITIAL, put("export_id", "A" * 65)), "export_id", "64", id="id-65-chars"),
    pytest.param(
        variant(INITIAL, put("conference.chair", "p chair")),
        "conference.chair",
        "id",
        id="reference-with-space",
    ),
    # ---- dates and times (schema: format date, date-time; pattern HH:MM) ----
    pytest.param(
        variant(INITIAL, put("conference.date", "2026-11-23T00:00:00")),
        "conference.date",
        "YYYY-MM-DD",
        id="date-with-time",
    ),
    pytest.param(
        variant(INITIAL, put("conference.date", "23/11/2026")),
        "conference.date",
        "YYYY-MM-DD",
        id="date-uk-style",
    ),
    pytest.param(
        variant(INITIAL, put("conference.date", "2026-02-30")),
        "conference.date",
        "calendar date",
        id="date-30-february",
    ),
    pytest.param(
        variant(INITIAL, put("exclusions[0].decided_on", "2026-11-18 ")),
        "exclusions[0].decided_on",
        "YYYY-MM-DD",
        id="date-trailing-space",
    ),
    pytest.param(
        variant(INITIAL, put("exported_at", "2026-11-30T17:05:00")),
        "exported_at",
        "time zone",
        id="datetime-without-zone",
    ),
    pytest.param(
        variant(INITIAL, put("exported_at", "2026-11-30")),
        "exported_at",
        "time zone",
        id="datetime-date-only",
    ),
    pytest.param(
        variant(INITIAL, put("conference.start_time", "25:00")),
        "conference.start_time",
        "HH:MM",
        id="time-25-00",
    ),
    pytest.param(
        variant(INITIAL, put("conference.end_time", "9:30")),
        "conference.end_time",
        "HH:MM",
        id="time-one-digit-hour",
    ),
    # ---- other field formats (schema: format email, language pattern, lengths) ----
    pytest.param(
        variant(INITIAL, put("people[0].email", "helen.marsh")),
        "people[0].email",
        "e-mail",
        id="email-without-at",
    ),
    pytest.param(
        variant(INITIAL, put("people[0].email", "helen marsh@northby.example.gov.uk")),
        "people[0].email",
        "e-mail",
        id="email-with-space",
    ),
    pytest.param(
        variant(INITIAL, put("people[2].language", "EN")),
        "people[2].language",
        "language",
        id="bad-language",
    ),
    pytest.param(
        variant(INITIAL, put("people[0].name", "")), "people[0].name", "empty", id="empty-name"
    ),
    pytest.param(
        variant(INITIAL, put("record.sections[0].paragraphs[0]", "")),
        "record.sections[0].paragraphs[0]",
        "empty",
        id="empty-paragraph",
    ),
    pytest.param(
        variant(INITIAL, put("source_system", "x" * 201)),
        "source_system",
        "200",
        id="source-system-too-long",
    ),
    pytest.param(
        variant(INITIAL, put("authority.address.lines", ["line"] * 7)),
        "authority.address.lines",
        "at most 6",
        id="seven-address-lines",
    ),
    # ---- lists: minItems, uniqueItems ----
    pytest.param(variant(INITIAL, put("people", [])), "people", "at least 1", id="no-people"),
    pytest.param(
        variant(INITIAL, put("exclusions[0].grounds", [])),
        "exclusions[0].grounds",
        "at least 1",
        id="exclusion-without-grounds",
    ),
    pytest.param(
        variant(INITIAL, put(f"{_ACTION}[0].responsible", [])),
        f"{_ACTION}[0].responsible",
        "at least 1",
        id="action-nobody-responsible",
    ),
    pytest.param(
        variant(INITIAL, put("distribution.authorisations[0].documents", [])),
        "distribution.authorisations[0].documents",
        "at least 1",
        id="authorisation-no-documents",
    ),
    # R04 with uniqueItems
    pytest.param(
        variant(INITIAL, put("decisions[0].categories", ["emotional_abuse", "emotional_abuse"])),
        "decisions[0].categories",
        "more than once",
        id="duplicate-category",
    ),
    pytest.param(
        variant(INITIAL, put("people[2].needs", ["large_print", "large_print"])),
        "people[2].needs",
        "more than once",
        id="duplicate-need",
    ),
    pytest.param(
        variant(INITIAL, put("distribution.authorisations[0].documents", ["record", "record"])),
        "distribution.authorisations[0].documents",
        "more than once",
        id="duplicate-authorised-document",
    ),
    # ---- unique ids (schema description: every id is unique within the export) ----
    pytest.param(
        variant(INITIAL, put("people[4].id", "p-mother")),
        "people[4].id",
        "more than once",
        id="duplicate-person-id",
    ),
    # people and children share one namespace (a `responsible` may name either)
    pytest.param(
        variant(INITIAL, put("people[4].id", "c-ella")),
        "children[0].id",
        "more than once",
        id="person-id-equals-child-id",
    ),
    pytest.param(
        variant(INITIAL, put("agenda[1].id", "a1")),
        "agenda[1].id",
        "more than once",
        id="duplicate-agenda-id",
    ),
    pytest.param(
        variant(INITIAL, put("record.sections[1].id", "s1")),
        "record.sections[1].id",
        "more than once",
        id="duplicate-section-id",
    ),
    # schema: one attendance entry per person
    pytest.param(
        variant(INITIAL, append_copy_of("attendance[2]")),
        "attendance[14].person",
        "more than one attendance entry",
        id="duplicate-attendance",
    ),
    # ---- references resolve (spec §1 "every id referenced must resolve") ----
    pytest.param(
        variant(INITIAL, put("attendance[2].person", "p-nobody")),
        "attendance[2].person",
        "p-nobody",
        id="dangling-attendance-person",
    ),
    pytest.param(
        variant(INITIAL, put("exclusions[0].agenda_items", ["a3", "a9"])),
        "exclusions[0].agenda_items[1]",
        "a9",
        id="dangling-exclusion-agenda-item",
    ),
    # R49: sections are matched to what an excluded person attended through agenda_item
    pytest.param(
        variant(INITIAL, put("record.sections[1].agenda_item", "a9")),
        "record.sections[1].agenda_item",
        "a9",
        id="dangling-section-agenda-item",
    ),
    # spec §4.2: withheld_from names who must not see the content
    pytest.param(
        variant(INITIAL, put(f"{_ACTION}[1].visibility.withheld_from", ["p-ghost"])),
        f"{_ACTION}[1].visibility.withheld_from[0]",
        "p-ghost",
        id="dangling-withheld-from",
    ),
    # spec §4.4
    pytest.param(
        variant(INITIAL, put("people[2].address_withheld_from[1]", "p-ghost")),
        "people[2].address_withheld_from[1]",
        "p-ghost",
        id="dangling-address-withheld-from",
    ),
    # R01, R75
    pytest.param(
        variant(INITIAL, put("decisions[0].lead_social_worker", "p-ghost")),
        "decisions[0].lead_social_worker",
        "p-ghost",
        id="dangling-lead-social-worker",
    ),
    # R75: a child's id is not a person
    pytest.param(
        variant(INITIAL, put("decisions[1].lead_social_worker", "c-noah")),
        "decisions[1].lead_social_worker",
        "child, not a person",
        id="lead-social-worker-is-a-child",
    ),
    pytest.param(
        variant(INITIAL, put("decisions[0].child", "c-ghost")),
        "decisions[0].child",
        "c-ghost",
        id="dangling-decision-child",
    ),
    # R09
    pytest.param(
        variant(INITIAL, put("plan.core_group.members[2]", "p-ghost")),
        "plan.core_group.members[2]",
        "p-ghost",
        id="dangling-core-group-member",
    ),
    # spec §4.5: an authorised copy mirrors the copy of the person it is on behalf of
    pytest.param(
        variant(INITIAL, put("distribution.authorisations[0].on_behalf_of", "p-ghost")),
        "distribution.authorisations[0].on_behalf_of",
        "p-ghost",
        id="dangling-on-behalf-of",
    ),
    # R56
    pytest.param(
        variant(INITIAL, put("distribution.child_copies[0].child", "c-ghost")),
        "distribution.child_copies[0].child",
        "c-ghost",
        id="dangling-child-copies-child",
    ),
    pytest.param(
        variant(INITIAL, put("distribution.child_copies[0].child", "p-mother")),
        "distribution.child_copies[0].child",
        "person, not a child",
        id="child-copies-child-is-a-person",
    ),
    # R15
    pytest.param(
        variant(INITIAL, put("record.signed_by", "p-ghost")),
        "record.signed_by",
        "p-ghost",
        id="dangling-record-signer",
    ),
    # R17
    pytest.param(
        variant(INITIAL, put("decisions[1].dissent[0].person", "p-ghost")),
        "decisions[1].dissent[0].person",
        "p-ghost",
        id="dangling-dissent-person",
    ),
    # R35
    pytest.param(
        variant(REVIEW, put("distribution.initial_conference_invitees[4]", "p-ghost")),
        "distribution.initial_conference_invitees[4]",
        "p-ghost",
        id="dangling-initial-conference-invitee",
    ),
    # ---- decisions (R73, R74, R04, R75, R76) ----
    # R73: each subject child has exactly one decision once the conference is held
    pytest.param(
        variant(INITIAL, drop("decisions[1]")),
        "decisions",
        "c-noah",
        id="held-without-decision-for-subject-child",
    ),
    pytest.param(
        variant(INITIAL, append_copy_of("decisions[0]")),
        "decisions[2].child",
        "exactly one",
        id="two-decisions-for-one-child",
    ),
    # R73, R74: decisions are for the subject children only
    pytest.param(
        variant(REVIEW, append("decisions", {"child": "c-baby", "outcome": "no_further_action"})),
        "decisions[2].child",
        "not a subject",
        id="decision-for-non-subject-child",
    ),
    # R04: a plan names its category
    pytest.param(
        variant(INITIAL, drop("decisions[0].categories")),
        "decisions[0].categories",
        "category",
        id="plan-without-categories",
    ),
    pytest.param(
        variant(INITIAL, put("decisions[0].categories", [])),
        "decisions[0].categories",
        "category",
        id="plan-with-empty-categories",
    ),
    pytest.param(
        variant(REVIEW, drop("decisions[1].categories")),
        "decisions[1].categories",
        "plan_continues",
        id="plan-continues-without-categories",
    ),
    # R75: each child with a plan has a lead social worker from children's social care
    pytest.param(
        variant(INITIAL, drop("decisions[0].lead_social_worker")),
        "decisions[0].lead_social_worker",
        "required",
        id="plan-without-lead-social-worker",
    ),
    pytest.param(
        variant(INITIAL, put("decisions[0].lead_social_worker", "p-mother")),
        "decisions[0].lead_social_worker",
        "professional",
        id="lead-social-worker-not-professional",
    ),
    pytest.param(
        variant(INITIAL, put("decisions[0].lead_social_worker", "p-police")),
        "decisions[0].lead_social_worker",
        "children's social care",
        id="lead-social-worker-from-police",
    ),
    # R76: a plan ends only for a listed reason
    pytest.param(
        variant(REVIEW, drop("decisions[0].plan_end_reason")),
        "decisions[0].plan_end_reason",
        "required",
        id="plan-ends-without-reason",
    ),
    # ---- conditional fields (schema if/then) ----
    # R37: the 15 working days run from the notification
    pytest.param(
        variant(REVIEW, put("conference.kind", "transfer_in")),
        "conference.transfer_notification_date",
        "required",
        id="transfer-in-without-notification-date",
    ),
    # R64, R65
    pytest.param(
        variant(REVIEW, drop("conference.previous_conference_date")),
        "conference.previous_conference_date",
        "required",
        id="review-without-previous-conference-date",
    ),
    # R13
    pytest.param(
        variant(PRE_BIRTH, drop("children[0].expected_delivery_date")),
        "children[0].expected_delivery_date",
        "required",
        id="unborn-without-expected-delivery-date",
    ),
    # ---- signatures (R10, R15) ----
    pytest.param(
        variant(INITIAL, drop("record.signed_by")),
        "record.signed_by",
        "required",
        id="signed-record-without-signer",
    ),
    pytest.param(
        variant(INITIAL, drop("record.signed_on")),
        "record.signed_on",
        "required",
        id="signed-record-without-date",
    ),
    # spec §1: a record is signed on or after the conference
    pytest.param(
        variant(INITIAL, put("record.signed_on", "2026-11-20")),
        "record.signed_on",
        "before the conference",
        id="record-signed-before-conference",
    ),
    # R15: signed by the chair
    pytest.param(
        variant(INITIAL, put("record.signed_by", "p-sw")),
        "record.signed_by",
        "chair",
        id="record-signed-by-social-worker",
    ),
    # R10
    pytest.param(
        variant(INITIAL, put("plan.signed_by", "p-tm")),
        "plan.signed_by",
        "chair",
        id="plan-signed-by-team-manager",
    ),
    pytest.param(
        variant(INITIAL, drop("plan.signed_on")),
        "plan.signed_on",
        "required",
        id="signed-plan-without-date",
    ),
    # the conference chair is a person whose role is chair
    pytest.param(
        variant(INITIAL, put("conference.chair", "p-sw")),
        "conference.chair",
        "not chair",
        id="chair-is-not-a-chair",
    ),
    # R14: the minute taker is a dedicated minute taker
    pytest.param(
        variant(INITIAL, put("conference.minute_taker", "p-tm")),
        "conference.minute_taker",
        "minute_taker",
        id="minute-taker-is-not-a-minute-taker",
    ),
    # ---- dates consistent (spec §1: "nothing is dated after exported_at") ----
    pytest.param(
        variant(INITIAL, put("conference.date", "2026-12-01")),
        "conference.date",
        "after the export",
        id="held-conference-after-export",
    ),
    pytest.param(
        variant(PRE_BIRTH, put("exclusions[0].decided_on", "2026-12-18")),
        "exclusions[0].decided_on",
        "after the export",
        id="exclusion-decided-after-export",
    ),
    pytest.param(
        variant(INITIAL, put("record.signed_on", "2026-12-01")),
        "record.signed_on",
        "after the export",
        id="record-signed-after-export",
    ),
    pytest.param(
        variant(INITIAL, put("distribution.authorisations[0].authorised_on", "2026-12-02")),
        "distribution.authorisations[0].authorised_on",
        "after the export",
        id="authorised-after-export",
    ),
    pytest.param(
        variant(INITIAL, put("children[1].date_of_birth", "2026-12-01")),
        "children[1].date_of_birth",
        "after the export",
        id="born-after-export",
    ),
    # 00:30 on 23 Nov at +02:00 is 22:30 on 22 Nov in the UK: the conference of 23 Nov is later
    pytest.param(
        variant(INITIAL, put("exported_at", "2026-11-23T00:30:00+02:00")),
        "conference.date",
        "after the export",
        id="held-conference-after-export-in-uk-time",
    ),
    # R36: the strategy discussion comes before the initial conference
    pytest.param(
        variant(INITIAL, put("conference.strategy_discussion_date", "2026-11-24")),
        "conference.strategy_discussion_date",
        "after the conference",
        id="strategy-discussion-after-conference",
    ),
    # R37
    pytest.param(
        variant(
            REVIEW,
            put("conference.kind", "transfer_in"),
            put("conference.transfer_notification_date", "2026-11-20"),
        ),
        "conference.transfer_notification_date",
        "after the conference",
        id="transfer-notification-after-conference",
    ),
    # R65: the previous conference is before this one
    pytest.param(
        variant(REVIEW, put("conference.previous_conference_date", "2026-11-19")),
        "conference.previous_conference_date",
        "on or after the conference",
        id="previous-conference-same-day",
    ),
    # R64: the initial conference is not after the previous one
    pytest.param(
        variant(REVIEW, put("conference.initial_conference_date", "2026-09-01")),
        "conference.initial_conference_date",
        "previous conference",
        id="initial-conference-after-previous",
    ),
    pytest.param(
        variant(INITIAL, put("conference.end_time", "09:30")),
        "conference.end_time",
        "not after the start",
        id="end-before-start",
    ),
    pytest.param(
        variant(INITIAL, put("conference.end_time", "10:00")),
        "conference.end_time",
        "not after the start",
        id="end-equals-start",
    ),
    # R43: the first core group meets after the conference
    pytest.param(
        variant(INITIAL, put("plan.core_group.first_meeting_date", "2026-11-20")),
        "plan.core_group.first_meeting_date",
        "before the conference",
        id="core-group-before-conference",
    ),
    # R64
    pytest.param(
        variant(INITIAL, put("plan.review_conference_date", "2026-11-23")),
        "plan.review_conference_date",
        "not after the conference",
        id="review-date-on-conference-day",
    ),
    # an exclusion decision cannot follow the conference it excludes from (R20, R45)
    pytest.param(
        variant(INITIAL, put("exclusions[0].decided_on", "2026-11-24")),
        "exclusions[0].decided_on",
        "after the conference",
        id="exclusion-decided-after-conference",
    ),
    # ---- attendance and exclusions (R16, R45, R49; schema descriptions) ----
    # 000 §4.5: only family members are excluded
    pytest.param(
        variant(INITIAL, put("exclusions[0].person", "p-police")),
        "exclusions[0].person",
        "family",
        id="exclusion-of-professional",
    ),
    # R49: a part exclusion cannot cover an item the person was present for
    pytest.param(
        variant(INITIAL, put("exclusions[0].agenda_items", ["a2", "a3"])),
        "exclusions[0].agenda_items",
        "'a2'",
        id="excluded-from-item-present-for",
    ),
    pytest.param(
        variant(INITIAL, put("exclusions[0].agenda_items", [])),
        "exclusions[0].agenda_items",
        "extent is part",
        id="part-exclusion-without-items",
    ),
    pytest.param(
        variant(INITIAL, put("exclusions[0].extent", "whole")),
        "exclusions[0].extent",
        "attended_part",
        id="whole-exclusion-of-someone-present",
    ),
    pytest.param(
        variant(
            INITIAL, put("attendance[3].status", "attended"), drop("attendance[3].present_for")
        ),
        "exclusions[0].extent",
        "attended",
        id="part-exclusion-of-someone-fully-present",
    ),
    # schema: present_for goes with attended_part
    pytest.param(
        variant(INITIAL, drop("attendance[3].present_for")),
        "attendance[3].present_for",
        "attended_part",
        id="attended-part-without-present-for",
    ),
    pytest.param(
        variant(INITIAL, put("attendance[3].present_for", [])),
        "attendance[3].present_for",
        "attended_part",
        id="attended-part-empty-present-for",
    ),
    pytest.param(
        variant(INITIAL, put("attendance[2].present_for", ["a1"])),
        "attendance[2].present_for",
        "attended_part",
        id="present-for-without-attended-part",
    ),
    pytest.param(
        variant(INITIAL, put("attendance[3].present_for[0]", "a9")),
        "attendance[3].present_for[0]",
        "a9",
        id="dangling-present-for",
    ),
    # schema: expected is for stage scheduled
    pytest.param(
        variant(INITIAL, put("attendance[0].status", "expected")),
        "attendance[0].status",
        "held",
        id="expected-at-held-conference",
    ),
    pytest.param(
        variant(PRE_BIRTH, put("attendance[1].status", "attended")),
        "attendance[1].status",
        "scheduled",
        id="attended-at-scheduled-conference",
    ),
    # R16: every exclusion is recorded with its reason
    pytest.param(
        variant(INITIAL, put("attendance[4].status", "excluded")),
        "attendance[4].status",
        "exclusions",
        id="excluded-without-exclusion-decision",
    ),
    # schema: status excluded is the whole conference; a part exclusion is attended_part
    pytest.param(
        variant(
            INITIAL,
            put("attendance[3]", {"person": "p-father", "invited": True, "status": "excluded"}),
        ),
        "exclusions[0].extent",
        "excluded",
        id="part-exclusion-but-status-excluded",
    ),
    # spec §1: decisions, plan and record follow a held conference
    pytest.param(
        variant(
            INITIAL,
            put("conference.stage", "scheduled"),
            *[put(f"attendance[{i}].status", "expected") for i in range(14)],
            put("attendance[3].status", "expected"),
        ),
        "decisions",
        "not been held",
        id="scheduled-with-decisions",
    ),
    # a cancelled conference did not take place, so nobody attended it
    pytest.param(
        variant(
            PRE_BIRTH, put("conference.stage", "cancelled"), put("attendance[1].status", "attended")
        ),
        "attendance[1].status",
        "not been held",
        id="cancelled-with-attendance",
    ),
    # a held conference cannot be exported before it began (10:00 UK time on 23 Nov)
    pytest.param(
        variant(
            INITIAL,
            put("exported_at", "2026-11-23T09:00:00Z"),
            put("record.signed_on", "2026-11-23"),
        ),
        "exported_at",
        "before the conference began",
        id="held-but-exported-before-it-began",
    ),
    # R48: one exclusion decision per person per conference
    pytest.param(
        variant(INITIAL, append_copy_of("exclusions[0]")),
        "exclusions[1].person",
        "more than one exclusion decision",
        id="two-exclusions-for-one-person",
    ),
    # child copies go to born children (R56)
    pytest.param(
        variant(
            PRE_BIRTH,
            put(
                "distribution",
                {
                    "child_copies": [
                        {
                            "child": "c-unborn",
                            "documents": ["decision_letter"],
                            "decided_by": "p-chair3",
                        }
                    ]
                },
            ),
        ),
        "distribution.child_copies[0].child",
        "unborn",
        id="copies-for-unborn-child",
    ),
    # ---- procedure profile (spec §3: the profile named must be installed) ----
    pytest.param(
        variant(INITIAL, put("authority.procedure_profile", "camden")),
        "authority.procedure_profile",
        "camden",
        id="unknown-profile",
    ),
    pytest.param(
        variant(INITIAL, put("authority.procedure_profile", "Wirral")),
        "authority.procedure_profile",
        "Wirral",
        id="profile-name-case-matters",
    ),
]


@pytest.mark.parametrize(("make", "path", "word"), BROKEN_EXPORTS)
def test_broken_export_is_refused_naming_the_field(make: Make, path: str, word: str | None) -> None:
    _assert_issue(_issues(make()), path, word)


def test_an_unknown_format_lists_the_three_formats_there_are() -> None:
    issues = _issues(variant(INITIAL, put("format", "cpc-export/3"))(), load_document)
    assert [issue.path for issue in issues] == ["format"]
    assert KNOWN_FORMATS == ("cpc-export/1", "cpc-export/2", "cpc-amendment/1")
    assert issues[0].message == (
        "is 'cpc-export/3'; expected one of cpc-export/1, cpc-export/2, cpc-amendment/1"
    )


def test_unknown_profile_names_the_profile_the_field_and_what_is_installed() -> None:
    issues = _issues(variant(INITIAL, put("authority.procedure_profile", "camden"))())
    assert [issue.path for issue in issues] == ["authority.procedure_profile"]
    message = issues[0].message
    assert "'camden'" in message
    assert "default" in message and "wirral" in message


def test_the_known_profiles_argument_decides_which_profiles_exist() -> None:
    raw = variant(INITIAL, put("authority.procedure_profile", "camden"))()
    export = load_export(raw, {*KNOWN_PROFILES, "camden"})
    assert export.authority.procedure_profile == "camden"
    with pytest.raises(ContractError) as caught:
        load_export(_raw(REVIEW), {"wirral"})  # the review example names profile "default"
    assert [issue.path for issue in caught.value.issues] == ["authority.procedure_profile"]


def test_an_amendment_is_not_an_export() -> None:
    issues = _issues(_raw(AMENDMENT))
    _assert_issue(issues, "format", "export")


def test_the_error_names_the_source_file() -> None:
    with pytest.raises(ContractError) as caught:
        load_export(variant(INITIAL, put("revision", 0))(), KNOWN_PROFILES, source="inbox/x.json")
    assert caught.value.source == "inbox/x.json"
    assert str(caught.value).startswith("inbox/x.json: 1 problem")
    assert "revision: must be at least 1" in str(caught.value)


# --- several problems at once --------------------------------------------------------------------


def test_every_problem_in_a_file_is_reported_at_once() -> None:
    """Three dangling references, a malformed date and a malformed e-mail in different places."""
    raw = variant(
        INITIAL,
        put("attendance[2].person", "p-nobody"),
        put("record.sections[0].agenda_item", "a9"),
        put("decisions[0].lead_social_worker", "p-ghost"),
        put("conference.strategy_discussion_date", "02/11/2026"),
        put("people[1].email", "owen.price"),
    )()
    issues = _issues(raw)
    paths = [issue.path for issue in issues]
    expected = {
        "attendance[2].person",
        "record.sections[0].agenda_item",
        "decisions[0].lead_social_worker",
        "conference.strategy_discussion_date",
        "people[1].email",
    }
    assert expected <= set(paths), _listing(issues)
    # and nothing reported twice
    assert len(paths) == len(set(paths)), _listing(issues)


def test_several_field_problems_are_all_reported() -> None:
    raw = variant(
        INITIAL,
        put("authority.nation", "england_and_wales"),
        put("people[0].email", "helen.marsh"),
        put("attendance[0].invited", "yes"),
        put("decisions[1].outcome", "plan"),
        put("colour", "blue"),
    )()
    paths = {issue.path for issue in _issues(raw)}
    assert {
        "authority.nation",
        "people[0].email",
        "attendance[0].invited",
        "decisions[1].outcome",
        "colour",
    } <= paths


def test_several_cross_field_problems_are_all_reported() -> None:
    raw = variant(
        INITIAL,
        drop("decisions[1]"),
        put("record.signed_by", "p-sw"),
        put("conference.end_time", "09:00"),
        put("exclusions[0].person", "p-police"),
        put("authority.procedure_profile", "camden"),
    )()
    paths = {issue.path for issue in _issues(raw)}
    assert {
        "decisions",
        "record.signed_by",
        "conference.end_time",
        "exclusions[0].person",
        "authority.procedure_profile",
    } <= paths


# --- amendments ----------------------------------------------------------------------------------

BROKEN_AMENDMENTS = [
    # R61: the chair's decision names who decided
    pytest.param(
        variant(AMENDMENT, drop("decision.by")), "decision.by", "agreed", id="agreed-without-by"
    ),
    pytest.param(
        variant(AMENDMENT, drop("decision.on")), "decision.on", "agreed", id="agreed-without-on"
    ),
    pytest.param(
        variant(AMENDMENT, put("decision", {"status": "rejected"})),
        "decision.by",
        "rejected",
        id="rejected-without-by",
    ),
    # R60: a decision cannot precede the request
    pytest.param(
        variant(AMENDMENT, put("decision.on", "2026-12-02")),
        "decision.on",
        "before the request",
        id="decided-before-received",
    ),
    # schema: changes minItems 1
    pytest.param(variant(AMENDMENT, put("changes", [])), "changes", "at least 1", id="no-changes"),
    # R61: the two kinds of change the chair may agree
    pytest.param(
        variant(AMENDMENT, put("changes[0].kind", "typo")),
        "changes[0].kind",
        "factual_correction",
        id="bad-change-kind",
    ),
    pytest.param(
        variant(AMENDMENT, drop("changes[0].with")),
        "changes[0].with",
        "required",
        id="change-without-with",
    ),
    pytest.param(
        variant(AMENDMENT, put("changes[0].replace", "")),
        "changes[0].replace",
        "empty",
        id="empty-replace",
    ),
    pytest.param(
        variant(AMENDMENT, put("changes[0].section", "s 4")),
        "changes[0].section",
        "id",
        id="bad-section-id",
    ),
    pytest.param(
        variant(AMENDMENT, put("decision.status", "approved")),
        "decision.status",
        "agreed",
        id="bad-decision-status",
    ),
    pytest.param(
        variant(AMENDMENT, put("received_on", "3 December 2026")),
        "received_on",
        "YYYY-MM-DD",
        id="bad-received-on",
    ),
    pytest.param(
        variant(AMENDMENT, drop("requested_by")),
        "requested_by",
        "required",
        id="missing-requested-by",
    ),
    pytest.param(
        variant(AMENDMENT, put("decision.reason", "x")),
        "decision.reason",
        "not a field",
        id="extra-decision-field",
    ),
    pytest.param(
        raw_variant(AMENDMENT, b'"status": "agreed",', b'"status": "pending", "status": "agreed",'),
        "",
        "status",
        id="duplicate-key",
    ),
]


@pytest.mark.parametrize(("make", "path", "word"), BROKEN_AMENDMENTS)
def test_broken_amendment_is_refused_naming_the_field(
    make: Make, path: str, word: str | None
) -> None:
    _assert_issue(_issues(make(), load_document), path, word)


def test_a_pending_amendment_needs_no_decision_details() -> None:
    load_document(variant(AMENDMENT, put("decision", {"status": "pending"}))(), KNOWN_PROFILES)


# --- messages are plain words --------------------------------------------------------------------

JARGON = re.compile(
    r"Input should|validation error|pydantic|Invalid JSON|errors\.pydantic\.dev|\[type=|"
    r"\b(str|int|float|bool|dict|tuple|NoneType|bytes|BaseModel|ValidationError|ContractError|"
    r"FieldIssue|Export|ExportV2|ChildV2|ConferenceV2|ReportSection|ReportSharing|Amendment|"
    r"ChairDecision|Strict|Literal|Annotated)\b|"
    r"\b(loc|ctx|input_value|model_type|literal_error)\b"
)
PATH = re.compile(r"^$|^[a-z_]+(\.[a-z_]+|\[\d+\])*$")


# tests/test_contract_v2.py's table of broken cpc-export/2 exports, as rows of this file's tables.
BROKEN_V2_EXPORTS = [
    pytest.param(variant(name, *mutations), path, word, id=f"v2-{row.id}")
    for row in V2_BROKEN
    for name, mutations, path, word in [row.values]
]


@pytest.mark.parametrize(
    ("make", "path", "word"), BROKEN_EXPORTS + BROKEN_AMENDMENTS + BROKEN_V2_EXPORTS
)
def test_every_message_is_plain_words(make: Make, path: str, word: str | None) -> None:
    issues = _issues(make(), load_document)
    for issue in issues:
        assert issue.message.strip(), f"empty message at {issue.path!r}"
        assert not JARGON.search(issue.message), f"jargon in {issue.path!r}: {issue.message}"
        assert PATH.match(issue.path), f"not a JSON path: {issue.path!r}"
    assert len(set(issues)) == len(issues), f"an issue is reported twice:\n{_listing(issues)}"


def test_the_jargon_check_can_fail() -> None:
    assert JARGON.search("Input should be a valid integer [type=int_type, input_value='1']")
    assert JARGON.search("1 validation error for Export")
    assert JARGON.search(
        "reports.0.sections.0: Input should be a valid dictionary or ReportSection"
    )
    assert not JARGON.search("must list at least 1 item; found 'x' (the record is a draft)")


# --- found in review, now fixed -------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "list_path"),
    [
        pytest.param(variant(PRE_BIRTH, put("children[0].gender", 5)), "children", id="children"),
        pytest.param(
            variant(PRE_BIRTH, put("exclusions[0].grounds", ["threats"])),
            "exclusions[0].grounds",
            id="grounds",
        ),
        pytest.param(
            variant(AMENDMENT, put("changes[0].replace", "")), "changes", id="amendment-changes"
        ),
    ],
)
def test_a_bad_only_item_does_not_make_its_list_look_empty(make: Make, list_path: str) -> None:
    issues = _issues(make(), load_document)
    assert list_path not in {issue.path for issue in issues}, _listing(issues)


def test_a_bad_required_field_says_the_cross_field_checks_come_next() -> None:
    # A required field that cannot be read stops the cross-field rules (they would guess); the
    # administrator is told so, rather than left to think the rest is fine. With only optional
    # fields wrong, the cross-field rules still run (test above, several problems at once).
    raw = variant(
        INITIAL,
        put("conference.date", "23/11/2026"),
        put("attendance[2].person", "p-nobody"),
    )()
    with pytest.raises(ContractError) as caught:
        load_export(raw, KNOWN_PROFILES)
    assert [issue.path for issue in caught.value.issues] == ["conference.date"]
    assert caught.value.note is not None and "references" in caught.value.note
    assert "references" in str(caught.value)


def test_a_utf8_bom_is_accepted_or_refused_in_plain_words() -> None:
    raw = b"\xef\xbb\xbf" + _raw(INITIAL)
    try:
        load_export(raw, KNOWN_PROFILES)
    except ContractError as error:
        for issue in error.issues:
            assert not JARGON.search(issue.message), issue.message


@pytest.mark.parametrize("depth", [300, 5000])
def test_deeply_nested_json_is_refused_in_plain_words(depth: int) -> None:
    raw = b'{"format": "cpc-export/1", "x": ' + b"[" * depth + b"]" * depth + b"}"
    issues = _issues(raw)
    for issue in issues:
        assert not JARGON.search(issue.message), issue.message


def test_an_agenda_item_id_may_not_equal_a_person_id() -> None:
    raw = variant(
        INITIAL,
        put("agenda[0].id", "p-chair"),
        put("attendance[3].present_for[0]", "p-chair"),
        put("record.sections[0].agenda_item", "p-chair"),
    )()
    _assert_issue(_issues(raw), "agenda[0].id", "more than once")


@pytest.mark.parametrize(
    ("mutation", "path", "word"),
    [
        # outbox folders are named by id and may live on a share that ignores case
        pytest.param(
            put("people[3].id", "P-MOTHER"),
            "people[3].id",
            "capital letters",
            id="ids-differ-by-case",
        ),
        pytest.param(
            put("children[0].id", "manifest.json"), "children[0].id", "reserved", id="reserved-id"
        ),
        # XML forbids control characters, so no document could carry them (found in review)
        pytest.param(
            put("people[2].name", "Sarah\x0bWhitfield"),
            "people[2].name",
            "control character",
            id="control-character",
        ),
    ],
)
def test_ids_and_text_that_no_document_can_hold(mutation: Mutation, path: str, word: str) -> None:
    _assert_issue(_issues(variant(INITIAL, mutation)()), path, word)

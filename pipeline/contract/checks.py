"""Rules that span fields of a structurally valid Export → every FieldIssue found, each with its JSON path.

The JSON Schema checks one field at a time; the contract (spec README §1) also asks that ids are
unique and resolve, that each subject child has one decision once the conference is held, and that
dates are consistent. Each check appends to one list so that an administrator sees every problem at once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterator

from pipeline.contract.export import Export, Visibility
from pipeline.contract.export_v2 import ExportV2
from pipeline.contract.issues import Issues
from pipeline.contract.meeting_checks import (
    check_attendance,
    check_dates,
    check_decisions,
    check_exclusions,
    check_roles,
    check_signatures,
    check_stage,
)
from pipeline.contract.report_checks import check_export_v2
from pipeline.errors import FieldIssue


def check_export(export: Export, known_profiles: Collection[str]) -> list[FieldIssue]:
    """Every cross-field problem in `export`; an empty list means it honours the contract."""
    issues = Issues()
    _check_profile(export, known_profiles, issues)
    _check_unique_ids(export, issues)
    _check_references(export, issues)
    _check_conditionals(export, issues)
    check_roles(export, issues)
    check_attendance(export, issues)
    check_exclusions(export, issues)
    check_decisions(export, issues)
    check_stage(export, issues)
    check_signatures(export, issues)
    check_dates(export, issues)
    if isinstance(export, ExportV2):
        check_export_v2(export, issues)
    return issues.found


def _check_profile(export: Export, known: Collection[str], issues: Issues) -> None:
    name = export.authority.procedure_profile
    if name is not None and name not in known:
        issues.add(
            "authority.procedure_profile",
            f"names the procedure profile {name!r}, which is not installed "
            f"(installed: {', '.join(sorted(known))})",
        )


def _duplicates(values: list[tuple[str, str]], message: str, issues: Issues) -> None:
    """Report each place a value repeats; `message` says what repeats, with {value} in it."""
    counts = Counter(value for _, value in values)
    for path, value in values:
        if counts[value] > 1:
            issues.add(path, message.format(value=repr(value)))


RESERVED_IDS = frozenset({"manifest.json"})  # names the outbox uses beside recipients' folders


def _check_unique_ids(export: Export, issues: Issues) -> None:
    # Recipients' ids name their outbox folders, which may sit on a share that ignores case.
    folders = [(f"people[{i}].id", p.id.casefold()) for i, p in enumerate(export.people)] + [
        (f"children[{i}].id", c.id.casefold()) for i, c in enumerate(export.children)
    ]
    exact = Counter(p.id for p in export.people) + Counter(c.id for c in export.children)
    folded = Counter(value for _, value in folders)
    for path, value in folders:
        if folded[value] > 1 and all(exact[k] == 1 for k in exact if k.casefold() == value):
            issues.add(path, f"{value!r} differs from another id only in capital letters")
        if value in RESERVED_IDS:
            issues.add(path, f"{value!r} is reserved for the pipeline's own files")
    # People and children share one namespace: a reference such as `responsible` may name either.
    # Spec schema: every person, child and agenda item id is unique within the export.
    _duplicates(
        [(f"people[{i}].id", p.id) for i, p in enumerate(export.people)]
        + [(f"children[{i}].id", c.id) for i, c in enumerate(export.children)]
        + [(f"agenda[{i}].id", a.id) for i, a in enumerate(export.agenda)],
        "{value} is used as an id more than once; each id must be unique",
        issues,
    )
    _duplicates(
        [(f"attendance[{i}].person", a.person) for i, a in enumerate(export.attendance)],
        "{value} has more than one attendance entry; each person has one",
        issues,
    )
    _duplicates(
        [(f"exclusions[{i}].person", e.person) for i, e in enumerate(export.exclusions)],
        "{value} has more than one exclusion decision; each person has one",
        issues,
    )
    # R73: the need for a plan is decided separately for each child, so one decision each.
    _duplicates(
        [(f"decisions[{i}].child", d.child) for i, d in enumerate(export.decisions)],
        "{value} has more than one decision; each child has exactly one (R73)",
        issues,
    )
    if export.record is not None:
        _duplicates(
            [(f"record.sections[{i}].id", s.id) for i, s in enumerate(export.record.sections)],
            "{value} is used as an id more than once; each id must be unique",
            issues,
        )
        _duplicates(
            [
                (f"record.appended_reports[{i}].id", r.id)
                for i, r in enumerate(export.record.appended_reports)
            ],
            "{value} is used as an id more than once; each id must be unique",
            issues,
        )
    if export.plan is not None:
        _duplicates(
            [(f"plan.children[{i}].child", c.child) for i, c in enumerate(export.plan.children)],
            "{value} has more than one plan; each child has one",
            issues,
        )
    _duplicates(
        [
            (f"distribution.child_copies[{i}].child", c.child)
            for i, c in enumerate(export.distribution.child_copies)
        ],
        "{value} is listed more than once; one decision on copies per child",
        issues,
    )


def _references(export: Export) -> Iterator[tuple[str, str, str]]:
    """Every reference in the export as (path, id, kind) where kind is person, child, either or agenda."""
    c = export.conference
    yield "conference.chair", c.chair, "person"
    if c.minute_taker is not None:
        yield "conference.minute_taker", c.minute_taker, "person"
    for i, p in enumerate(export.people):
        for j, ref in enumerate(p.address_withheld_from):
            yield f"people[{i}].address_withheld_from[{j}]", ref, "person"
        if p.acting_for is not None:
            yield f"people[{i}].acting_for", p.acting_for, "either"
        if p.supporting is not None:
            yield f"people[{i}].supporting", p.supporting, "either"
    for i, a in enumerate(export.attendance):
        yield f"attendance[{i}].person", a.person, "person"
        for j, item in enumerate(a.present_for or ()):
            yield f"attendance[{i}].present_for[{j}]", item, "agenda"
        if a.represented_by is not None:
            yield f"attendance[{i}].represented_by", a.represented_by, "person"
    for i, e in enumerate(export.exclusions):
        yield f"exclusions[{i}].person", e.person, "person"
        for j, item in enumerate(e.agenda_items):
            yield f"exclusions[{i}].agenda_items[{j}]", item, "agenda"
        if e.requested_by is not None:
            yield f"exclusions[{i}].requested_by", e.requested_by, "person"
    if export.record is not None:
        r = export.record
        if r.signed_by is not None:
            yield "record.signed_by", r.signed_by, "person"
        for i, s in enumerate(r.sections):
            if s.agenda_item is not None:
                yield f"record.sections[{i}].agenda_item", s.agenda_item, "agenda"
            yield from _visibility_refs(f"record.sections[{i}].visibility", s.visibility)
        for i, rep in enumerate(r.appended_reports):
            yield f"record.appended_reports[{i}].author", rep.author, "person"
            yield from _visibility_refs(f"record.appended_reports[{i}].visibility", rep.visibility)
    for i, d in enumerate(export.decisions):
        yield f"decisions[{i}].child", d.child, "child"
        if d.lead_social_worker is not None:
            yield f"decisions[{i}].lead_social_worker", d.lead_social_worker, "person"
        for j, dissent in enumerate(d.dissent):
            yield f"decisions[{i}].dissent[{j}].person", dissent.person, "person"
    if export.plan is not None:
        plan = export.plan
        if plan.signed_by is not None:
            yield "plan.signed_by", plan.signed_by, "person"
        if plan.core_group is not None:
            for j, member in enumerate(plan.core_group.members):
                yield f"plan.core_group.members[{j}]", member, "person"
        for i, cp in enumerate(plan.children):
            yield f"plan.children[{i}].child", cp.child, "child"
            for j, o in enumerate(cp.outcomes):
                for k, action in enumerate(o.actions):
                    base = f"plan.children[{i}].outcomes[{j}].actions[{k}]"
                    for m, who in enumerate(action.responsible):
                        yield f"{base}.responsible[{m}]", who, "either"
                    yield from _visibility_refs(f"{base}.visibility", action.visibility)
    dist = export.distribution
    for i, auth in enumerate(dist.authorisations):
        yield f"distribution.authorisations[{i}].person", auth.person, "person"
        if auth.on_behalf_of is not None:
            yield f"distribution.authorisations[{i}].on_behalf_of", auth.on_behalf_of, "either"
        yield f"distribution.authorisations[{i}].authorised_by", auth.authorised_by, "person"
    for i, cc in enumerate(dist.child_copies):
        yield f"distribution.child_copies[{i}].child", cc.child, "child"
        yield f"distribution.child_copies[{i}].decided_by", cc.decided_by, "person"
    for i, ref in enumerate(dist.initial_conference_invitees or ()):
        yield f"distribution.initial_conference_invitees[{i}]", ref, "person"


def _visibility_refs(path: str, visibility: Visibility | None) -> Iterator[tuple[str, str, str]]:
    if visibility is not None:
        for j, ref in enumerate(visibility.withheld_from):
            yield f"{path}.withheld_from[{j}]", ref, "either"


_KIND_WORDS = {
    "person": "person in people",
    "child": "child in children",
    "either": "person or child",
    "agenda": "agenda item",
}


def _check_references(export: Export, issues: Issues) -> None:
    people = {p.id for p in export.people}
    children = {c.id for c in export.children}
    agenda = {a.id for a in export.agenda}
    known = {
        "person": people,
        "child": children,
        "either": people | children,
        "agenda": agenda,
    }
    for path, ref, kind in _references(export):
        if ref not in known[kind]:
            hint = ""
            if kind == "person" and ref in children:
                hint = " (that id is a child, not a person)"
            elif kind == "child" and ref in people:
                hint = " (that id is a person, not a child)"
            issues.add(path, f"refers to {ref!r}, but there is no such {_KIND_WORDS[kind]}{hint}")


def _check_conditionals(export: Export, issues: Issues) -> None:
    """The JSON Schema's if/then rules, with the path of the missing field."""
    c = export.conference
    if c.kind == "transfer_in" and c.transfer_notification_date is None:
        issues.add(
            "conference.transfer_notification_date",
            "is required for a transfer-in conference (its 15 working days run from it, R37)",
        )
    if c.kind == "review" and c.previous_conference_date is None:
        issues.add(
            "conference.previous_conference_date",
            "is required for a review conference (R64, R65)",
        )
    for i, child in enumerate(export.children):
        if child.unborn and child.expected_delivery_date is None:
            issues.add(
                f"children[{i}].expected_delivery_date",
                "is required for an unborn child (R13)",
            )
    for i, d in enumerate(export.decisions):
        if d.has_plan:
            if not d.categories:
                issues.add(
                    f"decisions[{i}].categories",
                    f"must name at least one category of harm when the outcome is {d.outcome} (R04)",
                )
            if d.lead_social_worker is None:
                issues.add(
                    f"decisions[{i}].lead_social_worker",
                    f"is required when the outcome is {d.outcome} (R75)",
                )
        if d.outcome == "plan_ends" and d.plan_end_reason is None:
            issues.add(
                f"decisions[{i}].plan_end_reason",
                "is required when a plan ends (R76)",
            )



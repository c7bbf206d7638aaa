"""Rules that span fields of a structurally valid Export → every FieldIssue found, each with its JSON path.

The JSON Schema checks one field at a time; the contract (spec README §1) also asks that ids are
unique and resolve, that each subject child has one decision once the conference is held, and that
dates are consistent. Each check appends to one list so that an administrator sees every problem at once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from pipeline.contract.export import Export, Visibility
from pipeline.errors import FieldIssue

UK = ZoneInfo("Europe/London")
FAMILY_ROLES = frozenset({"parent", "carer", "family_member"})


def export_date(export: Export) -> date:
    """The UK calendar date on which the export was made."""
    return export.exported_at.astimezone(UK).date()


@dataclass
class _Issues:
    found: list[FieldIssue] = field(default_factory=list)

    def add(self, path: str, message: str) -> None:
        self.found.append(FieldIssue(path, message))


def check_export(export: Export, known_profiles: Collection[str]) -> list[FieldIssue]:
    """Every cross-field problem in `export`; an empty list means it honours the contract."""
    issues = _Issues()
    _check_profile(export, known_profiles, issues)
    _check_unique_ids(export, issues)
    _check_references(export, issues)
    _check_conditionals(export, issues)
    _check_roles(export, issues)
    _check_attendance(export, issues)
    _check_exclusions(export, issues)
    _check_decisions(export, issues)
    _check_stage(export, issues)
    _check_signatures(export, issues)
    _check_dates(export, issues)
    return issues.found


def _check_profile(export: Export, known: Collection[str], issues: _Issues) -> None:
    name = export.authority.procedure_profile
    if name is not None and name not in known:
        issues.add(
            "authority.procedure_profile",
            f"names the procedure profile {name!r}, which is not installed "
            f"(installed: {', '.join(sorted(known))})",
        )


def _duplicates(values: list[tuple[str, str]], message: str, issues: _Issues) -> None:
    """Report each place a value repeats; `message` says what repeats, with {value} in it."""
    counts = Counter(value for _, value in values)
    for path, value in values:
        if counts[value] > 1:
            issues.add(path, message.format(value=repr(value)))


RESERVED_IDS = frozenset({"manifest.json"})  # names the outbox uses beside recipients' folders


def _check_unique_ids(export: Export, issues: _Issues) -> None:
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


def _check_references(export: Export, issues: _Issues) -> None:
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


def _check_conditionals(export: Export, issues: _Issues) -> None:
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


def _role_of(export: Export, person_id: str) -> str | None:
    try:
        return export.person(person_id).role
    except KeyError:
        return None  # a dangling reference, reported by _check_references


def _check_roles(export: Export, issues: _Issues) -> None:
    chair_role = _role_of(export, export.conference.chair)
    if chair_role not in (None, "chair"):
        issues.add("conference.chair", f"refers to a person whose role is {chair_role}, not chair")
    if export.conference.minute_taker is not None:
        role = _role_of(export, export.conference.minute_taker)
        if role not in (None, "minute_taker"):
            issues.add(
                "conference.minute_taker",
                f"refers to a person whose role is {role}, not minute_taker",
            )
    for i, e in enumerate(export.exclusions):
        role = _role_of(export, e.person)
        if role is not None and role not in FAMILY_ROLES:
            issues.add(
                f"exclusions[{i}].person",
                f"refers to a person whose role is {role}; only family members are excluded "
                "from a conference (000 §4.5)",
            )
    for i, auth in enumerate(export.distribution.authorisations):
        try:
            person = export.person(auth.person)
        except KeyError:
            continue
        acts_for = person.acting_for or person.supporting
        if auth.on_behalf_of is not None and acts_for is not None and auth.on_behalf_of != acts_for:
            # Spec §4 rule 5: the copy mirrors one person's; a solicitor for the father holding a
            # copy "on behalf of" the mother would see what either of them may not.
            issues.add(
                f"distribution.authorisations[{i}].on_behalf_of",
                f"is {auth.on_behalf_of!r}, but {auth.person!r} acts for or supports "
                f"{acts_for!r}; a copy can only be made on behalf of that person",
            )
    for i, child_copy in enumerate(export.distribution.child_copies):
        if export.is_child(child_copy.child) and export.child(child_copy.child).unborn:
            issues.add(
                f"distribution.child_copies[{i}].child",
                "is an unborn child, who cannot be sent copies",
            )


def _check_attendance(export: Export, issues: _Issues) -> None:
    stage = export.conference.stage
    for i, a in enumerate(export.attendance):
        path = f"attendance[{i}]"
        if a.status == "attended_part" and not a.present_for:
            issues.add(
                f"{path}.present_for",
                "must list the agenda items the person was present for when the status is "
                "attended_part",
            )
        if a.status != "attended_part" and a.present_for:
            issues.add(
                f"{path}.present_for",
                f"is only for status attended_part, but the status is {a.status}",
            )
        if stage == "held" and a.status == "expected":
            issues.add(
                f"{path}.status",
                "is expected, but the conference has been held: record whether the person "
                "attended, sent apologies, did not attend or was excluded",
            )
        if stage != "held" and a.status in ("attended", "attended_part", "did_not_attend"):
            issues.add(
                f"{path}.status",
                f"is {a.status}, but the conference has not been held (stage {stage})",
            )
        if a.status == "excluded" and export.exclusion_of(a.person) is None:
            issues.add(
                f"{path}.status",
                f"is excluded, but exclusions has no decision of the chair for {a.person!r} "
                "(every exclusion is recorded with its reason, R16)",
            )


def _check_exclusions(export: Export, issues: _Issues) -> None:
    for i, e in enumerate(export.exclusions):
        path = f"exclusions[{i}]"
        if e.extent == "part" and not e.agenda_items:
            issues.add(
                f"{path}.agenda_items",
                "must list the agenda items the person was excluded from when the extent is part",
            )
        attendance = export.attendance_of(e.person)
        if attendance is None:
            continue
        if e.extent == "whole" and attendance.status in ("attended", "attended_part"):
            issues.add(
                f"{path}.extent",
                f"is whole, but the attendance of {e.person!r} is {attendance.status}",
            )
        if e.extent == "part" and attendance.status in ("attended", "excluded"):
            issues.add(
                f"{path}.extent",
                f"is part, but the attendance of {e.person!r} is {attendance.status} (use "
                "attended_part with present_for; excluded means the whole conference)",
            )
        overlap = set(e.agenda_items) & set(attendance.present_for or ())
        for item in sorted(overlap):
            issues.add(
                f"{path}.agenda_items",
                f"lists {item!r}, which the attendance of {e.person!r} says they were present for",
            )


def _check_decisions(export: Export, issues: _Issues) -> None:
    decided = {d.child for d in export.decisions}
    for i, d in enumerate(export.decisions):
        if export.is_child(d.child) and not export.child(d.child).subject:
            issues.add(
                f"decisions[{i}].child",
                f"is {d.child!r}, who is not a subject of this conference (R73, R74)",
            )
        if d.lead_social_worker is not None:
            try:
                worker = export.person(d.lead_social_worker)
            except KeyError:
                continue
            if worker.role != "professional":
                issues.add(
                    f"decisions[{i}].lead_social_worker",
                    f"refers to a person whose role is {worker.role}, not a professional (R75)",
                )
            elif worker.agency_type not in (None, "childrens_social_care"):
                issues.add(
                    f"decisions[{i}].lead_social_worker",
                    f"refers to a professional from {worker.agency_type}; the lead social worker "
                    "comes from children's social care (R75)",
                )
    if export.conference.stage != "held":
        return
    for i, child in enumerate(export.children):
        if child.subject and child.id not in decided:
            issues.add(
                "decisions",
                f"has no decision for the subject child {child.id!r} (children[{i}]); each subject "
                "child needs exactly one once the conference is held (R73)",
            )


def _check_stage(export: Export, issues: _Issues) -> None:
    """Spec §1: decisions, the plan and the record follow a held conference, not a planned one."""
    c = export.conference
    if c.stage != "held":
        for name in ("decisions", "plan", "record"):
            if getattr(export, name):
                issues.add(
                    name, f"is given, but the conference has not been held (stage {c.stage})"
                )
        return
    start = datetime.combine(c.date, time.fromisoformat(c.start_time or "00:00"), tzinfo=UK)
    if export.exported_at < start:
        issues.add(
            "exported_at",
            f"is {export.exported_at.isoformat()}, before the conference began "
            f"({start.isoformat()}), but the stage is held",
        )


def _check_signatures(export: Export, issues: _Issues) -> None:
    """R10, R15: a signed plan or record is signed by the chair, on or after the conference."""
    conference = export.conference
    for name, part in (("record", export.record), ("plan", export.plan)):
        if part is None or part.status != "signed":
            continue
        if part.signed_by is None:
            issues.add(f"{name}.signed_by", f"is required when the {name} is signed")
        elif part.signed_by != conference.chair and _role_of(export, part.signed_by) is not None:
            issues.add(
                f"{name}.signed_by",
                f"is {part.signed_by!r}, but the {name} is signed by the conference chair "
                f"{conference.chair!r} ({'R15' if name == 'record' else 'R10'})",
            )
        if part.signed_on is None:
            issues.add(f"{name}.signed_on", f"is required when the {name} is signed")
        elif part.signed_on < conference.date:
            issues.add(
                f"{name}.signed_on",
                f"is {part.signed_on}, before the conference on {conference.date}",
            )


def _check_dates(export: Export, issues: _Issues) -> None:
    c = export.conference
    exported_on = export_date(export)

    def not_after_export(path: str, value: date | None) -> None:
        if value is not None and value > exported_on:
            issues.add(path, f"is {value}, after the export was made on {exported_on}")

    def not_after_conference(path: str, value: date | None, strictly: bool = False) -> None:
        if value is None:
            return
        if value > c.date or (strictly and value == c.date):
            word = "on or after" if strictly else "after"
            issues.add(path, f"is {value}, {word} the conference on {c.date}")

    if c.stage == "held":
        not_after_export("conference.date", c.date)
    for name in (
        "strategy_discussion_date",
        "transfer_notification_date",
        "previous_conference_date",
        "initial_conference_date",
        "child_born_on",
    ):
        not_after_export(f"conference.{name}", getattr(c, name))
    not_after_conference("conference.strategy_discussion_date", c.strategy_discussion_date)
    not_after_conference("conference.transfer_notification_date", c.transfer_notification_date)
    not_after_conference(
        "conference.previous_conference_date", c.previous_conference_date, strictly=True
    )
    not_after_conference(
        "conference.initial_conference_date", c.initial_conference_date, strictly=True
    )
    if (
        c.initial_conference_date is not None
        and c.previous_conference_date is not None
        and c.initial_conference_date > c.previous_conference_date
    ):
        issues.add(
            "conference.initial_conference_date",
            f"is {c.initial_conference_date}, after the previous conference on "
            f"{c.previous_conference_date}",
        )
    if c.start_time is not None and c.end_time is not None and c.end_time <= c.start_time:
        issues.add("conference.end_time", f"is {c.end_time}, not after the start at {c.start_time}")
    for i, child in enumerate(export.children):
        not_after_export(f"children[{i}].date_of_birth", child.date_of_birth)
    for i, e in enumerate(export.exclusions):
        not_after_export(f"exclusions[{i}].decided_on", e.decided_on)
        not_after_conference(f"exclusions[{i}].decided_on", e.decided_on)
    for name, part in (("record", export.record), ("plan", export.plan)):
        if part is not None:
            not_after_export(f"{name}.signed_on", part.signed_on)
    if export.plan is not None:
        plan = export.plan
        first_meeting = plan.core_group.first_meeting_date if plan.core_group else None
        if first_meeting is not None and first_meeting < c.date:
            issues.add(
                "plan.core_group.first_meeting_date",
                f"is {first_meeting}, before the conference on {c.date}",
            )
        if plan.review_conference_date is not None and plan.review_conference_date <= c.date:
            issues.add(
                "plan.review_conference_date",
                f"is {plan.review_conference_date}, not after the conference on {c.date}",
            )
    for i, auth in enumerate(export.distribution.authorisations):
        not_after_export(f"distribution.authorisations[{i}].authorised_on", auth.authorised_on)

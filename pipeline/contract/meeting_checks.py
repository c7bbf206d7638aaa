"""Rules on who took part and what was decided in a structurally valid Export → FieldIssues.

Roles (the chair is a chair, an excluded person family), attendance, exclusions, one decision
per subject child once the conference is held, the stage, signatures and dates (spec README §1).
"""

from __future__ import annotations

from datetime import date, datetime, time

from pipeline.contract.export import Export
from pipeline.contract.issues import FAMILY_ROLES, UK, Issues, export_date
from pipeline.contract.issues import role_of as _role_of


def check_roles(export: Export, issues: Issues) -> None:
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


def check_attendance(export: Export, issues: Issues) -> None:
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


def check_exclusions(export: Export, issues: Issues) -> None:
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


def check_decisions(export: Export, issues: Issues) -> None:
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


def check_stage(export: Export, issues: Issues) -> None:
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


def check_signatures(export: Export, issues: Issues) -> None:
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


def check_dates(export: Export, issues: Issues) -> None:
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

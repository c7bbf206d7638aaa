"""An Export and its Profile → the procedure checks of spec §3 that are not about time: quorum, who attended, thresholds, who is told.

Each check is `ok`, a `problem` said in words, or `unknown` where the contract lacks the data.
`pipeline.planning.timeliness` runs them with the timeliness checks, in the plan's order.
"""

from __future__ import annotations

from collections.abc import Iterator

from pipeline.contract.export import Export
from pipeline.planning.plan import Check
from pipeline.procedure.profile import Profile

PRESENT = frozenset({"attended", "attended_part"})
# R76; 000 §4.10.4: a plan may end for these reasons while the child is still at risk.
ENDS_WHATEVER_THE_RISK = frozenset({"moved_to_other_authority", "reached_eighteen", "died", "left_area"})


def quorum(export: Export, profile: Profile) -> Iterator[Check]:
    """R68, R69: children's social care and at least two other agencies."""
    c = export.conference
    needed = profile.limit("quorum_other_agencies")
    source = f"R68, R69; {needed.source}"
    if c.quorate is not None:
        if c.quorate:
            yield Check("quorum", "ok", "recorded as quorate by the chair", source)
        else:
            reason = c.inquorate_reason or "no reason recorded"
            yield Check(
                "quorum",
                "problem",
                f"recorded as inquorate by the chair: {reason}",
                source,
            )
        return
    agencies: set[str] = set()
    social_care = False
    for attendance in export.attendance:
        person = export.person(attendance.person)
        present = attendance.status in PRESENT
        if not present and attendance.represented_by is not None:
            stand_in = export.attendance_of(attendance.represented_by)
            present = stand_in is not None and stand_in.status in PRESENT
        if person.role != "professional" or not present:
            continue
        if person.agency_type == "childrens_social_care":
            social_care = True
        else:
            agencies.add(person.agency or person.agency_type or person.id)
    count = len(agencies)
    ok = social_care and count >= needed.value
    detail = (
        f"children's social care {'present' if social_care else 'absent'} and {count} other "
        f"agenc{'y' if count == 1 else 'ies'} present ({', '.join(sorted(agencies)) or 'none'}); "
        f"needed: children's social care and {needed.value} others"
    )
    yield Check("quorum", "ok" if ok else "problem", detail, source)


def absent_professionals(export: Export) -> Iterator[Check]:
    """R71: an invited professional who cannot attend sends a report or a briefed colleague."""
    for attendance in export.attendance:
        person = export.person(attendance.person)
        if person.role != "professional" or attendance.status not in (
            "apologies",
            "did_not_attend",
        ):
            continue
        if attendance.report_submitted or attendance.represented_by:
            continue
        yield Check(
            "absent_professional_contribution",
            "problem",
            f"{person.name} ({person.agency or person.role}) did not attend and sent neither "
            "a report nor a colleague",
            "R71; 000 §4.3.4; 002 §4.7",
        )


def plan_ended_recipients(export: Export) -> Iterator[Check]:
    ending = [d for d in export.decisions if d.outcome == "plan_ends"]
    if ending and not export.distribution.initial_conference_invitees:
        yield Check(
            "plan_ended_notice_recipients",
            "problem",
            "a plan ends but the export does not list who was invited to the initial "
            "conference (distribution.initial_conference_invitees), so nobody can be sent the notice",
            "R35; 000 §4.10.6",
        )


def parents_invited(export: Export) -> Iterator[Check]:
    """R24: every parent and person with parental responsibility is invited unless excluded."""
    for person in export.people:
        if person.role != "parent" and not person.parental_responsibility:
            continue
        if person.role not in ("parent", "carer", "family_member"):
            continue
        attendance = export.attendance_of(person.id)
        excluded = export.exclusion_of(person.id) is not None
        if excluded or (attendance is not None and attendance.invited):
            continue
        yield Check(
            "parent_invited",
            "problem",
            f"{person.name} ({person.relationship or person.role}) is a parent or has parental "
            "responsibility but is not recorded as invited, and no exclusion is recorded",
            "R24; 000 §4.4.1; 002 §6.1",
        )


def decisions_follow_their_threshold(export: Export) -> Iterator[Check]:
    """R72: a plan only for a child likely to suffer significant harm, and then always one."""
    for decision in export.decisions:
        likely = decision.likely_to_suffer_significant_harm
        if likely is None:
            continue  # the export does not record the finding; nothing to contradict
        name = export.child(decision.child).name if export.is_child(decision.child) else decision.child
        outcome = decision.outcome.replace("_", " ")
        if decision.has_plan and not likely:
            yield Check(
                "decision_threshold",
                "problem",
                f"{name}: the decision is {outcome}, but the conference recorded that the child "
                "is not likely to suffer significant harm; a plan is made only for a child who is",
                "R72; 000 §4.9.3, §4.10; 002 §17.1-17.2",
            )
        elif not decision.has_plan and likely:
            if decision.outcome == "plan_ends" and decision.plan_end_reason in ENDS_WHATEVER_THE_RISK:
                continue  # R76; 000 §4.10.4: the plan ends because the child left, not the risk
            yield Check(
                "decision_threshold",
                "problem",
                f"{name}: the conference recorded that the child is likely to suffer significant "
                f"harm, but the decision is {outcome}; such a child needs a protection plan",
                "R72; 000 §4.9.3, §4.10; 002 §17.1-17.2",
            )

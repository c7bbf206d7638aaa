"""A person of an Export → their row of the spec's recipient table (§3): what they are sent in their own right, and what a copy on someone's behalf mirrors (spec §4 rule 5).

Pure. The planner (pipeline.planning.recipients) asks these questions of every person and every
authorisation; the answers name the rule that refuses a copy, for the plan's `not_sent`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pipeline.contract.export import Authorisation, Export, Person
from pipeline.planning.plan import ViewName
from pipeline.procedure.profile import CopyRule, Profile, RecipientClass, SharedDocument

# Spec §3: nothing goes to the chair, the minute taker, interpreters, advocates or observers in that role.
NO_COPY_ROLES = frozenset({"chair", "minute_taker", "interpreter", "advocate", "observer"})
FAMILY_SIDE_ROLES = frozenset({"parent", "carer", "family_member"})
ON_BEHALF_ROLES = frozenset({"solicitor", "supporter", "child_legal_representative"})


@dataclass(frozen=True, slots=True)
class Entitlement:
    """A recipient's row of the spec's table, worked out from roles, attendance and exclusions."""

    recipient_class: RecipientClass
    audience_view: ViewName  # the view of decision letters and outline plans
    record_view: ViewName | None  # None: no record (record_copy none)
    present_for: frozenset[str] | None


class Entitlements:
    """The entitlement questions of one export under one profile."""

    def __init__(
        self, export: Export, profile: Profile, lead_social_workers: frozenset[str]
    ) -> None:
        self.export = export
        self.profile = profile
        self.lead_social_workers = lead_social_workers

    def _invitees(self) -> Iterator[Person]:
        """R23, R24: everyone the conference invites, but no one excluded from the whole of it."""
        for attendance in self.export.attendance:
            person = self.export.person(attendance.person)
            exclusion = self.export.exclusion_of(person.id)
            if not attendance.invited or person.role in NO_COPY_ROLES:
                continue
            if exclusion is not None and exclusion.extent == "whole":
                continue
            yield person

    def _entitlement(self, person: Person) -> Entitlement | None:
        """The person's row in the spec §3 table, or None if they receive nothing by default."""
        attendance = self.export.attendance_of(person.id)
        if person.role == "professional":
            # Invited or attending, apologies included (000 §4.14.4, §4.14.13; 002 §22.5).
            if attendance is None or not (
                attendance.invited or attendance.status in ("attended", "attended_part")
            ):
                return None
            if person.id in self.lead_social_workers:
                # 002 §22.8: the lead social worker may be sent the outline plan differently.
                return Entitlement("lead_social_worker", "professional", "professional", None)
            return Entitlement("professional", "professional", "professional", None)
        if person.role not in FAMILY_SIDE_ROLES:
            return None  # supporters, solicitors and representatives only with an authorisation
        exclusion = self.export.exclusion_of(person.id)
        if exclusion is not None:
            # 000 §4.4.1, §4.5.10; 002 §12.14: the record as the chair's record_copy says.
            recipient_class: RecipientClass = (
                "parent_excluded_whole" if exclusion.extent == "whole" else "parent_excluded_part"
            )
            if exclusion.record_copy == "none":
                return Entitlement(recipient_class, "family", None, None)
            if exclusion.record_copy == "attended_parts":
                present = frozenset(attendance.present_for or ()) if attendance else frozenset()
                return Entitlement(recipient_class, "family", "attended_parts", present)
            return Entitlement(recipient_class, "family", "family", None)
        if person.role == "family_member":
            # 002 §22.12: family members invited in their own right.
            if attendance is None or not attendance.invited:
                return None
            return Entitlement("family_member", "family", "family", None)
        attended = attendance is not None and attendance.status in ("attended", "attended_part")
        return Entitlement(
            "parent_attended" if attended else "parent_absent", "family", "family", None
        )

    def _rule_refusal(self, recipient: str, rule: CopyRule) -> str | None:
        """Why the profile sends this class no copy (e.g. 002 §22.8), or None if it sends one."""
        if not rule.sent:
            return f"this procedure does not send it to them ({rule.source})"
        if rule.attended_only:
            attendance = self.export.attendance_of(recipient)
            if attendance is None or attendance.status not in ("attended", "attended_part"):
                return f"only to those who attended the conference ({rule.source})"
        return None

    def _principal(self, auth: Authorisation) -> str | None:
        """Whose copy an authorised copy mirrors: named, else whom the person acts for or supports."""
        if auth.on_behalf_of is not None:
            return auth.on_behalf_of
        person = self.export.person(auth.person)
        return person.acting_for or person.supporting

    def _authorised_persons(self, auth: Authorisation) -> frozenset[str]:
        """Spec §4 rules 2 and 5: what is withheld from the person, from whom they act for or
        support, or from whom the copy is made for, is withheld from the copy."""
        person = self.export.person(auth.person)
        named = (auth.person, auth.on_behalf_of, person.acting_for, person.supporting)
        return frozenset(p for p in named if p is not None)

    def _principal_entitlement(self, principal: str | None) -> Entitlement | None:
        """The row an authorised copy mirrors (spec §4 rule 5), or None if that person gets nothing."""
        if principal is None:
            # No one named: family-side (never confidential) on professional timescales.
            return Entitlement("professional", "family", "family", None)
        if self.export.is_child(principal):
            return Entitlement("child", "family", "family", None)
        entitlement = self._entitlement(self.export.person(principal))
        if entitlement is not None and entitlement.recipient_class == "professional":
            return Entitlement("professional", "family", "family", None)
        return entitlement

    def _refusal(
        self, auth: Authorisation, document: SharedDocument, documents: tuple[SharedDocument, ...]
    ) -> str | None:
        """Why an authorisation yields no copy of `document`, or None if it yields one."""
        person = self.export.person(auth.person)
        principal = self._principal(auth)
        entitlement = self._principal_entitlement(principal)
        if person.role in NO_COPY_ROLES:
            return f"a {person.role.replace('_', ' ')} receives nothing in that role (spec §3)"
        if self._entitlement(person) is not None:
            return "already receives this document in their own right"
        if document not in documents:
            return no_document_reason(document)
        if entitlement is None:
            return (
                f"the person this copy would be for ({principal}) receives no copies, so none is "
                "made on their behalf (spec §4 rule 5)"
            )
        if (
            document == "record"
            and person.role == "supporter"
            and auth.basis == "parent_consent"
            and not self.profile.supporter_record_with_parent_consent.value
        ):
            source = self.profile.supporter_record_with_parent_consent.source
            return (
                "under this procedure supporters receive no record; the family member may share "
                f"their own copy ({source})"
            )
        if document == "record" and entitlement.record_view is None:
            return (
                f"the person this copy would be for ({principal}) receives no record, so no copy "
                "is made on their behalf (spec §4 rule 3)"
            )
        rule = self.profile.copy_rule(entitlement.recipient_class, document)
        if not rule.sent or (rule.attended_only and principal is not None):
            refusal = self._rule_refusal(principal or auth.person, rule)
            if refusal is not None:
                return (
                    f"the person this copy would be for is not sent it: {refusal} (spec §4 rule 5)"
                )
        return None


def no_document_reason(document: SharedDocument) -> str:
    if document == "outline_plan":
        return "no child was made or kept subject of a plan, so there is no outline plan (R29)"
    return f"this conference produces no {document.replace('_', ' ')}"


def case_social_worker(export: Export) -> str | None:
    """The lead social worker who hands over family copies (R32): from the decisions, else the
    children's social care professional whose job title says social worker.

    Before the conference no decision names one; the contract has no field for the allocated
    social worker, so the job title is the best the data allows (the copy's `via` shows who was
    chosen, and a copy with nobody to hand it over waits with that reason)."""
    for decision in sorted(export.decisions, key=lambda d: not d.has_plan):
        if decision.lead_social_worker is not None:
            return decision.lead_social_worker
    for person in export.people:
        if (
            person.role == "professional"
            and person.agency_type == "childrens_social_care"
            and "social worker" in (person.job_title or "").lower()
        ):
            return person.id
    return None


def lead_social_workers(export: Export, case_social_worker: str | None) -> frozenset[str]:
    """The lead social workers of the children with a plan (R75), else the case's social worker."""
    named = {d.lead_social_worker for d in export.decisions if d.has_plan and d.lead_social_worker}
    if named:
        return frozenset(named)
    if any(d.has_plan for d in export.decisions) and case_social_worker is not None:
        return frozenset({case_social_worker})
    return frozenset()

"""A validated Export, its Profile and a WorkingCalendar → the DistributionPlan: every copy, task and check.

Pure: no clock, no files. Due dates come from the export and the profile alone, never from today.
Who receives what follows the spec's recipient table (§3) row by row; each copy carries the profile
value's citation. Copies that cannot go yet are `waiting` (unsigned, missing data) or `held` (the
chair must look: free text would reveal a withheld address, spec §4 rule 4).
"""

from __future__ import annotations

from collections.abc import Iterator

from pipeline.contract.export import Export
from pipeline.planning.arrangements import arrangement_checks
from pipeline.planning.copy_making import CopyMaker
from pipeline.planning.documents import DocumentKind
from pipeline.planning.entitlements import (
    Entitlement,
    Entitlements,
    case_social_worker,
    lead_social_workers,
    no_document_reason,
)
from pipeline.planning.languages import contact_for, with_language
from pipeline.planning.plan import DistributionPlan, NotSent, PlannedCopy, ViewName
from pipeline.planning.readers import Audience, Viewer
from pipeline.planning.report_work import report_checks, report_packs, report_tasks
from pipeline.planning.routing import DEFAULT_ROUTING, Routing
from pipeline.planning.tasks import copy_tasks, explain_in_person, verbal_invitations
from pipeline.planning.timeliness import timeliness_checks
from pipeline.procedure.calendar import WorkingCalendar, uk_date
from pipeline.procedure.profile import CopyRule, Profile, SharedDocument

SHARED_DOCUMENTS: tuple[SharedDocument, ...] = ("decision_letter", "outline_plan", "record")


def plan_distribution(
    export: Export, profile: Profile, calendar: WorkingCalendar, routing: Routing = DEFAULT_ROUTING
) -> DistributionPlan:
    """Everything the conference owes to whom, by when and by which channel, for the export's
    current stage. `routing`: the service's channel settings (its defaults where there are none)."""
    planner = _Planner(export, profile, calendar, routing)
    contact = contact_for(export, planner.case_social_worker)
    copies = tuple(with_language(export, profile, c, contact) for c in planner.copies())
    tasks = tuple(copy_tasks(export, copies, planner.case_social_worker))
    tasks += tuple(explain_in_person(export, copies))
    tasks += tuple(report_tasks(export, profile, calendar, copies, planner.case_social_worker))
    if profile.parents_invited_verbally_first.value:
        source = profile.parents_invited_verbally_first.source
        tasks += tuple(verbal_invitations(export, copies, planner.case_social_worker, source))
    return DistributionPlan(
        conference=export.conference.id,
        revision=export.revision,
        stage=export.conference.stage,
        profile=profile.name,
        copies=copies,
        tasks=tasks,
        checks=tuple(timeliness_checks(export, profile, calendar, copies))
        + tuple(report_checks(export, profile, calendar))
        + tuple(arrangement_checks(export)),
        not_sent=tuple(planner.not_sent),
    )


class _Planner(Entitlements):
    def __init__(
        self, export: Export, profile: Profile, calendar: WorkingCalendar, routing: Routing
    ) -> None:
        self.case_social_worker = case_social_worker(export)
        super().__init__(export, profile, lead_social_workers(export, self.case_social_worker))
        self.calendar = calendar
        self.conference = export.conference
        self.not_sent: list[NotSent] = []
        self.make = CopyMaker(export, profile, calendar, routing)

    # ---- by stage -------------------------------------------------------------------------------

    def copies(self) -> Iterator[PlannedCopy]:
        stage = self.conference.stage
        if stage == "scheduled":
            yield from self._invitations("invitation", "invitation_after_export")
            yield from self._exclusion_letters()
            yield from report_packs(self.export, self.profile, self.calendar, self.make)
        elif stage == "cancelled":
            yield from self._invitations("cancellation_notice", "cancellation_notice_after_export")
        else:
            yield from self._held_copies()

    def _invitations(self, document: DocumentKind, notice: str) -> Iterator[PlannedCopy]:
        rule = self.profile.notice(notice)
        due = rule.value.after(uk_date(self.export.exported_at), self.calendar)
        for person in self._invitees():
            view: ViewName = "professional" if person.role == "professional" else "family"
            yield self.make.finish(
                person.id,
                document,
                view,
                Viewer(_audience(view), frozenset({person.id})),
                due,
                rule.source,
                recipient_class="invitee",
            )

    def _exclusion_letters(self) -> Iterator[PlannedCopy]:
        """000 §4.5.9; 002 §12.5-12.6: a letter signed by the chair to whoever is excluded beforehand."""
        rule = self.profile.notice("exclusion_letter_after_decision")
        for exclusion in self.export.exclusions:
            if not exclusion.decided_before_conference:
                continue
            due = rule.value.after(exclusion.decided_on, self.calendar)
            subject = exclusion.person
            yield self.make.finish(
                subject,
                "exclusion_letter",
                "family",
                Viewer("family", frozenset({subject})),
                due,
                rule.source,
                recipient_class="excluded_person",
                subject=subject,
            )
            for index, auth in enumerate(self.export.distribution.authorisations):
                if self._principal(auth) == subject:
                    yield self.make.finish(
                        auth.person,
                        "exclusion_letter",
                        "family",
                        Viewer("family", self._authorised_persons(auth)),
                        due,
                        f"{rule.source}; spec §2 (anyone authorised on their behalf)",
                        recipient_class="authorised",
                        subject=subject,
                        on_behalf_of=subject,
                        basis=auth.basis,
                        authorisation=index,
                    )

    # ---- stage held -----------------------------------------------------------------------------

    def _documents_held(self) -> tuple[SharedDocument, ...]:
        # R03: a decision letter even when no plan is made; an outline plan only for a child with one.
        if any(d.has_plan for d in self.export.decisions):
            return SHARED_DOCUMENTS
        return ("decision_letter", "record")

    def _held_copies(self) -> Iterator[PlannedCopy]:
        documents = self._documents_held()
        for person in self.export.people:
            entitlement = self._entitlement(person)
            if entitlement is None:
                continue
            for document in documents:
                yield from self._shared_copy(person.id, document, entitlement)
        yield from self._child_copies(documents)
        yield from self._authorised_copies(documents)
        yield from self._plan_ended_notices()

    def _shared_copy(
        self, recipient: str, document: SharedDocument, entitlement: Entitlement
    ) -> Iterator[PlannedCopy]:
        if document == "record":
            if entitlement.record_view is None:
                self.not_sent.append(
                    NotSent(
                        recipient,
                        "record",
                        "the chair decided this excluded person receives no record "
                        "(record_copy none; 000 §4.5.10, 002 §12.14)",
                    )
                )
                return
            view = entitlement.record_view
            present_for = entitlement.present_for
        else:
            view, present_for = entitlement.audience_view, None
        rule = self.profile.copy_rule(entitlement.recipient_class, document)
        refusal = self._rule_refusal(recipient, rule)
        if refusal is not None:
            self.not_sent.append(NotSent(recipient, document, refusal))
            return
        viewer = Viewer(_audience(view), frozenset({recipient}), present_for)
        yield self._scheduled_copy(recipient, document, view, viewer, rule, entitlement)

    def _scheduled_copy(
        self,
        recipient: str,
        document: SharedDocument,
        view: ViewName,
        viewer: Viewer,
        rule: CopyRule,
        entitlement: Entitlement,
        *,
        on_behalf_of: str | None = None,
        basis: str | None = None,
        authorisation: int | None = None,
        force_direct: bool = False,
    ) -> PlannedCopy:
        due, due_at, source = self.make.due_of(rule)
        via = None
        if rule.via_lead_social_worker and not force_direct:
            via = self._lead_social_worker_for(recipient)
        return self.make.finish(
            recipient,
            document,
            view,
            viewer,
            due,
            source,
            recipient_class=entitlement.recipient_class if on_behalf_of is None else "authorised",
            via_lead_social_worker=rule.via_lead_social_worker and not force_direct,
            # 002 §22.8 posts the draft plan to parents; whoever holds a copy for them is not one.
            posted=rule.channel == "post" and not force_direct,
            via=via,
            due_at=due_at,
            on_behalf_of=on_behalf_of,
            basis=basis,
            authorisation=authorisation,
        )

    def _child_copies(self, documents: tuple[SharedDocument, ...]) -> Iterator[PlannedCopy]:
        """000 §4.14.7-4.14.8; 002 §22.13-22.14: only what the chair decided, through the social worker."""
        child_entitlement = Entitlement("child", "family", "family", None)
        for decision in self.export.distribution.child_copies:
            for document in decision.documents:
                if document not in documents:
                    self.not_sent.append(
                        NotSent(decision.child, document, no_document_reason(document))
                    )
                    continue
                rule = self.profile.copy_rule("child", document)
                if not rule.sent:
                    self.not_sent.append(
                        NotSent(
                            decision.child, document, self._rule_refusal(decision.child, rule) or ""
                        )
                    )
                    continue
                viewer = Viewer("family", frozenset({decision.child}))
                yield self._scheduled_copy(
                    decision.child, document, "family", viewer, rule, child_entitlement
                )

    def _authorised_copies(self, documents: tuple[SharedDocument, ...]) -> Iterator[PlannedCopy]:
        """Spec §4 rule 5: an authorised copy is the principal's copy, never wider."""
        for index, auth in enumerate(self.export.distribution.authorisations):
            principal = self._principal(auth)
            for document in auth.documents:
                refusal = self._refusal(auth, document, documents)
                if refusal is not None:
                    self.not_sent.append(NotSent(auth.person, document, refusal))
                    continue
                entitlement = self._principal_entitlement(principal)
                assert entitlement is not None  # _refusal said so
                if document == "record":
                    view, present_for = entitlement.record_view, entitlement.present_for
                else:
                    view, present_for = entitlement.audience_view, None
                assert view is not None
                # Rule 1: whoever holds a copy on behalf of a family member is family-side.
                viewer = Viewer("family", self._authorised_persons(auth), present_for)
                rule = self.profile.copy_rule(entitlement.recipient_class, document)
                # Sent to the authorised person directly: they are not the family member whom
                # the lead social worker visits (000 §4.14.5 and 002 §22.9 speak of parents).
                yield self._scheduled_copy(
                    auth.person,
                    document,
                    view,
                    viewer,
                    rule,
                    entitlement,
                    on_behalf_of=principal,
                    basis=auth.basis,
                    authorisation=index,
                    force_direct=True,
                )

    def _plan_ended_notices(self) -> Iterator[PlannedCopy]:
        """000 §4.10.6 (R35): when a plan ends, notice to the agencies invited to the initial conference."""
        if not any(d.outcome == "plan_ends" for d in self.export.decisions):
            return
        invitees = self.export.distribution.initial_conference_invitees
        if not invitees:
            return  # reported by the checks: nobody is known to notify
        rule = self.profile.notice("plan_ended_notice")
        due, _ = self.make.due_after_conference(rule.value)
        for person_id in dict.fromkeys(invitees):
            if self.export.person(person_id).role != "professional":
                continue
            yield self.make.finish(
                person_id,
                "plan_ended_notice",
                "professional",
                Viewer("professional", frozenset({person_id})),
                due,
                rule.source,
                recipient_class="initial_conference_invitee",
            )

    # ---- common ---------------------------------------------------------------------------------

    def _lead_social_worker_for(self, recipient: str) -> str | None:
        if self.export.is_child(recipient):
            decision = self.export.decision_for(recipient)
            if decision is not None and decision.lead_social_worker is not None:
                return decision.lead_social_worker
        return self.case_social_worker


def _audience(view: ViewName) -> Audience:
    return "professional" if view == "professional" else "family"

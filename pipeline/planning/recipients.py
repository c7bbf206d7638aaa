"""A validated Export, its Profile and a WorkingCalendar → the DistributionPlan: every copy, task and check.

Pure: no clock, no files. Due dates come from the export and the profile alone, never from today.
Who receives what follows the spec's recipient table (§3) row by row; each copy carries the profile
value's citation. Copies that cannot go yet are `waiting` (unsigned, missing data) or `held` (the
chair must look: free text would reveal a withheld address, spec §4 rule 4).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time

from pipeline.contract.export import Authorisation, Export, Person
from pipeline.planning.documents import DocumentKind, authorisation_text, free_text
from pipeline.planning.mentions import first_mention, mention_reason, withheld_contacts
from pipeline.planning.plan import (
    Channel,
    DistributionPlan,
    NotSent,
    PlannedCopy,
    Status,
    Task,
    TaskKind,
    ViewName,
)
from pipeline.planning.readers import Audience, Viewer, readers_of, route_reason, withheld_persons
from pipeline.planning.routing import DEFAULT_ROUTING, Routing, route
from pipeline.planning.timeliness import timeliness_checks
from pipeline.procedure.calendar import WorkingCalendar, uk_date
from pipeline.procedure.profile import (
    CopyRule,
    DueEvent,
    Period,
    Profile,
    RecipientClass,
    SharedDocument,
)

# Spec §3: nothing goes to the chair, the minute taker, interpreters, advocates or observers in that role.
NO_COPY_ROLES = frozenset({"chair", "minute_taker", "interpreter", "advocate", "observer"})
FAMILY_SIDE_ROLES = frozenset({"parent", "carer", "family_member"})
ON_BEHALF_ROLES = frozenset({"solicitor", "supporter", "child_legal_representative"})
# 000 §4.14.9; 002 §15.6, §22.15: each of these needs work by the social worker for every copy.
TASK_NEEDS: tuple[TaskKind, ...] = ("translation", "interpreter", "braille", "audio", "easy_read")
NEEDS_SOURCE = "000 §4.14.9; 002 §15.6, §22.15"
SHARED_DOCUMENTS: tuple[SharedDocument, ...] = ("decision_letter", "outline_plan", "record")


def plan_distribution(
    export: Export, profile: Profile, calendar: WorkingCalendar, routing: Routing = DEFAULT_ROUTING
) -> DistributionPlan:
    """Everything the conference owes to whom, by when and by which channel, for the export's
    current stage. `routing`: the service's channel settings (its defaults where there are none)."""
    planner = _Planner(export, profile, calendar, routing)
    copies = tuple(planner.copies())
    tasks = tuple(_tasks(export, copies, planner.case_social_worker))
    if profile.parents_invited_verbally_first.value:
        source = profile.parents_invited_verbally_first.source
        tasks += tuple(_verbal_invitations(export, copies, planner.case_social_worker, source))
    return DistributionPlan(
        conference=export.conference.id,
        revision=export.revision,
        stage=export.conference.stage,
        profile=profile.name,
        copies=copies,
        tasks=tasks,
        checks=tuple(timeliness_checks(export, profile, calendar, copies)),
        not_sent=tuple(planner.not_sent),
    )


@dataclass(frozen=True, slots=True)
class _Entitlement:
    """A recipient's row of the spec's table, worked out from roles, attendance and exclusions."""

    recipient_class: RecipientClass
    audience_view: ViewName  # the view of decision letters and outline plans
    record_view: ViewName | None  # None: no record (record_copy none)
    present_for: frozenset[str] | None


class _Planner:
    def __init__(
        self, export: Export, profile: Profile, calendar: WorkingCalendar, routing: Routing
    ) -> None:
        self.export = export
        self.routing = routing
        self.profile = profile
        self.calendar = calendar
        self.conference = export.conference
        self.not_sent: list[NotSent] = []
        self.case_social_worker = _case_social_worker(export)
        self.lead_social_workers = _lead_social_workers(export, self.case_social_worker)
        self.withheld_persons = withheld_persons(export)

    # ---- by stage -------------------------------------------------------------------------------

    def copies(self) -> Iterator[PlannedCopy]:
        stage = self.conference.stage
        if stage == "scheduled":
            yield from self._invitations("invitation", "invitation_after_export")
            yield from self._exclusion_letters()
        elif stage == "cancelled":
            yield from self._invitations("cancellation_notice", "cancellation_notice_after_export")
        else:
            yield from self._held_copies()

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

    def _invitations(self, document: DocumentKind, notice: str) -> Iterator[PlannedCopy]:
        rule = self.profile.notice(notice)
        due = rule.value.after(uk_date(self.export.exported_at), self.calendar)
        for person in self._invitees():
            view: ViewName = "professional" if person.role == "professional" else "family"
            yield self._finish(
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
            yield self._finish(
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
                    yield self._finish(
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

    def _entitlement(self, person: Person) -> _Entitlement | None:
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
                return _Entitlement("lead_social_worker", "professional", "professional", None)
            return _Entitlement("professional", "professional", "professional", None)
        if person.role not in FAMILY_SIDE_ROLES:
            return None  # supporters, solicitors and representatives only with an authorisation
        exclusion = self.export.exclusion_of(person.id)
        if exclusion is not None:
            # 000 §4.4.1, §4.5.10; 002 §12.14: the record as the chair's record_copy says.
            recipient_class: RecipientClass = (
                "parent_excluded_whole" if exclusion.extent == "whole" else "parent_excluded_part"
            )
            if exclusion.record_copy == "none":
                return _Entitlement(recipient_class, "family", None, None)
            if exclusion.record_copy == "attended_parts":
                present = frozenset(attendance.present_for or ()) if attendance else frozenset()
                return _Entitlement(recipient_class, "family", "attended_parts", present)
            return _Entitlement(recipient_class, "family", "family", None)
        if person.role == "family_member":
            # 002 §22.12: family members invited in their own right.
            if attendance is None or not attendance.invited:
                return None
            return _Entitlement("family_member", "family", "family", None)
        attended = attendance is not None and attendance.status in ("attended", "attended_part")
        return _Entitlement(
            "parent_attended" if attended else "parent_absent", "family", "family", None
        )

    def _shared_copy(
        self, recipient: str, document: SharedDocument, entitlement: _Entitlement
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

    def _rule_refusal(self, recipient: str, rule: CopyRule) -> str | None:
        """Why the profile sends this class no copy (e.g. 002 §22.8), or None if it sends one."""
        if not rule.sent:
            return f"this procedure does not send it to them ({rule.source})"
        if rule.attended_only:
            attendance = self.export.attendance_of(recipient)
            if attendance is None or attendance.status not in ("attended", "attended_part"):
                return f"only to those who attended the conference ({rule.source})"
        return None

    def _scheduled_copy(
        self,
        recipient: str,
        document: SharedDocument,
        view: ViewName,
        viewer: Viewer,
        rule: CopyRule,
        entitlement: _Entitlement,
        *,
        on_behalf_of: str | None = None,
        basis: str | None = None,
        authorisation: int | None = None,
        force_direct: bool = False,
    ) -> PlannedCopy:
        due, due_at, source = self._due_of(rule)
        via = None
        if rule.via_lead_social_worker and not force_direct:
            via = self._lead_social_worker_for(recipient)
        return self._finish(
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

    def _due_of(self, rule: CopyRule) -> tuple[date, datetime | None, str]:
        """A copy's due date (and moment, for hours) and its citation, from the profile's rule."""
        if rule.due is None:
            raise ValueError(f"no copy is sent under {rule.source}")
        if isinstance(rule.due, Period):
            return (*self._due_after_conference(rule.due), rule.source)
        return self._due_by_event(rule.due, rule.source)

    def _due_by_event(self, event: DueEvent, source: str) -> tuple[date, None, str]:
        """002 §22.8: "in time for the first Core Group meeting": by the plan's date for it, or,
        where the plan sets none, by the latest the profile allows it (R43)."""
        assert event == "first_core_group"
        core_group = self.export.plan.core_group if self.export.plan else None
        meeting = core_group.first_meeting_date if core_group else None
        if meeting is None:
            limit = self.profile.limit("first_core_group")
            meeting = limit.value.after(self.conference.date, self.calendar)
            source = (
                f"{source}; the plan sets no first core group date, so by the latest it may be "
                f"held (R43; {limit.source})"
            )
        return max(meeting, self.conference.date), None, source

    def _due_after_conference(self, period: Period) -> tuple[date, datetime | None]:
        # "Within 24 hours" runs from the end of the conference in UK local time (spec §3).
        at = _clock(self.conference.end_time) or _clock(self.conference.start_time)
        return (
            period.after(self.conference.date, self.calendar, at),
            period.moment_after(self.conference.date, at),
        )

    def _child_copies(self, documents: tuple[SharedDocument, ...]) -> Iterator[PlannedCopy]:
        """000 §4.14.7-4.14.8; 002 §22.13-22.14: only what the chair decided, through the social worker."""
        child_entitlement = _Entitlement("child", "family", "family", None)
        for decision in self.export.distribution.child_copies:
            for document in decision.documents:
                if document not in documents:
                    self.not_sent.append(
                        NotSent(decision.child, document, _no_document_reason(document))
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

    def _principal_entitlement(self, principal: str | None) -> _Entitlement | None:
        """The row an authorised copy mirrors (spec §4 rule 5), or None if that person gets nothing."""
        if principal is None:
            # No one named: family-side (never confidential) on professional timescales.
            return _Entitlement("professional", "family", "family", None)
        if self.export.is_child(principal):
            return _Entitlement("child", "family", "family", None)
        entitlement = self._entitlement(self.export.person(principal))
        if entitlement is not None and entitlement.recipient_class == "professional":
            return _Entitlement("professional", "family", "family", None)
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
            return _no_document_reason(document)
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
        due, _ = self._due_after_conference(rule.value)
        for person_id in dict.fromkeys(invitees):
            if self.export.person(person_id).role != "professional":
                continue
            yield self._finish(
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

    def _finish(
        self,
        recipient: str,
        document: DocumentKind,
        view: ViewName,
        viewer: Viewer,
        due: date,
        source: str,
        *,
        recipient_class: str,
        via_lead_social_worker: bool = False,
        via: str | None = None,
        posted: bool = False,
        due_at: datetime | None = None,
        subject: str | None = None,
        on_behalf_of: str | None = None,
        basis: str | None = None,
        authorisation: int | None = None,
    ) -> PlannedCopy:
        """Status, channel and hand-over date for one copy."""
        waiting: list[str] = []
        if document == "record":
            waiting.extend(self._record_waiting())
        elif document == "outline_plan":
            waiting.extend(self._plan_waiting())
        channel: Channel | None
        handover_by = None
        authorised = on_behalf_of is not None or recipient_class == "authorised"
        if via_lead_social_worker:
            channel = None
            if via is None:
                waiting.append("no lead social worker is named to hand this copy over")
            else:
                # To the social worker, by the channel set for them (R32; 002 §22.9).
                channel = route(
                    self.export, self.routing, recipient=recipient, via=via, authorised=authorised
                )
                handover_by = self._handover_by(document, due)
        elif posted:
            # The procedure says this copy is posted (002 §22.8).
            has_address = not self.export.is_child(recipient) and (
                self.export.person(recipient).address is not None
            )
            channel = "post" if has_address else None
            if channel is None:
                waiting.append(f"this copy is posted ({source}) and there is no postal address")
        else:
            channel = route(
                self.export, self.routing, recipient=recipient, via=None, authorised=authorised
            )
            if channel is None:
                waiting.append("a child's copy goes only by hand, and no social worker takes it")
        held = self._route_hold(document, viewer, subject, via) or self._address_hold(
            document, viewer, subject, authorisation, via
        )
        status: Status = "held" if held else "waiting" if waiting else "ready"
        reasons = ([held] if held else []) + waiting
        large_print = (
            not self.export.is_child(recipient)
            and "large_print" in self.export.person(recipient).needs
        )
        return PlannedCopy(
            recipient=recipient,
            document=document,
            view=view,
            due=due,
            status=status,
            reason="; ".join(reasons) or None,
            via=via,
            channel=channel,
            viewer=viewer,
            recipient_class=recipient_class,
            source=source,
            handover_by=handover_by,
            on_behalf_of=on_behalf_of,
            authorisation_basis=basis,
            authorisation=authorisation,
            large_print=large_print,
            due_at=due_at,
        )

    def _record_waiting(self) -> list[str]:
        record = self.export.record
        if record is None:
            return ["the export holds no record yet"]
        if record.status != "signed":
            return ["the record is not yet signed by the chair (R15; 000 §4.14.4)"]
        return []

    def _plan_waiting(self) -> list[str]:
        plan = self.export.plan
        if plan is None:
            return ["the export holds no outline plan yet"]
        if plan.status != "signed":
            return ["the outline plan is not yet signed by the chair (R10; 000 §4.14.13)"]
        return []

    def _handover_by(self, document: DocumentKind, due: date) -> date:
        """Spec §3, 002 §22.9: the social worker has it a profile number of working days early,
        but never before the document can exist (the conference, or the chair's signature)."""
        early = self.profile.handover_lead_time.value.before(due, self.calendar)
        exists_from = self.conference.date
        signed = self.export.record.signed_on if self.export.record else None
        if document == "record" and signed is not None:
            exists_from = max(exists_from, signed)
        return min(due, max(early, exists_from))

    def _route_hold(
        self, document: DocumentKind, viewer: Viewer, subject: str | None, via: str | None
    ) -> str | None:
        """Spec §4 rules 2, 4; R32: content the recipient may see but the social worker it passes
        through may not. The copy would carry it past them, so the chair must look first."""
        if via is None or via not in self.withheld_persons:
            return None
        readers = readers_of(_Route(viewer, via))
        if readers is viewer:
            return None
        seen = {path for path, _ in free_text(self.export, document, readers, subject)}
        for path, _ in free_text(self.export, document, viewer, subject):
            if path not in seen:
                return route_reason(path, via)
        return None

    def _address_hold(
        self,
        document: DocumentKind,
        viewer: Viewer,
        subject: str | None,
        authorisation: int | None,
        via: str | None,
    ) -> str | None:
        """Spec §4 rule 4: free text reaching anyone who reads the copy (the recipient, whom they
        act for, the social worker it goes through) mentions an address withheld from them."""
        readers = viewer.persons | {via} if via is not None else viewer.persons
        contacts = withheld_contacts(self.export, readers)
        if not contacts:
            return None
        texts = list(free_text(self.export, document, viewer, subject))
        if authorisation is not None:
            # Printed on every page of an authorised copy (spec §4 rule 5).
            texts.extend(authorisation_text(self.export, authorisation))
        found = first_mention(texts, contacts, self.export.authority.address)
        return None if found is None else mention_reason(*found, via)


@dataclass(frozen=True, slots=True)
class _Route:
    """A copy's viewer and the social worker it passes through, before the copy is made."""

    viewer: Viewer
    via: str | None


def _audience(view: ViewName) -> Audience:
    return "professional" if view == "professional" else "family"


def _clock(text: str | None) -> time | None:
    return time.fromisoformat(text) if text else None


def _no_document_reason(document: SharedDocument) -> str:
    if document == "outline_plan":
        return "no child was made or kept subject of a plan, so there is no outline plan (R29)"
    return f"this conference produces no {document.replace('_', ' ')}"


def _case_social_worker(export: Export) -> str | None:
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


def _lead_social_workers(export: Export, case_social_worker: str | None) -> frozenset[str]:
    """The lead social workers of the children with a plan (R75), else the case's social worker."""
    named = {d.lead_social_worker for d in export.decisions if d.has_plan and d.lead_social_worker}
    if named:
        return frozenset(named)
    if any(d.has_plan for d in export.decisions) and case_social_worker is not None:
        return frozenset({case_social_worker})
    return frozenset()


def _verbal_invitations(
    export: Export, copies: tuple[PlannedCopy, ...], owner: str | None, source: str
) -> Iterator[Task]:
    """R21: the social worker tells each parent of the conference before the letter confirms it,
    so the task is due by the invitation's own due date."""
    for copy in copies:
        if copy.document != "invitation":
            continue
        person = export.person(copy.recipient)
        if person.role in ("parent", "carer") or person.parental_responsibility:
            yield Task(
                "verbal_invitation", owner, copy.recipient, "invitation", copy.due, f"R21; {source}"
            )


def _tasks(export: Export, copies: tuple[PlannedCopy, ...], owner: str | None) -> Iterator[Task]:
    """A hand-over task for each copy through the social worker; one task per copy per need."""
    for copy in copies:
        if copy.via is not None:
            yield Task(
                "hand_over",
                copy.via,
                copy.recipient,
                copy.document,
                copy.due,
                "spec §3; 000 §4.14.5; 002 §22.9",
            )
        if export.is_child(copy.recipient):
            continue  # the contract records no needs for children (R81)
        needs = export.person(copy.recipient).needs
        for need in TASK_NEEDS:
            if need in needs:
                yield Task(
                    need, copy.via or owner, copy.recipient, copy.document, copy.due, NEEDS_SOURCE
                )

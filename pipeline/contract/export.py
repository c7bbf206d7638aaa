"""The conference export, format `cpc-export/1`, as immutable pydantic models (../shared/spec/cpc-export-1.schema.json).

These models check what the JSON Schema checks about single fields; rules that span fields
(references, uniqueness, conditionals, date order) are in `export_checks`, which names the exact path.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from pipeline.contract.types import (
    MAX_REVISION,
    Email,
    Id,
    IsoDate,
    IsoDateTime,
    Ref,
    Strict,
    Text,
    Time,
    UniqueTuple,
)

if TYPE_CHECKING:
    from pipeline.contract.export_v2 import Report

Nation = Literal["england", "wales", "scotland", "northern_ireland"]
ConferenceKind = Literal["initial", "review", "pre_birth", "transfer_in"]
Stage = Literal["scheduled", "held", "cancelled"]
AttendanceStatus = Literal[
    "expected", "attended", "attended_part", "apologies", "did_not_attend", "excluded"
]
Role = Literal[
    "parent",
    "carer",
    "family_member",
    "professional",
    "chair",
    "minute_taker",
    "solicitor",
    "supporter",
    "advocate",
    "interpreter",
    "observer",
    "child_legal_representative",
]
AgencyType = Literal[
    "childrens_social_care",
    "police",
    "health",
    "education",
    "probation",
    "housing",
    "legal",
    "voluntary",
    "other",
]
Need = Literal["interpreter", "translation", "large_print", "braille", "easy_read", "audio"]
ExclusionGround = Literal[
    "prejudice_welfare_of_child",
    "violence_or_threats",
    "disruptive_behaviour",
    "child_request",
    "prevents_professional_contribution",
    "confidential_information",
    "family_conflict",
    "other",
]
Outcome = Literal[
    "child_protection_plan",
    "plan_continues",
    "plan_ends",
    "child_in_need_plan",
    "no_further_action",
]
Category = Literal["physical_abuse", "emotional_abuse", "sexual_abuse", "neglect"]
PlanEndReason = Literal[
    "no_longer_at_risk", "moved_to_other_authority", "reached_eighteen", "died", "left_area"
]
SharedDocument = Literal["decision_letter", "outline_plan", "record"]
AuthorisationBasis = Literal[
    "parent_consent", "chair_permission", "court_order", "child_legal_representative_request"
]
SignStatus = Literal["draft", "signed"]

OUTCOMES_WITH_PLAN: frozenset[str] = frozenset({"child_protection_plan", "plan_continues"})


class Address(Strict):
    lines: Annotated[
        tuple[Annotated[str, Field(min_length=1, max_length=200)], ...],
        Field(min_length=1, max_length=6),
    ]
    postcode: Annotated[str, Field(min_length=2, max_length=10)]


class Visibility(Strict):
    confidential: bool = False
    withheld_from: tuple[Ref, ...] = ()
    reason: Text | None = None


class Authority(Strict):
    code: Id
    name: Text
    nation: Nation
    procedure_profile: Id | None = None
    service_name: Text | None = None
    address: Address | None = None
    complaints_contact: Text | None = None


class Conference(Strict):
    id: Id
    kind: ConferenceKind
    stage: Stage
    date: IsoDate
    start_time: Time | None = None
    end_time: Time | None = None
    venue: Text | None = None
    chair: Ref
    minute_taker: Ref | None = None
    strategy_discussion_date: IsoDate | None = None
    transfer_notification_date: IsoDate | None = None
    previous_conference_date: IsoDate | None = None
    initial_conference_date: IsoDate | None = None
    child_born_on: IsoDate | None = None
    quorate: bool | None = None
    inquorate_reason: Text | None = None


class Person(Strict):
    id: Id
    name: Text
    role: Role
    relationship: Text | None = None
    parental_responsibility: bool | None = None
    agency: Text | None = None
    agency_type: AgencyType | None = None
    job_title: Text | None = None
    email: Email | None = None
    address: Address | None = None
    address_withheld_from: tuple[Ref, ...] = ()
    language: Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")] | None = None
    needs: Annotated[tuple[Need, ...], UniqueTuple] = ()
    acting_for: Ref | None = None
    supporting: Ref | None = None


class Child(Strict):
    id: Id
    name: Text
    subject: bool
    date_of_birth: IsoDate | None = None
    unborn: bool | None = None
    expected_delivery_date: IsoDate | None = None
    gender: Annotated[str, Field(max_length=40)] | None = None


class AgendaItem(Strict):
    id: Id
    title: Text


class Attendance(Strict):
    person: Ref
    invited: bool
    status: AttendanceStatus
    present_for: tuple[Ref, ...] | None = None
    report_submitted: bool | None = None
    represented_by: Ref | None = None


class Exclusion(Strict):
    person: Ref
    extent: Literal["whole", "part"]
    agenda_items: tuple[Ref, ...] = ()
    grounds: Annotated[tuple[ExclusionGround, ...], Field(min_length=1)]
    reason: Text
    requested_by: Ref | None = None
    decided_on: IsoDate
    decided_before_conference: bool = False
    record_copy: Literal["full", "attended_parts", "none"]
    how_views_are_heard: Text | None = None


class Section(Strict):
    id: Id
    agenda_item: Ref | None = None
    heading: Text
    paragraphs: tuple[Text, ...]
    visibility: Visibility | None = None


class AppendedReport(Strict):
    id: Id
    author: Ref
    title: Text
    visibility: Visibility | None = None


class Record(Strict):
    status: SignStatus
    signed_by: Ref | None = None
    signed_on: IsoDate | None = None
    sections: tuple[Section, ...]
    appended_reports: tuple[AppendedReport, ...] = ()


class Dissent(Strict):
    person: Ref
    view: Text


class Decision(Strict):
    child: Ref
    outcome: Outcome
    suffered_significant_harm: bool | None = None
    likely_to_suffer_significant_harm: bool | None = None
    categories: Annotated[tuple[Category, ...], UniqueTuple] | None = None
    lead_social_worker: Ref | None = None
    plan_end_reason: PlanEndReason | None = None
    dissent: tuple[Dissent, ...] = ()
    recommendations: tuple[Text, ...] = ()

    @property
    def has_plan(self) -> bool:
        """True when the child is, or stays, subject of a child protection plan (R04, R72)."""
        return self.outcome in OUTCOMES_WITH_PLAN


class Action(Strict):
    action: Text
    responsible: Annotated[tuple[Ref, ...], Field(min_length=1)]
    by_when: IsoDate | None = None
    frequency: Text | None = None
    visibility: Visibility | None = None


class PlanOutcome(Strict):
    outcome: Text
    actions: tuple[Action, ...]


class ChildPlan(Strict):
    child: Ref
    risks: tuple[Text, ...] = ()
    outcomes: tuple[PlanOutcome, ...]
    services: tuple[Text, ...] = ()
    assessments: tuple[Text, ...] = ()


class CoreGroup(Strict):
    members: tuple[Ref, ...]
    first_meeting_date: IsoDate | None = None


class Plan(Strict):
    status: SignStatus
    signed_by: Ref | None = None
    signed_on: IsoDate | None = None
    core_group: CoreGroup | None = None
    review_conference_date: IsoDate | None = None
    children: tuple[ChildPlan, ...]
    contingency: tuple[Text, ...] = ()


class Authorisation(Strict):
    person: Ref
    documents: Annotated[tuple[SharedDocument, ...], Field(min_length=1), UniqueTuple]
    basis: AuthorisationBasis
    on_behalf_of: Ref | None = None
    authorised_by: Ref
    authorised_on: IsoDate
    purpose: Text | None = None


class ChildCopies(Strict):
    child: Ref
    documents: Annotated[tuple[SharedDocument, ...], UniqueTuple]
    decided_by: Ref


class Distribution(Strict):
    authorisations: tuple[Authorisation, ...] = ()
    child_copies: tuple[ChildCopies, ...] = ()
    initial_conference_invitees: tuple[Ref, ...] | None = None


class Export(Strict):
    """One conference as the case-management system exported it."""

    format: Literal["cpc-export/1"]
    export_id: Id
    revision: Annotated[int, Field(ge=1, le=MAX_REVISION)]
    exported_at: IsoDateTime
    source_system: Annotated[str, Field(max_length=200)] | None = None
    authority: Authority
    conference: Conference
    people: Annotated[tuple[Person, ...], Field(min_length=1)]
    children: Annotated[tuple[Child, ...], Field(min_length=1)]
    agenda: tuple[AgendaItem, ...] = ()
    attendance: tuple[Attendance, ...]
    exclusions: tuple[Exclusion, ...] = ()
    record: Record | None = None
    decisions: tuple[Decision, ...] = ()
    plan: Plan | None = None
    distribution: Distribution = Distribution()

    def conference_reports(self) -> tuple[Report, ...]:
        """The reports to the conference: none in `cpc-export/1`, which carries none
        (`pipeline.contract.export_v2`)."""
        return ()

    def person(self, person_id: str) -> Person:
        """The person with this id (ids are checked to resolve before an Export reaches the core)."""
        return self._people_by_id[person_id]

    def child(self, child_id: str) -> Child:
        return self._children_by_id[child_id]

    def is_child(self, some_id: str) -> bool:
        return some_id in self._children_by_id

    def name_of(self, some_id: str) -> str:
        """The name of a person or a child."""
        if some_id in self._children_by_id:
            return self._children_by_id[some_id].name
        return self._people_by_id[some_id].name

    def attendance_of(self, person_id: str) -> Attendance | None:
        return self._attendance_by_person.get(person_id)

    def exclusion_of(self, person_id: str) -> Exclusion | None:
        return self._exclusion_by_person.get(person_id)

    def withholding_contacts_from(self, viewers: Iterable[str]) -> tuple[Person, ...]:
        """The people whose address and e-mail are withheld from any of `viewers`, in export order.

        Looked up by viewer, not by walking every person for every copy: a plan asks this once
        per copy, so the walk made planning an export of 10,000 people quadratic.
        """
        indexes = {i for viewer in viewers for i in self._withholding_by_viewer.get(viewer, ())}
        return tuple(self.people[i] for i in sorted(indexes))

    def decision_for(self, child_id: str) -> Decision | None:
        return next((d for d in self.decisions if d.child == child_id), None)

    def person_index(self, person_id: str) -> int | None:
        """The position of a person in `people` (for a JSON path), or None for a child or no one."""
        return self._people_positions.get(person_id)

    # Lookups are derived from the frozen fields, so caching them cannot go stale.
    @cached_property
    def _people_positions(self) -> dict[str, int]:
        return {p.id: i for i, p in enumerate(self.people)}

    @cached_property
    def _people_by_id(self) -> dict[str, Person]:
        return {p.id: p for p in self.people}

    @cached_property
    def _withholding_by_viewer(self) -> dict[str, tuple[int, ...]]:
        by_viewer: dict[str, list[int]] = {}
        for i, person in enumerate(self.people):
            for viewer in dict.fromkeys(person.address_withheld_from):
                by_viewer.setdefault(viewer, []).append(i)
        return {viewer: tuple(indexes) for viewer, indexes in by_viewer.items()}

    @cached_property
    def _children_by_id(self) -> dict[str, Child]:
        return {c.id: c for c in self.children}

    @cached_property
    def _attendance_by_person(self) -> dict[str, Attendance]:
        return {a.person: a for a in self.attendance}

    @cached_property
    def _exclusion_by_person(self) -> dict[str, Exclusion]:
        return {e.person: e for e in self.exclusions}

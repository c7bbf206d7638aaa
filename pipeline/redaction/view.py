"""An Export and one planned copy → the RecipientView: only what that recipient may see, as data.

An allow-list: each field of the view is copied in by name, so a field nobody named never reaches
a template. Content the chair withheld (spec §4 rules 1-3, 5) is replaced by a marker that carries
no heading; contact details appear only in the recipient's own address block; family-side views
have acronyms written out from the profile's glossary (003 §2, §4; R79). The renderer receives this
view and nothing else.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator

from pipeline.contract.export import Action, Child, Export, Person, Section
from pipeline.planning.documents import DocumentKind, shows
from pipeline.planning.plan import PlannedCopy
from pipeline.planning.readers import Viewer, readers_of
from pipeline.redaction.child_reader import (
    child_addressee,
    child_reader_for,
    own_children,
    own_decisions,
)
from pipeline.redaction.dating import Day, issue_date
from pipeline.redaction.facts import (
    ActionFacts,
    AddressBlock,
    ChildFacts,
    ChildPlanFacts,
    ConferenceFacts,
    DecisionFacts,
    ExclusionFacts,
    Letterhead,
    Named,
    OutcomeFacts,
    PlanFacts,
    RecipientMarks,
    RecipientView,
    RecordFacts,
    Roll,
    SectionFacts,
)
from pipeline.redaction.language_help import language_help, template_language
from pipeline.redaction.plain_language import PlainWords
from pipeline.redaction.report_view import ReportView
from pipeline.redaction.terms import template_words, terms_in


def view_for(
    export: Export, copy: PlannedCopy, words: PlainWords, issued_on: Day = None
) -> RecipientView:
    """What `copy.viewer` may see of `copy.document`, dated the day it is issued (`dating`)."""
    view = ViewBuilder(export, copy, words, issued_on).build()
    # Set from the plan's reader language (redaction.language_help): a reader of another
    # language has a view, and a layout, of their own.
    view = dataclasses.replace(
        view, language_help=language_help(copy), template_language=template_language(copy)
    )
    return explained(view, words)


def explained(view: RecipientView, words: PlainWords) -> RecipientView:
    """The view with the profile's terms its words use, for a family reader (003 §2; R79)."""
    if view.audience != "family" or not words.terms or view.child_reader is not None:
        # A child's own letter says what each of its words means in its own sentences, for the
        # child's age; the adults' meanings would only make it harder to read.
        return dataclasses.replace(view, terms=())
    texts = (*view_strings(view), *template_words(view))
    return dataclasses.replace(view, terms=terms_in(texts, words.terms))


def view_strings(value: object) -> Iterator[str]:
    """Every string anywhere in a view, however deep: what a renderer could print."""
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from view_strings(getattr(value, field.name))
    elif isinstance(value, tuple | list):
        for item in value:
            yield from view_strings(item)


def marks_for(export: Export, copy: PlannedCopy, words: PlainWords) -> RecipientMarks:
    """Whose copy it is, and for an authorised copy on whose authority (spec §4 rule 5)."""
    plain = words if copy.viewer.audience == "family" else PlainWords.none()
    recipient = plain.plain(export.name_of(copy.recipient))
    if copy.authorisation is None:
        return RecipientMarks(copy_for=recipient, authority=export.authority.name)
    auth = export.distribution.authorisations[copy.authorisation]
    principal = copy.on_behalf_of
    return RecipientMarks(
        copy_for=recipient,
        authorised_for=plain.plain(export.name_of(principal)) if principal else None,
        authorised_by=plain.plain(export.name_of(auth.authorised_by)),
        basis=auth.basis,
        purpose=plain.plain(auth.purpose) if auth.purpose else None,
        authority=export.authority.name,
    )


def _child(child: Child) -> ChildFacts:
    return ChildFacts(
        name=child.name,
        subject=child.subject,
        unborn=bool(child.unborn),
        date_of_birth=child.date_of_birth,
        expected_delivery_date=child.expected_delivery_date,
    )


_Attendance = tuple[Roll, Roll, Roll]
# A few exports' attendance lists (a conference's revisions are planned together); oldest out.
_ATTENDANCE_CACHE: dict[tuple[int, int | None], tuple[Export, PlainWords, _Attendance]] = {}
_ATTENDANCE_CACHE_SIZE = 8
_ATTENDANCE_LOCK = threading.Lock()


def _dissent_shown(document: DocumentKind, family: bool) -> bool:
    """Dissent reaches a family only in the record, which the chair may withhold from them (spec
    §2, §4 rule 3); the professional decision letter carries every one, with whose it is (R17)."""
    return shows(document, "decisions_with_dissent") and not (
        family and document == "decision_letter"
    )


class ViewBuilder:
    def __init__(
        self, export: Export, copy: PlannedCopy, words: PlainWords, issued_on: Day = None
    ) -> None:
        self.export = export
        self.copy = copy
        self.issued_on = issue_date(export, issued_on)
        # Every reader on the copy's route, not only its recipient (spec §4 rules 2, 4).
        self.viewer: Viewer = readers_of(copy)
        self.family = copy.viewer.audience == "family"
        self.words = words if self.family else PlainWords.none()
        self.report_view = ReportView(export, self.viewer, self.text, self._named)

    def text(self, value: str) -> str:
        return self.words.plain(value)

    def build(self) -> RecipientView:
        e = self.export
        document = self.copy.document
        pack, left_out = self.report_view.pack(self.copy) if shows(document, "reports") else ((), 0)
        return RecipientView(
            document=document,
            audience=self.viewer.audience,
            large_print=self.copy.large_print,
            letterhead=self._letterhead(),
            conference=self._conference(),
            issued_on=self.issued_on,
            addressee=self.addressee() if document != "record" else None,
            children=tuple(_child(c) for c in own_children(e, self.copy)),
            # What each document shows: the one table (pipeline.planning.documents, spec §2).
            decisions=self._decisions(with_dissent=_dissent_shown(document, self.family))
            if shows(document, "decisions") or shows(document, "decisions_with_dissent")
            else (),
            plan=self._plan() if shows(document, "plan") else None,
            record=self._record() if shows(document, "sections") else None,
            exclusion=self._exclusion_letter() if shows(document, "exclusion") else None,
            ended_plans=tuple(d for d in self._decisions(False) if d.outcome == "plan_ends")
            if shows(document, "ended_plans")
            else (),
            child_reader=child_reader_for(e, self.copy),  # written to the child, about them only
            reports=pack,
            left_out_of_pack=left_out,
        )

    # ---- parts ----------------------------------------------------------------------------------

    def _letterhead(self) -> Letterhead:
        a = self.export.authority
        return Letterhead(
            authority=a.name,
            service=a.service_name,
            address_lines=a.address.lines if a.address else (),
            postcode=a.address.postcode if a.address else None,
            complaints_contact=a.complaints_contact,
        )

    def _conference(self) -> ConferenceFacts:
        c = self.export.conference
        chair = self.export.person(c.chair)
        return ConferenceFacts(
            reference=c.id,
            kind=c.kind,
            stage=c.stage,
            date=c.date,
            start_time=c.start_time,
            end_time=c.end_time,
            venue=self.text(c.venue) if c.venue else None,
            chair=self.text(chair.name),
            chair_title=self.text(chair.job_title) if chair.job_title else None,
        )

    def addressee(self) -> AddressBlock | None:
        """Only the recipient's own address (spec §4 rule 4); a child's goes by hand."""
        if self.export.is_child(self.copy.recipient):
            return AddressBlock(child_addressee(self.export, self.copy), (), None)
        person = self.export.person(self.copy.recipient)
        if person.address is None:
            return AddressBlock(self.text(person.name), (), None)
        return AddressBlock(self.text(person.name), person.address.lines, person.address.postcode)

    def _named(self, some_id: str) -> Named:
        if self.export.is_child(some_id):
            return Named(self.export.child(some_id).name, "child")
        return Named(
            self.text(self.export.person(some_id).name), self._role(self.export.person(some_id))
        )

    def _role(self, person: Person) -> str:
        if person.role == "professional":
            parts = [p for p in (person.job_title, person.agency) if p]
            return self.text(", ".join(parts)) if parts else "professional"
        if person.relationship:
            return self.text(person.relationship)
        return person.role.replace("_", " ")

    def _decisions(self, with_dissent: bool) -> tuple[DecisionFacts, ...]:
        facts = []
        for d in own_decisions(self.export, self.copy):
            facts.append(
                DecisionFacts(
                    child=self.export.child(d.child).name,
                    outcome=d.outcome,
                    categories=d.categories or (),
                    lead_social_worker=self._named(d.lead_social_worker)
                    if d.lead_social_worker
                    else None,
                    plan_end_reason=d.plan_end_reason,
                    recommendations=tuple(self.text(r) for r in d.recommendations),
                    dissent=tuple((self._named(x.person), self.text(x.view)) for x in d.dissent)
                    if with_dissent
                    else (),
                )
            )
        return tuple(facts)

    def _action(self, action: Action) -> ActionFacts:
        return ActionFacts(
            action=self.text(action.action),
            responsible=tuple(self._named(r).name for r in action.responsible),
            by_when=action.by_when,
            frequency=self.text(action.frequency) if action.frequency else None,
        )

    def _plan(self) -> PlanFacts | None:
        plan = self.export.plan
        if plan is None or not any(d.has_plan for d in self.export.decisions):
            return None
        children = []
        for cp in plan.children:
            outcomes = []
            for o in cp.outcomes:
                visible = tuple(
                    self._action(a) for a in o.actions if self.viewer.may_see(a.visibility)
                )
                outcomes.append(
                    OutcomeFacts(self.text(o.outcome), visible, len(visible) < len(o.actions))
                )
            children.append(
                ChildPlanFacts(
                    child=self.export.child(cp.child).name,
                    risks=tuple(self.text(r) for r in cp.risks),
                    outcomes=tuple(outcomes),
                    services=tuple(self.text(s) for s in cp.services),
                    assessments=tuple(self.text(s) for s in cp.assessments),
                )
            )
        core = plan.core_group
        return PlanFacts(
            children=tuple(children),
            core_group=tuple(self._named(m) for m in core.members) if core else (),
            first_core_group=core.first_meeting_date if core else None,
            review_date=plan.review_conference_date,
            contingency=tuple(self.text(c) for c in plan.contingency),
            signed_by=self.text(self.export.person(plan.signed_by).name)
            if plan.signed_by
            else None,
            signed_on=plan.signed_on,
        )

    def _section(self, section: Section) -> SectionFacts:
        if not self.viewer.may_see_section(section):
            return SectionFacts(withheld=True)
        return SectionFacts(
            withheld=False,
            heading=self.text(section.heading),
            paragraphs=tuple(self.text(p) for p in section.paragraphs),
        )

    def _exclusion(self, index: int) -> ExclusionFacts:
        e = self.export.exclusions[index]
        sections = self.export.record.sections if self.export.record else ()
        titles = tuple(
            self.text(item.title)
            for item in self.export.agenda
            if item.id in e.agenda_items and self.viewer.may_see_agenda_title(item.id, sections)
        )
        return ExclusionFacts(
            person=self.text(self.export.person(e.person).name),
            extent=e.extent,
            items=titles,
            grounds=e.grounds,
            reason=self.text(e.reason),
            how_views_are_heard=self.text(e.how_views_are_heard) if e.how_views_are_heard else None,
        )

    def _exclusion_letter(self) -> ExclusionFacts | None:
        subject = self.copy.on_behalf_of or self.copy.recipient
        for i, e in enumerate(self.export.exclusions):
            if e.person == subject:
                return self._exclusion(i)
        return None

    def _attendance(self) -> _Attendance:
        """Who attended, sent apologies or did not attend: the same for every reader of one
        audience, so worked out once per export and audience, not once per copy (an export of
        10,000 people made 10,000 records of 10,000 lines each)."""
        key = (id(self.export), id(self.words) if self.family else None)
        with _ATTENDANCE_LOCK:
            cached = _ATTENDANCE_CACHE.get(key)
        # The entry holds the export and the words, so neither id can be reused while it lives.
        if cached is not None and cached[0] is self.export:
            return cached[2]
        present, apologies, absent = [], [], []
        for a in self.export.attendance:
            person = self.export.person(a.person)
            if person.role in ("chair", "minute_taker"):
                continue
            named = self._named(a.person)
            if a.status in ("attended", "attended_part"):
                present.append(named)
            elif a.status == "apologies":
                apologies.append(named)
            elif a.status == "did_not_attend":
                absent.append(named)
        lists = (Roll(present), Roll(apologies), Roll(absent))
        with _ATTENDANCE_LOCK:
            _ATTENDANCE_CACHE[key] = (self.export, self.words, lists)
            while len(_ATTENDANCE_CACHE) > _ATTENDANCE_CACHE_SIZE:
                _ATTENDANCE_CACHE.pop(next(iter(_ATTENDANCE_CACHE)))
        return lists

    def _record(self) -> RecordFacts | None:
        record = self.export.record
        if record is None:
            return None
        present, apologies, absent = self._attendance()
        reports = tuple(
            self.text(r.title) for r in record.appended_reports if self.viewer.may_see(r.visibility)
        )
        minute_taker = self.export.conference.minute_taker
        return RecordFacts(
            present=tuple(present),
            apologies=tuple(apologies),
            absent=tuple(absent),
            minute_taker=self.text(self.export.person(minute_taker).name) if minute_taker else None,
            exclusions=tuple(self._exclusion(i) for i in range(len(self.export.exclusions))),
            sections=tuple(self._section(s) for s in record.sections),
            reports=reports,
            reports_withheld=len(record.appended_reports) - len(reports),
            quorate=self.export.conference.quorate,
            signed_by=self.text(self.export.person(record.signed_by).name)
            if record.signed_by
            else None,
            signed_on=record.signed_on,
            **self.report_view.record_parts(self.copy),
        )

"""One copy's facts (recipient, document, view, due date) → the PlannedCopy: its channel, hand-over date and status, and why.

A copy waits for what it lacks (a signature, an address, a social worker to hand it over) and is
held for the chair where free text would reach a reader it is withheld from (spec §4 rules 2, 4).
Pure, as the rest of planning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from pipeline.contract.export import Export
from pipeline.planning.documents import DocumentKind, authorisation_text, free_text
from pipeline.planning.mentions import first_mention, mention_reason, withheld_contacts
from pipeline.planning.plan import Channel, HoldKind, PlannedCopy, Status, ViewName
from pipeline.planning.readers import Viewer, readers_of, route_reason, withheld_persons
from pipeline.planning.reports import reports_for_reader
from pipeline.planning.routing import Routing, route
from pipeline.procedure.calendar import WorkingCalendar
from pipeline.procedure.profile import CopyRule, DueEvent, Period, Profile


class CopyMaker:
    """Makes each planned copy of one export under one profile, calendar and routing."""

    def __init__(
        self, export: Export, profile: Profile, calendar: WorkingCalendar, routing: Routing
    ) -> None:
        self.export = export
        self.profile = profile
        self.calendar = calendar
        self.routing = routing
        self.conference = export.conference
        self.withheld_persons = withheld_persons(export)

    def finish(
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
        elif (
            document == "report_pack"
            and subject is not None
            and not reports_for_reader(self.export, self.export.person(subject))
        ):
            waiting.append("no report to the conference has reached the chair yet (R42)")
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
        hold: HoldKind | None = None
        held = self._route_hold(document, viewer, subject, via)
        if held is not None:
            hold = "route"
        else:
            held = self._address_hold(document, viewer, subject, authorisation, via)
            hold = "address" if held is not None else None
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
            hold=hold,
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
        contacts = withheld_contacts(self.export, readers_of(_Route(viewer, via)).persons)
        if not contacts:
            return None
        texts = list(free_text(self.export, document, viewer, subject))
        if authorisation is not None:
            # Printed on every page of an authorised copy (spec §4 rule 5).
            texts.extend(authorisation_text(self.export, authorisation))
        found = first_mention(texts, contacts, self.export.authority.address)
        return None if found is None else mention_reason(*found, via)

    def due_of(self, rule: CopyRule) -> tuple[date, datetime | None, str]:
        """A copy's due date (and moment, for hours) and its citation, from the profile's rule."""
        if rule.due is None:
            raise ValueError(f"no copy is sent under {rule.source}")
        if isinstance(rule.due, Period):
            return (*self.due_after_conference(rule.due), rule.source)
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

    def due_after_conference(self, period: Period) -> tuple[date, datetime | None]:
        # "Within 24 hours" runs from the end of the conference in UK local time (spec §3).
        at = _clock(self.conference.end_time) or _clock(self.conference.start_time)
        return (
            period.after(self.conference.date, self.calendar, at),
            period.moment_after(self.conference.date, at),
        )


@dataclass(frozen=True, slots=True)
class _Route:
    """A copy's viewer and the social worker it passes through, before the copy is made."""

    viewer: Viewer
    via: str | None


def _clock(text: str | None) -> time | None:
    return time.fromisoformat(text) if text else None

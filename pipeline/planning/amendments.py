"""Amendments to a record already sent → the record as amended, the checks on a request, and who is sent what (spec §5).

Pure: the store supplies the record as the requester received it and the copies already
delivered; this decides. Recipients of the record may ask for corrections within a week of
receiving it (000 §4.14.4; 002 §22.6, R60); only amendments the chair agreed are circulated
(002 §22.7, R61), each to those whose copy holds a changed section, showing only those sections.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from pipeline.contract.amendment import Amendment, Change
from pipeline.contract.export import Export, Section
from pipeline.planning.documents import DocumentKind, amendment_text, free_text
from pipeline.planning.mentions import first_mention, mention_reason, withheld_contacts
from pipeline.planning.plan import DistributionPlan, PlannedCopy, copy_key, name_part
from pipeline.planning.readers import changes_held, readers_of
from pipeline.procedure.calendar import WorkingCalendar
from pipeline.procedure.profile import Profile

_SPACE = re.compile(r"\s+")


def _squash(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def section_holds(section: Section, text: str) -> bool:
    """Whether `text` is in the section, ignoring how lines and spaces were broken."""
    wanted = _squash(text)
    return any(wanted in _squash(paragraph) for paragraph in section.paragraphs)


def _already_made(section: Section, change: Change) -> bool:
    """Whether the section reads as the change would leave it (a later export carries the
    amended record): the new text is there, and the old is gone, or survives only inside the
    new (an insertion). New text that merely also stands elsewhere does not count."""
    new = _squash(change.with_)
    if not new or not section_holds(section, change.with_):
        return False
    old = _squash(change.replace)
    if old in new:
        return True
    return not section_holds(section, change.replace)


def _replace_in(section: Section, change: Change) -> Section | None:
    """The section with the change made, or None if its `replace` text is not there.

    A change whose new text is already there and old text is not counts as made (a later export
    revision may carry the amended record), so applying it again changes nothing."""
    old, new = _squash(change.replace), _squash(change.with_)
    if _already_made(section, change):
        return section
    paragraphs = list(section.paragraphs)
    for index, paragraph in enumerate(paragraphs):
        if change.replace in paragraph:
            paragraphs[index] = paragraph.replace(change.replace, change.with_, 1)
            return section.model_copy(update={"paragraphs": tuple(paragraphs)})
        if old in _squash(paragraph):
            paragraphs[index] = _squash(paragraph).replace(old, new, 1)
            return section.model_copy(update={"paragraphs": tuple(paragraphs)})
    return None


@dataclass(frozen=True, slots=True)
class Applied:
    export: Export
    applied: tuple[str, ...]  # amendment ids made, in order
    failed: tuple[tuple[str, str], ...]  # (amendment id, why it could not be made)


def apply_amendments(export: Export, agreed: Sequence[Amendment]) -> Applied:
    """The export with each agreed amendment made to its record, in the order given (the order
    the chair agreed them). An amendment whose text is no longer there is not made, and said."""
    if export.record is None:
        return Applied(
            export, (), tuple((a.amendment_id, "the export has no record") for a in agreed)
        )
    sections = {s.id: s for s in export.record.sections}
    applied: list[str] = []
    failed: list[tuple[str, str]] = []
    for amendment in agreed:
        changed = dict(sections)
        problem = None
        for change in amendment.changes:
            section = changed.get(change.section)
            if section is None:
                problem = f"section {change.section} is not in the record"
                break
            made = _replace_in(section, change)
            if made is None:
                problem = f"the text to replace is no longer in section {change.section}"
                break
            changed[change.section] = made
        if problem is None:
            sections = changed
            applied.append(amendment.amendment_id)
        else:
            failed.append((amendment.amendment_id, problem))
    record = export.record.model_copy(
        update={"sections": tuple(sections[s.id] for s in export.record.sections)}
    )
    return Applied(export.model_copy(update={"record": record}), tuple(applied), tuple(failed))


def request_problems(
    export_as_received: Export, copy: PlannedCopy, amendment: Amendment
) -> list[str]:
    """Why the request cannot stand against the record as its requester received it:
    each section must be one their copy contains, and each `replace` text must be in it."""
    record = export_as_received.record
    if record is None:
        return ["the conference has no record"]
    sections = {s.id: s for s in record.sections}
    problems = []
    for index, change in enumerate(amendment.changes):
        section = sections.get(change.section)
        where = f"changes[{index}]"
        if section is None or not copy.viewer.may_see_section(section):
            # Whether the section exists at all is not the requester's business if they never
            # had it, so both read the same.
            problems.append(
                f"{where}.section: {change.section} is not a section of the record "
                f"{amendment.requested_by} received"
            )
        elif not section_holds(section, change.replace):
            problems.append(
                f"{where}.replace: the text is not in section {change.section} of the record "
                f"as {amendment.requested_by} received it"
            )
        elif _already_made(section, change):
            problems.append(
                f"{where}.with: section {change.section} already reads as this change would "
                "leave it, so there is nothing to change"
            )
    return problems


def window_end(received: date, profile: Profile, calendar: WorkingCalendar) -> date:
    """The last day a request is in time: the profile's window from the requester's receipt
    of the record (000 §4.14.4: one week; 002 §22.6)."""
    return profile.notice("amendment_window").value.after(received, calendar)


def changed_sections_seen(export: Export, copy: PlannedCopy, amendment: Amendment) -> list[Section]:
    """The sections the amendment changes that this copy of the record holds."""
    held = {section.id: section for _, _, section in changes_held(export, copy.viewer, amendment)}
    return [held[s] for s in sorted(held)]


def notice_due(decided_on: date, profile: Profile, calendar: WorkingCalendar) -> date:
    """Spec §3: an amendment notice is due a profile number of working days after the chair agrees."""
    return profile.notice("amendment_notice").value.after(decided_on, calendar)


def amendment_copy(
    record_copy: PlannedCopy,
    document: str,
    amendment_id: str,
    due: date,
    calendar: WorkingCalendar,
    profile: Profile,
    decided_on: date,
) -> PlannedCopy:
    """A notice or rejection letter to the holder of `record_copy`, in that copy's view and by
    the same route (through the lead social worker where the record went that way)."""
    handover_by = None
    if record_copy.via is not None:
        early = profile.handover_lead_time.value.before(due, calendar)
        handover_by = min(due, max(early, decided_on))
    return dataclasses.replace(
        record_copy,
        document=document,  # type: ignore[arg-type]
        due=due,
        due_at=None,
        status="ready",
        reason=None,
        handover_by=handover_by,
        source=f"spec §5; 002 §22.6-22.7 ({amendment_id})",
    )


def guarded(export: Export, copy: PlannedCopy, amendment: Amendment) -> PlannedCopy:
    """Spec §4 rule 4 on a notice or rejection letter: the amendment's text and the chair's note
    reach the copy's readers (the holder, whom they act for, the social worker it goes through)
    like any other free text, so one that mentions an address withheld from them holds the copy."""
    contacts = withheld_contacts(export, readers_of(copy).persons)
    if not contacts:
        return copy
    document: DocumentKind = copy.document
    fields = [
        *amendment_text(export, document, copy.viewer, amendment),
        *free_text(export, document, copy.viewer),
    ]
    found = first_mention(fields, contacts, export.authority.address)
    if found is None:
        return copy
    return dataclasses.replace(copy, status="held", reason=mention_reason(*found, copy.via))


def amendment_copy_key(record_key: str, document: str, amendment_id: str) -> str:
    """`p-mother-sol/record-authorisation-1` → `p-mother-sol/amendment_notice-AMD-1-authorisation-1`.

    The key names files and e-mail attachments, so an id that is long or holds '..' (the
    contract allows both) is replaced by a short hash of it."""
    recipient, _, stem = record_key.partition("/")
    return f"{recipient}/{stem.replace('record', f'{document}-{name_part(amendment_id)}', 1)}"


def ordered_agreed(amendments: Iterable[tuple[int, Amendment]]) -> list[Amendment]:
    """Agreed amendments in the order the chair agreed them (then the order they arrived)."""
    agreed = [(a.decision.on or date.min, sequence, a) for sequence, a in amendments]
    return [a for _, _, a in sorted(agreed, key=lambda item: (item[0], item[1]))]


@dataclass(frozen=True, slots=True)
class AmendmentInput:
    """One amendment as the store holds it: its latest document, when it was agreed relative to
    others, and the copy of the record its requester received."""

    sequence: int
    amendment: Amendment
    requester_copy_key: str


@dataclass(frozen=True)
class ConferenceCopies:
    """Every copy a conference now calls for: the plan's, amendment notices and rejection letters."""

    export: Export  # with every agreed amendment made to its record
    plan: DistributionPlan  # of that export
    copies: dict[str, PlannedCopy]
    amendment_of: dict[str, Amendment]  # the amendment a notice or rejection is about
    record_edition: dict[str, tuple[str, ...]]  # what a record copy made now says it includes
    applied: tuple[str, ...]
    failed: tuple[tuple[str, str], ...]


def conference_copies(
    export: Export,
    profile: Profile,
    calendar: WorkingCalendar,
    plan_of: Callable[[Export], DistributionPlan],
    amendments: Sequence[AmendmentInput],
    holders: Mapping[str, frozenset[str]],
) -> ConferenceCopies:
    """`holders`: each record copy already delivered, with the amendments it already included.

    Spec §5: each holder whose copy contains a changed section gets a notice showing only those
    sections; nobody else gets anything. A rejected request gets its requester a letter."""
    agreed = ordered_agreed(
        (a.sequence, a.amendment) for a in amendments if a.amendment.decision.status == "agreed"
    )
    made = apply_amendments(export, agreed)
    plan = plan_of(made.export)
    copies: dict[str, PlannedCopy] = {}
    for copy in plan.copies:
        key = copy_key(copy)
        if key not in copies or _authority(made.export, copy) < _authority(
            made.export, copies[key]
        ):
            copies[key] = copy
    amendment_of: dict[str, Amendment] = {}
    by_id = {a.amendment.amendment_id: a for a in amendments}
    for amendment in agreed:
        if amendment.amendment_id not in made.applied or amendment.decision.on is None:
            continue
        due = notice_due(amendment.decision.on, profile, calendar)
        for record_key, included in sorted(holders.items()):
            record_copy = copies.get(record_key)
            if record_copy is None or amendment.amendment_id in included:
                continue
            if not changed_sections_seen(made.export, record_copy, amendment):
                continue
            key = amendment_copy_key(record_key, "amendment_notice", amendment.amendment_id)
            copies[key] = guarded(
                made.export,
                amendment_copy(
                    record_copy,
                    "amendment_notice",
                    amendment.amendment_id,
                    due,
                    calendar,
                    profile,
                    amendment.decision.on,
                ),
                amendment,
            )
            amendment_of[key] = amendment
    for entry in amendments:
        amendment = entry.amendment
        record_copy = copies.get(entry.requester_copy_key)
        if amendment.decision.status != "rejected" or record_copy is None:
            continue
        decided = amendment.decision.on or amendment.received_on
        key = amendment_copy_key(
            entry.requester_copy_key, "amendment_rejection", amendment.amendment_id
        )
        copies[key] = guarded(
            made.export,
            amendment_copy(
                record_copy,
                "amendment_rejection",
                amendment.amendment_id,
                notice_due(decided, profile, calendar),
                calendar,
                profile,
                decided,
            ),
            amendment,
        )
        amendment_of[key] = amendment
    editions: dict[str, tuple[str, ...]] = {}
    for key, copy in copies.items():
        if copy.document != "record":
            continue
        agreed = [
            by_id[i].amendment
            for i in made.applied
            if changed_sections_seen(made.export, copy, by_id[i].amendment)
        ]
        if agreed:
            editions[key] = (
                "This copy of the record includes the amendments the chair agreed: "
                + "; ".join(
                    f"{a.amendment_id} (agreed on {a.decision.on.strftime('%-d %B %Y')})"
                    if a.decision.on
                    else a.amendment_id
                    for a in agreed
                )
                + ".",
            )
    return ConferenceCopies(
        made.export, plan, copies, amendment_of, editions, made.applied, made.failed
    )


def _authority(export: Export, copy: PlannedCopy) -> tuple[str, ...]:
    """Two authorisations for one holder and one principal make the same copy: the one kept is
    chosen by what it says, not by its place in the list, so re-ordering changes nothing."""
    if copy.authorisation is None:
        return ()
    auth = export.distribution.authorisations[copy.authorisation]
    return (auth.authorised_on.isoformat(), auth.basis, auth.authorised_by, auth.purpose or "")

"""The values a RecipientView is made of: plain, frozen facts, each field named, so a template sees only what was copied in.

`pipeline.redaction.view` fills them for one reader; nothing here reads an export.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pipeline.planning.documents import DocumentKind
from pipeline.planning.readers import Audience


@dataclass(frozen=True, slots=True)
class Letterhead:
    authority: str
    service: str | None
    address_lines: tuple[str, ...]
    postcode: str | None
    complaints_contact: str | None


@dataclass(frozen=True, slots=True)
class AddressBlock:
    name: str
    lines: tuple[str, ...]
    postcode: str | None


@dataclass(frozen=True, slots=True)
class ConferenceFacts:
    reference: str
    kind: str  # initial, review, pre_birth, transfer_in: the template words it
    stage: str
    date: date
    start_time: str | None
    end_time: str | None
    venue: str | None
    chair: str
    chair_title: str | None


@dataclass(frozen=True, slots=True)
class ChildFacts:
    name: str
    subject: bool
    unborn: bool
    date_of_birth: date | None
    expected_delivery_date: date | None


@dataclass(frozen=True, slots=True)
class Named:
    """A person as a reader sees them: a name and what they are there as; never contact details."""

    name: str
    role: str


@dataclass(frozen=True, slots=True)
class DecisionFacts:
    child: str
    outcome: str
    categories: tuple[str, ...]
    lead_social_worker: Named | None
    plan_end_reason: str | None
    recommendations: tuple[str, ...]
    dissent: tuple[tuple[Named, str], ...]


@dataclass(frozen=True, slots=True)
class ActionFacts:
    action: str
    responsible: tuple[str, ...]
    by_when: date | None
    frequency: str | None


@dataclass(frozen=True, slots=True)
class OutcomeFacts:
    outcome: str
    actions: tuple[ActionFacts, ...]
    actions_withheld: bool


@dataclass(frozen=True, slots=True)
class ChildPlanFacts:
    child: str
    risks: tuple[str, ...]
    outcomes: tuple[OutcomeFacts, ...]
    services: tuple[str, ...]
    assessments: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PlanFacts:
    children: tuple[ChildPlanFacts, ...]
    core_group: tuple[Named, ...]
    first_core_group: date | None
    review_date: date | None
    contingency: tuple[str, ...]
    signed_by: str | None
    signed_on: date | None


@dataclass(frozen=True, slots=True)
class SectionFacts:
    """A record section, or (withheld) a marker with neither heading nor text (spec §4 rule 6)."""

    withheld: bool
    heading: str | None = None
    paragraphs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ReportFacts:
    """One report to the conference as a reader sees it (000 §4.7.7; 002 §15.4). `withheld`: the
    whole report is withheld from them, and only the marker is printed: no title, author or text."""

    withheld: bool
    title: str | None = None
    agency: str | None = None
    author: Named | None = None
    kind: str | None = None  # social_work_assessment or agency_report
    submitted_on: date | None = None  # the day it reached the chair
    countersigned_by: str | None = None
    countersigned_on: date | None = None
    sections: tuple[SectionFacts, ...] = ()


@dataclass(frozen=True, slots=True)
class ExclusionFacts:
    person: str
    extent: str  # whole or part
    items: tuple[str, ...]  # titles of agenda items excluded from, where the reader may see them
    grounds: tuple[str, ...]
    reason: str
    how_views_are_heard: str | None


@dataclass(frozen=True, slots=True)
class RecordFacts:
    present: tuple[Named, ...]
    apologies: tuple[Named, ...]
    absent: tuple[Named, ...]
    minute_taker: str | None
    exclusions: tuple[ExclusionFacts, ...]
    sections: tuple[SectionFacts, ...]
    reports: tuple[str, ...]
    reports_withheld: int
    quorate: bool | None
    signed_by: str | None
    signed_on: date | None
    # cpc-export/2: the reports the record carries, in full (R19; 002 §22.2, §22.5), and the
    # titles of those presented but not carried (their author gave no permission).
    appended: tuple[ReportFacts, ...] = ()
    not_appended: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ChangeFacts:
    section: str  # the heading of the section, which the reader's copy holds
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class AmendmentFacts:
    reference: str
    agreed_on: date | None  # the day the chair decided (agreed or, for a rejection, rejected)
    changes: tuple[ChangeFacts, ...]
    received_on: date | None = None
    note: str | None = None  # the chair's note, in a rejection letter


@dataclass(frozen=True, slots=True)
class ChildReader:
    """The child a letter is written to (`distribution.child_copies`): the letter says "you" and
    uses their first name, in words for their age."""

    first_name: str
    # Whole years on the conference day, from the export's date of birth; None when not known.
    age: int | None
    # When the next meeting about them is (the review conference), so they can say what they think
    # before it; None where the plan sets no date or there is no plan.
    next_meeting: date | None = None
    # The authority's children's rights or advocacy contact, from the profile (the export has no
    # such field); None where the profile gives none.
    advocacy_contact: str | None = None


@dataclass(frozen=True, slots=True)
class LanguageHelp:
    """The line near the top of a letter to someone whose language is not the document's: a
    translated copy or an interpreter will follow, and how to ask (000 §4.14.9; R81, R82)."""

    language: str  # the reader's language code, as the export gives it ("pl", "cy")
    english: str  # the line in English
    own: str | None = None  # the same line in the reader's language, where the authority gives it


@dataclass(frozen=True, slots=True)
class Term:
    """A word a family meets, explained in plain words, with where the meaning comes from."""

    term: str
    meaning: str
    source: str


@dataclass(frozen=True, slots=True)
class RecipientView:
    """What one document shows one reader. Equal views render to equal layouts."""

    document: DocumentKind
    audience: Audience
    large_print: bool
    letterhead: Letterhead
    conference: ConferenceFacts
    # The day the document is issued (the run's day, or the preview's), never the export's; not
    # before the export was made (`pipeline.redaction.dating`).
    issued_on: date
    addressee: AddressBlock | None
    children: tuple[ChildFacts, ...]
    decisions: tuple[DecisionFacts, ...] = ()
    plan: PlanFacts | None = None
    record: RecordFacts | None = None
    exclusion: ExclusionFacts | None = None
    ended_plans: tuple[DecisionFacts, ...] = ()
    amendment: AmendmentFacts | None = None
    # A report pack: the reports in this reader's pack, and how many that reached the chair are
    # not in it (a parent excluded from the whole conference: 000 §4.5.10; 002 §12.8).
    reports: tuple[ReportFacts, ...] = ()
    left_out_of_pack: int = 0
    # Which version this copy is (an updated invitation, a record with agreed amendments); set by
    # the delivery stage, never from the export's free text.
    edition: tuple[str, ...] = ()
    # Set only on a child's own copy: the letter is written to them.
    child_reader: ChildReader | None = None
    # Set only where the reader's language differs from the document's.
    language_help: LanguageHelp | None = None
    # The profile's terms that appear in this copy's words, explained once for a family reader.
    terms: tuple[Term, ...] = ()
    # The language of the copy's own templates when the profile names some (Welsh: "cy"), for a
    # bilingual letter; None for English only.
    template_language: str | None = None


@dataclass(frozen=True, slots=True)
class RecipientMarks:
    """What differs between readers of one view; stamped on every page after layout (spec §4 rule 5)."""

    copy_for: str
    authorised_for: str | None = None
    authorised_by: str | None = None
    basis: str | None = None
    purpose: str | None = None
    authority: str = ""


class Roll(tuple[Named, ...]):
    """A list of people shared by every view of one audience: a plain tuple to every reader and
    template, but hashed once. Views are looked up by value (the renderer lays each out once), and
    hashing 10,000 names again for each of 10,000 copies made planning quadratic."""

    def __hash__(self) -> int:
        cached: int | None = self.__dict__.get("hash")
        if cached is None:
            cached = self.__dict__["hash"] = tuple.__hash__(self)
        return cached

    def __reduce__(self) -> tuple[type[Roll], tuple[tuple[Named, ...]]]:
        # String hashes differ between processes: a worker works the hash out for itself.
        return (Roll, (tuple(self),))

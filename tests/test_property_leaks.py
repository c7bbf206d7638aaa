"""Property: whatever the chair decides to withhold, no rendered copy carries it, and nothing visible goes missing.

Generated conferences are built on the domestic-abuse example (stage held, record and plan signed):
2-6 record sections on random agenda items, each open, confidential or withheld from some of the
family side; plan actions and appended reports with random visibility; the father not excluded,
excluded from part (record_copy full, attended_parts or none) or from the whole conference; the
mother's address withheld from a random set of people; random authorisations for both solicitors;
and sometimes one piece of free text that mentions the mother's address, her street without its
number (a mention since issue 9), or, as a near miss, only her town. Half of them are cpc-export/2,
with one to four reports to the conference, each and each of its sections open, confidential or
withheld, the first the social worker's and the others appended only if their author permits
(R19); tests/test_property_report_leaks.py does the same for the family's report packs.

Every piece of free text is a generated token ("Zq" + ten random letters + a serial number), never
English, so no two can overlap by accident and each token found in a file points at one field.

For every ready copy of interest (every family-side and authorised copy, and one professional
record) the copy is rendered with the real renderers and read back with the leak check's own
extractors, and:

(a) spec §4 rules 1-4 and 6: no string of `withheld_strings(export, copy.viewer)`, and no token of
    content this test works out independently that the reader may not see, is in anything that can
    be extracted from the files (page text, metadata, every DOCX part) or in a file name;
(b) nothing the reader may see is lost: every token of every visible record paragraph and heading,
    visible plan action and recommendation is in the PDF page text and in the DOCX body;
(c) spec §4 rule 4: a copy whose free text mentions an address withheld from its reader is held in
    the plan, with a reason naming the field but not the text, and produces no files; every other
    copy is ready, and the renderer's own leak check never has to hold a copy the plan made ready.

The rules cited are spec §4 (../shared/spec/README.md) and R16, R49, R52-R55 (rules.md).
`scripts/leak_property_at_scale.py` runs the same property over hundreds of conferences.
"""

from __future__ import annotations

import dataclasses
import json
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from pipeline.checking import leak_check
from pipeline.checking.leak_check import extract_docx, extract_pdf
from pipeline.contract.export import Export
from pipeline.contract.load import load_export
from pipeline.delivery.preview import RenderedCopy
from pipeline.planning.plan import DistributionPlan, PlannedCopy
from pipeline.planning.recipients import plan_distribution
from pipeline.procedure.calendar import WorkingCalendar
from pipeline.procedure.profile import Profile, load_profiles
from pipeline.redaction.withheld import normalise, withheld_strings
from pipeline.rendering.html import Composer
from pipeline.service.copy_renderer import Renderer, render_plan
from tests.conftest import example

SKELETON = "initial-domestic-abuse"
AGENDA = ("a1", "a2", "a3", "a4", "a5")
DOCUMENTS = ("decision_letter", "outline_plan", "record")
SOLICITORS = {"p-mother-sol": "p-mother", "p-father-sol": "p-father"}  # solicitor: acting_for
# Who content may be withheld from: the family side, and those who hold copies for them (rule 2).
FAMILY_SIDE = ("p-mother", "p-father", "p-gran", "c-ella", "p-mother-sol", "p-father-sol")
# Whom the mother's address may be withheld from (000 §4.5.8, §4.14.5; 002 §12.13-12.14).
ADDRESS_WITHHELD_CANDIDATES = ("p-father", "p-father-sol", "p-gran")
PROFESSIONAL_SAMPLE = "p-police"  # the one professional copy rendered: their record
STREET_WORDS = ("Road", "Street", "Lane", "Close", "Avenue")

# Tokens: "Zq", ten letters without q or z, then a four-digit serial. "zq" starts every token and
# nowhere else, and all tokens have one length, so a token is found in text only where it was put.
# Address words have no digits (a bare town must not look like a street line): "Zq" + 13 letters.
_LETTERS = "abcdefghijklmnoprstuvwxy"
_TOKEN = re.compile(r"Zq[a-y]{10}\d{4}")


# ---- choices: what a generated conference decides, as plain data ---------------------------------


@dataclass(frozen=True)
class Vis:
    """A `visibility` object: confidential (rule 1) or withheld from named people (rule 2)."""

    confidential: bool = False
    withheld_from: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        if self.confidential:
            return {"confidential": True}
        return {"withheld_from": list(self.withheld_from)}


@dataclass(frozen=True)
class SectionChoice:
    agenda_item: str | None
    visibility: Vis | None
    paragraphs: tuple[int, ...]  # tokens in each paragraph


@dataclass(frozen=True)
class FatherChoice:
    """The father's attendance and the chair's exclusion decision (R45, R49; spec §4 rule 3)."""

    exclusion: Literal["none", "part", "whole"]
    status: str = "attended"  # when not excluded
    excluded_items: tuple[str, ...] = ()  # part: the rest of the agenda is his present_for
    record_copy: Literal["full", "attended_parts", "none"] = "full"
    decided_before: bool = True


@dataclass(frozen=True)
class AuthChoice:
    """An authorisation for a solicitor (R53-R55; spec §4 rule 5)."""

    person: str
    on_behalf_of: str | None  # None: the solicitor's acting_for
    documents: tuple[str, ...]
    basis: str
    purpose: bool


MentionKind = Literal["street", "building", "postcode", "email", "town", "partial_street"]
# Kinds that are a mention under spec §4 rule 4; a bare town is not. The street without its number
# is one since the rule was widened (2026-12-01; issue 9).
HOLDING_KINDS = frozenset({"street", "building", "postcode", "email", "partial_street"})


@dataclass(frozen=True)
class Mention:
    """One piece of free text that names the mother's address (or, for town/partial, nearly does).

    `where`: ("paragraph", section, paragraph), ("action", n), ("recommendation",), ("dissent",),
    ("contingency",), ("venue",), ("complaints_contact",), ("exclusion_reason",),
    ("how_views_are_heard",) or ("purpose", authorisation).
    """

    where: tuple[Any, ...]
    kind: MentionKind
    variant: int = 0  # how it is written: as in the address, re-cased, re-spaced


@dataclass(frozen=True)
class ReportChoice:
    """A cpc-export/2 report: its visibility, its sections' and whether its author lets it be
    appended to the record (the first drawn is the social worker's, always appended: R19)."""

    visibility: Vis | None
    sections: tuple[tuple[Vis | None, int], ...]  # each section's visibility and paragraph count
    permits_appending: bool


@dataclass(frozen=True)
class Choices:
    seed: int
    profile: str | None
    sections: tuple[SectionChoice, ...]
    action_visibility: tuple[Vis | None, ...]  # the skeleton's five actions, in order
    report_visibility: tuple[Vis | None, ...]  # its three appended reports
    father: FatherChoice
    address_withheld_from: tuple[str, ...]
    building_line: bool
    street_word: str
    authorisations: tuple[AuthChoice, ...]
    child_documents: tuple[str, ...]
    large_print: tuple[str, ...] = ()  # family members laid out in large print (spec §3 needs)
    mention: Mention | None = None
    reports: tuple[ReportChoice, ...] = ()  # any: the export is cpc-export/2


# ---- building an export from choices ------------------------------------------------------------


class _Tokens:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.serial = 0

    def letters(self, n: int) -> str:
        return "".join(self.rng.choice(_LETTERS) for _ in range(n))

    def token(self) -> str:
        self.serial += 1
        return f"Zq{self.letters(10)}{self.serial:04d}"

    def words(self, n: int) -> str:
        return " ".join(self.token() for _ in range(n))

    def name(self) -> str:
        """A word without digits, unique by its serial written in letters."""
        self.serial += 1
        serial = "".join(_LETTERS[(self.serial // 24**k) % 24] for k in (2, 1, 0))
        return f"Zq{self.letters(10)}{serial}"


@dataclass(frozen=True)
class MotherAddress:
    lines: tuple[str, ...]
    street: str
    building: str | None
    town: str
    postcode: str
    email: str

    def withheld(self) -> tuple[str, ...]:
        """What rule 4 keeps from the people in address_withheld_from (a bare town is not)."""
        return (
            *((self.building,) if self.building else ()),
            self.street,
            self.postcode,
            self.email,
        )


@dataclass(frozen=True)
class Built:
    """A generated export and what the test knows about it independently of the pipeline."""

    choices: Choices
    data: dict[str, Any]
    address: MotherAddress
    mention_path: str | None  # JSON path of the text that mentions the address
    mention_text: str | None  # the address words as written into that text

    def json_bytes(self) -> bytes:
        return json.dumps(self.data, indent=1).encode()


def _address_form(address: MotherAddress, kind: MentionKind, variant: int) -> str:
    """The address words as a writer might type them: as given, re-cased, re-spaced (rule 4 ignores both)."""
    if kind == "street":
        street = address.street
        return [street, street.upper().replace(" ", "  "), street.lower().replace(" ", ", ", 1)][
            variant
        ]
    if kind == "building":
        assert address.building is not None
        return [address.building, address.building.lower(), address.building.upper()][variant]
    if kind == "postcode":
        compact = address.postcode.replace(" ", "")
        return [address.postcode, compact.lower(), " ".join(compact)][variant]
    if kind == "email":
        return [address.email, address.email.upper(), address.email.capitalize()][variant]
    if kind == "town":
        return [address.town, address.town.upper(), address.town.lower()][variant]
    # partial_street: the street's name without its number, a mention since issue 9
    return address.street.split(" ", 1)[1]


def build(choices: Choices) -> Built:
    """Choices → a cpc-export/1 dict on the skeleton (cpc-export/2 with reports, if it has any),
    every piece of free text a fresh token."""
    t = _Tokens(choices.seed)
    data = example(SKELETON)
    data["export_id"] = f"PROP-{choices.seed}"
    authority = data["authority"]
    if choices.profile:
        authority["procedure_profile"] = choices.profile
    authority["complaints_contact"] = t.words(2)
    data["conference"]["venue"] = t.words(2)
    for item in data["agenda"]:
        item["title"] = t.words(2)

    people = {p["id"]: p for p in data["people"]}
    street_number = t.rng.randint(1, 399)
    address = MotherAddress(
        lines=(),
        street=f"{street_number} {t.name().capitalize()} {choices.street_word}",
        building=f"Flat {t.rng.randint(1, 40)} {t.name().capitalize()} House"
        if choices.building_line
        else None,
        town=t.name().capitalize(),
        postcode=f"ZQ{t.rng.randint(1, 9)} {t.rng.randint(1, 9)}{t.rng.choice('ABDEFGHJ')}{t.rng.choice('LNPQRSTU')}",
        email=f"zq{t.letters(10)}@zq{t.letters(8)}.example.org",
    )
    lines = (*((address.building,) if address.building else ()), address.street, address.town)
    address = dataclasses.replace(address, lines=lines)
    mother = people["p-mother"]
    mother["address"] = {"lines": list(lines), "postcode": address.postcode}
    mother["email"] = address.email
    if choices.address_withheld_from:
        mother["address_withheld_from"] = list(choices.address_withheld_from)
    else:
        mother.pop("address_withheld_from", None)
    for pid in choices.large_print:
        people[pid]["needs"] = ["large_print"]
    for pid in ("p-father", "p-gran"):
        people[pid]["address"] = {
            "lines": [
                f"{t.rng.randint(1, 399)} {t.name().capitalize()} Row",
                t.name().capitalize(),
            ],
            "postcode": f"ZX{t.rng.randint(1, 9)} {t.rng.randint(1, 9)}AB",
        }

    _build_father(data, choices.father, t)
    _build_record(data, choices, t)
    _build_plan(data, choices, t)
    for decision in data["decisions"]:
        # Every child has words of their own, so a child's own letter can be seen to leave out
        # a sibling's (issue 16 part 3).
        decision["recommendations"] = [t.words(2) for _ in decision.get("recommendations") or [0]]
        for dissent in decision.get("dissent", ()):
            dissent["view"] = t.words(2)
    _build_distribution(data, choices, t)
    _build_reports(data, choices, t)

    mention_path = mention_text = None
    if choices.mention is not None:
        mention_text = _address_form(address, choices.mention.kind, choices.mention.variant)
        mention_path = _place_mention(data, choices.mention.where, mention_text, t)
    return Built(choices, data, address, mention_path, mention_text)


def _build_father(data: dict[str, Any], father: FatherChoice, t: _Tokens) -> None:
    attendance = next(a for a in data["attendance"] if a["person"] == "p-father")
    attendance.pop("present_for", None)
    data["exclusions"] = []
    if father.exclusion == "none":
        attendance["status"] = father.status
        return
    exclusion = {
        "person": "p-father",
        "extent": father.exclusion,
        "grounds": ["confidential_information", "prevents_professional_contribution"],
        "reason": t.words(2),
        "requested_by": "p-police",
        "decided_on": "2026-11-18",
        "decided_before_conference": father.decided_before,
        "record_copy": father.record_copy,
        "how_views_are_heard": t.words(2),
    }
    if father.exclusion == "part":
        # Consistent by construction: present for exactly the items he was not excluded from.
        exclusion["agenda_items"] = list(father.excluded_items)
        attendance["status"] = "attended_part"
        attendance["present_for"] = [a for a in AGENDA if a not in father.excluded_items]
    else:
        attendance["status"] = "excluded"
        if father.excluded_items:
            exclusion["agenda_items"] = list(father.excluded_items)
    data["exclusions"] = [exclusion]


def _build_record(data: dict[str, Any], choices: Choices, t: _Tokens) -> None:
    record = data["record"]
    sections = []
    for i, choice in enumerate(choices.sections, start=1):
        section: dict[str, Any] = {
            "id": f"s{i}",
            "heading": t.words(2),
            "paragraphs": [t.words(n) for n in choice.paragraphs],
        }
        if choice.agenda_item is not None:
            section["agenda_item"] = choice.agenda_item
        if choice.visibility is not None:
            section["visibility"] = choice.visibility.to_json()
        sections.append(section)
    record["sections"] = sections
    for report, vis in zip(record["appended_reports"], choices.report_visibility, strict=True):
        report["title"] = t.words(2)
        report.pop("visibility", None)
        if vis is not None:
            report["visibility"] = vis.to_json()


def _actions(data: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for child_plan in data["plan"]["children"]:
        for outcome in child_plan["outcomes"]:
            yield from outcome["actions"]


def _build_plan(data: dict[str, Any], choices: Choices, t: _Tokens) -> None:
    plan = data["plan"]
    for child_plan in plan["children"]:
        child_plan["risks"] = [t.words(2) for _ in child_plan.get("risks", ())]
        child_plan["services"] = [t.words(2) for _ in child_plan.get("services", ())]
        child_plan["assessments"] = [t.words(2) for _ in child_plan.get("assessments", ())]
        for outcome in child_plan["outcomes"]:
            outcome["outcome"] = t.words(2)
    actions = list(_actions(data))
    for action, vis in zip(actions, choices.action_visibility, strict=True):
        action["action"] = t.words(2)
        if "frequency" in action:
            action["frequency"] = t.words(1)
        action.pop("visibility", None)
        if vis is not None:
            action["visibility"] = vis.to_json()
    plan["contingency"] = [t.words(2) for _ in plan["contingency"]]


def _build_distribution(data: dict[str, Any], choices: Choices, t: _Tokens) -> None:
    authorisations = []
    for auth in choices.authorisations:
        entry: dict[str, Any] = {
            "person": auth.person,
            "documents": list(auth.documents),
            "basis": auth.basis,
            "authorised_by": "p-chair",
            "authorised_on": "2026-11-23",
        }
        if auth.on_behalf_of is not None:
            entry["on_behalf_of"] = auth.on_behalf_of
        if auth.purpose:
            entry["purpose"] = t.words(1)
        authorisations.append(entry)
    distribution: dict[str, Any] = {"authorisations": authorisations}
    if choices.child_documents:
        distribution["child_copies"] = [
            {"child": "c-ella", "documents": list(choices.child_documents), "decided_by": "p-chair"}
        ]
    data["distribution"] = distribution


REPORT_AUTHORS = ("p-sw", "p-police", "p-school", "p-hv")


def _build_reports(data: dict[str, Any], choices: Choices, t: _Tokens) -> None:
    if not choices.reports:
        return
    data["format"] = "cpc-export/2"
    reports = []
    for i, choice in enumerate(choices.reports):
        report = report_json(t, i, REPORT_AUTHORS[i], choice.sections, choice.visibility)
        report["submitted_on"] = "2026-11-18"
        report["author_permits_appending"] = choice.permits_appending
        reports.append(report)
    data["reports"] = reports


def report_json(
    t: _Tokens,
    index: int,
    author: str,
    sections: tuple[tuple[Vis | None, int], ...],
    visibility: Vis | None,
) -> dict[str, Any]:
    """A cpc-export/2 report, every word a fresh token: the first (index 0) the social worker's,
    each section with its visibility and number of paragraphs."""
    report: dict[str, Any] = {
        "id": f"r{index}",
        "kind": "social_work_assessment" if index == 0 else "agency_report",
        "title": t.words(2),
        "author": author,
        "agency": t.words(1),
        "sections": [
            {
                "id": f"r{index}s{j}",
                "heading": t.words(2),
                "paragraphs": [t.words(2) for _ in range(paragraphs)],
                **({"visibility": vis.to_json()} if vis is not None else {}),
            }
            for j, (vis, paragraphs) in enumerate(sections)
        ],
    }
    if visibility is not None:
        report["visibility"] = visibility.to_json()
    return report


def _place_mention(data: dict[str, Any], where: tuple[Any, ...], text: str, t: _Tokens) -> str:
    """Write `text` into the field `where` names, after a token; → that field's JSON path."""
    said = f"{t.token()} {text} {t.token()}"
    kind = where[0]
    if kind == "paragraph":
        s, p = where[1], where[2]
        data["record"]["sections"][s]["paragraphs"][p] = said
        return f"record.sections[{s}].paragraphs[{p}]"
    if kind == "action":
        action = list(_actions(data))[where[1]]
        action["action"] = said
        for i, child_plan in enumerate(data["plan"]["children"]):
            for j, outcome in enumerate(child_plan["outcomes"]):
                for k, candidate in enumerate(outcome["actions"]):
                    if candidate is action:
                        return f"plan.children[{i}].outcomes[{j}].actions[{k}].action"
    if kind == "recommendation":
        data["decisions"][0]["recommendations"][0] = said
        return "decisions[0].recommendations[0]"
    if kind == "dissent":
        data["decisions"][1]["dissent"][0]["view"] = said
        return "decisions[1].dissent[0].view"
    if kind == "contingency":
        data["plan"]["contingency"][0] = said
        return "plan.contingency[0]"
    if kind == "venue":
        data["conference"]["venue"] = said
        return "conference.venue"
    if kind == "complaints_contact":
        data["authority"]["complaints_contact"] = said
        return "authority.complaints_contact"
    if kind in ("exclusion_reason", "how_views_are_heard"):
        name = "reason" if kind == "exclusion_reason" else kind
        data["exclusions"][0][name] = said
        return f"exclusions[0].{name}"
    if kind == "purpose":
        data["distribution"]["authorisations"][where[1]]["purpose"] = said
        return f"distribution.authorisations[{where[1]}].purpose"
    raise AssertionError(f"unknown mention place {where!r}")


# ---- the strategy -------------------------------------------------------------------------------

visibilities = st.one_of(
    st.none(),
    st.just(Vis(confidential=True)),
    st.lists(st.sampled_from(FAMILY_SIDE), min_size=1, max_size=3, unique=True).map(
        lambda who: Vis(withheld_from=tuple(who))
    ),
)

sections = st.builds(
    SectionChoice,
    # Mostly tagged; untagged sections test that rule 3 leaves them out of attended_parts copies.
    agenda_item=st.sampled_from((*AGENDA, None)),
    visibility=visibilities,
    paragraphs=st.lists(st.integers(1, 2), min_size=1, max_size=3).map(tuple),
)


@st.composite
def fathers(draw: st.DrawFn) -> FatherChoice:
    exclusion = draw(st.sampled_from(("none", "part", "whole")))
    if exclusion == "none":
        status = draw(st.sampled_from(("attended", "apologies", "did_not_attend")))
        return FatherChoice("none", status=status)
    if exclusion == "part":
        # Excluded from some items and present for the rest, at least one of each.
        chosen = draw(st.sets(st.sampled_from(AGENDA), min_size=1, max_size=len(AGENDA) - 1))
    else:
        # A whole exclusion may still list items; the record names them where the reader may.
        chosen = draw(st.sets(st.sampled_from(AGENDA), max_size=2))
    excluded = tuple(a for a in AGENDA if a in chosen)
    return FatherChoice(
        exclusion,
        excluded_items=excluded,
        record_copy=draw(st.sampled_from(("full", "attended_parts", "none"))),
        decided_before=draw(st.booleans()),
    )


def _authorisation(person: str) -> st.SearchStrategy[AuthChoice]:
    return st.builds(
        AuthChoice,
        person=st.just(person),
        # Named, or left to the solicitor's acting_for. The contract refuses a copy "on behalf of"
        # anyone else (the mother's solicitor for the father), so the strategy never draws one.
        on_behalf_of=st.sampled_from((None, SOLICITORS[person])),
        documents=st.lists(st.sampled_from(DOCUMENTS), min_size=1, unique=True).map(tuple),
        basis=st.sampled_from(("parent_consent", "chair_permission", "court_order")),
        purpose=st.booleans(),
    )


def _mention_places(choices: Choices) -> dict[str, list[tuple[Any, ...]]]:
    """Where the mention can go, by kind of field (each kind drawn as often as any other)."""
    places: dict[str, list[tuple[Any, ...]]] = {
        "paragraph": [
            ("paragraph", s, p)
            for s, section in enumerate(choices.sections)
            for p in range(len(section.paragraphs))
        ],
        "action": [("action", i) for i in range(len(choices.action_visibility))],
        **{kind: [(kind,)] for kind in ("recommendation", "dissent", "contingency", "venue")},
        "complaints_contact": [("complaints_contact",)],
    }
    if choices.father.exclusion != "none":
        places["exclusion_reason"] = [("exclusion_reason",)]
        places["how_views_are_heard"] = [("how_views_are_heard",)]
    if choices.authorisations:
        places["purpose"] = [("purpose", i) for i in range(len(choices.authorisations))]
    return places


@st.composite
def mentions(draw: st.DrawFn, choices: Choices) -> Mention | None:
    if draw(st.integers(0, 3)) == 0:
        return None  # a quarter of conferences mention no address at all
    places = _mention_places(choices)
    where = draw(st.sampled_from(places[draw(st.sampled_from(sorted(places)))]))
    kinds: list[MentionKind] = ["street", "postcode", "email", "town", "partial_street"]
    if choices.building_line:
        kinds.append("building")
    return Mention(where, draw(st.sampled_from(kinds)), draw(st.integers(0, 2)))


report_choices = st.builds(
    ReportChoice,
    visibility=st.one_of(st.none(), st.none(), visibilities),
    sections=st.lists(st.tuples(visibilities, st.integers(1, 2)), min_size=1, max_size=3).map(
        tuple
    ),
    permits_appending=st.booleans(),
)


@st.composite
def conference_choices(draw: st.DrawFn) -> Choices:
    """A valid conference's choices; `build` turns them into the export."""
    authorisations = tuple(
        auth
        for person in SOLICITORS
        if (auth := draw(st.one_of(st.none(), _authorisation(person)))) is not None
    )
    address_withheld_from: tuple[str, ...] = ()
    if draw(st.integers(0, 4)) > 0:  # withheld from someone in four conferences out of five
        address_withheld_from = tuple(
            draw(st.lists(st.sampled_from(ADDRESS_WITHHELD_CANDIDATES), min_size=1, unique=True))
        )
    choices = Choices(
        seed=draw(st.integers(0, 2**32 - 1)),
        profile=draw(st.sampled_from((None, "wirral"))),
        sections=tuple(draw(st.lists(sections, min_size=2, max_size=6))),
        action_visibility=tuple(draw(st.lists(visibilities, min_size=5, max_size=5))),
        report_visibility=tuple(draw(st.lists(visibilities, min_size=3, max_size=3))),
        father=draw(fathers()),
        address_withheld_from=address_withheld_from,
        building_line=draw(st.booleans()),
        street_word=draw(st.sampled_from(STREET_WORDS)),
        authorisations=authorisations,
        child_documents=tuple(draw(st.lists(st.sampled_from(DOCUMENTS), unique=True))),
        large_print=tuple(
            draw(st.lists(st.sampled_from(("p-mother", "p-father", "p-gran")), unique=True))
        ),
        # Half the conferences are cpc-export/2, with reports the record may append (R19).
        reports=tuple(
            draw(st.one_of(st.just([]), st.lists(report_choices, min_size=1, max_size=4)))
        ),
    )
    return dataclasses.replace(choices, mention=draw(mentions(choices)))


conferences = conference_choices().map(build)


# ---- the oracle: what each copy's reader may see, worked out from the export data ---------------


@dataclass(frozen=True)
class Reader:
    """The spec's answer to "whose eyes", from the export data alone (spec §4 rules 1-3, 5)."""

    audience: Literal["professional", "family"]
    persons: frozenset[str]
    present_for: frozenset[str] | None

    def sees(self, visibility: dict[str, Any] | None) -> bool:
        if not visibility:
            return True
        if visibility.get("confidential") and self.audience == "family":  # rule 1; R52
            return False
        return not self.persons & set(visibility.get("withheld_from", ()))  # rules 2, 5

    def sees_section(self, section: dict[str, Any]) -> bool:
        # Rule 3 (R49): an attended_parts record has only sections of items the person was there for.
        if self.present_for is not None and section.get("agenda_item") not in self.present_for:
            return False
        return self.sees(section.get("visibility"))


def expected_reader(data: dict[str, Any], planned: PlannedCopy) -> Reader:
    people = {p["id"]: p for p in data["people"]}
    recipient = planned.recipient
    principal = None
    for auth in data["distribution"]["authorisations"]:
        if auth["person"] == recipient:
            principal = auth.get("on_behalf_of") or people[recipient].get("acting_for")
    role = people[recipient]["role"] if recipient in people else "child"
    subject = principal or recipient
    present_for = None
    if planned.document == "record":
        exclusion = next((e for e in data["exclusions"] if e["person"] == subject), None)
        if exclusion is not None and exclusion["record_copy"] == "attended_parts":
            attendance = next(a for a in data["attendance"] if a["person"] == subject)
            present_for = frozenset(attendance.get("present_for", ()))
    return Reader(
        "professional" if role == "professional" else "family",
        frozenset({recipient} | ({principal} if principal else set())),
        present_for,
    )


@dataclass
class Expected:
    """Tokens (and address strings) a copy must not carry, tokens it must carry, and whether it is held."""

    hidden: dict[str, str] = field(default_factory=dict)  # text → its JSON path
    shown: dict[str, str] = field(default_factory=dict)  # token → its JSON path
    held: bool = False


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _reaches(built: Built, planned: PlannedCopy, reader: Reader) -> bool:
    """Does the mention's field appear in this copy's document, for this reader?"""
    mention = built.choices.mention
    if mention is None:
        return False
    data, document = built.data, planned.document
    kind = mention.where[0]
    if kind == "paragraph":
        return document == "record" and reader.sees_section(
            data["record"]["sections"][mention.where[1]]
        )
    if kind == "action":
        action = list(_actions(data))[mention.where[1]]
        return document in ("outline_plan", "record") and reader.sees(action.get("visibility"))
    if kind == "recommendation":
        return document in ("decision_letter", "record")
    if kind == "dissent":
        # R17: the record states dissent; the decision letter too, with whose it is (issue 16).
        return document in ("decision_letter", "record")
    if kind in ("exclusion_reason", "how_views_are_heard"):
        return document == "record"  # R16: the record states exclusions
    if kind in ("contingency", "venue"):
        # The venue is printed under the heading of every record and outline plan ("Place:").
        return document in ("outline_plan", "record")
    if kind == "complaints_contact":
        return document == "decision_letter"  # R02: the decision letter says how to complain
    # purpose: stamped on every page of each copy made under that authorisation (rule 5)
    auth = data["distribution"]["authorisations"][mention.where[1]]
    return planned.on_behalf_of is not None and planned.recipient == auth["person"]


def expected_for(built: Built, planned: PlannedCopy, reader: Reader) -> Expected:
    data = built.data
    expected = Expected()

    def hide(path: str, text: str) -> None:
        for token in _tokens(text):
            expected.hidden[token] = path

    def show(path: str, text: str) -> None:
        for token in _tokens(text):
            expected.shown[token] = path

    sections = data["record"]["sections"]
    for i, section in enumerate(sections):
        texts = [(f"record.sections[{i}].heading", section["heading"])] + [
            (f"record.sections[{i}].paragraphs[{j}]", p)
            for j, p in enumerate(section["paragraphs"])
        ]
        for path, text in texts:
            if not reader.sees_section(section):
                hide(path, text)
            elif planned.document == "record":
                show(path, text)
    for i, report in enumerate(data["record"]["appended_reports"]):
        if not reader.sees(report.get("visibility")):
            hide(f"record.appended_reports[{i}].title", report["title"])
    for i, item in enumerate(data["agenda"]):
        # Rule 6: no heading of withheld content, so an agenda title goes with its sections.
        under = [s for s in sections if s.get("agenda_item") == item["id"]]
        absent = reader.present_for is not None and item["id"] not in reader.present_for
        if absent or not all(reader.sees_section(s) for s in under):
            hide(f"agenda[{i}].title", item["title"])
    for k, action in enumerate(_actions(data)):
        texts = [(f"plan action {k}", action["action"])]
        texts += (
            [(f"plan action {k} frequency", action["frequency"])] if "frequency" in action else []
        )
        for path, text in texts:
            if not reader.sees(action.get("visibility")):
                hide(path, text)
            elif planned.document in ("outline_plan", "record"):
                show(path, text)
    if planned.document in ("decision_letter", "record"):
        # A child's own decision letter is about the child alone, and prints no recommendations:
        # they are professionals' words that may name a sibling (000 §4.14.7).
        own_letter = planned.recipient_class == "child" and planned.document == "decision_letter"
        for i, decision in enumerate(data["decisions"]):
            for j, text in enumerate(decision.get("recommendations", ())):
                if own_letter:
                    hide(f"decisions[{i}].recommendations[{j}]", text)
                else:
                    show(f"decisions[{i}].recommendations[{j}]", text)
    _expected_reports(data, planned, reader, hide, show)
    mother = next(p for p in data["people"] if p["id"] == "p-mother")
    address_withheld = bool(reader.persons & set(mother.get("address_withheld_from", ())))
    if address_withheld:  # rule 4
        for text in built.address.withheld():
            expected.hidden[text] = "people[p-mother] address or email"
    expected.held = (
        address_withheld
        and built.choices.mention is not None
        and built.choices.mention.kind in HOLDING_KINDS
        and _reaches(built, planned, reader)
    )
    return expected


def _expected_reports(
    data: dict[str, Any],
    planned: PlannedCopy,
    reader: Reader,
    hide: Callable[[str, str], None],
    show: Callable[[str, str], None],
) -> None:
    """R19; 002 §22.2, §22.5: the record carries the social worker's report and any other whose
    author permits it, each in the reader's view; a record limited to the parts a person attended
    carries the social worker's only (000 §4.5.10). No other document prints a report's sections,
    so in them every section is absent."""
    for i, report in enumerate(data.get("reports", ())):
        appended = planned.document == "record" and (
            report["kind"] == "social_work_assessment"
            or (report["author_permits_appending"] and reader.present_for is None)
        )
        whole = reader.sees(report.get("visibility"))
        if not whole:
            hide(f"reports[{i}].title", report["title"])
        for j, section in enumerate(report["sections"]):
            texts = [(f"reports[{i}].sections[{j}].heading", section["heading"])] + [
                (f"reports[{i}].sections[{j}].paragraphs[{k}]", p)
                for k, p in enumerate(section["paragraphs"])
            ]
            visible = whole and reader.sees(section.get("visibility"))
            for path, text in texts:
                (show if appended and visible else hide)(path, text)


# ---- running the property -----------------------------------------------------------------------


@dataclass
class Counts:
    conferences: int = 0
    copies: int = 0  # copies rendered and read back
    held: int = 0  # copies checked to be held with no files
    files: int = 0

    def __iadd__(self, other: Counts) -> Counts:
        for f in dataclasses.fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self


@cache
def _profiles() -> dict[str, Profile]:
    return load_profiles()


@cache
def _composer() -> Composer:
    return Composer.at()


def plan_of(built: Built) -> tuple[Export, DistributionPlan, Profile]:
    """Validate as the pipeline does (bytes in); a ContractError here is a bug in the strategy."""
    profiles = _profiles()
    export = load_export(built.json_bytes(), profiles.keys())
    profile = profiles[export.authority.procedure_profile or "default"]
    calendar = WorkingCalendar.for_nation(export.authority.nation, profile.closure_days)
    return export, plan_distribution(export, profile, calendar), profile


def of_interest(planned: PlannedCopy) -> bool:
    """Family-side and authorised copies (audience family), and one professional record."""
    return planned.viewer.audience == "family" or (
        planned.recipient == PROFESSIONAL_SAMPLE and planned.document == "record"
    )


def _describe(planned: PlannedCopy) -> str:
    behalf = f" for {planned.on_behalf_of}" if planned.on_behalf_of else ""
    return f"{planned.recipient}{behalf} {planned.document} ({planned.view})"


def _forms(text: str) -> tuple[str, str]:
    """withheld.normalise (case, whitespace) and the leak check's (also dashes, invisible characters)."""
    return normalise(text), leak_check.normalise(text)


def _contains(haystack: tuple[str, str], needle: tuple[str, str]) -> bool:
    return any(n and n in h for h, n in zip(haystack, needle, strict=True))


def _field_of(data: Any, text: str, path: str = "") -> list[str]:
    """JSON paths of the strings in `data` that contain `text` (to name a leaked string's field)."""
    if isinstance(data, str):
        return [path] if text in data else []
    if isinstance(data, dict):
        return [p for k, v in data.items() for p in _field_of(v, text, f"{path}.{k}".lstrip("."))]
    if isinstance(data, list):
        return [p for i, v in enumerate(data) for p in _field_of(v, text, f"{path}[{i}]")]
    return []


def assert_read_back(
    who: str,
    files: tuple[tuple[str, bytes], ...],
    to_find: dict[str, str],
    shown: dict[str, str],
) -> None:
    """Read the files back with the leak check's own extractors, as a recipient or a tool would:
    (a) no text of `to_find` (text → its field) is in anything extracted or in a file name;
    (b) every token of `shown` (token → its field) is in the PDF's pages and in the DOCX body."""
    places: list[tuple[str, tuple[str, str]]] = []  # (file: where, comparison forms)
    pages: list[str] = []
    body: list[str] = []
    for name, data in files:
        extracted = extract_pdf(data) if name.endswith(".pdf") else extract_docx(data)
        places.append((f"{name}: file name", _forms(name)))
        places.extend((f"{name}: {where}", _forms(text)) for where, text in extracted)
        if name.endswith(".pdf"):
            pages += [text for where, text in extracted if re.fullmatch(r"page \d+ text", where)]
        else:
            body += [text for where, text in extracted if where == "word/document.xml"]
    for text, path in to_find.items():
        needle = _forms(text)
        found = [where for where, forms in places if _contains(forms, needle)]
        assert not found, f"{who}: withheld {text!r} ({path}) found in {found[:4]}"
    pdf, docx = _forms("\n".join(pages)), _forms("\n".join(body))
    for token, path in shown.items():
        assert _contains(pdf, _forms(token)), (
            f"{who}: visible {path} ({token}) missing from the PDF"
        )
        assert _contains(docx, _forms(token)), (
            f"{who}: visible {path} ({token}) missing from the DOCX"
        )


def check_copy(built: Built, export: Export, planned: PlannedCopy, rendered: RenderedCopy) -> int:
    """Assertions (a) and (b) on one rendered copy; → the number of files read."""
    who = _describe(planned)
    # The renderer's own leak check is the last line; if it fires, the view let something through.
    assert rendered.status == "ready" and rendered.files, (
        f"{who}: the plan made it ready but the renderer held it: {rendered.reason}"
    )
    expected = expected_for(built, planned, expected_reader(built.data, planned))
    to_find = {
        text: ", ".join(_field_of(built.data, text)) or "?"
        for text in withheld_strings(export, planned.viewer)
    }
    to_find.update(expected.hidden)
    assert_read_back(who, rendered.files, to_find, expected.shown)
    return len(rendered.files)


def check_conference(built: Built, select: Callable[[PlannedCopy], bool] = of_interest) -> Counts:
    """The whole property for one generated conference; an AssertionError names copy, field and text."""
    export, plan, profile = plan_of(built)
    counts = Counts(conferences=1)

    # Rule 3 (R49): record_copy none means no record for him, nor any copy made on his behalf.
    father = built.choices.father
    if father.exclusion != "none" and father.record_copy == "none":
        for planned in plan.copies:
            if planned.document == "record":
                assert "p-father" not in (planned.recipient, planned.on_behalf_of), _describe(
                    planned
                )

    held: list[PlannedCopy] = []
    to_render: list[PlannedCopy] = []
    for planned in plan.copies:
        who = _describe(planned)
        reader = expected_reader(built.data, planned)
        viewer = planned.viewer
        assert (viewer.audience, viewer.persons, viewer.present_for) == (
            reader.audience,
            reader.persons,
            reader.present_for,
        ), f"{who}: planned for {viewer}, but the rules give {reader}"
        # (c) Rule 4: held in the plan exactly when free text it shows names the withheld address.
        if expected_for(built, planned, reader).held:
            assert planned.status == "held", (
                f"{who} is {planned.status}, but {built.mention_path} mentions the mother's "
                f"address ({built.mention_text!r}), which is withheld from {sorted(reader.persons)}"
            )
            # The reason names the field, never the withheld text.
            assert built.mention_path in (planned.reason or ""), f"{who}: {planned.reason}"
            reason = _forms(planned.reason or "")
            assert not any(_contains(reason, _forms(t)) for t in built.address.withheld()), (
                planned.reason
            )
            held.append(planned)
        else:
            assert planned.status == "ready", f"{who} is {planned.status}: {planned.reason}"
            if select(planned):
                to_render.append(planned)

    # A held copy goes through the real render path and comes out with no files.
    renderer = Renderer.for_profile(profile, _composer())
    for item in render_plan(export, dataclasses.replace(plan, copies=tuple(held)), renderer):
        assert item.status == "held" and item.files == (), _describe(item.copy)
        counts.held += 1
    for planned in to_render:
        counts.files += check_copy(built, export, planned, renderer.render(export, planned))
        counts.copies += 1
    return counts


# ---- the tests ----------------------------------------------------------------------------------


@settings(
    max_examples=10,
    deadline=None,  # one conference renders ~15 copies, a few seconds
    derandomize=True,  # the same conferences on every run, so CI is reproducible
    database=None,
    # No shrinking: each try renders a conference again, and shrinking one failure took over five
    # minutes. The failure names the copy, the field and the text, and the export is printed;
    # scripts/leak_property_at_scale.py --shrink minimises one when that is worth the wait.
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(built=conferences)
def test_no_rendered_copy_carries_withheld_content_and_none_loses_visible_content(
    built: Built,
) -> None:
    note(f"export: {json.dumps(built.data)}")
    check_conference(built)


def _fixed(**changes: Any) -> Choices:
    """A plain conference: four open sections, nothing withheld, no exclusion, no authorisation."""
    base = Choices(
        seed=412,
        profile=None,
        sections=tuple(SectionChoice(a, None, (1, 2)) for a in ("a1", "a2", "a3", "a4")),
        action_visibility=(None,) * 5,
        report_visibility=(None,) * 3,
        father=FatherChoice("none"),
        address_withheld_from=("p-father", "p-father-sol"),
        building_line=True,
        street_word="Road",
        authorisations=(AuthChoice("p-father-sol", None, ("record",), "parent_consent", False),),
        child_documents=("decision_letter",),
    )
    return dataclasses.replace(base, **changes)


def _fathers_copies(planned: PlannedCopy) -> bool:
    return "p-father" in planned.viewer.persons


@pytest.mark.parametrize(
    ("kind", "variant"),
    [
        ("street", 0),  # as written
        ("street", 1),  # upper-cased and re-spaced
        ("street", 2),  # lower-cased
        ("partial_street", 0),  # the street's name without its number (issue 9)
    ],
)
def test_fathers_record_is_held_when_a_paragraph_he_may_see_names_the_mothers_street(
    kind: MentionKind, variant: int
) -> None:
    """Spec §4 rule 4 (000 §4.5.8; 002 §12.13): his record and his solicitor's are held, not sent."""
    built = build(_fixed(mention=Mention(("paragraph", 1, 0), kind, variant)))
    assert built.mention_path == "record.sections[1].paragraphs[0]"
    counts = check_conference(built, select=_fathers_copies)
    _, plan, _ = plan_of(built)
    status = {(c.recipient, c.document): c for c in plan.copies}
    for who in ("p-father", "p-father-sol"):
        record = status[(who, "record")]
        assert record.status == "held"
        assert "record.sections[1].paragraphs[0]" in (record.reason or "")
    assert status[("p-father", "decision_letter")].status == "ready"
    assert status[("p-mother", "record")].status == "ready"  # her own address is no secret to her
    assert counts.held == 2 and counts.copies >= 2


@pytest.mark.parametrize(
    ("mention", "section"),
    [
        # the paragraph is in a section withheld from him: the text never reaches him (rules 2, 4)
        (
            Mention(("paragraph", 1, 0), "street"),
            SectionChoice("a2", Vis(withheld_from=("p-father",)), (1,)),
        ),
        # a bare town name is not a mention of the address (spec §4 rule 4)
        (Mention(("paragraph", 1, 0), "town"), SectionChoice("a2", None, (1,))),
    ],
    ids=["withheld-section", "bare-town"],
)
def test_fathers_record_is_not_held_when_the_address_does_not_reach_him(
    mention: Mention, section: SectionChoice
) -> None:
    sections = (SectionChoice("a1", None, (1,)), section, SectionChoice("a3", None, (2,)))
    built = build(_fixed(sections=sections, mention=mention))
    check_conference(built, select=lambda c: c.recipient == "p-father" and c.document == "record")
    _, plan, _ = plan_of(built)
    assert (
        next(c for c in plan.copies if (c.recipient, c.document) == ("p-father", "record")).status
        == "ready"
    )


@pytest.mark.parametrize(
    "where",
    [
        ("paragraph", 1, 0),  # record only, where he may see the section
        ("action", 2),  # outline plan and record
        ("recommendation",),  # decision letter and record
        ("dissent",),  # decision letter and record (R17)
        ("contingency",),  # outline plan and record
        ("venue",),  # printed under the heading of the outline plan and the record
        ("complaints_contact",),  # decision letter (R02)
        ("purpose", 0),  # stamped on every page of his solicitor's copies (rule 5)
    ],
    ids=lambda where: where[0],
)
def test_an_address_in_free_text_holds_exactly_the_copies_that_print_it(
    where: tuple[Any, ...],
) -> None:
    """Spec §4 rule 4, field by field: the plan holds each copy of the father's (and of his
    solicitor's) that prints the field, with the field named; every other copy is ready and renders."""
    solicitor = AuthChoice("p-father-sol", None, DOCUMENTS, "court_order", purpose=True)
    built = build(_fixed(authorisations=(solicitor,), mention=Mention(where, "postcode", 1)))
    counts = check_conference(built, select=_fathers_copies)
    assert counts.held >= 1


def test_strategy_builds_valid_exports_that_differ() -> None:
    """Every draw validates (a ContractError would be a strategy bug), and tokens never repeat."""
    seen: set[str] = set()  # the choices, less the seed of the token letters

    @settings(max_examples=40, derandomize=True, database=None, deadline=None)
    @given(built=conferences)
    def check(built: Built) -> None:
        plan_of(built)
        tokens = _tokens(json.dumps(built.data))
        assert len(tokens) == len(set(tokens))
        seen.add(repr(dataclasses.replace(built.choices, seed=0)))

    check()
    assert len(seen) > 30

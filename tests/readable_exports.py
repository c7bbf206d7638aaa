"""Fifty fictional conference exports (`cpc-export/1`) for the readability tests (issue 16).

The letters' words change with the conference's kind and stage, each child's outcome, categories
and plan end reason, the exclusions' grounds and record copies, and what the export gives or
leaves out (times, venue, core group, review date, contingency). These exports walk those
branches so that a plain-words rule is checked on more than the three shipped examples.

Deterministic: `random.Random(seed)`, not Hypothesis, so the same fifty every run and a failure
names an export that can be read again. Free text is English sentences in the style of the
shipped examples (never tokens): a reading-age score over nonsense would measure nothing.
All names, places and addresses are fictional.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any, TypeVar

T = TypeVar("T")
Json = dict[str, Any]

KINDS = ("initial", "review", "pre_birth", "transfer_in")
STAGES = ("scheduled", "held", "cancelled")
OUTCOMES = (
    "child_protection_plan",
    "plan_continues",
    "plan_ends",
    "child_in_need_plan",
    "no_further_action",
)
CATEGORIES = ("physical_abuse", "emotional_abuse", "sexual_abuse", "neglect")
PLAN_END_REASONS = (
    "no_longer_at_risk",
    "moved_to_other_authority",
    "reached_eighteen",
    "died",
    "left_area",
)
GROUNDS = (
    "prejudice_welfare_of_child",
    "violence_or_threats",
    "disruptive_behaviour",
    "child_request",
    "prevents_professional_contribution",
    "confidential_information",
    "family_conflict",
    "other",
)
RECORD_COPIES = ("full", "attended_parts", "none")
LANGUAGES = ("en", "cy", "pl", "ur", "pa", "so", "ro", "ar", "bn", "gd")

# What a conference may decide for a child, by kind: a review decides whether a plan goes on,
# a first conference whether one is needed (000 §4.8, §4.14); a transfer-in either.
_OUTCOMES_BY_KIND: dict[str, tuple[str, ...]] = {
    "initial": ("child_protection_plan", "child_in_need_plan", "no_further_action"),
    "pre_birth": ("child_protection_plan", "child_in_need_plan", "no_further_action"),
    "review": ("plan_continues", "plan_ends"),
    "transfer_in": ("child_protection_plan", "plan_ends", "child_in_need_plan"),
}

_FAMILIES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    # surname, children's first names, adults' first names (fictional, mixed UK communities)
    ("Okonkwo", ("Chidi", "Amara", "Ifeoma", "Tobi"), ("Ngozi", "Emeka", "Adaeze")),
    ("Begum", ("Aisha", "Rayan", "Nusrat", "Zayn"), ("Shirin", "Abdul", "Rokeya")),
    ("Kowalski", ("Zofia", "Kacper", "Maja", "Filip"), ("Agnieszka", "Piotr", "Halina")),
    ("Llewellyn", ("Cerys", "Dylan", "Ffion", "Osian"), ("Bethan", "Huw", "Eirlys")),
    ("MacLeod", ("Isla", "Callum", "Eilidh", "Ruaridh"), ("Morag", "Alasdair", "Catriona")),
    ("Singh", ("Harleen", "Arjun", "Simran", "Jasdeep"), ("Manpreet", "Gurpreet", "Baljit")),
    ("Campbell", ("Leah", "Tyrone", "Keisha", "Marcus"), ("Sharon", "Delroy", "Hyacinth")),
    ("Ahmed", ("Yusuf", "Hodan", "Abdi", "Safiya"), ("Faduma", "Mohamed", "Sahra")),
    ("Popescu", ("Andrei", "Ioana", "Mihai", "Elena"), ("Daniela", "Florin", "Rodica")),
    ("O'Neill", ("Niamh", "Ciaran", "Aoife", "Padraig"), ("Siobhan", "Declan", "Bridget")),
    ("Thompson", ("Olivia", "Harry", "Poppy", "Jack"), ("Gemma", "Craig", "Linda")),
    ("Chen", ("Mei", "Jun", "Lily", "Kai"), ("Ling", "Wei", "Hui")),
    ("Hussain", ("Maryam", "Bilal", "Hamza", "Zara"), ("Nadia", "Tariq", "Parveen")),
    ("Price", ("Ruby", "Mason", "Evie", "Riley"), ("Kerry", "Jason", "Pauline")),
)

_PROFESSIONAL_NAMES = (
    "Helen Marsh",
    "Owen Price",
    "Daniel Okafor",
    "Rachel Dunn",
    "Anita Ross",
    "Claire Bishop",
    "Imran Shah",
    "Beth Kerr",
    "Lucy Fenn",
    "Sunil Mehta",
    "Grace Lee",
    "Fatima Hussain",
    "Mike Turner",
    "Joanne Wells",
    "Sam Reid",
    "Ann Grey",
    "Rhian Evans",
    "Owain Jones",
    "Sian Morgan",
    "Carl Hughes",
    "Priya Anand",
    "Gareth Lloyd",
    "Tom Hale",
    "Nia Roberts",
    "Kwame Mensah",
    "Agata Nowak",
    "Ewan Fraser",
    "Ravinder Gill",
    "Yasmin Patel",
    "Paul Kerr",
)

_AUTHORITIES: tuple[Json, ...] = (
    {
        "code": "LA-NORTHBY",
        "name": "Northby Borough Council",
        "nation": "england",
        "town": "Northby",
        "postcode": "NB1 1AA",
        "domain": "northby.example.gov.uk",
    },
    {
        "code": "LA-CWMFAWR",
        "name": "Cwm Fawr County Borough Council",
        "nation": "wales",
        "town": "Cwm Fawr",
        "postcode": "CF99 1ZZ",
        "domain": "cwmfawr.example.gov.uk",
    },
    {
        "code": "LA-ASHMOOR",
        "name": "Ashmoor City Council",
        "nation": "england",
        "town": "Ashmoor",
        "postcode": "AM2 4BD",
        "domain": "ashmoor.example.gov.uk",
    },
    {
        "code": "LA-BRYNTEG",
        "name": "Bryn Teg Council",
        "nation": "wales",
        "town": "Bryn Teg",
        "postcode": "BT7 2QW",
        "domain": "brynteg.example.gov.uk",
    },
)

_STREETS = (
    "Linden Court",
    "Canal Street",
    "Orchard Row",
    "Heron Way",
    "Mill Lane",
    "Stryd y Castell",
    "Tan y Bryn",
    "Victoria Road",
    "Albert Terrace",
    "Meadow Close",
    "Station Road",
    "Elm Grove",
)

_PROFESSIONALS: tuple[tuple[str, str, str], ...] = (
    # job title, agency, agency type
    ("Designated Safeguarding Lead", "Ashfield Academy", "education"),
    ("Headteacher", "St Anne's Primary School", "education"),
    ("Health Visitor", "Community Health", "health"),
    ("School Nurse", "Community Health", "health"),
    ("General Practitioner", "Linden Surgery", "health"),
    ("Safeguarding Midwife", "Health Board", "health"),
    ("Detective Constable, Public Protection Unit", "Police", "police"),
    ("Probation Officer", "Probation Service", "probation"),
    ("Housing Officer", "Homes Trust", "housing"),
    ("Independent Domestic Violence Adviser", "Women's Aid", "voluntary"),
    ("Family Support Worker", "Family Centre", "voluntary"),
)

# Free text, from the shipped examples and more in their style (fictional, plain sentences).
_FAMILY_VIEWS = (
    "{parent} said she wants the children to feel safe and has accepted support.",
    "{parent} said he loves his children and wants to see them.",
    "{parent} said the family has had a hard year and is glad of the help from school.",
    "{parent} disputed some of the report but agreed to work with the social worker.",
    "{child}'s written views were read to the conference: {pronoun} said {pronoun} feels "
    "safer now but misses {pronoun2} friends.",
    "{child} told the social worker that {pronoun} likes the after-school club.",
    "{child} said {pronoun} would like to see {pronoun2} grandmother more often.",
)
_AGENCY_REPORTS = (
    "The school reported that {child}'s attendance fell to 81% this term.",
    "The school reported that {child} has been withdrawn in class.",
    "The health visitor reported that {child}'s development is on track.",
    "The health visitor reported that {child}'s immunisations are overdue.",
    "The home conditions have improved and have been maintained since August.",
    "{child}'s dental treatment has been completed.",
    "The family support worker has visited every week and the routines at home are better.",
    "The police reported two call-outs to the family home this year.",
    "The housing officer said the family will move to a larger flat in the new year.",
    "The midwife reported that antenatal appointments have been kept.",
)
_DECISION_TEXT = (
    "All agencies agreed that the children are likely to suffer significant harm.",
    "The conference decided that a plan is needed to keep {child} safe.",
    "{child} is no longer likely to suffer significant harm and the plan can end.",
    "The conference agreed that a child in need plan will support the family.",
    "The conference agreed that no further action is needed from children's social care.",
)
_RECOMMENDATIONS = (
    "{child} to be offered an advocate for future conferences.",
    "CAMHS to offer {child} an assessment.",
    "A child in need plan to be reviewed within three months.",
    "The family to be offered a place on a parenting course.",
    "{child} to be offered a place at the holiday club.",
    "The school to share attendance figures with the social worker each month.",
)
_DISSENT = (
    "The health visitor considered that a child in need plan would meet {child}'s needs.",
    "The school considered that {child}'s plan could also end, as attendance is improving.",
    "The police considered that a plan is still needed while the investigation goes on.",
    "The GP considered that the risk to {child} had been overstated.",
)
_REASONS = {
    "prejudice_welfare_of_child": "Having {adult} in the room would stop {child} from "
    "speaking freely about home.",
    "violence_or_threats": "Threats were made to the midwife on 1 December.",
    "disruptive_behaviour": "{adult} shouted at the chair at the last conference and would "
    "not let others speak.",
    "child_request": "{child} asked that {adult} is not present when the family's views are heard.",
    "prevents_professional_contribution": "Professionals reported concern about intimidation "
    "and could not speak freely.",
    "confidential_information": "Police information about an ongoing investigation could not "
    "be shared with {adult}.",
    "family_conflict": "There is a court order stopping {adult} from contacting the other parent.",
    "other": "{adult} is in hospital and the chair agreed a separate meeting instead.",
}
_HOW_HEARD = (
    "{adult} met the chair before the conference and their written views were read out.",
    "{adult} may send written views to the chair, or speak to the social worker, first.",
    "The social worker will meet {adult} after the conference to explain what was decided.",
)
_RISKS = (
    "Exposure to domestic abuse between the adults at home.",
    "Poor home conditions and missed health appointments.",
    "Not going to school often enough.",
    "Being left alone at home for long periods.",
)
_OUTCOME_TEXT = (
    "{child} feels safe at home and at school.",
    "{child} goes to school every day.",
    "{child}'s health needs are met.",
    "{child} has a warm, clean and safe home.",
)
_ACTIONS = (
    (
        "Visit {child} at home and see {pronoun2} alone every 10 working days.",
        "every 10 working days",
    ),
    ("Weekly check-in with the designated safeguarding lead.", "weekly"),
    ("Take {child} to school by 8:50 every morning.", "daily"),
    ("Bring {child}'s immunisations up to date.", None),
    ("Attend the parenting programme at the family centre.", None),
    ("Report attendance to the core group every two weeks.", "fortnightly"),
)
_SERVICES = (
    "Child and Adolescent Mental Health Service assessment",
    "Family support worker visits each week",
    "Young carers group on Thursday evenings",
)
_ASSESSMENTS = ("Single assessment to be completed within 45 working days", "Parenting assessment")
_CONTINGENCY = (
    "If the bail conditions are broken, a legal planning meeting will be held.",
    "If attendance falls below 80% for four weeks, the core group will ask for an early review.",
    "If the plan is not followed, the social worker will ask for an early review conference.",
)


class _Deck:
    """Deals values in shuffled rounds: every value comes up before any repeats, so a few dozen
    draws cover them all whatever the seed (coverage by construction, not by luck)."""

    def __init__(self, rng: random.Random, values: tuple[str, ...]) -> None:
        self._rng, self._values, self._left = rng, values, list[str]()

    def deal(self, allowed: tuple[str, ...] | None = None) -> str:
        for _ in range(2 * len(self._values) + 1):
            if not self._left:
                self._left = list(self._values)
                self._rng.shuffle(self._left)
            value = self._left.pop()
            if allowed is None or value in allowed:
                return value
            self._left.insert(0, value)  # not dealable here; keep it for a later draw
        return self._rng.choice([v for v in self._values if allowed is None or v in allowed])


class _Decks:
    def __init__(self, rng: random.Random) -> None:
        self.kind = _Deck(rng, KINDS)
        self.stage = _Deck(rng, (*STAGES, "held", "held"))  # held has most to read
        self.outcome = _Deck(rng, OUTCOMES)
        self.category = _Deck(rng, CATEGORIES)
        self.end_reason = _Deck(rng, PLAN_END_REASONS)
        self.ground = _Deck(rng, GROUNDS)
        self.record_copy = _Deck(rng, RECORD_COPIES)
        self.language = _Deck(rng, LANGUAGES)


def readable_exports(count: int = 50, seed: int = 16) -> list[Json]:
    """`count` export dicts that `load_export` accepts, the same ones for the same seed."""
    rng = random.Random(seed)
    decks = _Decks(rng)
    return [_Builder(rng, decks, n).export() for n in range(count)]


def _pronouns(gender: str) -> tuple[str, str]:
    return {"female": ("she", "her"), "male": ("he", "his")}.get(gender, ("they", "their"))


class _Builder:
    """One export: people first, then what the stage allows (decisions, plan, record)."""

    def __init__(self, rng: random.Random, decks: _Decks, n: int) -> None:
        self.rng, self.decks, self.n = rng, decks, n
        self.kind = decks.kind.deal()
        self.stage = decks.stage.deal()
        self.held = self.stage == "held"
        self.authority = rng.choice(_AUTHORITIES)
        self.day = date(2026, 9, 1) + timedelta(days=rng.randrange(0, 110))
        while self.day.weekday() >= 5:
            self.day += timedelta(days=1)
        self.exported_on = (
            self.day + timedelta(days=rng.randrange(1, 9))
            if self.held
            else (self.day - timedelta(days=rng.randrange(3, 12)))
        )
        self.family = _FAMILIES[(n + rng.randrange(len(_FAMILIES))) % len(_FAMILIES)]
        self.people: list[Json] = []
        self.attendance: list[Json] = []
        self.children: list[Json] = []
        self.ended: set[str] = set()  # no letter goes to a child who has died

    # ---- helpers
    def pid(self, stem: str) -> str:
        return f"p-{stem}-{self.n}"

    def sentence(self, pool: tuple[str, ...], **names: str) -> str:
        return self.rng.choice(pool).format(**names)

    def child_names(self, child: Json) -> dict[str, str]:
        first = child["name"].split()[0]
        pronoun, pronoun2 = _pronouns(child.get("gender", ""))
        return {"child": first, "pronoun": pronoun, "pronoun2": pronoun2}

    def address(self) -> Json:
        street = self.rng.choice(_STREETS)
        lines = [f"{self.rng.randrange(1, 90)} {street}", self.authority["town"]]
        if self.rng.random() < 0.3:
            lines.insert(0, f"Flat {self.rng.randrange(1, 12)}")
        letters = "".join(self.rng.choice("ABDEFGHJLNPQRSTUWXYZ") for _ in range(2))
        return {
            "lines": lines,
            "postcode": f"{self.authority['postcode'][:2]}{self.rng.randrange(1, 9)} "
            f"{self.rng.randrange(1, 9)}{letters}",
        }

    def status(self, present: bool = True) -> str:
        if not self.held:
            return "expected" if present or self.rng.random() < 0.7 else "apologies"
        if present:
            return "attended"
        return self.rng.choice(("apologies", "did_not_attend"))

    def professional(
        self, stem: str, name: str, role: str, title: str, agency: str, kind: str
    ) -> Json:
        first, last = name.lower().split()[0], name.lower().split()[-1]
        person: Json = {
            "id": self.pid(stem),
            "name": name,
            "role": role,
            "job_title": title,
            "agency": agency,
            "agency_type": kind,
            "email": f"{first}.{last}@{self.authority['domain']}",
        }
        self.people.append(person)
        return person

    # ---- the export
    def export(self) -> Json:
        rng = self.rng
        names = rng.sample(_PROFESSIONAL_NAMES, 8)
        chair = self.professional(
            "chair",
            names[0],
            "chair",
            "Independent Conference Chair",
            self.authority["name"],
            "childrens_social_care",
        )
        self.attendance.append({"person": chair["id"], "invited": True, "status": self.status()})
        minute_taker = None
        if rng.random() < 0.7:
            minute_taker = self.professional(
                "min",
                names[1],
                "minute_taker",
                "Minute Taker",
                self.authority["name"],
                "childrens_social_care",
            )
            self.attendance.append(
                {"person": minute_taker["id"], "invited": True, "status": self.status()}
            )
        self.sw = self.professional(
            "sw",
            names[2],
            "professional",
            "Social Worker",
            "Children's Social Care",
            "childrens_social_care",
        )
        self.attendance.append(
            {
                "person": self.sw["id"],
                "invited": True,
                "status": self.status(),
                "report_submitted": True,
            }
        )
        others = []
        for i, (title, agency, kind) in enumerate(rng.sample(_PROFESSIONALS, rng.randrange(1, 4))):
            person = self.professional(
                f"pro{i}",
                names[3 + i],
                "professional",
                title,
                f"{self.authority['town']} {agency}",
                kind,
            )
            others.append(person)
            self.attendance.append(
                {
                    "person": person["id"],
                    "invited": True,
                    "status": self.status(rng.random() < 0.8),
                    "report_submitted": rng.random() < 0.6,
                }
            )
        adults = self.family_adults()
        self.make_children()
        agenda = [
            {"id": f"a{i + 1}", "title": t}
            for i, t in enumerate(
                (
                    "Introductions and purpose of the conference",
                    "Views of the family",
                    "Information from agencies and analysis of risk",
                    "Decision and outline plan",
                )
            )
        ]
        exclusions = self.exclusions(adults)
        conference = self.conference(chair, minute_taker)
        export: Json = {
            "format": "cpc-export/1",
            "export_id": f"GEN-EXP-{self.n:04d}",
            "revision": rng.randrange(1, 4),
            "exported_at": f"{self.exported_on.isoformat()}T17:{rng.randrange(10, 59)}:00Z",
            "source_system": "generated for the readability tests",
            "authority": self.authority_json(),
            "conference": conference,
            "people": self.people,
            "children": self.children,
            "agenda": agenda,
            "attendance": self.attendance,
        }
        if exclusions:
            export["exclusions"] = exclusions
        if self.held:
            decisions = self.decisions(others)
            self.ended = {d["child"] for d in decisions if d.get("plan_end_reason") == "died"}
            export["decisions"] = decisions
            export["record"] = self.record(chair, adults)
            plan = self.plan(chair, adults, others, decisions)
            if plan is not None:
                export["plan"] = plan
        distribution = self.distribution(chair, adults)
        if distribution:
            export["distribution"] = distribution
        return export

    def authority_json(self) -> Json:
        a = self.authority
        out: Json = {
            "code": a["code"],
            "name": a["name"],
            "nation": a["nation"],
            "address": {"lines": [a["name"], "Civic Centre", a["town"]], "postcode": a["postcode"]},
        }
        if self.rng.random() < 0.6:
            out["service_name"] = "Safeguarding and Quality Assurance Unit"
        if self.rng.random() < 0.7:
            out["complaints_contact"] = (
                f"Complaints Officer, Civic Centre, {a['town']} {a['postcode']}"
            )
        return out

    def conference(self, chair: Json, minute_taker: Json | None) -> Json:
        rng = self.rng
        c: Json = {
            "id": f"CPC-GEN-{self.n:04d}",
            "kind": self.kind,
            "stage": self.stage,
            "date": self.day.isoformat(),
            "chair": chair["id"],
        }
        if rng.random() < 0.75:
            start = rng.choice((9, 10, 11, 13, 14))
            c["start_time"] = f"{start:02d}:{rng.choice(('00', '30'))}"
            if rng.random() < 0.6:
                c["end_time"] = f"{start + rng.randrange(1, 3):02d}:{rng.choice(('15', '45'))}"
        if rng.random() < 0.7:
            c["venue"] = rng.choice(
                (
                    "Room 2, Family Centre",
                    "Online",
                    "Civic Centre, Meeting Room 4",
                    f"{self.authority['town']} Library, Community Room",
                )
            )
        if minute_taker is not None:
            c["minute_taker"] = minute_taker["id"]
        earliest = min(self.day, self.exported_on)
        if self.kind in ("initial", "pre_birth") and rng.random() < 0.8:
            c["strategy_discussion_date"] = (
                earliest - timedelta(days=rng.randrange(10, 25))
            ).isoformat()
        if self.kind == "review":
            c["previous_conference_date"] = (
                earliest - timedelta(days=rng.choice((91, 182)))
            ).isoformat()
            if rng.random() < 0.6:
                c["initial_conference_date"] = (earliest - timedelta(days=273)).isoformat()
        if self.kind == "transfer_in":
            c["transfer_notification_date"] = (
                earliest - timedelta(days=rng.randrange(5, 20))
            ).isoformat()
        if self.held:
            c["quorate"] = True
        return c

    def family_adults(self) -> list[Json]:
        rng = self.rng
        surname, _, firsts = self.family
        count = rng.randrange(1, 4)
        relationships = (
            ("mother", "parent", True),
            ("father", "parent", True),
            ("maternal grandmother", "family_member", None),
        )
        adults: list[Json] = []
        for i in range(count):
            relationship, role, pr = relationships[i]
            if i == 1 and rng.random() < 0.3:
                relationship, role, pr = "stepfather", "carer", False
            person: Json = {
                "id": self.pid(f"fam{i}"),
                "name": f"{firsts[i]} {surname}",
                "role": role,
                "relationship": relationship,
                "address": self.address(),
            }
            if pr is not None:
                person["parental_responsibility"] = pr
            if rng.random() < 0.6:
                person["language"] = self.decks.language.deal()
            needs = []
            if rng.random() < 0.25:
                needs.append("large_print")
            if person.get("language") not in (None, "en") and rng.random() < 0.7:
                needs += ["interpreter", "translation"]
            if rng.random() < 0.1:
                needs.append("easy_read")
            if needs:
                person["needs"] = needs
            if rng.random() < 0.3:
                person["email"] = (
                    f"{firsts[i].lower()}.{surname.lower().replace(chr(39), '')}@example.org"
                )
            self.people.append(person)
            adults.append(person)
            self.attendance.append(
                {
                    "person": person["id"],
                    "invited": True,
                    "status": self.status(rng.random() < 0.85),
                }
            )
        if len(adults) > 1 and rng.random() < 0.4:
            # The mother's address kept from the father (as in the shipped DV example).
            adults[0]["address_withheld_from"] = [adults[1]["id"]]
        for i, adult in enumerate(adults[:2]):
            if rng.random() < 0.35:
                sol = {
                    "id": self.pid(f"sol{i}"),
                    "name": rng.choice(
                        ("Priya Anand", "Gareth Lloyd", "Nkechi Obi", "Alun Rees", "Sarah Levy")
                    ),
                    "role": "solicitor",
                    "acting_for": adult["id"],
                    "agency": "Family Law Solicitors",
                    "email": f"solicitor{i}@family-law.example.co.uk",
                }
                self.people.append(sol)
                if i == 1 and "address_withheld_from" in adults[0]:
                    adults[0]["address_withheld_from"].append(sol["id"])
        if rng.random() < 0.25:
            sup = {
                "id": self.pid("sup"),
                "name": "Janine Cole",
                "role": "supporter",
                "supporting": adults[0]["id"],
            }
            self.people.append(sup)
            self.attendance.append({"person": sup["id"], "invited": False, "status": self.status()})
        return adults

    def make_children(self) -> None:
        rng = self.rng
        surname, firsts, _ = self.family
        count = rng.randrange(1, 5)
        order = rng.sample(range(4), count)
        if self.kind == "pre_birth":
            self.children.append(
                {
                    "id": f"c-unborn-{self.n}",
                    "name": f"Baby {surname}",
                    "subject": True,
                    "unborn": True,
                    "expected_delivery_date": (
                        self.day + timedelta(days=rng.randrange(30, 150))
                    ).isoformat(),
                }
            )
            count -= 1
        for j in order[:count]:
            age = rng.randrange(0, 18)
            # Born this many whole years before the conference (age 0 to 17 on its day).
            born = self.day.replace(year=self.day.year - age - 1) + timedelta(
                days=rng.randrange(1, 360)
            )
            if born > min(self.day, self.exported_on):
                born = min(self.day, self.exported_on) - timedelta(days=rng.randrange(20, 60))
            gender = (
                rng.choice(("female", "male", None)) if j % 2 else rng.choice(("female", "male"))
            )
            child: Json = {
                "id": f"c-{firsts[j].lower()}-{self.n}",
                "name": f"{firsts[j]} {surname}",
                "subject": self.kind != "pre_birth" or rng.random() < 0.5,
                "date_of_birth": born.isoformat(),
            }
            if gender:
                child["gender"] = gender
            self.children.append(child)
        if not any(c["subject"] for c in self.children):
            self.children[0]["subject"] = True

    def age(self, child: Json) -> int | None:
        if "date_of_birth" not in child:
            return None
        born = date.fromisoformat(child["date_of_birth"])
        return self.day.year - born.year - ((self.day.month, self.day.day) < (born.month, born.day))

    def exclusions(self, adults: list[Json]) -> list[Json]:
        rng = self.rng
        if (self.stage == "cancelled" and rng.random() < 0.6) or rng.random() < 0.4:
            return []
        adult = rng.choice(adults)
        attendance = next(a for a in self.attendance if a["person"] == adult["id"])
        extent = rng.choice(("whole", "part"))
        grounds = list(dict.fromkeys(self.decks.ground.deal() for _ in range(rng.randrange(1, 4))))
        child = next(c for c in self.children if "date_of_birth" in c or c.get("unborn"))
        words = {"adult": adult["name"], "child": child["name"].split()[0]}
        exclusion: Json = {
            "person": adult["id"],
            "extent": extent,
            "grounds": grounds,
            "reason": " ".join(_REASONS[g].format(**words) for g in grounds[:2]),
            "decided_on": (
                min(self.day, self.exported_on) - timedelta(days=rng.randrange(0, 6))
            ).isoformat(),
            "decided_before_conference": True,
            "record_copy": self.decks.record_copy.deal(),
        }
        if rng.random() < 0.5:
            exclusion["requested_by"] = self.sw["id"]
        if extent == "part":
            exclusion["agenda_items"] = ["a3"]
            if self.held:
                attendance["status"] = "attended_part"
                attendance["present_for"] = ["a1", "a2", "a4"]
            else:
                attendance["status"] = "expected"
        else:
            attendance["status"] = "excluded"
            attendance["invited"] = False
        if rng.random() < 0.7:
            exclusion["how_views_are_heard"] = self.sentence(_HOW_HEARD, adult=adult["name"])
        return [exclusion]

    def decisions(self, others: list[Json]) -> list[Json]:
        rng = self.rng
        out = []
        for child in self.children:
            if not child["subject"]:
                continue
            names = self.child_names(child)
            outcome = self.decks.outcome.deal(_OUTCOMES_BY_KIND[self.kind])
            d: Json = {
                "child": child["id"],
                "outcome": outcome,
                "likely_to_suffer_significant_harm": outcome
                in ("child_protection_plan", "plan_continues"),
            }
            if rng.random() < 0.6:
                d["suffered_significant_harm"] = rng.random() < 0.5
            if outcome in ("child_protection_plan", "plan_continues"):
                d["categories"] = list(
                    dict.fromkeys(self.decks.category.deal() for _ in range(rng.randrange(1, 5)))
                )
            if outcome == "plan_ends":
                allowed = (
                    PLAN_END_REASONS
                    if (self.age(child) or 0) >= 17
                    else tuple(r for r in PLAN_END_REASONS if r != "reached_eighteen")
                )
                d["plan_end_reason"] = self.decks.end_reason.deal(allowed)
            if outcome != "no_further_action" or rng.random() < 0.5:
                d["lead_social_worker"] = self.sw["id"]
            if rng.random() < 0.3 and others:
                d["dissent"] = [
                    {"person": rng.choice(others)["id"], "view": self.sentence(_DISSENT, **names)}
                ]
            if rng.random() < 0.6:
                d["recommendations"] = list(
                    dict.fromkeys(
                        self.sentence(_RECOMMENDATIONS, **names) for _ in range(rng.randrange(1, 3))
                    )
                )
            out.append(d)
        return out

    def record(self, chair: Json, adults: list[Json]) -> Json:
        rng = self.rng
        born = [c for c in self.children if "date_of_birth" in c] or self.children
        names = self.child_names(rng.choice(born))
        parent = adults[0]["name"].split()[0]
        sections = [
            {
                "id": "s1",
                "agenda_item": "a1",
                "heading": "Purpose of the conference",
                "paragraphs": [
                    "Everyone present introduced themselves. The chair explained the role of supporters "
                    "and that the record is confidential."
                ],
            },
            {
                "id": "s2",
                "agenda_item": "a2",
                "heading": "Views of the family",
                "paragraphs": [
                    self.sentence(_FAMILY_VIEWS, parent=parent, **names)
                    for _ in range(rng.randrange(1, 3))
                ],
            },
            {
                "id": "s3",
                "agenda_item": "a3",
                "heading": "Information from agencies and analysis of risk",
                "paragraphs": list(
                    dict.fromkeys(
                        self.sentence(_AGENCY_REPORTS, **names) for _ in range(rng.randrange(1, 4))
                    )
                ),
            },
            {
                "id": "s4",
                "agenda_item": "a4",
                "heading": "Decision and outline plan",
                "paragraphs": [self.sentence(_DECISION_TEXT, **names)],
            },
        ]
        if rng.random() < 0.3:
            sections[2]["visibility"] = {
                "confidential": True,
                "reason": "Ongoing criminal investigation.",
            }
        record: Json = {"status": rng.choice(("signed", "draft")), "sections": sections}
        if record["status"] == "signed":
            record["signed_by"] = chair["id"]
            record["signed_on"] = self.exported_on.isoformat()
        if rng.random() < 0.5:
            record["appended_reports"] = [
                {
                    "id": "r-sw",
                    "author": self.sw["id"],
                    "title": "Social worker's report to the conference",
                }
            ]
        return record

    def plan(
        self, chair: Json, adults: list[Json], others: list[Json], decisions: list[Json]
    ) -> Json | None:
        rng = self.rng
        with_plan = [
            d for d in decisions if d["outcome"] in ("child_protection_plan", "plan_continues")
        ]
        if not with_plan:
            return None
        children = []
        for d in with_plan:
            child = next(c for c in self.children if c["id"] == d["child"])
            names = (
                self.child_names(child)
                if "date_of_birth" in child
                else {"child": "the baby", "pronoun": "they", "pronoun2": "them"}
            )
            outcomes = []
            for text in rng.sample(_OUTCOME_TEXT, rng.randrange(1, 3)):
                actions = []
                for action, frequency in rng.sample(_ACTIONS, rng.randrange(1, 3)):
                    a: Json = {
                        "action": action.format(**names),
                        "responsible": [rng.choice([self.sw, adults[0], *others])["id"]],
                    }
                    if frequency:
                        a["frequency"] = frequency
                    else:
                        a["by_when"] = (
                            self.day + timedelta(days=rng.randrange(14, 60))
                        ).isoformat()
                    actions.append(a)
                outcomes.append({"outcome": text.format(**names), "actions": actions})
            cp: Json = {"child": d["child"], "outcomes": outcomes}
            if rng.random() < 0.6:
                cp["risks"] = [rng.choice(_RISKS)]
            if rng.random() < 0.5:
                cp["services"] = rng.sample(_SERVICES, rng.randrange(1, 3))
            if rng.random() < 0.4:
                cp["assessments"] = [rng.choice(_ASSESSMENTS)]
            children.append(cp)
        plan: Json = {"status": rng.choice(("signed", "signed", "draft")), "children": children}
        if plan["status"] == "signed":
            plan["signed_by"] = chair["id"]
            plan["signed_on"] = self.day.isoformat()
        if rng.random() < 0.75:
            plan["core_group"] = {
                "members": [a["id"] for a in adults[:2]]
                + [self.sw["id"]]
                + [o["id"] for o in others]
            }
            if rng.random() < 0.7:
                plan["core_group"]["first_meeting_date"] = (
                    self.day + timedelta(days=10)
                ).isoformat()
        if rng.random() < 0.75:
            plan["review_conference_date"] = (
                self.day + timedelta(days=rng.choice((91, 182)))
            ).isoformat()
        if rng.random() < 0.6:
            plan["contingency"] = [rng.choice(_CONTINGENCY)]
        return plan

    def distribution(self, chair: Json, adults: list[Json]) -> Json:
        rng = self.rng
        out: Json = {}
        if not self.held:
            return out
        auths = []
        for person in self.people:
            if person["role"] == "solicitor" and rng.random() < 0.8:
                auths.append(
                    {
                        "person": person["id"],
                        "documents": rng.sample(
                            ("decision_letter", "outline_plan", "record"), rng.randrange(1, 4)
                        ),
                        "basis": rng.choice(("parent_consent", "chair_permission")),
                        "on_behalf_of": person["acting_for"],
                        "authorised_by": chair["id"],
                        "authorised_on": self.day.isoformat(),
                        "purpose": "advice to the parent",
                    }
                )
        if auths:
            out["authorisations"] = auths
        copies = []
        for child in self.children:
            age = self.age(child)
            wanted = child["subject"] and child["id"] not in self.ended and rng.random() < 0.8
            if age is not None and 8 <= age <= 17 and wanted:
                copies.append(
                    {
                        "child": child["id"],
                        "documents": ["decision_letter"]
                        if rng.random() < 0.7
                        else ["decision_letter", "outline_plan"],
                        "decided_by": chair["id"],
                    }
                )
        if copies:
            out["child_copies"] = copies
        return out

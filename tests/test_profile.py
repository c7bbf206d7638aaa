"""Procedure profiles: the shipped values against the spec §3 table, local profiles, bad profiles.

spec §3: "The default profile follows 000; a profile named `wirral` follows 002. A local authority
can add its own." Expected values are read off the spec §3 table (and the seed paragraphs it cites),
not off the TOML files.
"""

from __future__ import annotations

import re
import tomllib
from datetime import date
from pathlib import Path

import pytest

from pipeline.errors import ProfileError
from pipeline.procedure.calendar import WorkingCalendar
from pipeline.procedure.profile import Period, Profile, load_profiles
from pipeline.procedure.profile_build import build_profile

WD = "working_days"
DEFAULT_TOML = Path(__file__).resolve().parents[1] / "pipeline/procedure/profiles/default.toml"
DOCS = ("decision_letter", "outline_plan", "record")
CLASSES = (
    "professional",
    "parent_attended",
    "parent_absent",
    "parent_excluded_part",
    "parent_excluded_whole",
    "family_member",
    "child",
)
NOTICES = (
    "invitation_after_export",
    "invitation_before_conference",
    "exclusion_letter_after_decision",
    "plan_ended_notice",
    "cancellation_notice_after_export",
    "amendment_notice",
    "amendment_window",
)
LIMITS = (
    "initial_conference",
    "transfer_in_conference",
    "first_core_group",
    "first_review",
    "later_review",
    "pre_birth_review_after_birth",
    "pre_birth_review_after_conference",
    "pre_birth_gestation_weeks",
    "exclusion_request_before_conference",
    "quorum_other_agencies",
)
# A citation names a seed document's paragraph ("000 §4.14.4", "002 §22.5") or the spec.
CITATION = re.compile(r"\b(000|002) §\d|\bspec §\d")


@pytest.fixture(scope="module")
def shipped() -> dict[str, Profile]:
    return load_profiles()


def write(folder: Path, stem: str, text: str) -> Path:
    path = folder / f"{stem}.toml"
    path.write_text(text, encoding="utf-8")
    return path


# ---- the shipped profiles ------------------------------------------------------------------------


def test_both_shipped_profiles_load(shipped: dict[str, Profile]) -> None:
    assert {"default", "wirral"} <= shipped.keys()
    assert shipped["default"].name == "default"
    assert shipped["wirral"].name == "wirral"
    assert shipped["default"].closure_days == frozenset()


def wd(n: int) -> Period:
    return Period(n, WD)


H24 = Period(24, "hours")

# (profile, recipient class, document, due, via the lead social worker), from the spec §3 table.
COPY_TABLE = [
    # professionals: 1 WD / 1 WD / 20 WD (000 §4.14.13, §4.14.4); 002: 2 / 2 / 10 WD (§23.2, §22.5)
    ("default", "professional", "decision_letter", wd(1), False),
    ("default", "professional", "outline_plan", wd(1), False),
    ("default", "professional", "record", wd(20), False),
    ("wirral", "professional", "decision_letter", wd(2), False),
    # 002 §22.8 (R29; spec §3 revised 2026-12-01): no outline plan on its own to professionals;
    # the draft to the lead social worker by the first core group; the final one in the record
    ("wirral", "professional", "outline_plan", None, False),
    ("wirral", "lead_social_worker", "outline_plan", "first_core_group", False),
    ("wirral", "lead_social_worker", "decision_letter", wd(2), False),
    ("wirral", "lead_social_worker", "record", wd(10), False),
    ("default", "lead_social_worker", "outline_plan", wd(1), False),
    ("wirral", "professional", "record", wd(10), False),
    # parent who attended: within 24 hours / 1 WD / 20 WD via the lead social worker (000 §4.14.5);
    # 002: 2 WD / the draft by post, 2 WD / 15 WD sent directly (§23.2, §22.8, §22.5)
    ("default", "parent_attended", "decision_letter", H24, False),
    ("default", "parent_attended", "outline_plan", wd(1), False),
    ("default", "parent_attended", "record", wd(20), True),
    ("wirral", "parent_attended", "decision_letter", wd(2), False),
    ("wirral", "parent_attended", "outline_plan", wd(2), False),
    ("wirral", "parent_attended", "record", wd(15), False),
    # parent who did not attend: as above, record through the lead social worker
    # (002 §22.9: 15 WD); 002 §22.8 posts the draft plan only to parents who attended
    ("default", "parent_absent", "decision_letter", H24, False),
    ("default", "parent_absent", "outline_plan", wd(1), False),
    ("default", "parent_absent", "record", wd(20), True),
    ("wirral", "parent_absent", "decision_letter", wd(2), False),
    ("wirral", "parent_absent", "outline_plan", None, False),
    ("wirral", "parent_absent", "record", wd(15), True),
    # parent excluded from part / the whole (spec §3 revised 2026-12-01): the decision letter within
    # 24 hours (000 §4.14.5 makes no exception), the plan in 1 WD (000 §4.14.13); 002: the letter
    # in 2 WD (§23.2); the plan posted in 2 WD to one who attended the rest, else in the record only
    ("default", "parent_excluded_part", "decision_letter", H24, False),
    ("default", "parent_excluded_part", "outline_plan", wd(1), False),
    ("wirral", "parent_excluded_part", "decision_letter", wd(2), False),
    ("wirral", "parent_excluded_part", "outline_plan", wd(2), False),
    ("default", "parent_excluded_whole", "decision_letter", H24, False),
    ("default", "parent_excluded_whole", "outline_plan", wd(1), False),
    ("wirral", "parent_excluded_whole", "decision_letter", wd(2), False),
    ("wirral", "parent_excluded_whole", "outline_plan", None, False),
    # family member in their own right: 1 WD / 1 WD; record as to all invited (000 §4.14.4: 20 WD;
    # 002 §22.5: relevant family members within 15 days)
    ("default", "family_member", "decision_letter", wd(1), False),
    ("default", "family_member", "outline_plan", wd(1), False),
    ("default", "family_member", "record", wd(20), False),
    ("wirral", "family_member", "decision_letter", wd(2), False),  # 002 §23.2
    ("wirral", "family_member", "outline_plan", None, False),  # 002 §22.8: in the record only
    ("wirral", "family_member", "record", wd(15), False),
]


@pytest.mark.parametrize(
    ("profile", "recipient", "document", "due", "via"),
    [pytest.param(*row, id=f"{row[0]}-{row[1]}-{row[2]}") for row in COPY_TABLE],
)
def test_copy_rules_follow_the_spec_table(
    shipped: dict[str, Profile],
    profile: str,
    recipient: str,
    document: str,
    due: Period | str | None,
    via: bool,
) -> None:
    rule = shipped[profile].copy_rule(recipient, document)  # type: ignore[arg-type]
    assert rule.due == due
    assert rule.via_lead_social_worker is via


@pytest.mark.parametrize("profile", ["default", "wirral"])
@pytest.mark.parametrize("document", DOCS)
def test_a_childs_copy_always_goes_through_the_lead_social_worker(
    shipped: dict[str, Profile], profile: str, document: str
) -> None:
    # spec §3: child — "only as distribution.child_copies says, through the lead social worker".
    assert shipped[profile].copy_rule("child", document).via_lead_social_worker


@pytest.mark.parametrize("profile", ["default", "wirral"])
def test_notices_and_handover_lead_time(shipped: dict[str, Profile], profile: str) -> None:
    p = shipped[profile]
    # spec §3: a copy through the lead social worker reaches them 5 WD earlier (002 §22.9: 5).
    assert p.handover_lead_time.value == wd(5)
    # spec §3 "Other deadlines": invitation the next working day after the export and at least
    # 5 WD before the conference; exclusion letter the next working day after the decision;
    # plan-ended notice 1 WD; amendment notice 5 WD; amendments within one week of receipt.
    assert p.notice("invitation_after_export").value == wd(1)
    assert p.notice("invitation_before_conference").value == wd(5)
    assert p.notice("exclusion_letter_after_decision").value == wd(1)
    assert p.notice("plan_ended_notice").value == wd(1)
    assert p.notice("amendment_notice").value == wd(5)
    assert p.notice("amendment_window").value == Period(1, "weeks")


@pytest.mark.parametrize("profile", ["default", "wirral"])
def test_timeliness_limits(shipped: dict[str, Profile], profile: str) -> None:
    p = shipped[profile]
    # spec §3: initial conference within 15 WD; transfer-in 15 WD; first core group 10 WD;
    # first review 3 months, then every 6 months; exclusion requests at least 3 WD before;
    # quorum: children's social care and at least two other agencies.
    assert p.limit("initial_conference").value == wd(15)
    assert p.limit("transfer_in_conference").value == wd(15)
    assert p.limit("first_core_group").value == wd(10)
    assert p.limit("first_review").value == Period(3, "months")
    assert p.limit("later_review").value == Period(6, "months")
    assert p.limit("pre_birth_review_after_birth").value == Period(1, "months")
    assert p.limit("exclusion_request_before_conference").value == wd(3)
    assert p.limit("quorum_other_agencies").value == 2


def test_pre_birth_review_differs_between_000_and_002(shipped: dict[str, Profile]) -> None:
    # 000 §4.1.22: within 1 month of the birth or 3 months of the conference, whichever is sooner.
    assert shipped["default"].limit("pre_birth_review_after_conference").value == Period(
        3, "months"
    )
    # 002 §7.13 ties the first review to the birth only.
    assert shipped["wirral"].limit("pre_birth_review_after_conference").value is None


def test_supporter_authorisation_differs_between_000_and_002(shipped: dict[str, Profile]) -> None:
    # 000 §4.14.6: the chair asks the parent whether a supporter gets the record;
    # 002 §22.11: supporters will not receive a copy of the record.
    assert shipped["default"].supporter_record_with_parent_consent.value is True
    assert shipped["wirral"].supporter_record_with_parent_consent.value is False


@pytest.mark.parametrize("profile", ["default", "wirral"])
def test_every_value_cites_its_source(shipped: dict[str, Profile], profile: str) -> None:
    p = shipped[profile]
    sources = {"handover.lead_time": p.handover_lead_time.source}
    sources["authorisations"] = p.supporter_record_with_parent_consent.source
    sources["invitations"] = p.parents_invited_verbally_first.source
    for cls in CLASSES:
        for doc in DOCS:
            sources[f"copies.{cls}.{doc}"] = p.copy_rule(cls, doc).source  # type: ignore[arg-type]
    for key in NOTICES:
        sources[f"notices.{key}"] = p.notice(key).source
    for key in LIMITS:
        sources[f"timeliness.{key}"] = p.limit(key).source
    uncited = {where: s for where, s in sources.items() if not CITATION.search(s or "")}
    assert not uncited


def test_wirrals_own_copy_rules_cite_002(shipped: dict[str, Profile]) -> None:
    # Wherever wirral differs from the default, the value comes from 002 and says so.
    default, wirral = shipped["default"], shipped["wirral"]
    differing = [
        (cls, doc)
        for cls in CLASSES
        for doc in DOCS
        if wirral.copy_rule(cls, doc) != default.copy_rule(cls, doc)  # type: ignore[arg-type]
    ]
    assert ("professional", "record") in differing
    for cls, doc in differing:
        assert "002 §" in wirral.copy_rule(cls, doc).source, (cls, doc)  # type: ignore[arg-type]


# ---- an authority's own profile ------------------------------------------------------------------

LOCAL = """\
extends = "default"
name = "exampleshire"
title = "Exampleshire child protection conference procedure"
closure_days = [2026-12-29, 2026-12-30, 2026-12-31]

[copies.professional]
record = { due = "15 working days", source = "Exampleshire procedure §9.1" }
"""


def test_a_local_profile_extends_the_default(tmp_path: Path, shipped: dict[str, Profile]) -> None:
    write(tmp_path, "exampleshire", LOCAL)
    profiles = load_profiles([tmp_path])
    local, default = profiles["exampleshire"], shipped["default"]
    assert {"default", "wirral", "exampleshire"} <= profiles.keys()
    assert local.title == "Exampleshire child protection conference procedure"
    # the one overridden value, with its own citation
    record = local.copy_rule("professional", "record")
    assert record.due == wd(15)
    assert record.source == "Exampleshire procedure §9.1"
    # TOML dates become closure days
    assert local.closure_days == {date(2026, 12, 29), date(2026, 12, 30), date(2026, 12, 31)}
    # everything else inherited from the default, the sibling rules of the same table included
    assert local.copy_rule("professional", "decision_letter") == default.copy_rule(
        "professional", "decision_letter"
    )
    for cls in CLASSES:
        for doc in DOCS:
            if (cls, doc) != ("professional", "record"):
                assert local.copy_rule(cls, doc) == default.copy_rule(cls, doc)  # type: ignore[arg-type]
    assert dict(local.notices) == dict(default.notices)
    assert dict(local.timeliness) == dict(default.timeliness)
    assert local.handover_lead_time == default.handover_lead_time
    assert (
        local.supporter_record_with_parent_consent == default.supporter_record_with_parent_consent
    )
    assert dict(local.glossary) == dict(default.glossary)
    # and the closure days feed a working calendar: England, Thu 24 Dec 2026 + 1 WD skips
    # Fri 25, Sat 26, Sun 27, Mon 28 (Boxing Day sub.), Tue 29-Thu 31 (closed), Fri 1 Jan,
    # Sat 2, Sun 3 → Mon 4 Jan 2027.
    calendar = WorkingCalendar.for_nation("england", local.closure_days)
    assert calendar.add_working_days(date(2026, 12, 24), 1) == date(2027, 1, 4)


def test_the_shipped_profiles_are_unchanged_by_a_local_one(tmp_path: Path) -> None:
    write(tmp_path, "exampleshire", LOCAL)
    profiles = load_profiles([tmp_path])
    assert profiles["default"].copy_rule("professional", "record").due == wd(20)
    assert profiles["default"].closure_days == frozenset()
    assert profiles["wirral"].copy_rule("professional", "record").due == wd(10)


def test_a_local_profile_can_extend_wirral(tmp_path: Path, shipped: dict[str, Profile]) -> None:
    write(tmp_path, "wirral_local", 'extends = "wirral"\nname = "wirral_local"\ntitle = "W"\n')
    local = load_profiles([tmp_path])["wirral_local"]
    # default → wirral → wirral_local: wirral's 10 WD record and sent-directly parent record win.
    assert local.copy_rule("professional", "record").due == wd(10)
    assert not local.copy_rule("parent_attended", "record").via_lead_social_worker
    assert local.supporter_record_with_parent_consent.value is False
    assert dict(local.copies) == dict(shipped["wirral"].copies)


# ---- bad profiles ---------------------------------------------------------------------------------


def test_file_name_and_name_must_agree(tmp_path: Path) -> None:
    write(tmp_path, "alpha", 'extends = "default"\nname = "beta"\ntitle = "A"\n')
    with pytest.raises(ProfileError, match=r"alpha\.toml.*`name` must be 'alpha'"):
        load_profiles([tmp_path])


def test_a_bad_period_is_refused(tmp_path: Path) -> None:
    write(
        tmp_path,
        "badperiod",
        'extends = "default"\nname = "badperiod"\ntitle = "B"\n'
        "[copies.professional]\n"
        'record = { due = "20 wd", source = "x" }\n',
    )
    with pytest.raises(ProfileError, match=r"badperiod.*copies\.professional\.record.*20 wd"):
        load_profiles([tmp_path])


def test_a_bad_notice_period_is_refused(tmp_path: Path) -> None:
    write(
        tmp_path,
        "badnotice",
        'extends = "default"\nname = "badnotice"\ntitle = "B"\n'
        "[notices]\n"
        'plan_ended_notice = { value = "a day", source = "x" }\n',
    )
    with pytest.raises(ProfileError, match=r"notices\.plan_ended_notice.*'a day'"):
        load_profiles([tmp_path])


def test_a_notice_cannot_be_none(tmp_path: Path) -> None:
    write(
        tmp_path,
        "nonotice",
        'extends = "default"\nname = "nonotice"\ntitle = "N"\n'
        "[notices]\n"
        'amendment_notice = { value = "none", source = "x" }\n',
    )
    with pytest.raises(ProfileError, match=r"notices\.amendment_notice cannot be 'none'"):
        load_profiles([tmp_path])


def test_the_handover_lead_time_must_be_in_working_days(tmp_path: Path) -> None:
    write(
        tmp_path,
        "hourly",
        'extends = "default"\nname = "hourly"\ntitle = "H"\n'
        "[handover]\n"
        'lead_time = { value = "48 hours", source = "x" }\n',
    )
    with pytest.raises(ProfileError, match=r"handover\.lead_time must be in working days"):
        load_profiles([tmp_path])


def test_extending_an_unknown_profile(tmp_path: Path) -> None:
    write(tmp_path, "orphan", 'extends = "nowhere"\nname = "orphan"\ntitle = "O"\n')
    with pytest.raises(ProfileError, match=r"orphan extends 'nowhere', which does not exist"):
        load_profiles([tmp_path])


def test_circular_extends(tmp_path: Path) -> None:
    write(tmp_path, "ping", 'extends = "pong"\nname = "ping"\ntitle = "P"\n')
    write(tmp_path, "pong", 'extends = "ping"\nname = "pong"\ntitle = "Q"\n')
    with pytest.raises(ProfileError, match="circle"):
        load_profiles([tmp_path])


def test_a_profile_extending_itself(tmp_path: Path) -> None:
    write(tmp_path, "selfish", 'extends = "selfish"\nname = "selfish"\ntitle = "S"\n')
    with pytest.raises(ProfileError, match=r"selfish.*circle"):
        load_profiles([tmp_path])


def test_an_unknown_key_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "extra", 'extends = "default"\nname = "extra"\ntitle = "E"\ncolour = "blue"\n')
    with pytest.raises(ProfileError, match=r"extra\.toml.*colour"):
        load_profiles([tmp_path])


def test_an_unknown_key_in_a_copy_rule_is_refused(tmp_path: Path) -> None:
    write(
        tmp_path,
        "typo",
        'extends = "default"\nname = "typo"\ntitle = "T"\n'
        "[copies.professional]\n"
        'record = { due = "15 working days", dew = "x", source = "x" }\n',
    )
    with pytest.raises(ProfileError, match=r"copies\.professional\.record\.dew"):
        load_profiles([tmp_path])


def test_an_unknown_recipient_class_is_refused(tmp_path: Path) -> None:
    write(
        tmp_path,
        "granny",
        'extends = "default"\nname = "granny"\ntitle = "G"\n'
        "[copies.grandparent]\n"
        'record = { due = "15 working days", source = "x" }\n',
    )
    with pytest.raises(ProfileError, match="grandparent"):
        load_profiles([tmp_path])


def test_a_misspelt_notice_is_refused(tmp_path: Path) -> None:
    # The authority meant to raise invitation_before_conference to 10 WD; with the typo the
    # default's 5 WD would silently apply.
    write(
        tmp_path,
        "misspelt",
        'extends = "default"\nname = "misspelt"\ntitle = "M"\n'
        "[notices]\n"
        'invitation_before_conferense = { value = "10 working days", source = "x" }\n',
    )
    with pytest.raises(ProfileError, match="invitation_before_conferense"):
        load_profiles([tmp_path])


def test_closure_days_must_be_toml_dates(tmp_path: Path) -> None:
    write(
        tmp_path,
        "quoted",
        'extends = "default"\nname = "quoted"\ntitle = "Q"\nclosure_days = ["2026-12-29"]\n',
    )
    with pytest.raises(ProfileError, match=r"closure_days"):
        load_profiles([tmp_path])


def test_a_profile_that_is_not_toml(tmp_path: Path) -> None:
    write(tmp_path, "broken", 'name = "broken\n')
    with pytest.raises(ProfileError, match=r"cannot read profile .*broken\.toml"):
        load_profiles([tmp_path])


def test_a_profile_without_extends_must_be_complete(tmp_path: Path) -> None:
    write(tmp_path, "bare", 'name = "bare"\ntitle = "B"\n')
    with pytest.raises(ProfileError, match=r"bare\.toml.*copies"):
        load_profiles([tmp_path])


def test_a_folder_that_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder"
    with pytest.raises(ProfileError, match=r"no-such-folder does not exist"):
        load_profiles([missing])


# ---- Period ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 working day", Period(1, WD)),
        ("20 working days", Period(20, WD)),
        ("  5 working days  ", Period(5, WD)),
        ("24 hours", Period(24, "hours")),
        ("1 hour", Period(1, "hours")),
        ("3 months", Period(3, "months")),
        ("1 month", Period(1, "months")),
        ("1 week", Period(1, "weeks")),
        ("2 weeks", Period(2, "weeks")),
        ("0 working days", Period(0, WD)),
    ],
)
def test_period_parse(text: str, expected: Period) -> None:
    assert Period.parse(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "20 wd",
        "",
        "working days",
        "twenty working days",
        "-1 working day",
        "1.5 working days",
        "1 day",
        "5 days",
        "20working days",
        "20 working days later",
        "3 years",
    ],
)
def test_period_parse_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="is not a period"):
        Period.parse(text)


@pytest.mark.parametrize(
    ("period", "text"),
    [
        (Period(1, WD), "1 working day"),
        (Period(20, WD), "20 working days"),
        (Period(0, WD), "0 working days"),
        (Period(24, "hours"), "24 hours"),
        (Period(1, "hours"), "1 hour"),
        (Period(1, "months"), "1 month"),
        (Period(3, "months"), "3 months"),
        (Period(1, "weeks"), "1 week"),
        (Period(2, "weeks"), "2 weeks"),
    ],
)
def test_period_str_reads_back(period: Period, text: str) -> None:
    assert str(period) == text
    assert Period.parse(str(period)) == period


def test_period_after_and_before() -> None:
    england = WorkingCalendar.for_nation("england")
    # Mon 14 Dec 2026 + 20 WD in England → Thu 14 Jan 2027 (counted in test_calendar.py).
    assert Period(20, WD).after(date(2026, 12, 14), england) == date(2027, 1, 14)
    # 30 Nov 2026 + 3 months → 28 Feb 2027 (no 30 Feb).
    assert Period(3, "months").after(date(2026, 11, 30), england) == date(2027, 2, 28)
    # Thu 24 Dec 2026 + 1 week → Thu 31 Dec 2026 (calendar days).
    assert Period(1, "weeks").after(date(2026, 12, 24), england) == date(2026, 12, 31)
    # Thu 24 Dec 2026 + 24 hours → Fri 25 Dec (hours ignore bank holidays).
    assert Period(24, "hours").after(date(2026, 12, 24), england) == date(2026, 12, 25)
    assert Period(20, WD).moment_after(date(2026, 12, 14), None) is None
    # Back: Thu 14 Jan 2027 - 5 WD → Thu 7 Jan 2027; 31 Mar 2027 - 1 month → 28 Feb 2027.
    assert Period(5, WD).before(date(2027, 1, 14), england) == date(2027, 1, 7)
    assert Period(1, "months").before(date(2027, 3, 31), england) == date(2027, 2, 28)
    with pytest.raises(ValueError, match="hours"):
        Period(24, "hours").before(date(2026, 12, 25), england)


def test_a_misspelt_timeliness_limit_is_refused(tmp_path: Path) -> None:
    write(
        tmp_path,
        "misspelt",
        'extends = "default"\nname = "misspelt"\ntitle = "M"\n'
        "[timeliness]\n"
        'first_reveiw = { value = "2 months", source = "x" }\n',
    )
    with pytest.raises(ProfileError, match="first_reveiw"):
        load_profiles([tmp_path])


def test_a_boolean_is_not_a_quorum_number(tmp_path: Path) -> None:
    write(
        tmp_path,
        "boolq",
        'extends = "default"\nname = "boolq"\ntitle = "B"\n'
        "[timeliness]\n"
        'quorum_other_agencies = { value = true, source = "x" }\n',
    )
    with pytest.raises(ProfileError, match="quorum_other_agencies"):
        load_profiles([tmp_path])


def test_a_citation_cannot_change_without_its_value(tmp_path: Path) -> None:
    # A leaf replaces the inherited one whole: a rule with a new source must restate its deadline.
    write(
        tmp_path,
        "cite",
        'extends = "default"\nname = "cite"\ntitle = "C"\n'
        "[copies.professional.record]\n"
        'source = "only a new citation"\n',
    )
    with pytest.raises(ProfileError, match="due"):
        load_profiles([tmp_path])


@pytest.mark.parametrize(
    ("table", "line", "message"),
    [
        # found in review: each loaded, then crashed `cpc plan` half-way
        ("timeliness", 'initial_conference = { value = "none", source = "x" }', "cannot be 'none'"),
        ("timeliness", 'first_review = { value = "13 weeks", source = "x" }', "counted in months"),
        (
            "notices",
            'invitation_before_conference = { value = "72 hours", source = "x" }',
            "working days",
        ),
    ],
)
def test_a_value_in_the_wrong_unit_is_refused_when_loaded(
    tmp_path: Path, table: str, line: str, message: str
) -> None:
    write(
        tmp_path, "units", f'extends = "default"\nname = "units"\ntitle = "U"\n[{table}]\n{line}\n'
    )
    with pytest.raises(ProfileError, match=message):
        load_profiles([tmp_path])


# ---- bank-holiday changes (issue 11) --------------------------------------------------------------


def test_a_profile_adds_and_removes_bank_holidays_with_sources(tmp_path: Path) -> None:
    write(
        tmp_path,
        "scotshire",
        'extends = "default"\nname = "scotshire"\ntitle = "S"\n'
        "[bank_holidays]\n"
        'add = [{ date = 2026-06-15, name = "World Cup final", source = "announced (example)" }]\n'
        'remove = [{ date = 2026-11-30, source = "example: open on St Andrew\'s Day" }]\n',
    )
    profile = load_profiles([tmp_path])["scotshire"]
    calendar = profile.working_calendar("scotland")
    # Monday 15 June 2026 is added; Monday 30 November 2026 (St Andrew's Day) is removed.
    assert not calendar.is_working_day(date(2026, 6, 15))
    assert calendar.is_working_day(date(2026, 11, 30))
    assert {c.source for c in profile.bank_holiday_changes} == {
        "announced (example)",
        "example: open on St Andrew's Day",
    }
    # The shipped profiles change no bank holiday: the feed is used as it is.
    assert load_profiles()["default"].bank_holiday_changes == ()


def test_a_bank_holiday_change_needs_a_source(tmp_path: Path) -> None:
    write(
        tmp_path,
        "nosource",
        'extends = "default"\nname = "nosource"\ntitle = "N"\n'
        '[bank_holidays]\nadd = [{ date = 2026-06-15, name = "X" }]\n',
    )
    with pytest.raises(ProfileError, match="source"):
        load_profiles([tmp_path])


def test_a_day_both_added_and_removed_is_refused(tmp_path: Path) -> None:
    write(
        tmp_path,
        "both",
        'extends = "default"\nname = "both"\ntitle = "B"\n[bank_holidays]\n'
        'add = [{ date = 2026-06-15, name = "X", source = "s" }]\n'
        'remove = [{ date = 2026-06-15, source = "s" }]\n',
    )
    with pytest.raises(ProfileError, match="2026-06-15"):
        load_profiles([tmp_path])


def test_wirral_posts_the_draft_plan_to_parents_who_attended(shipped: dict[str, Profile]) -> None:
    # 002 §22.8: "posted to parents who attended the conference"; one excluded from part is sent it
    # only if they attended the rest.
    wirral = shipped["wirral"]
    attended = wirral.copy_rule("parent_attended", "outline_plan")
    part = wirral.copy_rule("parent_excluded_part", "outline_plan")
    assert (attended.channel, attended.attended_only) == ("post", False)
    assert (part.channel, part.attended_only) == ("post", True)
    assert "002 §22.8" in attended.source and "002 §22.8" in part.source
    # the default (000 §4.14.13) names no channel and sends to everyone
    assert shipped["default"].copy_rule("parent_attended", "outline_plan").channel is None


def test_a_copy_rule_that_is_not_sent_says_why(shipped: dict[str, Profile]) -> None:
    for cls in ("professional", "parent_absent", "parent_excluded_whole", "family_member"):
        rule = shipped["wirral"].copy_rule(cls, "outline_plan")  # type: ignore[arg-type]
        assert not rule.sent and "002 §22.8" in rule.source, cls


def test_r21_only_002_invites_parents_verbally_first(shipped: dict[str, Profile]) -> None:
    # 002 §8.2: "conveyed verbally by the Social Worker and confirmed in writing"; 000 has no such step
    assert shipped["wirral"].parents_invited_verbally_first.value is True
    assert "002 §8.2" in shipped["wirral"].parents_invited_verbally_first.source
    assert shipped["default"].parents_invited_verbally_first.value is False


@pytest.mark.parametrize("profile", ["default", "wirral"])
def test_the_language_settings_default_to_send_and_task_with_their_sources(
    shipped: dict[str, Profile], profile: str
) -> None:
    """000 §4.14.9; R81, R82: a reader of another language's copy goes, with a task raised."""
    language = shipped[profile].language
    assert (language.document_language, language.language_copy) == ("en", "send_and_task")
    assert "000 §4.14.9" in language.language_copy_source
    assert "{contact}" in language.help_lines["en"] and "R81" in language.help_source


def test_an_authoritys_language_help_replaces_the_whole_table(tmp_path: Path) -> None:
    """Its own English comes with its own Polish: a table with a source is one value."""
    write(
        tmp_path,
        "polish_words",
        'extends = "default"\nname = "polish_words"\ntitle = "P"\n'
        '[language]\nlanguage_copy = { value = "wait", source = "local policy" }\n'
        '[language_help]\nsource = "local leaflet"\nen = "Help: {contact}."\npl = "Pomoc: {contact}."\n',
    )
    language = load_profiles([tmp_path])["polish_words"].language
    assert language.help_lines == {"en": "Help: {contact}.", "pl": "Pomoc: {contact}."}
    assert (language.language_copy, language.language_copy_source) == ("wait", "local policy")
    assert language.document_language == "en"  # not restated: the default's


def test_a_language_setting_without_its_source_is_refused(tmp_path: Path) -> None:
    write(
        tmp_path,
        "nosource",
        'extends = "default"\nname = "nosource"\ntitle = "N"\n'
        '[language]\nlanguage_copy = { value = "wait" }\n',
    )
    with pytest.raises(ProfileError, match=r"language\.language_copy"):
        load_profiles([tmp_path])


# ---- [terms] and the glossary's source (issue 16 part 2; 003 §2, §4; R79) -------------------------

# The words issue 16 names as reaching families unexplained, and those its letters use.
ISSUE_TERMS = ("child in need plan", "section 47", "core group", "significant harm", "category")


@pytest.mark.parametrize("profile", ["default", "wirral"])
def test_the_terms_a_family_meets_are_explained_with_their_sources(
    shipped: dict[str, Profile], profile: str
) -> None:
    terms = shipped[profile].terms
    for term in ISSUE_TERMS:
        assert term in terms, term
    # Each meaning is a plain sentence, and each cites the law, Working Together or a paragraph.
    for term, entry in terms.items():
        assert entry.value.endswith("."), term
        assert re.search(r"Children Act 1989 s\.\d|Working Together|\b000 §\d", entry.source), term
    assert "s.47" in terms["section 47"].source and "s.17" in terms["child in need plan"].source
    assert "§4.9.5" in terms["category"].source  # 000's paragraph on the categories
    assert "§4.8.2" in terms["core group"].source  # 000's paragraph on the core group
    assert "003 §2" in shipped[profile].glossary_source
    assert "source" not in shipped[profile].glossary  # the citation is not an acronym


def test_a_term_without_a_source_is_refused_naming_the_term(tmp_path: Path) -> None:
    write(
        tmp_path,
        "badterm",
        'extends = "default"\nname = "badterm"\ntitle = "B"\n'
        '[terms]\n"family group conference" = { meaning = "A family meeting." }\n',
    )
    with pytest.raises(ProfileError, match=r"badterm.*terms\.family group conference.*source"):
        load_profiles([tmp_path])


def test_a_misspelt_key_in_a_term_is_refused(tmp_path: Path) -> None:
    write(
        tmp_path,
        "typoterm",
        'extends = "default"\nname = "typoterm"\ntitle = "T"\n'
        '[terms]\n"respite" = { meanin = "A short break.", source = "x" }\n',
    )
    with pytest.raises(ProfileError, match=r"typoterm.*terms\.respite\.meanin"):
        load_profiles([tmp_path])


@pytest.mark.parametrize(
    ("term", "meaning", "problem"),
    [
        # Matched in any case, so written in one spelling: lower case.
        ("Core Group", "A group.", "a term is written in lower case"),
        ("respite", "  ", "meaning is empty"),
    ],
)
def test_a_bad_term_is_refused_saying_what_is_wrong(
    tmp_path: Path, term: str, meaning: str, problem: str
) -> None:
    write(
        tmp_path,
        "badterm2",
        'extends = "default"\nname = "badterm2"\ntitle = "T"\n'
        f'[terms]\n"{term}" = {{ meaning = "{meaning}", source = "000 §4.8.2" }}\n',
    )
    with pytest.raises(ProfileError, match=rf"badterm2\.toml: terms\.'{term}': {problem}"):
        load_profiles([tmp_path])


def test_a_local_profile_adds_a_term_and_keeps_the_defaults(
    tmp_path: Path, shipped: dict[str, Profile]
) -> None:
    write(
        tmp_path,
        "termshire",
        'extends = "default"\nname = "termshire"\ntitle = "T"\n'
        '[terms]\n"family group conference" = { meaning = "A meeting of the wider family.", '
        'source = "Termshire procedure §3" }\n',
    )
    local = load_profiles([tmp_path])["termshire"]
    assert local.terms["family group conference"].source == "Termshire procedure §3"
    assert local.terms["core group"] == shipped["default"].terms["core group"]


def test_a_glossary_with_an_empty_source_is_refused() -> None:
    raw = tomllib.loads(DEFAULT_TOML.read_text(encoding="utf-8"))
    raw["glossary"]["source"] = "  "
    with pytest.raises(ProfileError, match=r"profile here: glossary\.source is empty"):
        build_profile(raw, "here")


def test_a_local_profile_adds_an_acronym_under_the_glossarys_source(tmp_path: Path) -> None:
    write(
        tmp_path,
        "lacshire",
        'extends = "default"\nname = "lacshire"\ntitle = "L"\n[glossary]\nLAC = "looked after child"\n',
    )
    local = load_profiles([tmp_path])["lacshire"]
    assert (
        local.glossary["LAC"] == "looked after child" and local.glossary["CIN"] == "child in need"
    )
    assert local.glossary_source.startswith("003 §2")


def test_welsh_templates_name_only_document_kinds(tmp_path: Path) -> None:
    # R81: a misspelt kind would quietly post English to a Welsh speaker.
    from typing import get_args

    from pipeline.planning.documents import DocumentKind
    from pipeline.procedure.profile_language import LETTER_KINDS

    assert set(LETTER_KINDS) == set(get_args(DocumentKind))
    write(
        tmp_path,
        "cymru",
        'extends = "default"\nname = "cymru"\ntitle = "C"\n[language]\n'
        'welsh_templates = { value = ["decision_leter"], source = "x" }\n',
    )
    with pytest.raises(ProfileError, match=r"welsh_templates names 'decision_leter'"):
        load_profiles([tmp_path])


def test_a_standalone_profile_without_a_glossary_source_still_loads(tmp_path: Path) -> None:
    raw = tomllib.loads(DEFAULT_TOML.read_text(encoding="utf-8"))
    del raw["glossary"]["source"]
    assert build_profile(raw, "here").glossary["CIN"] == "child in need"

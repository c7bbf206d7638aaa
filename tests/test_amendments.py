"""Amendments as data: made to the record in the order agreed, checked against a reader's copy, and sent only to holders of a changed section (spec §5; 000 §4.14.4; 002 §22.6-22.7; R60, R61)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from pipeline.contract.export import Export
from pipeline.contract.load import load_export
from pipeline.planning.amendments import (
    AmendmentInput,
    amendment_copy_key,
    apply_amendments,
    conference_copies,
    ordered_agreed,
    request_problems,
    window_end,
)
from pipeline.planning.plan import copy_key
from pipeline.planning.recipients import plan_distribution
from pipeline.procedure.calendar import WorkingCalendar
from pipeline.procedure.profile import Profile
from tests.conftest import amendment_document, example


@pytest.fixture(scope="module")
def dv(profiles: dict[str, Profile]) -> tuple[Export, Profile, WorkingCalendar]:
    export = load_export(json.dumps(example("initial-domestic-abuse")).encode(), profiles.keys())
    profile = profiles["default"]
    return export, profile, WorkingCalendar.for_nation(export.authority.nation)


amendment = amendment_document


def change(section: str, replace: str, with_: str) -> list[dict[str, str]]:
    return [{"section": section, "kind": "factual_correction", "replace": replace, "with": with_}]


def s4_text(export: Export) -> str:
    assert export.record is not None
    return " ".join(next(s for s in export.record.sections if s.id == "s4").paragraphs)


def test_an_agreed_amendment_replaces_the_text_in_its_section(dv, profiles) -> None:  # type: ignore[no-untyped-def]
    export, _, _ = dv
    made = apply_amendments(export, [amendment(profiles)])
    assert made.applied == ("AMD-0412-01",)
    assert "fell to 86% this term" in s4_text(made.export)
    assert "fell to 81%" not in s4_text(made.export)
    assert "fell to 81%" in s4_text(export)  # the input is never changed


def test_amendments_apply_in_the_order_the_chair_agreed_them(dv, profiles) -> None:  # type: ignore[no-untyped-def]
    export, _, _ = dv
    first = amendment(profiles, decision={"status": "agreed", "by": "p-chair", "on": "2026-12-04"})
    second = amendment(
        profiles,
        amendment_id="AMD-2",
        received_on="2026-12-04",
        changes=change("s4", "86% this term", "86% this autumn term"),
        decision={"status": "agreed", "by": "p-chair", "on": "2026-12-07"},
    )
    # Arrival order is second first; agreement order decides.
    ordered = ordered_agreed([(1, second), (2, first)])
    assert [a.amendment_id for a in ordered] == ["AMD-0412-01", "AMD-2"]
    made = apply_amendments(export, ordered)
    assert made.applied == ("AMD-0412-01", "AMD-2")
    assert "fell to 86% this autumn term" in s4_text(made.export)


def test_an_amendment_whose_text_has_gone_is_not_made_and_says_why(dv, profiles) -> None:  # type: ignore[no-untyped-def]
    export, _, _ = dv
    gone = amendment(profiles, changes=change("s4", "no such words", "x"))
    made = apply_amendments(export, [gone])
    assert made.applied == ()
    assert made.failed == (("AMD-0412-01", "the text to replace is no longer in section s4"),)


def test_a_change_already_in_a_later_export_is_not_made_twice(dv, profiles) -> None:  # type: ignore[no-untyped-def]
    export, _, _ = dv
    once = apply_amendments(export, [amendment(profiles)]).export
    twice = apply_amendments(once, [amendment(profiles)])
    assert twice.applied == ("AMD-0412-01",)
    assert s4_text(twice.export) == s4_text(once)


def test_whitespace_in_the_request_does_not_matter(dv, profiles) -> None:  # type: ignore[no-untyped-def]
    export, _, _ = dv
    spaced = amendment(profiles, changes=change("s4", "Ella's  attendance\nfell to 81%", "x"))
    assert apply_amendments(export, [spaced]).applied == ("AMD-0412-01",)


def test_a_request_is_checked_against_the_readers_copy(dv, profiles) -> None:  # type: ignore[no-untyped-def]
    """The father's record holds only the items he attended (spec §4 rule 3)."""
    export, profile, calendar = dv
    plan = plan_distribution(export, profile, calendar)
    father = next(c for c in plan.copies if c.recipient == "p-father" and c.document == "record")
    school = next(c for c in plan.copies if c.recipient == "p-school" and c.document == "record")
    request = amendment(profiles)
    assert request_problems(export, school, request) == []
    (problem,) = request_problems(export, father, request)
    assert problem.startswith("changes[0].section: s4 is not a section of the record")


def test_the_window_is_a_week_from_receipt(dv) -> None:  # type: ignore[no-untyped-def]
    _, profile, calendar = dv
    assert window_end(date(2026, 11, 24), profile, calendar) == date(2026, 12, 1)


def test_notices_go_to_holders_of_a_changed_section_only(dv, profiles) -> None:  # type: ignore[no-untyped-def]
    export, profile, calendar = dv
    plan = plan_distribution(export, profile, calendar)
    holders = {copy_key(c): frozenset() for c in plan.copies if c.document == "record"}
    copies = conference_copies(
        export,
        profile,
        calendar,
        lambda e: plan_distribution(e, profile, calendar),
        [AmendmentInput(1, amendment(profiles), "p-school/record")],
        holders,
    )
    notices = sorted(k.split("/")[0] for k in copies.copies if "/amendment_notice" in k)
    assert "p-father" not in notices
    assert {"p-mother", "p-gran", "p-mother-sol", "p-school", "p-police"} <= set(notices)
    notice = copies.copies["p-mother/amendment_notice-AMD-0412-01"]
    # 5 working days after the chair agreed on Friday 4 December (spec §3, a profile value).
    assert notice.due == date(2026, 12, 11)
    assert notice.via == "p-sw"
    # A holder whose copy already carried the amendment gets no notice.
    included = dict(holders) | {"p-police/record": frozenset({"AMD-0412-01"})}
    again = conference_copies(
        export, profile, calendar, lambda e: plan_distribution(e, profile, calendar),
        [AmendmentInput(1, amendment(profiles), "p-school/record")], included,
    )  # fmt: skip
    assert "p-police/amendment_notice-AMD-0412-01" not in again.copies


def test_pending_amendments_change_nothing(dv, profiles) -> None:  # type: ignore[no-untyped-def]
    export, profile, calendar = dv
    request = amendment(profiles, decision={"status": "pending"})
    copies = conference_copies(
        export, profile, calendar, lambda e: plan_distribution(e, profile, calendar),
        [AmendmentInput(1, request, "p-school/record")], {"p-school/record": frozenset()},
    )  # fmt: skip
    assert copies.applied == ()
    assert not any("amendment" in key for key in copies.copies)


@pytest.mark.parametrize(
    ("record_key", "expected"),
    [
        ("p-gp/record", "p-gp/amendment_notice-A-1"),
        ("p-sol/record-for-p-mum", "p-sol/amendment_notice-A-1-for-p-mum"),
        # an id the contract allows but a file name should not carry
        ("p-gp/record", "p-gp/amendment_notice-id-"),
        ("p-mum/record-large-print", "p-mum/amendment_notice-A-1-large-print"),
    ],
)
def test_notice_keys_follow_the_record_copy(record_key: str, expected: str) -> None:
    amendment_id = "A-1" if not expected.endswith("id-") else "A..B"
    assert amendment_copy_key(record_key, "amendment_notice", amendment_id).startswith(expected)


def test_a_request_whose_new_text_is_already_there_changes_nothing(dv, profiles) -> None:  # type: ignore[no-untyped-def]
    export, profile, calendar = dv
    plan = plan_distribution(export, profile, calendar)
    school = next(c for c in plan.copies if c.recipient == "p-school" and c.document == "record")
    insertion = amendment(
        profiles, changes=change("s4", "fell to 81% this term", "fell to 81% this term, then rose")
    )
    assert request_problems(export, school, insertion) == []
    once = apply_amendments(export, [insertion]).export
    # A later export that already carries it: not made twice.
    assert s4_text(apply_amendments(once, [insertion]).export) == s4_text(once)
    (problem,) = request_problems(once, school, insertion)
    assert "already reads as this change would leave it" in problem


def test_new_text_that_also_stands_elsewhere_does_not_make_a_change_look_made(dv, profiles) -> None:  # type: ignore[no-untyped-def]
    """The police correct a year; the new year also appears elsewhere in the section."""
    export, profile, calendar = dv
    plan = plan_distribution(export, profile, calendar)
    police = next(c for c in plan.copies if c.recipient == "p-police" and c.document == "record")
    correction = amendment(
        profiles,
        requested_by="p-police",
        changes=change("s3", "recorded in 2025", "recorded in 2026"),
    )
    assert request_problems(export, police, correction) == []
    made = apply_amendments(export, [correction])
    assert made.applied == ("AMD-0412-01",)
    s3 = " ".join(next(s for s in made.export.record.sections if s.id == "s3").paragraphs)  # type: ignore[union-attr]
    assert "recorded in 2026" in s3 and "recorded in 2025" not in s3


def test_two_authorisations_for_one_holder_and_principal_keep_one_copy_whatever_the_order(
    profiles: dict[str, Profile],
) -> None:
    data = example("initial-domestic-abuse")
    first = data["distribution"]["authorisations"][0]
    second = first | {
        "basis": "court_order",
        "authorised_on": "2026-11-20",
        "purpose": "care proceedings",
    }
    orders = []
    for ordering in ([first, second], [second, first]):
        data["distribution"]["authorisations"] = ordering
        export = load_export(json.dumps(data).encode(), profiles.keys())
        profile = profiles["default"]
        calendar = WorkingCalendar.for_nation(export.authority.nation)
        copies = conference_copies(
            export,
            profile,
            calendar,
            lambda e, p=profile, c=calendar: plan_distribution(e, p, c),
            [],
            {},
        )
        chosen = copies.copies["p-mother-sol/record-for-p-mother"]
        orders.append(export.distribution.authorisations[chosen.authorisation].authorised_on)  # type: ignore[index]
    assert orders == [date(2026, 11, 20), date(2026, 11, 20)]


def test_an_id_the_contract_allows_but_a_file_name_should_not_carry_is_hashed() -> None:
    from pipeline.planning.plan import name_part

    assert name_part("p-mother") == "p-mother"
    assert name_part("p..mother").startswith("id-") and ".." not in name_part("p..mother")
    assert len(name_part("x" * 64)) < 24

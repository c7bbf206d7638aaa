"""What the service does with a copy, given what was sent and what the chair decided (issue 4; spec §1, §4 rule 7, §5)."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.planning.copy_state import (
    Decision,
    LastDelivery,
    copy_state,
    edition_lines,
    working_days_late,
)
from pipeline.procedure.calendar import WorkingCalendar

SENT = LastDelivery("fp-old", date(2026, 12, 2), "sent")


def state(document: str = "decision_letter", **changes: object):  # type: ignore[no-untyped-def]
    arguments: dict[str, object] = {
        "document": document,
        "plan_status": "ready",
        "plan_reason": None,
        "fingerprint": "fp-new",
        "last": None,
        "decisions": (),
        "render_hold": None,
    }
    arguments.update(changes)
    return copy_state(**arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        # never sent, ready: goes
        ({}, ("ready", False)),
        # sent with the same content: never sent again (spec §1)
        ({"last": LastDelivery("fp-new", date(2026, 12, 2), "sent")}, ("delivered", False)),
        # a run was killed mid-delivery: the next run finishes it, nothing new is begun
        ({"last": LastDelivery("fp-new", None, "pending")}, ("sending", False)),
        # the plan holds it (free text names a withheld address, spec §4 rule 4)
        ({"plan_status": "held", "plan_reason": "r"}, ("held", False)),
        # unsigned record: waits
        ({"plan_status": "waiting", "plan_reason": "unsigned"}, ("waiting", False)),
        # waiting again after it went out once: it is not unsent
        ({"plan_status": "waiting", "last": SENT}, ("delivered", False)),
        # withdrawn by the chair: never goes, whatever else is true
        ({"decisions": (Decision("withdrawn", None),)}, ("withdrawn", False)),
    ],
)
def test_copy_state_table(changes: dict[str, object], expected: tuple[str, bool]) -> None:
    result = state(**changes)
    assert (result.status, result.reissue) == expected


def test_a_changed_invitation_is_reissued_as_an_updated_invitation() -> None:
    """Issue 4; spec §1: a re-exported scheduled conference sends an updated invitation."""
    result = state("invitation", last=SENT)
    assert (result.status, result.reissue) == ("ready", True)


def test_another_changed_document_already_sent_is_held_for_the_chair() -> None:
    result = state("decision_letter", last=SENT)
    assert result.status == "held"
    assert result.hold_kind == "changed_after_sent"
    assert "2026-12-02" in (result.reason or "")


def test_the_chairs_release_of_that_content_sends_it_as_an_updated_copy() -> None:
    released = state(
        "decision_letter",
        last=SENT,
        decisions=(Decision("released", "fp-new", "changed_after_sent"),),
    )
    assert (released.status, released.reissue) == ("ready", True)
    # A release is of the content the chair saw; other content is held again.
    stale = state(
        "decision_letter",
        last=SENT,
        decisions=(Decision("released", "fp-older", "changed_after_sent"),),
    )
    assert stale.status == "held"


def test_a_changed_record_already_sent_needs_an_amendment_not_a_release() -> None:
    """Spec §5: a new revision that changes a record already sent is held; release does not apply."""
    result = state("record", last=SENT, decisions=(Decision("released", "fp-new"),))
    assert (result.status, result.hold_kind) == ("held", "changed_record")


def test_a_render_hold_stays_until_released_or_the_content_changes() -> None:
    hold = ("short_items", "too short", "fp-new")
    assert state(render_hold=hold).status == "held"
    released = state(render_hold=hold, decisions=(Decision("released", "fp-new", "short_items"),))
    assert (released.status, released.checked_by_person) == ("ready", True)
    # A new revision changed the content: the renderer looks again.
    assert state(render_hold=("short_items", "too short", "fp-old")).status == "ready"


def test_a_leak_hold_cannot_be_released() -> None:
    """Spec §4 rule 4: withheld contact details never reach the listed people."""
    hold = ("leak", "found", "fp-new")
    assert (
        state(render_hold=hold, decisions=(Decision("released", "fp-new", "leak"),)).status
        == "held"
    )


def test_edition_lines_say_what_an_updated_copy_replaces_and_which_revision_it_is() -> None:
    (line,) = edition_lines("invitation", True, date(2026, 12, 2), 3)
    assert "replaces the invitation sent on 2 December 2026" in line
    assert "made from revision 3 of the conference details" in line
    (line,) = edition_lines("decision_letter", True, date(2026, 12, 1), 4)
    assert line == (
        "Updated copy: this replaces the copy sent on 1 December 2026. "
        "It is made from revision 4 of the conference record."
    )
    assert edition_lines("invitation", False, date(2026, 12, 2), 3) == ()


def test_a_release_answers_only_the_hold_it_was_given_for() -> None:
    """A release of a changed copy is not a person's check of short withheld items."""
    hold = ("short_items", "too short", "fp-new")
    other = (Decision("released", "fp-new", "changed_after_sent"),)
    assert state(last=SENT, render_hold=hold, decisions=other).status == "held"
    checked = (Decision("released", "fp-new", "short_items"),)
    result = state("invitation", last=SENT, render_hold=hold, decisions=checked)
    assert (result.status, result.reissue, result.checked_by_person) == ("ready", True, True)


# ---- issue 10: how late a copy left ---------------------------------------------------------------

ENGLAND = WorkingCalendar.for_nation("england")


@pytest.mark.parametrize(
    ("due", "sent_on", "late_by"),
    [
        (date(2026, 11, 24), date(2026, 11, 24), None),  # on its due date: on time
        (date(2026, 11, 24), date(2026, 11, 23), None),  # early
        (date(2026, 11, 24), date(2026, 11, 26), 2),  # Tuesday due, Thursday sent
        (date(2026, 11, 27), date(2026, 11, 30), 1),  # Friday due, Monday sent: one working day
        (date(2026, 11, 27), date(2026, 11, 28), 1),  # Friday due, Saturday: still one
        # Thursday 24 December due, Tuesday 29th sent: Christmas Day, the weekend and Boxing Day
        # (Saturday, so the bank holiday is Monday 28th) are not working days, so one.
        (date(2026, 12, 24), date(2026, 12, 29), 1),
    ],
)
def test_lateness_is_counted_in_working_days(due: date, sent_on: date, late_by: int | None) -> None:
    assert working_days_late(ENGLAND, due, sent_on) == late_by

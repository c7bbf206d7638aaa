"""A planned copy, what was last delivered of it and the chair's decisions → what the service does with it now.

Pure: the store reads the rows, this decides. Spec §1: a copy already delivered is
never sent again unless its content changed; a changed invitation goes out again as an updated
invitation; any other changed document already sent is held for the chair, and a changed record
needs an agreed amendment (spec §5), so the chair cannot simply release it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from pipeline.planning.plan import HoldKind
from pipeline.procedure.calendar import WorkingCalendar

CopyStatus = Literal["ready", "waiting", "held", "delivered", "withdrawn", "sending", "failed"]
DecisionKind = Literal["released", "withdrawn"]
DeliveryState = Literal["pending", "sent", "failed"]  # failed: refused for good
AmendmentStatus = Literal["pending", "agreed", "rejected"]

# Holds the chair may release. A copy held because its bytes or free text would show something
# withheld from the reader cannot be: spec §4 rule 4 says withheld contact details never reach
# the listed people, so the remedy is a corrected export (a new revision) or withdrawing the copy.
RELEASABLE = frozenset({"short_items", "changed_after_sent"})
# A report pack is sent again when a new revision adds or changes a report (000 §4.7.7; 002
# §15.4: the family reads every report before the conference), as an updated copy.
REISSUED_WHEN_CHANGED = frozenset({"invitation", "report_pack"})


@dataclass(frozen=True, slots=True)
class LastDelivery:
    fingerprint: str
    sent_on: date | None
    state: str  # pending | sent


@dataclass(frozen=True, slots=True)
class RefusedDelivery:
    """The copy's latest delivery, refused for good (an SMTP 5xx): nothing of it was sent."""

    revision: int
    channel: str
    error: str


@dataclass(frozen=True, slots=True)
class Decision:
    decision: DecisionKind
    fingerprint: str | None
    hold_kind: str | None = None  # the hold a release answers


@dataclass(frozen=True, slots=True)
class CopyState:
    status: CopyStatus
    reason: str | None
    hold_kind: str | None
    reissue: bool  # sent before: this one goes out as an updated copy
    checked_by_person: bool  # released after a person checked what the leak check could not


def copy_state(
    *,
    document: str,
    plan_status: str,
    plan_reason: str | None,
    fingerprint: str | None,
    last: LastDelivery | None,
    decisions: tuple[Decision, ...],
    render_hold: tuple[str, str | None, str | None] | None,
    refused: RefusedDelivery | None = None,
    revision: int | None = None,
    plan_hold: HoldKind = "address",
    awaited_done: bool = False,
) -> CopyState:
    """`render_hold`: (hold_kind, reason, fingerprint) of a hold the renderer put on this copy.
    `refused`: its latest delivery, if refused for good; `revision`: the conference's now.
    `awaited_done`: the task the plan says the copy waits for, and nothing else, is done (a
    translation, where the profile's `language_copy` is "wait"): it goes as if ready."""
    if any(d.decision == "withdrawn" for d in decisions):
        return CopyState("withdrawn", "withdrawn by the chair", None, False, False)
    if last is not None and last.state == "pending":
        return CopyState("sending", None, None, False, False)
    if refused is not None and (revision is None or refused.revision >= revision):
        # Sending it again unchanged would be refused again: it waits for a person,
        # a corrected export (a new revision, then it is tried again) or the chair's withdrawal.
        return CopyState(
            "failed",
            permanent_failure_reason(refused.channel, refused.error),
            None,
            False,
            False,
        )
    if plan_status == "held":
        return CopyState("held", plan_reason, plan_hold, False, False)

    def released(kind: str) -> bool:
        # A release answers one hold on one content; the caller drops releases of short items
        # made on another revision (a new one may withhold more).
        return any(
            d.decision == "released" and d.fingerprint == fingerprint and d.hold_kind == kind
            for d in decisions
        )

    if plan_status == "waiting" and not awaited_done:
        if last is not None:
            # Sent once; a later revision that makes it wait again (say, a record reopened for
            # signing) does not unsend it. Any change is looked at when it is ready again.
            return CopyState("delivered", None, None, False, False)
        return CopyState("waiting", plan_reason, None, False, False)
    if last is not None and last.fingerprint == fingerprint:
        return CopyState("delivered", None, None, False, False)
    if render_hold is not None and render_hold[2] == fingerprint:
        # The renderer held this content: it stays held until the chair answers that hold.
        kind, reason, _ = render_hold
        if kind in RELEASABLE and released(kind):
            return CopyState("ready", None, None, last is not None, kind == "short_items")
        return CopyState("held", reason, kind, False, False)
    if last is None:
        return CopyState("ready", None, None, False, False)
    sent = last.sent_on.isoformat() if last.sent_on else "an earlier run"
    if document in REISSUED_WHEN_CHANGED:
        return CopyState("ready", None, None, True, False)
    if document == "record":
        return CopyState(
            "held",
            f"the record's text changed after it was sent on {sent}; it is not sent again: the "
            "change needs an amendment the chair agrees (spec §5; 002 §22.6-22.7)",
            "changed_record",
            False,
            False,
        )
    if released("changed_after_sent"):
        return CopyState("ready", None, None, True, False)
    return CopyState(
        "held",
        f"the {document.replace('_', ' ')} changed after it was sent on {sent}; held for the "
        "chair to release as an updated copy or to withdraw",
        "changed_after_sent",
        False,
        False,
    )


def working_days_late(calendar: WorkingCalendar, due: date, sent_on: date) -> int | None:
    """How many working days after its due date a copy left (its conference's calendar), or
    None if on time. Late by a weekend or a bank holiday only counts as one: it reaches nobody
    before the next working day."""
    if sent_on <= due:
        return None
    return max(1, calendar.working_days_between(due, sent_on))


def permanent_failure_reason(channel: str, error: str) -> str:
    """What a person reads about a copy refused for good: what happened and what they can do."""
    return (
        f"not sent: the {channel} delivery was refused ({error}); it is not tried again until "
        "a corrected export arrives (a new revision) or the chair withdraws the copy"
    )


def edition_lines(
    document: str, reissue: bool, last_sent: date | None, revision: int
) -> tuple[str, ...]:
    """The line an updated copy opens with, so nobody reads two versions as one: which copy it
    replaces, by the day that copy was sent (the store's `sent_on`, not an export's date), and
    which revision of the conference's export it is made from.

    Kept here, not in a template, because the same line is printed in three places (the copy's
    own page, its DOCX and the social worker's hand-over sheet), each given it as a string."""
    if not reissue:
        return ()
    when = f" sent on {last_sent.strftime('%-d %B %Y')}" if last_sent else ""
    if document == "invitation":
        return (
            f"Updated invitation: this replaces the invitation{when}. It is made from revision "
            f"{revision} of the conference details. Please use the details in this letter.",
        )
    if document == "report_pack":
        return (
            f"Updated reports: this replaces the reports{when}. It is made from revision "
            f"{revision} of the conference details. Please read these reports before the meeting.",
        )
    return (
        f"Updated copy: this replaces the copy{when}. It is made from revision {revision} of "
        "the conference record.",
    )

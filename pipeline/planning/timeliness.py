"""An Export, its Profile and planned copies → the timeliness and procedure checks of spec §3.

Each check is `ok`, a `problem` said in words, or `unknown` where the contract lacks the data
(the spec asks the pipeline to say so rather than guess). Limits come from the profile.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date

from pipeline.contract.export import Export
from pipeline.planning.plan import Check, PlannedCopy
from pipeline.planning.procedure_checks import (
    absent_professionals,
    decisions_follow_their_threshold,
    parents_invited,
    plan_ended_recipients,
    quorum,
)
from pipeline.procedure.calendar import WorkingCalendar, months_after
from pipeline.procedure.profile import Period, Profile, Sourced

FULL_TERM_WEEKS = 40


def timeliness_checks(
    export: Export,
    profile: Profile,
    calendar: WorkingCalendar,
    copies: Sequence[PlannedCopy],
) -> Iterator[Check]:
    stage = export.conference.stage
    yield from _conference_in_time(export, profile, calendar)
    if stage == "scheduled":
        yield from _invitations_in_time(export, profile, calendar, copies)
        yield from _exclusion_letters_in_time(export, copies)
    if stage == "held":
        yield from quorum(export, profile)
        yield from absent_professionals(export)
        yield from decisions_follow_their_threshold(export)
        yield from _record_signed_in_time(export, copies)
        if any(d.has_plan for d in export.decisions):
            yield from _core_group(export, profile, calendar)
            yield from _next_review(export, profile)
        yield from plan_ended_recipients(export)
    if stage != "cancelled":
        yield from parents_invited(export)


def _fmt(day: date) -> str:
    return f"{day:%a} {day.isoformat()}"


def _within(name: str, source: str, happened: date, deadline: date, what: str, limit: str) -> Check:
    if happened <= deadline:
        return Check(
            name, "ok", f"{what} {_fmt(happened)}, within {limit} ({_fmt(deadline)})", source
        )
    late = f"{what} {_fmt(happened)}, after the limit of {limit} ({_fmt(deadline)})"
    return Check(name, "problem", late, source)


def _conference_in_time(
    export: Export, profile: Profile, calendar: WorkingCalendar
) -> Iterator[Check]:
    c = export.conference
    if c.kind in ("initial", "pre_birth"):
        limit = profile.limit("initial_conference")
        if c.strategy_discussion_date is not None:
            yield _held_within(
                export,
                calendar,
                limit,
                "R36",
                c.strategy_discussion_date,
                "the strategy discussion",
            )
        elif c.kind == "initial":
            yield Check(
                "conference_within_limit",
                "unknown",
                f"no strategy discussion date in the export, so the {limit.value} cannot be "
                "checked (R36)",
                limit.source,
            )
    if c.kind == "transfer_in" and c.transfer_notification_date is not None:
        limit = profile.limit("transfer_in_conference")
        yield _held_within(
            export, calendar, limit, "R37", c.transfer_notification_date, "the notification"
        )
    if c.kind == "pre_birth":
        yield from _gestation(export, profile)
    if c.kind == "review":
        yield from _review_in_time(export, profile)


def _held_within(
    export: Export,
    calendar: WorkingCalendar,
    limit: Sourced[Period],
    rule: str,
    start: date,
    what: str,
) -> Check:
    """R36, R37: the conference is held within the profile's limit of `start`."""
    c = export.conference
    held = "transfer-in conference on" if c.kind == "transfer_in" else "conference on"
    return _within(
        "conference_within_limit",
        f"{rule}; {limit.source}",
        c.date,
        limit.value.after(start, calendar),
        held,
        f"{limit.value} of {what} on {start}",
    )


def _gestation(export: Export, profile: Profile) -> Iterator[Check]:
    weeks = profile.limit("pre_birth_gestation_weeks")
    if weeks.value is None:
        return
    low, high = weeks.value
    for child in export.children:
        if not (child.subject and child.unborn and child.expected_delivery_date):
            continue
        # Weeks of pregnancy counted back from the expected date of delivery at 40 weeks.
        days = FULL_TERM_WEEKS * 7 - (child.expected_delivery_date - export.conference.date).days
        detail = (
            f"{child.name}: {days // 7} weeks {days % 7} days of pregnancy at the conference "
            f"(expected {child.expected_delivery_date}); the guide is {low} to {high} weeks"
        )
        source = f"R38; {weeks.source}"
        if days < low * 7:
            # 000 §4.1.16: earlier than the guide only "where there is a known likelihood of a
            # premature birth"; the export cannot say so, so someone must confirm it.
            yield Check(
                "pre_birth_timing",
                "unknown",
                f"{detail}: earlier than {low} weeks, which the procedure allows only where a "
                "premature birth is likely; confirm that it is",
                source,
            )
            continue
        ok = days <= high * 7
        yield Check("pre_birth_timing", "ok" if ok else "problem", detail, source)


def _review_limits(
    profile: Profile, start: date, first: bool, born: date | None
) -> tuple[list[tuple[date, str]], list[str]]:
    """Limits for a review counted from `start`: (dates with their words, sources)."""
    limits: list[tuple[date, str]] = []
    sources: list[str] = []
    if born is not None:
        after_birth = profile.limit("pre_birth_review_after_birth")
        after_conf = profile.limit("pre_birth_review_after_conference")
        if after_birth.value is not None:
            limits.append((_months(born, after_birth.value), f"{after_birth.value} of the birth"))
            sources.append(after_birth.source)
        if after_conf.value is not None:
            limits.append(
                (_months(start, after_conf.value), f"{after_conf.value} of the conference")
            )
            sources.append(after_conf.source)
    else:
        rule = profile.limit("first_review" if first else "later_review")
        limits.append((_months(start, rule.value), f"{rule.value} of the conference on {start}"))
        sources.append(rule.source)
    return limits, sources


def _months(start: date, period: Period) -> date:
    if period.unit != "months":
        raise ValueError(f"review limits are in months, not {period}")
    return months_after(start, period.amount)


def _review_in_time(export: Export, profile: Profile) -> Iterator[Check]:
    """R64-R66: this review against the conference it reviews."""
    c = export.conference
    previous = c.previous_conference_date
    if previous is None:
        return
    first = c.initial_conference_date is not None and previous == c.initial_conference_date
    limits, sources = _review_limits(
        profile, previous, first or c.child_born_on is not None, c.child_born_on
    )
    deadline, words = min(limits)
    yield _within(
        "review_within_limit",
        "; ".join(["R64, R65, R66", *sources]),
        c.date,
        deadline,
        "review on",
        words,
    )


def _next_review(export: Export, profile: Profile) -> Iterator[Check]:
    """R09, R64-R66, R70: the plan sets a review date within the limit (earlier if inquorate)."""
    c = export.conference
    plan = export.plan
    review = plan.review_conference_date if plan else None
    if c.kind == "review":
        limits, sources = _review_limits(profile, c.date, False, None)
    elif c.kind == "pre_birth":
        born = c.child_born_on
        limits, sources = _review_limits(profile, c.date, True, born) if born else ([], [])
        if born is None:
            after_conf = profile.limit("pre_birth_review_after_conference")
            if after_conf.value is not None:
                limits.append(
                    (_months(c.date, after_conf.value), f"{after_conf.value} of the conference")
                )
                sources.append(after_conf.source)
    else:
        limits, sources = _review_limits(profile, c.date, True, None)
    source = "; ".join(["R09, R64, R65, R66", *sources])
    if review is None:
        yield Check("review_date", "problem", "the plan sets no review conference date", source)
        return
    if not limits:
        yield Check(
            "review_date",
            "unknown",
            f"review set for {_fmt(review)}; it must be within 1 month of the birth, which "
            "has not happened yet",
            source,
        )
        return
    deadline, words = min(limits)
    yield _within("review_date", source, review, deadline, "review set for", words)
    if c.quorate is False:
        early = review < deadline
        yield Check(
            "early_review_after_inquorate",
            "ok" if early else "problem",
            f"the conference was inquorate, so an early review should be arranged; the review "
            f"is set for {_fmt(review)} against the usual limit {_fmt(deadline)} (neither "
            "procedure gives an interval)",
            "R70; 000 §4.3.10; 002 §5.5",
        )


def _core_group(export: Export, profile: Profile, calendar: WorkingCalendar) -> Iterator[Check]:
    """R43: first core group within 10 working days of an initial conference."""
    c = export.conference
    if c.kind == "review":
        return
    limit = profile.limit("first_core_group")
    source = f"R43; {limit.source}"
    core_group = export.plan.core_group if export.plan else None
    if core_group is None or core_group.first_meeting_date is None:
        yield Check(
            "first_core_group", "problem", "the plan sets no date for the first core group", source
        )
        return
    deadline = limit.value.after(c.date, calendar)
    yield _within(
        "first_core_group",
        source,
        core_group.first_meeting_date,
        deadline,
        "first core group on",
        f"{limit.value} of the conference",
    )


def _invitations_in_time(
    export: Export, profile: Profile, calendar: WorkingCalendar, copies: Sequence[PlannedCopy]
) -> Iterator[Check]:
    before = profile.notice("invitation_before_conference")
    latest = before.value.before(export.conference.date, calendar)
    dues = sorted({c.due for c in copies if c.document == "invitation"})
    if not dues:
        return
    yield _within(
        "invitations_in_time",
        f"R23; {before.source}",
        dues[-1],
        latest,
        "invitations due",
        f"{before.value} before the conference",
    )


def _exclusion_letters_in_time(export: Export, copies: Sequence[PlannedCopy]) -> Iterator[Check]:
    """R20: the exclusion letter reaches the person before the conference."""
    for copy in copies:
        if copy.document != "exclusion_letter" or copy.on_behalf_of is not None:
            continue
        ok = copy.due < export.conference.date
        yield Check(
            "exclusion_letter_before_conference",
            "ok" if ok else "problem",
            f"exclusion letter to {copy.recipient} due {_fmt(copy.due)}, "
            f"{'before' if ok else 'not before'} the conference on {_fmt(export.conference.date)}",
            "R20; 000 §4.5.9; 002 §12.5-12.6",
        )


def _record_signed_in_time(export: Export, copies: Sequence[PlannedCopy]) -> Iterator[Check]:
    """a record signed after a copy of it was due is reported (the copies still go)."""
    record = export.record
    if record is None or record.status != "signed" or record.signed_on is None:
        return
    due: dict[str, PlannedCopy] = {}
    for copy in copies:
        if copy.document != "record":
            continue
        first = due.get(copy.recipient_class)
        if first is None or copy.due < first.due:
            due[copy.recipient_class] = copy
    for recipient_class, copy in sorted(due.items(), key=lambda item: (item[1].due, item[0])):
        if record.signed_on <= copy.due:
            continue
        yield Check(
            "record_signed_in_time",
            "problem",
            f"the record was signed on {_fmt(record.signed_on)}, after it was due to "
            f"{recipient_class.replace('_', ' ')} recipients on {_fmt(copy.due)}: signed late",
            f"R15 (000 §4.14.4; 002 §22.5); due under {copy.source}",
        )

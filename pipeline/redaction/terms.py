"""Which of the profile's terms a family copy uses, so that each is explained once in it.

003 §2, §4 and R79 ask for family documents without unexplained jargon: terms such as "child in
need plan", "section 47 enquiry" and "core group" are explained where a copy uses them. The meanings are profile data
([terms], with their sources); this module only finds the ones a copy's words contain: the export's
own words in the view, and the words its template prints for those facts (`template_words`, kept
in step with templates/ by tests/test_plain_words.py, which reads the rendered letters).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from pipeline.redaction.facts import RecipientView, Term


def _pattern(term: str) -> re.Pattern[str]:
    # A whole phrase in any case, and its plural ("categories", "advocates").
    plural = rf"{re.escape(term[:-1])}ies" if term.endswith("y") else rf"{re.escape(term)}s"
    return re.compile(rf"(?<![\w-])(?:{re.escape(term)}|{plural})(?![\w-])", re.IGNORECASE)


def terms_in(texts: Iterable[str], terms: Sequence[Term]) -> tuple[Term, ...]:
    """The `terms` (in their own order) that occur in any of `texts`."""
    words = "\n".join(texts)
    return tuple(t for t in terms if _pattern(t.term).search(words))


def template_words(view: RecipientView) -> tuple[str, ...]:
    """The terms the family templates print for this view's facts, whatever the export says:
    every letter names the conference and is signed by its chair; the decisions, the plan and
    the invitation's purpose use the words below."""
    words = ["child protection conference", "chair"]
    if view.document == "invitation":
        words += ["significant harm", "advocate"]
    if view.document in ("outline_plan", "record") or view.decisions:
        words.append("child protection plan")
    for d in view.decisions:
        if d.outcome in ("child_protection_plan", "plan_continues"):
            words.append("significant harm")
        if d.outcome == "child_in_need_plan":
            words.append("child in need plan")
        if d.categories:
            words.append("category")
        if d.lead_social_worker is not None:
            words.append("lead social worker")
        if d.plan_end_reason == "no_longer_at_risk":
            words.append("significant harm")
    if view.plan is not None:
        if view.plan.core_group:
            words.append("core group")
        if view.plan.review_date is not None:
            words.append("review conference")
    return tuple(words)

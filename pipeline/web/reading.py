"""What a request says → checked values: the conference's export, a reason, a date.

A form's words are a person's, kept as typed (the audit log shows them); a date after today is
refused, because a hand-over or a task is recorded once it has happened.
"""

from __future__ import annotations

from datetime import date

from flask import abort, request

from pipeline.contract.export import Export
from pipeline.contract.load import load_export
from pipeline.errors import BadInput
from pipeline.web.context import desk

MAX_REASON = 2000


def current_export(conference_id: str) -> Export:
    """The conference's current export as stored, or 404."""
    here = desk()
    stored = here.store.current_exports(conference_id)
    if not stored:
        abort(404)
    return load_export(stored[0].raw, here.profiles.keys())


def reason(*, required: bool = True) -> str:
    """The form's `why` (a script may call it `note`): what the audit log keeps as the
    person's reason."""
    why = " ".join((request.form.get("why") or request.form.get("note") or "").split())
    if required and not why:
        raise BadInput("Give a reason: it is kept in the audit log with your name.")
    if len(why) > MAX_REASON:
        raise BadInput(f"The reason is too long: at most {MAX_REASON} characters.")
    return why


def form_date(field: str, *, default: date) -> date:
    """A date from the form (YYYY-MM-DD, or the day, month and year fields GOV.UK's date input
    sends as FIELD-day, FIELD-month, FIELD-year), `default` if none was given."""
    parts = [request.form.get(f"{field}-{p}", "").strip() for p in ("day", "month", "year")]
    # A script may call the date `date`: the same date, by the field's other name.
    text = (request.form.get(field) or request.form.get("date") or "").strip()
    try:
        if any(parts):
            day, month, year = (int(p) for p in parts)
            return date(year, month, day)
        return date.fromisoformat(text) if text else default
    except (ValueError, OverflowError) as exc:
        raise BadInput(f"{field}: that is not a real date") from exc


def query_date(field: str) -> date | None:
    text = request.args.get(field, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise BadInput(f"{field}: give the date as YYYY-MM-DD") from exc

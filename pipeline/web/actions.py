"""The POST forms: a signed-in person's decision → `service.acting` says whether they may, then
the same `service.decisions` function as the CLI records it (with its own checks and its audit
line naming the signed-in user), then back to the page it was made on.

Who the decision is recorded as (`by`) is worked out from the account, never taken from the form:
a chair's release is recorded as the conference's chair, a hand-over as the social worker the copy
went through. Anyone else is refused with 403 before the service is asked.
"""

from __future__ import annotations

from typing import Literal

from flask import Flask, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from pipeline.contract.export import Export
from pipeline.errors import BadInput, NotPermitted
from pipeline.intake.folders import InboxFolders
from pipeline.service import acting, decisions
from pipeline.service.accounts import Account, web_user
from pipeline.service.desk_decisions import decide_amendment, requeue_quarantined
from pipeline.store.rows import CopyRow
from pipeline.web import guard
from pipeline.web.context import desk
from pipeline.web.reading import current_export, form_date, reason


def install(app: Flask) -> None:
    copy = "/conferences/<conference_id>/copies/<path:copy_key>"
    for rule, name, view in (
        (f"{copy}/release", "release", release),
        (f"{copy}/withdraw", "withdraw", withdraw),
        (f"{copy}/handed-over", "handed_over", handed_over),
        ("/conferences/<conference_id>/release", "release_several", release_several),
        ("/conferences/<conference_id>/withdraw", "withdraw_several", withdraw_several),
        ("/conferences/<conference_id>/tasks/done", "task_done", task_done),
        ("/conferences/<conference_id>/amendments/<amendment_id>/agree", "agree", agree),
        ("/conferences/<conference_id>/amendments/<amendment_id>/reject", "reject", reject),
        ("/quarantine/<name>/requeue", "requeue", requeue),
    ):
        app.add_url_rule(rule, name, guard.signed_in(view), methods=["POST"])


def _user(account: Account) -> str:
    return web_user(account.email)


def _chair(export: Export) -> tuple[Account, str]:
    """The signed-in chair of this conference, and the person id decisions are recorded as."""
    account = guard.account()
    if not acting.may_decide(account, export):
        raise NotPermitted(
            f"Only the chair of {export.conference.id} may decide on its copies and amendments, "
            "and you are not signed in as that chair."
        )
    return account, export.conference.chair


def _decide_each(
    conference_id: str, keys: list[str], decide: Literal["release", "withdraw"]
) -> Response:
    export = current_export(conference_id)
    account, chair = _chair(export)
    why = reason()
    here = desk()
    # Each copy once, and every one checked before any is recorded: one that cannot be decided
    # refuses the lot, so the chair is never told "not done" about copies half done.
    rows: list[CopyRow] = [here.store.copy_row(conference_id, key) for key in dict.fromkeys(keys)]
    pending = {d.copy_key for d in here.store.deliveries(conference_id, state="pending")}
    for row in rows:
        if decide == "release":
            decisions.check_release(row)
        else:
            decisions.check_withdraw(row, pending)
    for row in rows:
        if decide == "release":
            decisions.release(here.store, row, by=chair, why=why, user=_user(account))
        else:
            decisions.withdraw(
                here.store, row, by=chair, why=why, pending=pending, user=_user(account)
            )
    words = "Released" if decide == "release" else "Withdrawn"
    flash(f"{words}: {len(rows)} {'copy' if len(rows) == 1 else 'copies'}.")
    return redirect(url_for("conference", conference_id=conference_id), code=303)


def release(conference_id: str, copy_key: str) -> Response:
    return _decide_each(conference_id, [copy_key], "release")


def withdraw(conference_id: str, copy_key: str) -> Response:
    return _decide_each(conference_id, [copy_key], "withdraw")


def _chosen() -> list[str]:
    keys = [key for key in request.form.getlist("copies") if key]
    if not keys:
        raise BadInput("Choose at least one copy.")
    return keys


def release_several(conference_id: str) -> Response:
    return _decide_each(conference_id, _chosen(), "release")


def withdraw_several(conference_id: str) -> Response:
    return _decide_each(conference_id, _chosen(), "withdraw")


def handed_over(conference_id: str, copy_key: str) -> Response:
    export = current_export(conference_id)
    account = guard.account()
    here = desk()
    row = here.store.copy_row(conference_id, copy_key)
    if not acting.may_hand_over(account, export, row):
        raise NotPermitted(
            "Only the social worker this copy was sent to, to hand over, may confirm that it "
            "was handed over."
        )
    on = form_date("on", default=here.today())
    decisions.record_handover(
        here.store,
        conference_id,
        copy_key,
        on=on,
        by=row.via or "",
        note=reason(required=False),
        today=here.today(),
        user=_user(account),
    )
    flash(f"Recorded as handed over on {on:%-d %B %Y}.")
    return redirect(url_for("copy", conference_id=conference_id, copy_key=copy_key), code=303)


def task_done(conference_id: str) -> Response:
    export = current_export(conference_id)
    account = guard.account()
    here = desk()
    kind = request.form.get("kind", "")
    recipient = request.form.get("recipient", "")
    document = request.form.get("document", "")
    report = request.form.get("report") or None
    task = next(
        (
            t
            for t in here.store.task_rows(conference_id)
            if (t.kind, t.recipient, t.document, t.report) == (kind, recipient, document, report)
        ),
        None,
    )
    if task is None:
        raise BadInput(f"{conference_id} has no open task like that.")
    if not acting.may_mark_task_done(account, export, task):
        raise NotPermitted("This task is not yours to mark as done.")
    on = form_date("on", default=here.today())
    # may_mark_task_done: the account acts for the task's owner, or (a report's task) is the
    # conference's chair, who then records it in their own name.
    owner = task.owner if task.owner in acting.persons_for(export, account.email) else None
    by = owner or (export.conference.chair if task.report is not None else task.owner or "")
    decisions.record_task_done(
        here.store,
        conference_id,
        kind,
        recipient,
        document,
        on=on,
        by=by,
        today=here.today(),
        report=report,
        user=_user(account),
    )
    flash("Marked as done.")
    return redirect(url_for("conference", conference_id=conference_id), code=303)


def _amendment(conference_id: str, amendment_id: str, *, agreed: bool) -> Response:
    export = current_export(conference_id)
    account, chair = _chair(export)
    here = desk()
    row = here.store.amendment_row(amendment_id)
    if row is None or row.conference_id != conference_id:
        raise BadInput(f"{conference_id} has no amendment {amendment_id}.")
    decide_amendment(
        here.store,
        here.profiles,
        amendment_id,
        agreed=agreed,
        note=reason(),
        by=chair,
        on=here.today(),
        user=_user(account),
        today=here.today(),
    )
    flash("Amendment agreed." if agreed else "Amendment rejected.")
    return redirect(url_for("conference", conference_id=conference_id), code=303)


def agree(conference_id: str, amendment_id: str) -> Response:
    return _amendment(conference_id, amendment_id, agreed=True)


def reject(conference_id: str, amendment_id: str) -> Response:
    return _amendment(conference_id, amendment_id, agreed=False)


def requeue(name: str) -> Response:
    account = guard.account()
    if not acting.may_requeue(account):
        raise NotPermitted("Only an administrator may send a quarantined file back to the inbox.")
    here = desk()
    requeue_quarantined(_folders(), name, user=_user(account), store=here.store, why=reason())
    flash(f"{name} goes back to the inbox and is taken in again.")
    return redirect(url_for("quarantine"), code=303)


def _folders() -> InboxFolders:
    config = desk().config
    return InboxFolders.at(config.folders.inbox, config.quarantine, config.processed)

"""The pages (GET): the dashboard, a conference, a copy (and its PDF), the quarantine and the audit
log. What each shows is `service.front_desk`'s to work out; who may see it, `service.acting`'s."""

from __future__ import annotations

import hashlib

from flask import Flask, Response, abort, render_template, request

from pipeline.contract.export import Export
from pipeline.errors import NotPermitted
from pipeline.service import acting, front_desk, report_desk
from pipeline.service.ingest import quarantined_files
from pipeline.service.report_status import SECTION_TITLES
from pipeline.web import guard
from pipeline.web.context import desk
from pipeline.web.reading import current_export, query_date


def install(app: Flask) -> None:
    copy = "/conferences/<conference_id>/copies/<path:copy_key>"
    for rule, name, view in (
        ("/", "dashboard", dashboard),
        ("/conferences/<conference_id>", "conference", conference),
        (copy, "copy", copy_page),
        (f"{copy}/document", "document", document),
        ("/quarantine", "quarantine", quarantine),
        ("/audit", "audit", audit),
    ):
        app.add_url_rule(rule, name, guard.signed_in(view))


def _filters() -> dict[str, str]:
    return {k: request.args.get(k, "").strip() for k in ("conference", "person", "due_by")}


def dashboard() -> str:
    here = desk()
    account = guard.account()
    filters = _filters()
    board = front_desk.dashboard(
        here.store,
        here.profiles,
        today=here.today(),
        conference=filters["conference"] or None,
        person=filters["person"] or None,
        due_by=query_date("due_by"),
        # A quarantined file's reason can quote another family's export: for those who may
        # read the quarantine only.
        quarantine=here.settings.quarantine if acting.may_read_audit(account) else None,
        may_see=lambda export: acting.may_see_conference(account, export),
    )
    reports = report_desk.desk_reports(
        here.store,
        here.profiles,
        today=here.today(),
        may_see=lambda export: acting.may_see_conference(account, export),
        conference=filters["conference"] or None,
    )
    return render_template(
        "dashboard.html",
        board=board,
        filters=filters,
        reports=reports,
        report_titles=SECTION_TITLES,
    )


def _conference_export(conference_id: str) -> Export:
    """The conference's export, once the signed-in person is shown to need it (403 if not)."""
    export = current_export(conference_id)
    if not acting.may_see_conference(guard.account(), export):
        raise NotPermitted(
            f"You do not act for anyone in conference {conference_id}, so its pages are not "
            "shown to you."
        )
    return export


def conference(conference_id: str) -> str:
    here = desk()
    export = _conference_export(conference_id)
    account = guard.account()
    story = front_desk.conference_story(
        here.store, here.profiles, conference_id, today=here.today()
    )
    if story is None:
        abort(404)
    held = {r.copy_key for r in here.store.copy_rows(conference_id) if r.status == "held"}
    reports = report_desk.desk_reports(
        here.store,
        here.profiles,
        today=here.today(),
        may_see=lambda _export: True,  # shown to be theirs by _conference_export
        conference=conference_id,
    )
    titles = {r.report: r.title for r in reports.reports}
    report_tasks = [
        (t, titles.get(t.report or "", t.report or ""))
        for t in here.store.task_rows(conference_id)
        if t.report is not None
        and t.done_on is None
        and acting.may_mark_task_done(account, export, t)
    ]
    return render_template(
        "conference.html",
        story=story,
        may_decide=acting.may_decide(account, export),
        held_copies=[c for c in story.copies if c.copy_key in held],
        reports=reports,
        report_titles=SECTION_TITLES,
        report_tasks=report_tasks,
    )


def copy_page(conference_id: str, copy_key: str) -> str:
    here = desk()
    export = _conference_export(conference_id)
    account = guard.account()
    story = front_desk.copy_story(
        here.store, here.profiles, conference_id, copy_key, today=here.today()
    )
    if story is None:
        abort(404)
    row = here.store.copy_row(conference_id, copy_key)
    pending = {d.copy_key for d in here.store.deliveries(conference_id, state="pending")}
    tasks = [
        t
        for t in here.store.task_rows(conference_id)
        if t.done_on is None
        and (t.recipient, t.document) == (row.recipient, row.document)
        and acting.may_mark_task_done(account, export, t)
    ]
    return render_template(
        "copy.html",
        story=story,
        tasks=tasks,
        actions=acting.actions_for(
            account,
            export,
            row,
            pending,
            handed_over=story.handed_over,
            open_tasks=here.store.task_rows(conference_id),
        ),
        may_see_document=acting.may_see_document(account, export),
        today=here.today(),
    )


def document(conference_id: str, copy_key: str) -> Response:
    """The PDF as its recipient received it: for the conference's chair and lead social worker
    only; everyone else sees the copy's record, never its content."""
    here = desk()
    export = _conference_export(conference_id)
    account = guard.account()
    if not acting.may_see_document(account, export):
        raise NotPermitted(
            "Only the conference's chair and lead social worker may see what a copy says; its "
            "record is on the copy's page."
        )
    story = front_desk.copy_story(
        here.store, here.profiles, conference_id, copy_key, today=here.today()
    )
    received = story.received_file if story is not None else None
    if received is None or received.path is None or not received.path.is_file():
        abort(404)
    # Read whole (a few hundred KB at most): no file is left open behind the answer.
    data = received.path.read_bytes()
    if hashlib.sha256(data).hexdigest() != received.sha256:
        # Shown "as received" only if it is: a file changed in the outbox since is not.
        abort(409, "The file in the outbox is not the one that was sent; ask an administrator.")
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{received.name}"'},
    )


def quarantine() -> str:
    account = guard.account()
    if not acting.may_read_audit(account):
        raise NotPermitted("Only administrators and auditors see the quarantine.")
    files = quarantined_files(desk().settings.quarantine)
    return render_template("quarantine.html", files=files, may_requeue=acting.may_requeue(account))


def audit() -> str:
    account = guard.account()
    if not acting.may_read_audit(account):
        raise NotPermitted("Only administrators and auditors read the audit log.")
    wanted = {k: request.args.get(k, "").strip() for k in ("conference", "action", "user")}
    lines = [
        line
        for line in desk().store.audit_lines(wanted["conference"] or None)
        if (not wanted["action"] or line.action == wanted["action"])
        and (not wanted["user"] or wanted["user"].lower() in (line.user or "").lower())
    ]
    lines.reverse()  # newest first
    return render_template("audit.html", lines=lines[:500], shown_of=len(lines), filters=wanted)

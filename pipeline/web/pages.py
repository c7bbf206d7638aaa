"""The pages (GET): the dashboard, a conference, a copy (and its PDF), the quarantine and the audit
log. What each shows is `service.front_desk`'s to work out; who may see it, `service.acting`'s."""

from __future__ import annotations

from flask import Flask, Response, abort, render_template, request

from pipeline.errors import NotPermitted
from pipeline.service import acting, front_desk
from pipeline.service.ingest import quarantined_files
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
    filters = _filters()
    board = front_desk.dashboard(
        here.store,
        here.profiles,
        today=here.today(),
        conference=filters["conference"] or None,
        person=filters["person"] or None,
        due_by=query_date("due_by"),
        quarantine=here.settings.quarantine,
    )
    return render_template("dashboard.html", board=board, filters=filters)


def conference(conference_id: str) -> str:
    here = desk()
    story = front_desk.conference_story(here.store, here.profiles, conference_id, today=here.today())
    if story is None:
        abort(404)
    export = current_export(conference_id)
    account = guard.current()
    assert account is not None
    held = {r.copy_key for r in here.store.copy_rows(conference_id) if r.status == "held"}
    return render_template(
        "conference.html",
        story=story,
        may_decide=acting.may_decide(account, export),
        held_copies=[c for c in story.copies if c.copy_key in held],
    )


def copy_page(conference_id: str, copy_key: str) -> str:
    here = desk()
    story = front_desk.copy_story(
        here.store, here.profiles, conference_id, copy_key, today=here.today()
    )
    if story is None:
        abort(404)
    export = current_export(conference_id)
    account = guard.current()
    assert account is not None
    row = here.store.copy_row(conference_id, copy_key)
    pending = {d.copy_key for d in here.store.deliveries(conference_id, state="pending")}
    return render_template(
        "copy.html",
        story=story,
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
    export = current_export(conference_id)
    account = guard.current()
    assert account is not None
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
    return Response(
        received.path.read_bytes(),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{received.name}"'},
    )


def quarantine() -> str:
    account = guard.current()
    assert account is not None
    if not acting.may_read_audit(account):
        raise NotPermitted("Only administrators and auditors see the quarantine.")
    files = quarantined_files(desk().settings.quarantine)
    return render_template("quarantine.html", files=files, may_requeue=acting.may_requeue(account))


def audit() -> str:
    account = guard.current()
    assert account is not None
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

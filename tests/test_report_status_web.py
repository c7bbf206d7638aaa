"""A report's task marked done on the desk: by its author or the conference's chair, never anyone else, naming its report (000 §4.7.8-4.7.9; 002 §15.7).

The v2 initial example's reports have all reached the chair, so the plan sets no submit_report
task; two are put in the store as the plan writes them (the school's and the health visitor's),
as if neither had been received yet.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from pipeline.service.accounts import add_user
from tests.conftest import example
from tests.fake_renderer import FAKE
from tests.service_harness import Service
from tests.web_harness import PASSWORD, Desk, open_desk, post

CONFERENCE = "CPC-2026-0431"
PAGE = f"/conferences/{CONFERENCE}"
DONE = f"{PAGE}/tasks/done"
CHAIR = "helen.marsh@northby.example.gov.uk"  # p-chair
SCHOOL = "a.ross@northby-academy.example.sch.uk"  # p-school, the school report's author
HEALTH_VISITOR = "claire.bishop@nhs.example.net"  # p-hv, the health visitor's report's author
ADMINISTRATOR = "desk.admin@northby.example.gov.uk"


def _task(report: str, owner: str) -> dict[str, object]:
    return {"kind": "submit_report", "owner": owner, "recipient": "p-chair",
            "document": "report", "due": date(2026, 12, 9), "report": report}  # fmt: skip


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("report-desk") / "service"
    service = Service(root, renderer=FAKE)
    service.drop(example("v2-initial-reports"))
    store = service.store()
    try:
        store.save_plan(
            CONFERENCE, 1, [], [], [_task("r-school", "p-school"), _task("r-hv", "p-hv")]
        )
        for email, role in (
            (CHAIR, "chair"),
            (SCHOOL, "social_worker"),
            (HEALTH_VISITOR, "social_worker"),
            (ADMINISTRATOR, "administrator"),
        ):
            add_user(store, email, role, PASSWORD, user="os:test")  # type: ignore[arg-type]
    finally:
        store.close()
    return root


@pytest.fixture
def desk(template: Path, tmp_path: Path) -> Iterator[Desk]:
    yield from open_desk(template, tmp_path / "service")


def _form(report: str | None) -> dict[str, str]:
    form = {"kind": "submit_report", "recipient": "p-chair", "document": "report"}
    return form | ({"report": report} if report else {}) | {"on": "2026-12-02"}


def _done(desk: Desk) -> dict[str | None, date | None]:
    return {t.report: t.done_on for t in desk.store.task_rows(CONFERENCE)}


def test_the_chair_marks_one_report_received_and_the_audit_names_it(desk: Desk) -> None:
    chair = desk.signed_in(CHAIR)
    page = chair.get(PAGE).get_data(as_text=True)
    assert "Mark received: School report" in page
    assert "Mark received: Health visitor&#39;s report" in page
    assert post(chair, DONE, _form("r-school"), page=PAGE).status_code == 303
    assert _done(desk) == {"r-school": date(2026, 12, 2), "r-hv": None}
    (line,) = [a for a in desk.store.audit_lines() if a.action == "task_done"]
    assert (line.actor, line.user, line.detail["report"]) == ("p-chair", f"web:{CHAIR}", "r-school")


def test_an_author_marks_their_own_report_and_not_another(desk: Desk) -> None:
    author = desk.signed_in(HEALTH_VISITOR)
    page = author.get(PAGE).get_data(as_text=True)
    assert "Health visitor&#39;s report" in page and "Mark received: School report" not in page
    assert post(author, DONE, _form("r-school"), page=PAGE).status_code == 403
    assert post(author, DONE, _form("r-hv"), page=PAGE).status_code == 303
    assert _done(desk) == {"r-school": None, "r-hv": date(2026, 12, 2)}
    (line,) = [a for a in desk.store.audit_lines() if a.action == "task_done"]
    assert line.actor == "p-hv"


def test_nobody_else_marks_a_report_task_and_none_is_marked_without_its_report(
    desk: Desk,
) -> None:
    admin = desk.signed_in(ADMINISTRATOR)
    assert post(admin, DONE, _form("r-school"), page=PAGE).status_code == 403
    chair = desk.signed_in(CHAIR)
    # Which report's? The service refuses (a refused action answers 403, in its own words).
    refused = post(chair, DONE, _form(None), page=PAGE)
    assert refused.status_code == 403
    assert "has no open task like that" in refused.get_data(as_text=True)
    assert _done(desk) == {"r-school": None, "r-hv": None}

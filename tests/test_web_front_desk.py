"""The front desk through Flask's test client, over a real store (issue 15): every route asks for
sign-in, nobody decides for anyone else, every form needs its CSRF token, sign-in is limited and
every action is audited with the signed-in user. Spec §4 rule 7 (only the chair releases or
withdraws), 002 §22.7 (only the chair decides an amendment), R32 / 002 §22.9 (the lead social
worker hands over), spec §5 (a hand-over date cannot be in the future)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest

from pipeline.procedure.profile import load_profiles
from pipeline.service.front_desk import copy_story
from pipeline.web.app import create_app
from tests.conftest import example
from tests.web_harness import (
    ADMINISTRATOR,
    AMENDMENT,
    AUDITOR,
    BROKEN,
    CHAIR,
    DV,
    HELD,
    OTHER_CHAIR,
    OTHER_SOCIAL_WORKER,
    PASSWORD,
    REVIEW,
    SOCIAL_WORKER,
    TODAY,
    Desk,
    make_service,
    open_desk,
    post,
    sign_in,
    token,
)

COPY = f"/conferences/{DV}/copies/{HELD}"
HANDED = "p-mother/record"  # went to the lead social worker p-sw to hand over
PAGES = [
    "/",
    f"/conferences/{DV}",
    COPY,
    f"{COPY}/document",
    "/quarantine",
    "/audit",
]
ACTIONS = [
    (f"{COPY}/release", {"why": "checked"}),
    (f"{COPY}/withdraw", {"why": "not needed"}),
    (f"/conferences/{DV}/release", {"copies": HELD, "why": "checked"}),
    (f"/conferences/{DV}/copies/{HANDED}/handed-over", {"on": "2026-11-25"}),
    (f"/conferences/{DV}/tasks/done", {"kind": "hand_over", "recipient": "p-mother", "document": "record"}),
    ("/quarantine/nothing.json/requeue", {"why": "replaced"}),
    (f"/conferences/{DV}/withdraw", {"copies": HELD, "why": "not needed"}),
    (f"/conferences/{DV}/amendments/AMD-0412-01/agree", {"why": "agreed"}),
    (f"/conferences/{DV}/amendments/AMD-0412-01/reject", {"why": "not agreed"}),
]  # fmt: skip


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("desk") / "service"
    make_service(root)
    return root


@pytest.fixture
def desk(template: Path, tmp_path: Path) -> Iterator[Desk]:
    yield from open_desk(template, tmp_path / "service")


def _audit(desk: Desk, action: str) -> list[str | None]:
    return [line.user for line in desk.store.audit_lines() if line.action == action]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_sends_a_stranger_to_sign_in(desk: Desk, path: str) -> None:
    answer = desk.client().get(path)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize(("path", "form"), ACTIONS)
def test_every_action_sends_a_stranger_to_sign_in(desk: Desk, path: str, form: dict[str, str]) -> None:
    client = desk.client()
    answer = post(client, path, form, page="/login")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")
    assert desk.store.copy_row(DV, HELD).status == "held"


def test_signing_in_answers_with_a_redirect_and_the_dashboard_names_the_held_copy(desk: Desk) -> None:
    client = desk.client()
    answer = sign_in(client, CHAIR, PASSWORD)
    assert answer.status_code == 303 and answer.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert 'id="held"' in page
    assert quote(HELD, safe="") in page or HELD in page
    assert "Helen Marsh" in page  # who may act on it, by name


def test_the_session_cookie_is_httponly_and_samesite_strict(desk: Desk) -> None:
    client = desk.client()
    answer = sign_in(client, CHAIR, PASSWORD)
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_a_wrong_password_and_an_unknown_email_get_the_same_words(desk: Desk) -> None:
    wrong = sign_in(desk.client(), CHAIR, "not the password at all").get_data(as_text=True)
    unknown = sign_in(desk.client(), "nobody@example.org", "not the password at all").get_data(
        as_text=True
    )
    assert "There is a problem" in wrong

    def said(page: str) -> str:
        return page.split('govuk-error-summary__list', 1)[1].split("</ul>", 1)[0]

    assert said(wrong) == said(unknown)


@pytest.mark.parametrize(
    ("path", "form"),
    [
        (f"{COPY}/release", {"why": "looks fine"}),
        (f"{COPY}/withdraw", {"why": "not needed"}),
        (f"/conferences/{DV}/release", {"copies": HELD, "why": "looks fine"}),
        (f"/conferences/{DV}/amendments/{AMENDMENT}/agree", {"why": "agreed"}),
        (f"/conferences/{DV}/amendments/{AMENDMENT}/reject", {"why": "not agreed"}),
    ],
)
def test_the_chair_of_another_conference_is_refused(desk: Desk, path: str, form: dict[str, str]) -> None:
    client = desk.signed_in(OTHER_CHAIR)
    assert post(client, path, form).status_code == 403
    assert desk.store.copy_row(DV, HELD).status == "held"
    assert not _audit(desk, "released") and not _audit(desk, "withdrawn")
    assert desk.store.amendment_row(AMENDMENT).status == "pending"  # type: ignore[union-attr]


def test_an_administrator_cannot_release(desk: Desk) -> None:
    client = desk.signed_in(ADMINISTRATOR)
    assert post(client, f"{COPY}/release", {"why": "tidying up"}).status_code == 403
    assert desk.store.copy_row(DV, HELD).status == "held"


def test_the_chair_withdraws_and_the_audit_log_names_the_signed_in_user(desk: Desk) -> None:
    client = desk.signed_in(CHAIR)
    answer = post(client, f"{COPY}/withdraw", {"why": "the police have it already"}, page=COPY)
    assert answer.status_code == 303
    assert desk.store.copy_row(DV, HELD).status == "withdrawn"
    assert _audit(desk, "withdrawn") == [f"web:{CHAIR.lower()}"]


def test_a_decision_without_a_reason_is_refused(desk: Desk) -> None:
    client = desk.signed_in(CHAIR)
    answer = post(client, f"{COPY}/release", {"why": "  "}, page=COPY)
    assert answer.status_code == 403 and "Give a reason" in answer.get_data(as_text=True)
    assert desk.store.copy_row(DV, HELD).status == "held"


def test_signing_out_by_a_link_works_too(desk: Desk) -> None:
    client = desk.signed_in(CHAIR)
    assert client.get("/logout").status_code == 303
    assert client.get("/").status_code == 302


def test_the_chair_releases_and_the_audit_log_names_the_signed_in_user(desk: Desk) -> None:
    client = desk.signed_in(CHAIR)
    answer = post(client, f"{COPY}/release", {"why": "read it: nothing withheld shows"}, page=COPY)
    assert answer.status_code == 303
    assert desk.store.copy_row(DV, HELD).status == "ready"
    conference = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Released" in conference
    (line,) = [line for line in desk.store.audit_lines() if line.action == "released"]
    assert line.user == f"web:{CHAIR.lower()}" or line.user == f"web:{CHAIR}"
    assert line.actor == "p-chair"  # recorded as the conference's chair, never a typed id
    assert line.detail["why"] == "read it: nothing withheld shows"


def test_a_post_without_the_csrf_token_is_refused(desk: Desk) -> None:
    client = desk.signed_in(CHAIR)
    answer = client.post(f"{COPY}/release", data={"why": "no token"})
    assert answer.status_code == 403
    forged = client.post(f"{COPY}/release", data={"why": "forged", "csrf_token": "x" * 43})
    assert forged.status_code == 403
    assert desk.store.copy_row(DV, HELD).status == "held"


def test_a_locked_account_cannot_sign_in_until_the_lock_ends(desk: Desk) -> None:
    for _ in range(5):
        assert sign_in(desk.client(), SOCIAL_WORKER, "a wrong password, typed").status_code == 200
    locked = sign_in(desk.client(), SOCIAL_WORKER, PASSWORD)
    assert locked.status_code == 200 and "locked" in locked.get_data(as_text=True).lower()
    desk.clock[0] += timedelta(minutes=16)
    assert sign_in(desk.client(), SOCIAL_WORKER, PASSWORD).status_code == 303
    assert _audit(desk, "sign_in_locked")


def test_a_disabled_accounts_session_stops_working(desk: Desk) -> None:
    client = desk.signed_in(CHAIR)
    assert client.get("/").status_code == 200
    desk.disable(CHAIR)
    assert client.get("/").status_code == 302
    assert post(client, f"{COPY}/release", {"why": "x"}, page="/login").status_code == 302
    assert desk.store.copy_row(DV, HELD).status == "held"


def test_an_idle_session_is_signed_out(desk: Desk) -> None:
    client = desk.signed_in(CHAIR)
    desk.clock[0] += timedelta(minutes=31)
    assert client.get("/").status_code == 302


def test_a_social_worker_confirms_only_their_own_hand_over_and_not_in_the_future(desk: Desk) -> None:
    path = f"/conferences/{DV}/copies/{HANDED}/handed-over"
    other = desk.signed_in(OTHER_SOCIAL_WORKER)
    assert post(other, path, {"on": "2026-11-25"}).status_code == 403
    lead = desk.signed_in(SOCIAL_WORKER)
    future = post(lead, path, {"on": "2026-12-05"})
    assert future.status_code == 403 and "after today" in future.get_data(as_text=True)
    assert post(lead, path, {"on": "2026-11-25"}).status_code == 303
    (delivery,) = [d for d in desk.store.deliveries(DV, state="sent") if d.copy_key == HANDED]
    assert str(delivery.handed_over_on) == "2026-11-25"
    assert _audit(desk, "handed_over") == [f"web:{SOCIAL_WORKER}"]


def test_only_the_chair_and_lead_social_worker_see_the_document(desk: Desk) -> None:
    path = f"/conferences/{DV}/copies/{HANDED}/document"
    for email, status in ((ADMINISTRATOR, 403), (AUDITOR, 403), (OTHER_CHAIR, 403)):
        assert desk.signed_in(email).get(path).status_code == status, email
    for email in (CHAIR, SOCIAL_WORKER):
        answer = desk.signed_in(email).get(path)
        assert answer.status_code == 200 and answer.data.startswith(b"%PDF"), email


def test_the_audit_log_and_quarantine_are_for_administrators_and_auditors(desk: Desk) -> None:
    for email in (CHAIR, SOCIAL_WORKER):
        client = desk.signed_in(email)
        assert client.get("/audit").status_code == 403
        assert client.get("/quarantine").status_code == 403
    for email in (ADMINISTRATOR, AUDITOR):
        client = desk.signed_in(email)
        assert client.get("/audit").status_code == 200
        assert client.get("/quarantine").status_code == 200
    page = desk.signed_in(AUDITOR).get("/audit").get_data(as_text=True)
    assert f"web:{AUDITOR}" in page  # its own sign-in, with the user


def test_only_an_administrator_requeues(desk: Desk) -> None:
    client = desk.signed_in(AUDITOR)
    assert post(client, "/quarantine/x.json/requeue", {"why": "replaced"}).status_code == 403


def test_the_other_conference_is_shown_to_its_chair(desk: Desk) -> None:
    client = desk.signed_in(OTHER_CHAIR)
    assert client.get(f"/conferences/{REVIEW}").status_code == 200
    assert client.get("/conferences/CPC-0000-0000").status_code == 404


def test_login_goes_back_only_to_this_server(desk: Desk) -> None:
    client = desk.client()
    answer = client.post(
        "/login?next=//evil.example/x",
        data={"email": CHAIR, "password": PASSWORD, "csrf_token": token(client)},
    )
    assert answer.status_code == 303 and answer.headers["Location"] == "/"


def test_the_chair_agrees_an_amendment_as_if_the_decision_file_had_come(desk: Desk) -> None:
    client = desk.signed_in(CHAIR)
    page = client.get(f"/conferences/{DV}").get_data(as_text=True)
    assert f"/amendments/{AMENDMENT}/agree" in page  # offered to this chair
    answer = post(
        client, f"/conferences/{DV}/amendments/{AMENDMENT}/agree", {"why": "the school is right"},
        page=f"/conferences/{DV}",
    )
    assert answer.status_code == 303
    row = desk.store.amendment_row(AMENDMENT)
    assert row is not None and (row.status, row.decided_by) == ("agreed", "p-chair")
    (line,) = [line for line in desk.store.audit_lines() if line.action == "amendment_agreed"]
    assert line.user == f"web:{CHAIR.lower()}"


def test_an_administrator_cannot_decide_an_amendment(desk: Desk) -> None:
    client = desk.signed_in(ADMINISTRATOR)
    answer = post(client, f"/conferences/{DV}/amendments/{AMENDMENT}/reject", {"why": "no"})
    assert answer.status_code == 403


def test_an_administrator_sees_the_quarantine_and_sends_a_replaced_file_back(desk: Desk) -> None:
    client = desk.signed_in(ADMINISTRATOR)
    # Kept under its arrival time and a tag, then the name it came with.
    (kept,) = [p for p in (desk.root / "quarantine").iterdir() if p.name.endswith(f"-{BROKEN}")]
    page = client.get("/quarantine").get_data(as_text=True)
    assert f'<td class="govuk-table__cell">{kept.name}</td>' in page
    assert "not valid JSON" in page
    assert f'action="/quarantine/{kept.name}/requeue"' in page
    path = f"/quarantine/{kept.name}/requeue"
    unchanged = post(client, path, {"why": "replaced"}, page="/quarantine")
    assert unchanged.status_code == 403 and "unchanged" in unchanged.get_data(as_text=True)
    kept.write_text(json.dumps(example("pre-birth-scheduled")), encoding="utf-8")
    assert post(client, path, {"why": "replaced"}, page="/quarantine").status_code == 303
    assert not kept.exists()
    assert [p.name for p in (desk.root / "inbox" / "exports").iterdir() if BROKEN in p.name]
    assert _audit(desk, "quarantine_requeued") == [f"web:{ADMINISTRATOR}"]
    (line,) = [a for a in desk.store.audit_lines() if a.action == "quarantine_requeued"]
    assert line.detail["why"] == "replaced"


# ---- what a fresh-eyes review found, each shown first to fail ------------------------------------


def test_several_copies_are_decided_all_or_none(desk: Desk) -> None:
    """A releasable held copy and a changed record (never released) together: neither goes."""
    client = desk.signed_in(CHAIR)
    answer = post(
        client, f"/conferences/{DV}/release", {"copies": [HELD, HANDED], "why": "both"}, page=COPY
    )
    assert answer.status_code == 403
    assert f"{HANDED} cannot be released" in answer.get_data(as_text=True)
    assert desk.store.copy_row(DV, HELD).status == "held"
    assert not _audit(desk, "released")


def test_a_copy_named_twice_is_decided_once(desk: Desk) -> None:
    client = desk.signed_in(CHAIR)
    answer = post(
        client, f"/conferences/{DV}/release", {"copies": [HELD, HELD, HELD], "why": "x"}, page=COPY
    )
    assert answer.status_code == 303
    assert len(_audit(desk, "released")) == 1


def test_signing_out_ends_the_session_even_for_a_copy_of_the_cookie(desk: Desk) -> None:
    client = desk.signed_in(CHAIR)
    cookie = client.get_cookie("cpc_session")
    assert cookie is not None
    assert post(client, "/logout", {}, page="/").status_code == 303
    replay = desk.client()
    replay.set_cookie("cpc_session", cookie.value)
    assert replay.get("/").status_code == 302
    assert _audit(desk, "sign_out") == [f"web:{CHAIR.lower()}"]


def test_guesses_made_at_once_still_stop_at_the_limit(desk: Desk) -> None:
    def guess(_: int) -> int:
        return int(sign_in(desk.client(), SOCIAL_WORKER, "a wrong password, guessed").status_code)

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(guess, range(16))) == {200}
    tried = [a for a in desk.store.sign_in_attempts() if not a.locked and not a.succeeded]
    assert len(tried) == 5  # the rest refused, locked, without their password being tried


def test_a_date_too_large_for_any_calendar_is_refused_plainly(desk: Desk) -> None:
    lead = desk.signed_in(SOCIAL_WORKER)
    path = f"/conferences/{DV}/copies/{HANDED}/handed-over"
    answer = post(lead, path, {"on-day": "1", "on-month": "1", "on-year": "9" * 30})
    assert answer.status_code == 403 and "not a real date" in answer.get_data(as_text=True)


def test_a_file_changed_in_the_outbox_is_not_shown_as_received(desk: Desk) -> None:
    story = copy_story(desk.store, load_profiles(()), DV, HANDED, today=TODAY.date())
    assert story is not None and story.received_file is not None
    path = story.received_file.path
    assert path is not None
    kept = path.read_bytes()
    try:
        path.write_bytes(b"%PDF-1.4 not what was sent")
        answer = desk.signed_in(CHAIR).get(f"/conferences/{DV}/copies/{HANDED}/document")
        assert answer.status_code == 409
    finally:
        path.write_bytes(kept)


def test_the_lead_social_worker_marks_their_task_done_from_the_copy_page(desk: Desk) -> None:
    lead = desk.signed_in(SOCIAL_WORKER)
    page = lead.get(f"/conferences/{DV}/copies/{HANDED}").get_data(as_text=True)
    assert f'action="/conferences/{DV}/tasks/done"' in page
    form = {"kind": "hand_over", "recipient": "p-mother", "document": "record", "on": "2026-11-30"}
    assert post(lead, f"/conferences/{DV}/tasks/done", form).status_code == 303
    assert _audit(desk, "task_done") == [f"web:{SOCIAL_WORKER}"]
    admin = desk.signed_in(ADMINISTRATOR)
    assert post(admin, f"/conferences/{DV}/tasks/done", form).status_code == 403


def test_people_see_only_the_conferences_they_act_in(desk: Desk) -> None:
    other = desk.signed_in(OTHER_CHAIR)
    assert other.get(f"/conferences/{DV}").status_code == 403
    assert other.get(COPY).status_code == 403
    board = other.get("/").get_data(as_text=True)
    assert DV not in board and "Helen Marsh" not in board
    assert BROKEN not in board  # the quarantine is for administrators and auditors
    assert BROKEN in desk.signed_in(ADMINISTRATOR).get("/").get_data(as_text=True)


def test_a_script_may_name_the_hand_over_day_date_and_the_reason_note(desk: Desk) -> None:
    lead = desk.signed_in(SOCIAL_WORKER)
    path = f"/conferences/{DV}/copies/{HANDED}/handed-over"
    assert post(lead, path, {"date": "2026-12-05"}).status_code == 403  # still not after today
    assert post(lead, path, {"date": "2026-11-26", "note": "at home"}).status_code == 303
    (delivery,) = [d for d in desk.store.deliveries(DV, state="sent") if d.copy_key == HANDED]
    assert str(delivery.handed_over_on) == "2026-11-26"


def test_the_session_key_is_private_and_kept_across_restarts(desk: Desk) -> None:
    key = desk.root / "state" / "web-session.key"
    assert key.stat().st_mode & 0o777 == 0o600
    assert len(key.read_bytes()) == 64
    client = desk.signed_in(CHAIR)
    config = desk.app.extensions["cpc_desk"].config
    again = create_app(config, desk.store, load_profiles(()), now=lambda: desk.clock[0])
    assert key.read_bytes() == again.secret_key  # a restart keeps people signed in
    restarted = again.test_client()
    cookie = client.get_cookie("cpc_session")
    assert cookie is not None
    restarted.set_cookie("cpc_session", cookie.value)
    assert restarted.get("/").status_code == 200

"""The front desk's dashboard and stories, over a real store made by the real `cpc` command (issue 15).

The DV conference (chaired by Helen Marsh) sent on 24 November, then a revision that changed its
decision letters (held for the chair); the records of the parents went through their lead social
worker, Daniel Okafor, and are not handed over yet. The pre-birth conference (chaired by Rhian
Evans) is taken in too. A file that is not JSON is in the quarantine.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from pipeline.contract.load import load_export
from pipeline.procedure.profile import Profile, load_profiles
from pipeline.service.acting import actions_for
from pipeline.service.front_desk import conference_story, copy_story, dashboard
from pipeline.service.front_desk_words import copy_url, in_words, people_of
from pipeline.store.db import Store
from tests.conftest import example
from tests.fake_renderer import FAKE
from tests.service_harness import Service
from tests.test_acting import DANIEL, HELEN, RACHEL, account
from tests.test_delivery_failures import Service as EmailService

DV = "CPC-2026-0412"
PRE_BIRTH = "CPC-2026-0777"
TODAY = date(2026, 11, 25)
AN_ID = re.compile(r"(?<![\w-])[pc]-[a-z]")  # p-mother, p-sw, c-ella: ids, never shown


@pytest.fixture(scope="module")
def profiles() -> dict[str, Profile]:
    return load_profiles()


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    service = Service(tmp_path_factory.mktemp("desk") / "service", renderer=FAKE)
    service.drop(example("initial-domestic-abuse"))
    service.distribute("2026-11-24")
    changed = example("initial-domestic-abuse") | {"revision": 2, "export_id": "EXP-DV-2"}
    changed["decisions"][0]["recommendations"].append("School to arrange weekly check-ins.")
    service.drop(changed)
    service.distribute("2026-11-25")
    service.drop(example("pre-birth-scheduled"))
    bad = service.root / "inbox" / "exports" / "minutes.json"
    bad.write_text("this is not JSON", encoding="utf-8")
    service.cpc("ingest", str(bad), code=1)
    return service.root


@pytest.fixture
def service(made: Path, tmp_path: Path) -> Iterator[Service]:
    """A copy of the made service of one's own, to change (a release) without the others seeing."""
    root = tmp_path / "service"
    shutil.copytree(made, root)
    (root / "cpc.toml").write_text((made / "cpc.toml").read_text())
    yield Service(root, renderer=FAKE)


@pytest.fixture
def store(made: Path) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{made / 'state' / 'cpc.sqlite3'}", create=False)
    yield opened
    opened.close()


def test_the_dashboard_names_people_never_ids(
    store: Store, made: Path, profiles: dict[str, Profile]
) -> None:
    board = dashboard(store, profiles, today=TODAY, quarantine=made / "quarantine")
    assert len(board.items) > 10
    for item in board.items:
        for text in item.shown:
            assert not AN_ID.search(text), (item.kind, text)
    (police,) = [i for i in board.section("held").items if i.copy_key == "p-police/decision_letter"]
    assert police.recipient == "DC Tom Hale (Detective Constable, Public Protection Unit)"
    assert police.document == "letter about the conference's decisions"
    assert police.family == "Ella Whitfield, Noah Whitfield"
    assert police.url == "/conferences/CPC-2026-0412/copies/p-police%2Fdecision_letter"
    # The mother's solicitor's copy says whose it is.
    (solicitor,) = [
        i
        for i in board.section("held").items
        if i.copy_key == "p-mother-sol/decision_letter-for-p-mother"
    ]
    assert solicitor.recipient == "Priya Anand (solicitor)"
    assert solicitor.document == "letter about the conference's decisions, for Sarah Whitfield"


def test_a_held_copy_says_the_chair_may_decide(store: Store, profiles: dict[str, Profile]) -> None:
    held = dashboard(store, profiles, today=TODAY).section("held").items
    assert held
    assert {i.conference for i in held} == {DV}
    assert all(
        i.responsible == "Helen Marsh (Independent Conference Chair) may decide" for i in held
    )


def test_copies_with_the_social_worker_name_them(
    store: Store, profiles: dict[str, Profile]
) -> None:
    waiting = dashboard(store, profiles, today=TODAY).section("with_social_worker").items
    assert {i.recipient for i in waiting} >= {"Sarah Whitfield (mother)", "Mark Whitfield (father)"}
    assert {i.responsible for i in waiting} == {"Daniel Okafor (Social Worker)"}


def test_the_quarantined_file_is_listed_with_its_reason(
    store: Store, made: Path, profiles: dict[str, Profile]
) -> None:
    (item,) = (
        dashboard(store, profiles, today=TODAY, quarantine=made / "quarantine")
        .section("quarantined")
        .items
    )
    assert "minutes.json" in item.what
    assert "JSON" in item.what or "contract" in item.what
    assert dashboard(store, profiles, today=TODAY).section("quarantined").items == ()


def test_the_counts_are_of_what_is_listed(
    store: Store, made: Path, profiles: dict[str, Profile]
) -> None:
    board = dashboard(store, profiles, today=TODAY, quarantine=made / "quarantine")
    counts = dict(board.counts)
    assert counts["Quarantined files"] == 1
    assert counts["Held copies waiting for the chair"] == len(board.section("held").items)
    assert next(iter(counts)) == "Failed deliveries"  # the most urgent first


def test_copies_due_today_and_tomorrow(store: Store, profiles: dict[str, Profile]) -> None:
    # The pre-birth conference's exclusion letter is due on 17 December, its invitations on 18.
    board = dashboard(store, profiles, today=date(2026, 12, 17))
    (letter,) = board.section("due_today").items
    assert (letter.recipient, letter.document) == (
        "Ryan Price (father of the unborn baby)",
        "letter about not attending the conference",
    )
    assert {i.document for i in board.section("due_tomorrow").items} == {
        "invitation to the conference"
    }


def test_filter_by_conference(store: Store, profiles: dict[str, Profile]) -> None:
    day = date(2026, 12, 17)
    every = dashboard(store, profiles, today=day)
    assert {i.conference for i in every.items} >= {DV, PRE_BIRTH}
    only = dashboard(store, profiles, today=day, conference=PRE_BIRTH)
    assert only.items
    assert {i.conference for i in only.items} == {PRE_BIRTH}


@pytest.mark.parametrize("person", ["Helen Marsh", "p-chair", "helen marsh"])
def test_filter_by_the_chair_keeps_what_waits_for_her(
    store: Store, profiles: dict[str, Profile], person: str
) -> None:
    hers = dashboard(store, profiles, today=TODAY, person=person)
    assert hers.section("held").items
    assert all("Helen Marsh" in (i.responsible or "") for i in hers.items)
    assert not hers.section("with_social_worker").items


def test_filter_by_the_social_worker_keeps_the_hand_overs(
    store: Store, profiles: dict[str, Profile]
) -> None:
    his = dashboard(store, profiles, today=TODAY, person="Daniel Okafor")
    assert his.section("with_social_worker").items
    assert not his.section("held").items


def test_filter_by_administrator_keeps_the_quarantine(
    store: Store, made: Path, profiles: dict[str, Profile]
) -> None:
    admin = dashboard(
        store, profiles, today=TODAY, person="administrator", quarantine=made / "quarantine"
    )
    assert admin.section("quarantined").items
    assert not admin.section("held").items


def test_filter_by_due_date(store: Store, profiles: dict[str, Profile]) -> None:
    by = date(2026, 11, 30)
    soon = dashboard(store, profiles, today=TODAY, due_by=by)
    assert soon.items
    assert all(i.due is not None and i.due <= by for i in soon.items)
    later = dashboard(store, profiles, today=TODAY)
    # The parents' records are due on 21 December: listed without the filter, not with it.
    assert any(i.due == date(2026, 12, 21) for i in later.items)


def test_the_conference_story_names_people_and_says_where_copies_stand(
    store: Store, profiles: dict[str, Profile]
) -> None:
    story = conference_story(store, profiles, DV, today=TODAY)
    assert story is not None
    assert story.chair == "Helen Marsh (Independent Conference Chair)"
    assert [r.revision for r in story.revisions] == [1, 2]
    for line in story.copies:
        for text in (line.recipient, line.document, line.status):
            assert not AN_ID.search(text), text
    by_key = {line.copy_key: line for line in story.copies}
    assert by_key["p-police/decision_letter"].status.startswith("Held for the chair")
    # Sent by post the first time; unchanged, so not sent again.
    assert by_key["p-mother/outline_plan"].status == "Delivered on 2026-11-24 (by post)"
    assert conference_story(store, profiles, "CPC-2099-0001", today=TODAY) is None


def test_a_released_copy_not_yet_sent_says_released(
    service: Service, profiles: dict[str, Profile]
) -> None:
    service.cpc("release", DV, "p-police/decision_letter", "--by", "p-chair", "--why", "checked")
    store = service.store()
    try:
        story = conference_story(store, profiles, DV, today=TODAY)
        copy = copy_story(store, profiles, DV, "p-police/decision_letter", today=TODAY)
    finally:
        store.close()
    assert story is not None and copy is not None
    (line,) = [c for c in story.copies if c.copy_key == "p-police/decision_letter"]
    assert "Released" in line.status
    assert "Helen Marsh" in line.status
    assert "Released" in copy.status
    (decision,) = copy.decisions
    assert (decision.decision, decision.why) == ("released", "checked")
    assert decision.by == "Helen Marsh (Independent Conference Chair)"


def test_the_copy_story_has_its_history_and_the_file_as_received(
    store: Store, profiles: dict[str, Profile]
) -> None:
    copy = copy_story(store, profiles, DV, "p-police/record", today=TODAY)
    assert copy is not None
    assert copy.recipient == "DC Tom Hale (Detective Constable, Public Protection Unit)"
    assert copy.document == "record of the conference"
    assert [d.sent_on for d in copy.deliveries] == [date(2026, 11, 24)]
    assert [a.action for a in copy.audit] == ["delivered"]
    received = copy.received_file
    assert received is not None and received.path is not None
    assert received.path.name == "record.pdf"
    assert received.path.read_bytes()[:5] == b"%PDF-"
    assert copy_story(store, profiles, DV, "p-nobody/record", today=TODAY) is None
    assert copy_story(store, profiles, "CPC-2099-0001", "p-police/record", today=TODAY) is None


def test_a_failed_delivery_is_listed_first_with_the_servers_reason(
    tmp_path: Path, profiles: dict[str, Profile]
) -> None:
    """The professionals' copies by e-mail, to a mail server that is not there."""
    service = EmailService(tmp_path, renderer=FAKE)
    service.drop(example("initial-domestic-abuse"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    service.run(date(2026, 11, 24), closed_port, None)
    store = service.store()
    try:
        board = dashboard(store, profiles, today=date(2026, 11, 24))
        for_admin = dashboard(store, profiles, today=date(2026, 11, 24), person="administrator")
    finally:
        store.close()
    assert board.sections[0].title == "Failed deliveries"
    (police,) = [i for i in board.section("failed").items if i.copy_key == "p-police/record"]
    assert police.what.startswith("Not delivered: ")
    assert "could not connect" in police.what
    assert police.recipient == "DC Tom Hale (Detective Constable, Public Protection Unit)"
    assert police.responsible == "an administrator"
    assert police in for_admin.section("failed").items


def test_the_copy_story_gives_the_page_what_it_may_offer(
    store: Store, profiles: dict[str, Profile]
) -> None:
    def offered(key: str, email: str, role: str) -> tuple[str, ...]:
        story = copy_story(store, profiles, DV, key, today=TODAY)
        assert story is not None
        return actions_for(
            account(email, role),
            story.export,
            story.row,
            story.pending,
            handed_over=story.handed_over,
            open_tasks=story.open_tasks,
        )

    assert offered("p-police/decision_letter", HELEN, "chair") == ("release", "withdraw")
    assert offered("p-police/decision_letter", HELEN, "administrator") == ()
    # Ella's letter goes through Daniel Okafor, who is to hand it over (a task of his). The
    # revision's new recommendation did not change it (a child's own letter prints none), so it
    # is sent and waits for him to hand it over.
    assert offered("c-ella/decision_letter", DANIEL, "social_worker") == (
        "handed-over",
        "task-done",
    )
    assert offered("c-ella/decision_letter", RACHEL, "social_worker") == ()


@pytest.mark.parametrize(
    ("text", "said"),
    [
        # a copy key in a check's detail
        (
            "1 went after their due date: p-police/record by 2 working days",
            "1 went after their due date: DC Tom Hale's record of the conference by 2 working days",
        ),
        # a bare id in a stored reason
        ("withdrawn by p-chair: not needed", "withdrawn by Helen Marsh: not needed"),
        # the longest id first (p-mother-sol is not p-mother), and for whom the copy is
        (
            "p-mother-sol/record-for-p-mother",
            "Priya Anand's record of the conference, for Sarah Whitfield",
        ),
        # an id at the end of a sentence
        ("withheld from p-father.", "withheld from Mark Whitfield."),
        # an amendment's notice keeps the amendment's id
        (
            "p-gran/amendment_notice-AMD-0412-01",
            "Margaret Oakes's amendment to the record of the conference (AMD-0412-01)",
        ),
        # not a person of this conference: left as written
        ("p-nobody/record and p-chair3", "p-nobody/record and p-chair3"),
    ],
)
def test_ids_in_stored_words_are_put_into_names(text: str, said: str) -> None:
    export = load_export(json.dumps(example("initial-domestic-abuse")).encode(), ["default"])
    assert in_words(text, people_of(export)) == said


def test_a_copy_url_quotes_the_whole_key() -> None:
    assert copy_url(DV, "p-mother-sol/record-for-p-mother") == (
        "/conferences/CPC-2026-0412/copies/p-mother-sol%2Frecord-for-p-mother"
    )


def test_a_copy_through_the_social_worker_says_so_until_handed_over(
    tmp_path: Path, profiles: dict[str, Profile]
) -> None:
    service = Service(tmp_path, renderer=FAKE)
    service.drop(example("initial-domestic-abuse"))
    service.distribute("2026-11-24")

    def status() -> str:
        store = service.store()
        try:
            story = copy_story(store, profiles, DV, "p-mother/record", today=TODAY)
        finally:
            store.close()
        assert story is not None
        return story.status

    assert status() == "With Daniel Okafor (Social Worker) since 2026-11-24, not yet handed over"
    service.cpc("handed-over", DV, "p-mother/record", "--by", "p-sw", "--on", "2026-11-26")
    assert status() == "Handed over by Daniel Okafor (Social Worker) on 2026-11-26"

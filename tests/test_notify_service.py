"""`cpc distribute` with `[channels] family = "notify"` and `professional = "notify"`, against the Notify test double on loopback: what Notify was given, what `cpc status` and `cpc history` then say.

The fake renderer where the layout is not the point (which copies go, how often, what is
recorded); its one-line pages break Notify's letter rules, so its letters come back
`validation-failed`, as they would from Notify. One test lays the family's letters out for real.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from pipeline.checking.letter_rules import address_in_window
from tests.conftest import example, with_real_format_postcodes
from tests.fake_renderer import FAKE, LaidOutFor
from tests.notify_double import API_KEY, TEMPLATE_ID, NotifyDouble
from tests.service_harness import Service

# Each test on both stores: SQLite and PostgreSQL (tests.backends).
pytestmark = pytest.mark.usefixtures("database")

DV = "CPC-2026-0412"  # initial-domestic-abuse.json
DAY = "2026-12-01"


def notify_service(
    root: Path,
    double: NotifyDouble,
    retries: int = 1,
    renderer: Any = FAKE,
    professional: str = "notify",
    data: dict[str, Any] | None = None,
) -> Service:
    channels = (
        f'family = "notify"\nprofessional = "{professional}"\n'
        f'[notify]\nbase_url = "{double.base_url}"\nemail_template_id = "{TEMPLATE_ID}"\n'
        f'postage = "first"\nretries = {retries}\nbackoff_seconds = 0\n'
    )
    service = Service(root, channels, renderer=renderer)
    service.drop(data or example("initial-domestic-abuse"))
    return service


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CPC_NOTIFY_API_KEY", API_KEY)  # from the environment, never a file


def status(service: Service) -> dict[str, Any]:
    return json.loads(service.cpc("status", "--today", DAY, "--format", "json"))


def history(service: Service) -> dict[str, Any]:
    return json.loads(service.cpc("history", DV, "--format", "json"))


def test_family_letters_and_professional_emails_go_once_and_notifys_failures_show_as_failed(
    tmp_path: Path, notify_double: NotifyDouble
) -> None:
    service = notify_service(tmp_path / "service", notify_double)
    export_file = tmp_path / "export.json"
    export_file.write_text(json.dumps(example("initial-domestic-abuse")), encoding="utf-8")
    plan = json.loads(service.cpc("plan", str(export_file), "--format", "json"))
    planned = Counter(c["channel"] for c in plan["copies"])
    assert planned["notify"] > 0 and "post" not in planned  # `cpc plan` shows the channel

    service.distribute(DAY)
    sent = [d for d in service.sent(DV) if d.channel == "notify"]
    assert sent and all(d.notify_status in ("pending-virus-check", "created") for d in sent)
    letters = [n for n in notify_double.sends if n.kind == "letter"]
    emails = [n for n in notify_double.sends if n.kind == "email"]
    by_id: dict[str, list[Any]] = {}
    for d in sent:
        by_id.setdefault(d.notify_id or "", []).append(d)
    # Each e-mail is one copy under its own reference; each letter is one person's envelope:
    # every copy they are posted this run, under one reference. None is sent twice.
    assert {d.notify_id for d in sent} == {n.id for n in notify_double.sends}
    assert len({n.reference for n in notify_double.sends}) == len(notify_double.sends)
    for n in emails:
        (copy,) = by_id[n.id]
        assert n.reference == copy.message_id
    export = example("initial-domestic-abuse")
    people = {p["id"]: p for p in export["people"]}
    for n in emails:  # professionals by e-mail at the address the export gives
        reader = people[by_id[n.id][0].recipient]
        assert reader["role"] == "professional" and n.body["email_address"] == reader["email"]
    addressees = Counter()
    for n in letters:  # the family by letter, one envelope each, first class as configured
        (addressee,) = {d.via or d.recipient for d in by_id[n.id]}
        addressees[addressee] += 1
        assert people[addressee]["role"] != "professional"
        assert n.body["postage"] == "first"
        assert n.reference not in {d.message_id for d in sent}  # the envelope's own
    assert letters and emails and set(addressees.values()) == {1}
    assert sum(len(by_id[n.id]) for n in letters) > len(letters)  # copies share envelopes
    # A letter taken before 17:30 is in that day's print run; it counts as received as posted.
    assert all(
        d.notify_print_day is not None for d in sent if d.destination and "letter" in d.destination
    )

    notify_double.advance()
    notify_double.advance()  # e-mails delivered; the fake letters failed Notify's checks
    assert {n.status for n in letters} == {"validation-failed"}
    assert {n.status for n in emails} == {"delivered"}
    before = len(notify_double.sends)
    output = service.cpc("distribute", "--today", DAY, "--workers", "0", code=1)
    assert "validation-failed" in output
    assert len(notify_double.sends) == before  # nothing sent again, failed or delivered

    report = status(service)
    failed = {f["copy"]: f for f in report["failed"]}
    letter_keys = {d.copy_key for n in letters for d in by_id[n.id]}
    assert set(failed) >= letter_keys
    for key in letter_keys:
        assert failed[key]["channel"] == "notify" and failed[key]["kind"] == "permanent"
        assert "validation-failed" in failed[key]["error"]
        assert "could not print the letter" in failed[key]["error"]
    rows = {d["copy"]: d for d in history(service)["deliveries"] if d["channel"] == "notify"}
    for key in letter_keys:
        assert rows[key]["state"] == "failed" and rows[key]["notify_status"] == "validation-failed"
    email_keys = {by_id[n.id][0].copy_key for n in emails}
    for key in email_keys:
        assert rows[key]["state"] == "sent" and rows[key]["notify_status"] == "delivered"
        assert rows[key]["received_on"] is not None
    assert not set(failed) & email_keys


def test_a_letter_whose_answer_was_lost_is_found_by_its_reference_not_sent_twice(
    tmp_path: Path, notify_double: NotifyDouble
) -> None:
    """The request reached Notify and the answer never came back (no retries: as a killed run
    makes none): the delivery stays pending; the next run looks it up and records it sent."""
    service = notify_service(tmp_path / "service", notify_double, retries=0)
    notify_double.drop_next()
    service.cpc("distribute", "--today", DAY, "--workers", "0", code=1)
    taken = len(notify_double.sends)
    store = service.store()
    try:
        pending = store.deliveries(DV, state="pending")
    finally:
        store.close()
    assert len(pending) == 1 and pending[0].channel == "notify"
    assert pending[0].message_id in {n.reference for n in notify_double.sends}

    service.distribute(DAY)
    assert len(notify_double.sends) == taken  # found by its reference: nothing sent twice
    assert Counter(n.reference for n in notify_double.sends).most_common(1)[0][1] == 1
    (found,) = [d for d in service.sent(DV) if d.message_id == pending[0].message_id]
    assert found.notify_id in {n.id for n in notify_double.sends}


def test_a_4xx_fails_the_copy_with_notifys_words_and_a_5xx_is_retried(
    tmp_path: Path, notify_double: NotifyDouble
) -> None:
    service = notify_service(tmp_path / "service", notify_double, retries=2)
    words = "Can't send to this recipient using a team-only API key"
    notify_double.fail_next(1, 400, "BadRequestError", words)
    notify_double.fail_next(2, 500)  # the next copy: tried three times
    service.cpc("distribute", "--today", DAY, "--workers", "0", code=1)
    report = status(service)
    (refused,) = [f for f in report["failed"] if words in f["error"]]
    assert refused["kind"] == "permanent" and refused["channel"] == "notify"
    sent = [d for d in service.sent(DV) if d.channel == "notify"]
    assert {d.notify_id for d in sent} == {n.id for n in notify_double.sends}
    assert len({n.reference for n in notify_double.sends}) == len(notify_double.sends)  # once


# SQLite only: the letters' layout against Notify's rules is the point, whichever store.
@pytest.mark.one_store
def test_real_letters_to_the_family_pass_notifys_checks(
    tmp_path: Path, notify_double: NotifyDouble
) -> None:
    """The family's letters laid out for real, sent to the double, which checks them by Notify's
    rules (letter_rules): every one accepted. (Real-format postcode areas: the examples' own
    are fictional, and Notify rightly refuses those.)"""
    family = tuple(
        p["id"] for p in example("initial-domestic-abuse")["people"] if p["role"] != "professional"
    )
    data = with_real_format_postcodes(example("initial-domestic-abuse"))
    service = notify_service(
        tmp_path / "service", notify_double, renderer=LaidOutFor(family), data=data
    )
    service.distribute(DAY)
    letters = [n for n in notify_double.sends if n.kind == "letter"]
    assert letters
    found = Counter(code for n in letters for code in {p.code for p in n.problems})
    failing = [n for n in letters if n.problems]
    window = address_in_window(failing[0].pdf) if failing else ()
    assert not found, f"{len(letters)} letters; letters with each problem: {dict(found)}; {window}"


_KILLED_RUN = """
import sys
from datetime import UTC, datetime

import pipeline.clock
from typer.testing import CliRunner

from pipeline.cli.app import app
from pipeline.service.run import RunTools
from tests.fake_renderer import FAKE

pipeline.clock.now = lambda: datetime(2027, 12, 31, 12, 0, tzinfo=UTC)  # as the suite's clock
CliRunner().invoke(
    app,
    ["distribute", "--today", sys.argv[1], "--workers", "0", "--config", sys.argv[2]],
    obj=RunTools(renderer=FAKE),
)
"""


def killed_while_notify_holds_its_answer(service: Service, double: NotifyDouble) -> Any:
    """`cpc distribute` in its own process, killed (SIGKILL) while Notify holds its answer to
    the first thing the run sent; what Notify took."""
    held = double.hold_next()
    run = subprocess.Popen(
        [sys.executable, "-c", _KILLED_RUN, DAY, str(service.config)],
        env=os.environ | {"PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    try:
        deadline = time.monotonic() + 60
        while not double.sends and time.monotonic() < deadline:
            time.sleep(0.05)
        assert double.sends, "the run never reached Notify"
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=30)
    finally:
        held.set()
        if run.poll() is None:
            run.kill()
    (taken,) = double.sends
    return taken


def test_a_run_killed_after_notify_took_a_copy_and_before_its_answer_sends_nothing_twice(
    tmp_path: Path, notify_double: NotifyDouble
) -> None:
    """A real kill: `cpc distribute` in its own process, killed (SIGKILL) while Notify holds the
    answer to the first copy it has taken. The next run looks it up and sends nothing again."""
    service = notify_service(tmp_path / "service", notify_double)
    taken = killed_while_notify_holds_its_answer(service, notify_double)
    store = service.store()
    try:
        (pending,) = [
            d for d in store.deliveries(DV, state="pending") if d.message_id == taken.reference
        ]  # its reference was on record before it left
    finally:
        store.close()
    assert pending.channel == "notify"

    service.distribute(DAY)
    references = Counter(n.reference for n in notify_double.sends)
    assert references[taken.reference] == 1  # found, not sent again
    assert max(references.values()) == 1
    (found,) = [d for d in service.sent(DV) if d.message_id == taken.reference]
    assert found.notify_id == taken.id
    sent = [d for d in service.sent(DV) if d.channel == "notify"]
    assert {d.notify_id for d in sent} == {n.id for n in notify_double.sends}


def test_a_letter_whose_answer_was_lost_is_found_by_its_envelopes_reference(
    tmp_path: Path, notify_double: NotifyDouble
) -> None:
    """One person's letter (their envelope: several copies) reached Notify and the answer never
    came back: its copies stay pending; the next run packs the same envelope, finds it at Notify
    by its reference, and records every copy in it sent, none sent again."""
    service = notify_service(tmp_path / "service", notify_double, retries=0, professional="folder")
    notify_double.drop_next()
    service.cpc("distribute", "--today", DAY, "--workers", "0", code=1)
    (lost,) = [n for n in notify_double.sends if n.kind == "letter"][:1]
    service.distribute(DAY)
    references = Counter(n.reference for n in notify_double.sends)
    assert references[lost.reference] == 1 and max(references.values()) == 1
    in_lost = [d for d in service.sent(DV) if d.notify_id == lost.id]
    assert len(in_lost) > 1  # the envelope held several copies, all recorded with its id
    store = service.store()
    try:
        assert store.deliveries(DV, state="pending") == []
    finally:
        store.close()


def test_a_letter_found_already_failed_at_notify_is_failed_not_sent(
    tmp_path: Path, notify_double: NotifyDouble
) -> None:
    """The answer to a letter was lost, and by the next run Notify had already refused it (the
    fake renderer's pages break its rules): the copies it held are failed with Notify's reason,
    never recorded sent, and nothing is sent again."""
    service = notify_service(tmp_path / "service", notify_double, retries=0, professional="folder")
    notify_double.drop_next()
    service.cpc("distribute", "--today", DAY, "--workers", "0", code=1)
    (lost,) = [n for n in notify_double.sends if n.kind == "letter"][:1]
    notify_double.advance()
    assert lost.status == "validation-failed"
    service.cpc("distribute", "--today", DAY, "--workers", "0", code=1)
    assert Counter(n.reference for n in notify_double.sends)[lost.reference] == 1
    in_lost = [d for d in service.store().deliveries(DV) if d.notify_id == lost.id]
    assert in_lost and all(d.state == "failed" for d in in_lost)
    failed = {f["copy"]: f for f in status(service)["failed"]}
    assert all("validation-failed" in failed[d.copy_key]["error"] for d in in_lost)


def test_a_run_killed_while_notify_holds_a_letters_answer_sends_that_letter_once(
    tmp_path: Path, notify_double: NotifyDouble
) -> None:
    """A real kill (SIGKILL) while Notify holds its answer to a person's letter (an envelope of
    several copies): the next run finds that letter by its reference, records every copy in it,
    and sends each other letter once."""
    service = notify_service(tmp_path / "service", notify_double, professional="folder")
    taken = killed_while_notify_holds_its_answer(service, notify_double)
    assert taken.kind == "letter"

    service.distribute(DAY)
    references = Counter(n.reference for n in notify_double.sends)
    assert references[taken.reference] == 1 and max(references.values()) == 1
    in_taken = [d for d in service.sent(DV) if d.notify_id == taken.id]
    assert len(in_taken) > 1
    sent = [d for d in service.sent(DV) if d.channel == "notify"]
    assert {d.notify_id for d in sent} == {n.id for n in notify_double.sends}

"""Failed and late deliveries are states, shown in `cpc status`, `cpc history` and the run's summary (issue 10 item 1).

E-mail goes to a real SMTP server on 127.0.0.1 (aiosmtpd, STARTTLS with a throwaway CA, as in
tests/test_deliver_email.py) that is made to refuse (4xx, 5xx) or to drop the connection. The run
is the library's `distribute` (the command would trust only the system's CAs); everything a
person reads is the real `cpc status` and `cpc history` on the same store.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from pipeline.config import Channels
from pipeline.delivery.email import SmtpSettings
from pipeline.procedure.calendar import WorkingCalendar
from pipeline.procedure.profile import load_profiles
from pipeline.service.run import RunSettings, RunSummary, distribute
from tests import service_harness
from tests.conftest import example
from tests.fake_renderer import FAKE
from tests.mail_server import MailServer
from tests.test_deliver_email import PASSWORD, USER

# Each test on both stores: SQLite and PostgreSQL (tests.backends).
pytestmark = pytest.mark.usefixtures("database")

DV = "CPC-2026-0412"  # initial-domestic-abuse.json: held on Mon 23 November 2026
FIRST_RUN = date(2026, 11, 24)
SENDER = "cpc@northby.example.gov.uk"


@pytest.fixture
def dropping_port() -> Iterator[int]:
    """A port whose server accepts each connection and closes it at once, before any greeting:
    a connection dropped (a mail relay restarting, a firewall cutting it)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        listener.close()


class Service(service_harness.Service):
    """The DV conference's service, its runs through the library with professionals on e-mail
    (the configuration the commands read needs no mail server)."""

    def run(self, today: date, port: int, client_tls: ssl.SSLContext | None) -> RunSummary:
        settings = RunSettings(
            today=today,
            sent_at=datetime.combine(today, time(9, 0), tzinfo=ZoneInfo("Europe/London")),
            outbox=self.root / "outbox",
            spool=self.root / "state" / "spool",
            channels=Channels(professional="email"),
            smtp=SmtpSettings(
                host="127.0.0.1",
                port=port,
                username=USER,
                password=PASSWORD,
                sender=SENDER,
                timeout=10.0,
                tls_context=client_tls,
            ),
            message_id_domain="cpc.northby.example.gov.uk",
            profile_dirs=(),
            workers=0,
        )
        store = self.store()
        try:
            return distribute(store, load_profiles(), settings, renderer=self.tools.renderer)
        finally:
            store.close()

    def status(self, today: date) -> dict[str, Any]:
        return json.loads(self.cpc("status", "--today", today.isoformat(), "--format", "json"))

    def history(self) -> dict[str, Any]:
        return json.loads(self.cpc("history", DV, "--format", "json"))


def e_mailed(service: Service) -> set[str]:
    """The copies the plan sends by e-mail: the professionals' own (not through the social
    worker, not the solicitor's, who is not a professional)."""
    export = example("initial-domestic-abuse")
    professionals = {p["id"] for p in export["people"] if p["role"] == "professional"}
    store = service.store()
    try:
        rows = store.copy_rows(DV)
    finally:
        store.close()
    return {r.copy_key for r in rows if r.recipient in professionals and not r.via}


def due_now(service: Service) -> set[str]:
    """E-mailed copies due by the first run (the decision letters and outline plans)."""
    store = service.store()
    try:
        rows = {r.copy_key: r for r in store.copy_rows(DV)}
    finally:
        store.close()
    return {key for key in e_mailed(service) if rows[key].due <= FIRST_RUN}


def test_a_451_is_failed_with_the_servers_words_then_sent_by_the_next_run(
    tmp_path: Path, mail_server: MailServer
) -> None:
    """A transient refusal (SMTP 4xx) shows as failed, first in `cpc status` and in `cpc
    history`, with the server's reply and that it is tried again; the next run, with the server
    taking mail again, delivers each of them once."""
    service = Service(tmp_path, renderer=FAKE)
    service.drop(example("initial-domestic-abuse"))
    mail_server.mailbox.data_reply = "451 4.3.0 Mail server temporarily out of service"
    summary = service.run(FIRST_RUN, mail_server.port, mail_server.client_tls)
    emails = e_mailed(service)
    assert {key for _, key, _ in summary.failed} == emails
    assert summary.refused == []
    assert mail_server.mailbox.messages == []

    status = service.status(FIRST_RUN)
    assert list(status)[:3] == ["today", "store", "failed"]  # failures first
    failed = {f["copy"]: f for f in status["failed"]}
    assert set(failed) == emails
    for item in failed.values():
        assert item["status"] == "failed"
        assert item["channel"] == "email"
        assert "451 4.3.0 Mail server temporarily out of service" in item["error"]
        assert item["kind"] == "transient"
        assert item["next"] == "tried again by the next run"
        assert item["recipient_name"] and item["recipient"] in item["recipient_name"]
    # Wherever else such a copy is listed, it says failed, not "sending".
    for section in ("due_today", "overdue"):
        for row in status[section]:
            if row["copy"] in emails:
                assert row["status"] == "failed"
    history = {d["copy"]: d for d in service.history()["deliveries"]}
    for key in emails:
        assert history[key]["state"] == "failed"
        assert "451 4.3.0" in history[key]["error"]
        assert history[key]["sent_on"] is None

    mail_server.mailbox.data_reply = None
    again = service.run(FIRST_RUN, mail_server.port, mail_server.client_tls)
    assert again.failed == [] and again.refused == []
    assert len(mail_server.mailbox.messages) == len(emails)
    assert service.status(FIRST_RUN)["failed"] == []
    history = {d["copy"]: d for d in service.history()["deliveries"]}
    for key in emails:
        assert history[key]["state"] == "sent"
        assert history[key]["attempts"] == 2
        assert history[key]["sent_on"] == FIRST_RUN.isoformat()


def test_a_550_waits_for_a_person_until_a_corrected_export_arrives(
    tmp_path: Path, mail_server: MailServer
) -> None:
    """A permanent refusal (SMTP 5xx) is failed and says it waits for a person; later runs do
    not try it again, though the server would now take it; a new revision does."""
    service = Service(tmp_path, renderer=FAKE)
    service.drop(example("initial-domestic-abuse"))
    mail_server.mailbox.rcpt_reply = "550 5.1.1 <{address}>: mailbox unavailable"
    summary = service.run(FIRST_RUN, mail_server.port, mail_server.client_tls)
    emails = e_mailed(service)
    assert {key for _, key, _ in summary.refused} == emails
    failed = {f["copy"]: f for f in service.status(FIRST_RUN)["failed"]}
    assert set(failed) == emails
    export = example("initial-domestic-abuse")
    addresses = {p["email"] for p in export["people"] if p.get("email")}
    for item in failed.values():
        assert "550 5.1.1 <<recipient>>: mailbox unavailable" in item["error"]
        assert item["kind"] == "permanent"
        assert "corrected export" in item["next"] and "withdraw" in item["next"]
        # The server's words name the address; what is kept says <recipient> instead.
        assert not any(address in item["error"] for address in addresses)
    history = {d["copy"]: d for d in service.history()["deliveries"]}
    assert all(history[key]["state"] == "failed" for key in emails)

    mail_server.mailbox.rcpt_reply = None
    later = service.run(date(2026, 11, 25), mail_server.port, mail_server.client_tls)
    assert mail_server.mailbox.messages == []  # not retried: nothing changed
    assert later.failed == [] and later.refused == []
    assert {f["copy"] for f in service.status(date(2026, 11, 25))["failed"]} == emails

    # The chair withdraws one; a corrected export (a new revision) sends the rest.
    service.cpc(
        "withdraw", DV, "p-police/record", "--by", "p-chair", "--why", "police copy by hand"
    )
    corrected = example("initial-domestic-abuse")
    corrected["revision"] = 2
    corrected["export_id"] = "EXP-DV-2"
    service.drop(corrected)
    service.run(date(2026, 11, 25), mail_server.port, mail_server.client_tls)
    sent = {rcpt for _, (rcpt,), _, _ in mail_server.mailbox.messages}
    assert len(mail_server.mailbox.messages) == len(emails) - 1
    assert sent <= addresses
    assert service.status(date(2026, 11, 25))["failed"] == []


def test_a_dropped_or_refused_connection_is_transient(
    tmp_path: Path, dropping_port: int, mail_server: MailServer
) -> None:
    """Connection refused (nothing listening) and connection dropped (closed before the
    greeting) are tried again; the next run with the server up delivers them."""
    service = Service(tmp_path, renderer=FAKE)
    service.drop(example("initial-domestic-abuse"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    refused = service.run(FIRST_RUN, closed_port, mail_server.client_tls)
    emails = e_mailed(service)
    assert {key for _, key, _ in refused.failed} == emails
    errors = {f["error"] for f in service.status(FIRST_RUN)["failed"]}
    assert errors and all("could not connect" in e and "refused" in e.lower() for e in errors)

    dropped = service.run(FIRST_RUN, dropping_port, mail_server.client_tls)
    assert {key for _, key, _ in dropped.failed} == emails
    failed = service.status(FIRST_RUN)["failed"]
    assert all(f["kind"] == "transient" for f in failed)
    assert all("closed" in f["error"].lower() or "disconnect" in f["error"].lower() for f in failed)

    service.run(FIRST_RUN, mail_server.port, mail_server.client_tls)
    assert len(mail_server.mailbox.messages) == len(emails)
    assert service.status(FIRST_RUN)["failed"] == []


def test_a_run_exits_1_and_its_summary_says_what_failed(tmp_path: Path) -> None:
    """Through the command: the e-mail server is not there, the run exits 1 and its summary
    lists each copy that failed and that it is tried again."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    service = service_harness.Service(tmp_path, channels='professional = "email"', renderer=FAKE)
    service.config.write_text(
        service.config.read_text()
        + f'[smtp]\nhost = "127.0.0.1"\nport = {closed_port}\nstarttls = true\n'
    )
    service.drop(example("initial-domestic-abuse"))
    output = service.cpc("distribute", "--today", "2026-11-24", "--workers", "0", code=1)
    assert "FAILED (" in output and "tried again next run" in output
    assert "could not connect" in output
    table = service.cpc("status", "--today", "2026-11-24")
    assert table.index("FAILED: not delivered (") < table.index("Overdue")
    assert "p-police/decision_letter" in table


def test_a_decision_letter_two_working_days_late_is_late_by_2(tmp_path: Path) -> None:
    """Issue 10: decision letters due under the 24-hour rule and sent two working days after
    their due date are recorded late by 2 (the conference's calendar), listed in `cpc status`
    and `cpc history`, and the check "documents sent on time" is a problem."""
    service = service_harness.Service(tmp_path, renderer=FAKE)
    service.drop(example("initial-domestic-abuse"))
    police = service.copy(DV, "p-police/decision_letter")
    calendar = WorkingCalendar.for_nation("england")
    sent_on = calendar.add_working_days(police.due, 2)
    assert (sent_on - police.due).days >= 2
    service.distribute(sent_on.isoformat())

    status = json.loads(service.cpc("status", "--today", sent_on.isoformat(), "--format", "json"))
    late = {row["copy"]: row for row in status["late"]}
    letters = {key for key in late if key.endswith("/decision_letter")}
    assert "p-police/decision_letter" in letters
    for key in letters:
        assert late[key]["late_by_working_days"] == 2
        assert late[key]["sent_on"] == sent_on.isoformat()
    assert not any(key.endswith("/record") for key in late)  # due in December: on time
    check = next(
        c
        for c in status["checks"]
        if c["conference"] == DV and c["check"] == "documents_sent_on_time"
    )
    assert check["status"] == "problem"
    assert "p-police/decision_letter by 2 working days" in check["detail"]

    history = json.loads(service.cpc("history", DV, "--format", "json"))
    delivery = next(d for d in history["deliveries"] if d["copy"] == "p-police/decision_letter")
    assert delivery["late_by_working_days"] == 2
    assert delivery["due"] == police.due.isoformat()
    assert delivery["delivered_at"].endswith("+00:00")  # the real time, with its zone
    assert history["checks"][0]["status"] == "problem"

    # Outside the window asked for, it is not listed; the check still says it went late.
    far = json.loads(
        service.cpc("status", "--today", "2026-12-31", "--late-days", "3", "--format", "json")
    )
    assert far["late"] == []
    table = service.cpc("status", "--today", sent_on.isoformat())
    assert "Delivered late in the last 14 days" in table


def test_copies_sent_on_their_due_date_pass_the_check(tmp_path: Path) -> None:
    service = service_harness.Service(tmp_path, renderer=FAKE)
    service.drop(example("initial-domestic-abuse"))
    due = service.copy(DV, "p-police/decision_letter").due
    service.distribute(due.isoformat())
    status = json.loads(service.cpc("status", "--today", due.isoformat(), "--format", "json"))
    assert status["late"] == []
    check = next(c for c in status["checks"] if c["check"] == "documents_sent_on_time")
    assert check["status"] == "ok", check

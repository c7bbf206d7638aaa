"""A worker's job whose deliveries failed for a reason that may pass is tried again, with a wait, and each copy then goes once; one refused for good is recorded failed and not tried again.

The worker is the library's (`run_worker`, in this process, so that it trusts the throw-away
CA of the real SMTP server on loopback, tests/mail_server.py); the job is queued as `cpc
distribute --queue` queues it, in the PostgreSQL store of a throw-away server. E-mail goes to
the DV conference's professionals (R29, R30).
"""

from __future__ import annotations

import re
import threading
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

from pipeline.config import Channels
from pipeline.delivery.channel import ChannelSet
from pipeline.delivery.email import SmtpSettings
from pipeline.procedure.profile import load_profiles
from pipeline.rendering.html import Composer
from pipeline.service.job_queue import JobOfRun, enqueue, queue_app
from pipeline.service.queue_worker import Worker, run_worker
from pipeline.service.settings import QueueSettings, RunSettings
from pipeline.store.db import Store, StoredDelivery
from tests import service_harness
from tests.conftest import example
from tests.fake_renderer import FAKE
from tests.mail_server import MailServer, Refusing
from tests.test_deliver_email import PASSWORD, USER, Received
from tests.test_delivery_failures import DV, FIRST_RUN, SENDER


class RefusingFirst(Refusing):
    """Answers each message's first DATA with a 451 and takes it the second time (a message
    sent again keeps its Message-ID)."""

    seen: set[bytes]

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        message_id = re.search(rb"(?im)^Message-ID:\s*(\S+)", envelope.content)
        assert message_id is not None
        if message_id.group(1) not in self.seen:
            self.seen.add(message_id.group(1))
            return "451 4.3.0 Mail server temporarily out of service"
        return await Received.handle_DATA(self, server, session, envelope)


def _settings(root: Path, mail: MailServer, today: date) -> RunSettings:
    return RunSettings(
        today=today,
        sent_at=datetime.combine(today, time(9, 0), tzinfo=ZoneInfo("Europe/London")),
        outbox=root / "outbox",
        spool=root / "spool",
        state=root / "state",
        channels=Channels(professional="email"),
        smtp=SmtpSettings(
            host="127.0.0.1",
            port=mail.port,
            username=USER,
            password=PASSWORD,
            sender=SENDER,
            timeout=10.0,
            tls_context=mail.client_tls,
        ),
        message_id_domain="cpc.northby.example.gov.uk",
        profile_dirs=(),
        workers=0,
    )


def _work_once(store: Store, root: Path, mail: MailServer, attempts: int) -> None:
    settings = _settings(root, mail, FIRST_RUN)
    app = queue_app(store, sync=True)
    with app.open():
        enqueue(store, app, [JobOfRun(DV, "run-1", FIRST_RUN, settings.sent_at)])
    queue = QueueSettings(
        attempts=attempts, retry_wait_seconds=0, heartbeat_seconds=0.5, stalled_seconds=5
    )
    channels = ChannelSet.standard(settings.outbox, settings.smtp, settings.sent_at)
    worker = Worker(
        store,
        load_profiles(),
        settings,
        queue,
        Composer.at(),
        lambda _event, _fields: None,
        renderer=FAKE,
        channels=channels,
    )
    # In a thread of its own, with a loop of its own: a browser test's Playwright may hold a
    # running event loop in this process's main thread.
    failed: list[BaseException] = []

    def work() -> None:
        try:
            run_worker(worker, once=True, signals=False)
        except BaseException as exc:  # said by the test, not lost in the thread
            failed.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=120)
    assert not thread.is_alive() and not failed, failed


def _emails_after_a_job(url: str, root: Path, mail: MailServer) -> list[StoredDelivery]:
    """The conference's job done by a worker (three tries at most); its e-mail deliveries."""
    store = Store.open(url)
    try:
        _work_once(store, root, mail, attempts=3)
        return [d for d in store.deliveries(DV) if d.channel == "email"]
    finally:
        store.close()


@pytest.fixture
def service(
    tmp_path: Path,
    postgres_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> service_harness.Service:
    monkeypatch.setenv("CPC_DATABASE_URL", postgres_url)
    made = service_harness.Service(tmp_path, renderer=FAKE)
    made.drop(example("initial-domestic-abuse"))
    return made


def _job_attempts(url: str) -> list[dict[str, object]]:
    store = Store.open(url)
    try:
        return [
            line.detail for line in store.audit_lines(DV) if line.action == "queued job finished"
        ]
    finally:
        store.close()


def test_a_transient_refusal_sends_the_job_back_and_the_next_try_sends_each_copy_once(
    service: service_harness.Service,
    postgres_url: str,
    mail_server: MailServer,
) -> None:
    mail_server.mailbox.__class__ = RefusingFirst  # the running server's, refusing each once
    mail_server.mailbox.seen = set()  # type: ignore[attr-defined]
    deliveries = _emails_after_a_job(postgres_url, service.root, mail_server)
    emails = {d.copy_key for d in deliveries}

    tries = _job_attempts(postgres_url)
    assert emails
    assert [t["attempt"] for t in tries] == [1, 2]
    first, second = (t["summary"] for t in tries)
    assert {key for _, key, _ in first["failed"]} == emails  # type: ignore[index]
    assert all("451 4.3.0" in why for _, _, why in first["failed"])  # type: ignore[index]
    assert second["failed"] == []  # type: ignore[index]
    # Each professional's copy reached the mailbox once, and is recorded sent once.
    ids = [
        re.search(rb"(?im)^Message-ID:\s*(\S+)", content)
        for _, _, content, _ in mail_server.mailbox.messages
    ]
    assert len(ids) == len(emails) == len({m.group(1) for m in ids if m})
    assert sorted(d.copy_key for d in deliveries if d.state == "sent") == sorted(emails)
    assert all(d.attempts == 2 for d in deliveries)


def test_a_refusal_for_good_is_recorded_failed_and_the_job_is_not_tried_again(
    service: service_harness.Service,
    postgres_url: str,
    mail_server: MailServer,
) -> None:
    mail_server.mailbox.data_reply = "550 5.1.1 No such mailbox"
    deliveries = _emails_after_a_job(postgres_url, service.root, mail_server)

    tries = _job_attempts(postgres_url)
    assert [t["attempt"] for t in tries] == [1]
    assert mail_server.mailbox.messages == []
    assert deliveries and all(d.state == "failed" for d in deliveries)
    assert all("550 5.1.1" in (d.error or "") for d in deliveries)

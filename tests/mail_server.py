"""One SMTP server on loopback for the delivery tests: STARTTLS required, a login, a mailbox.

The mailbox takes every message unless told to answer RCPT or DATA with a reply (a 451, a 550),
so the end-to-end tests and the delivery-failure tests share one server.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import trustme
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.test_deliver_email import Received, _AnyPortController, _check_password


class Refusing(Received):
    """A mailbox that answers RCPT or DATA with the reply set, or takes the message (None)."""

    def __init__(self) -> None:
        super().__init__()
        self.rcpt_reply: str | None = None
        self.data_reply: str | None = None

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if self.rcpt_reply is not None:
            return self.rcpt_reply.replace("{address}", address)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.data_reply is not None:
            return self.data_reply
        return await super().handle_DATA(server, session, envelope)


@dataclass
class MailServer:
    mailbox: Refusing
    port: int
    client_tls: ssl.SSLContext


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    ca = trustme.CA()
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_tls)
    client_tls = ssl.create_default_context()
    ca.configure_trust(client_tls)
    mailbox = Refusing()
    controller = _AnyPortController(
        mailbox,
        hostname="127.0.0.1",
        port=0,
        tls_context=server_tls,
        require_starttls=True,
        authenticator=_check_password,
        auth_require_tls=True,
        auth_required=True,
    )
    controller.start()
    try:
        yield MailServer(mailbox, controller.port, client_tls)
    finally:
        controller.stop()

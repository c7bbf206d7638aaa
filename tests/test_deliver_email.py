"""E-mail delivery against a real SMTP server on 127.0.0.1: STARTTLS or nothing, exact bytes, stable Message-ID (issue 4)."""

from __future__ import annotations

import email
import email.policy
import io
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from hashlib import sha256
from typing import Any

import pikepdf
import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from pipeline.delivery.channel import email_body
from pipeline.delivery.email import (
    DOCX,
    PDF,
    Attachment,
    SmtpSettings,
    attachment_name,
    build_message,
    message_id_for,
    send_message,
    subject_for,
)
from pipeline.errors import DeliveryError

USER = "cpc-pipeline"
PASSWORD = "correct horse battery staple"
REFERENCE = "CPC-2026-0412"
DOMAIN = "cpc.example.org"
DATE = datetime(2026, 12, 14, 9, 30, tzinfo=UTC)
# Every byte value, so a transfer encoding that mangled any of them would show.
FAKE_PDF = b"%PDF-1.7\n" + bytes(range(256)) + b"\n%%EOF\n"
FAKE_DOCX = b"PK\x03\x04" + bytes(range(255, -1, -1))


@dataclass
class Received:
    """What the server was handed: one entry per message, and whether it came over TLS."""

    messages: list[tuple[str, list[str], bytes, bool]] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        assert envelope.mail_from is not None
        tls = session.ssl is not None
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content, tls))
        return "250 OK"


class _AnyPortController(Controller):
    # aiosmtpd's Controller connects to its own port once to start; with port 0 that would be
    # port 0, so ask the listening socket which port the system gave it (no race with xdist).
    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def _check_password(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    # handled=False: aiosmtpd then answers 535 itself (True would leave the client waiting).
    return AuthResult(success=ok, handled=False)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def client_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


@dataclass
class Server:
    received: Received
    port: int


def _serve(**smtp_options: Any) -> Iterator[Server]:
    received = Received()
    controller = _AnyPortController(received, hostname="127.0.0.1", port=0, **smtp_options)
    controller.start()
    try:
        yield Server(received, controller.port)
    finally:
        controller.stop()


@pytest.fixture
def tls_server(ca: trustme.CA) -> Iterator[Server]:
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_tls)
    yield from _serve(
        tls_context=server_tls,
        require_starttls=True,
        authenticator=_check_password,
        auth_require_tls=True,
        auth_required=True,
    )


@pytest.fixture
def plain_server() -> Iterator[Server]:
    # A server that offers no STARTTLS at all, and takes any message.
    yield from _serve()


def _settings(port: int, context: ssl.SSLContext | None, **changes: Any) -> SmtpSettings:
    options: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "username": USER,
        "password": PASSWORD,
        "sender": "cpc@example.org",
        "timeout": 5.0,
        "tls_context": context,
    }
    return SmtpSettings(**(options | changes))


def _message(
    attachments: tuple[Attachment, ...] | None = None, copy_key: str = "p-mother/record"
) -> EmailMessage:
    if attachments is None:
        attachments = (
            Attachment(attachment_name(REFERENCE, "record.pdf"), FAKE_PDF, PDF),
            Attachment(attachment_name(REFERENCE, "record.docx"), FAKE_DOCX, DOCX),
        )
    content = sha256(b"".join(a.data for a in attachments)).hexdigest()
    return build_message(
        sender="cpc@example.org",
        to="social.worker@example.org",
        subject=subject_for(REFERENCE),
        body="Please find attached the documents for the conference.\n",
        attachments=attachments,
        message_id=message_id_for(REFERENCE, copy_key, content, DOMAIN),
        date=DATE,
    )


def _parse(raw: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _attachments(message: EmailMessage) -> list[tuple[str | None, str, bytes]]:
    found = []
    for part in message.iter_attachments():
        assert isinstance(part, EmailMessage)
        payload = part.get_content()
        assert isinstance(payload, bytes)
        found.append((part.get_filename(), part.get_content_type(), payload))
    return found


# --- over the wire ------------------------------------------------------------------------------


def test_a_message_arrives_over_tls_with_its_attachments_byte_for_byte(
    tls_server: Server, client_tls: ssl.SSLContext
) -> None:
    message = _message()
    send_message(message, _settings(tls_server.port, client_tls))

    ((mail_from, rcpt_tos, raw, over_tls),) = tls_server.received.messages
    assert over_tls
    assert mail_from == "cpc@example.org"
    assert rcpt_tos == ["social.worker@example.org"]
    received = _parse(raw)
    assert received["Subject"] == "Child protection conference CPC-2026-0412: documents"
    assert received["Message-ID"] == message["Message-ID"]
    assert received["Date"] == "Mon, 14 Dec 2026 09:30:00 +0000"
    body = received.get_body(("plain",))
    assert body is not None
    # The wire has CRLF line ends, and the parser keeps them.
    assert body.get_content() == "Please find attached the documents for the conference.\r\n"
    assert _attachments(received) == [
        ("CPC-2026-0412-record.pdf", PDF, FAKE_PDF),
        ("CPC-2026-0412-record.docx", DOCX, FAKE_DOCX),
    ]


def test_a_real_pdf_arrives_unchanged(tls_server: Server, client_tls: ssl.SSLContext) -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    buffer = io.BytesIO()
    pdf.save(buffer, deterministic_id=True)
    data = buffer.getvalue()
    name = attachment_name(REFERENCE, "invitation.pdf")

    send_message(_message((Attachment(name, data, PDF),)), _settings(tls_server.port, client_tls))

    ((_, _, raw, _),) = tls_server.received.messages
    ((received_name, _, received_data),) = _attachments(_parse(raw))
    assert (received_name, received_data) == (name, data)
    with pikepdf.open(io.BytesIO(received_data)) as reopened:
        assert len(reopened.pages) == 1


def test_sending_the_same_copy_twice_gives_the_same_message_id(
    tls_server: Server, client_tls: ssl.SSLContext
) -> None:
    # A re-run after a crash builds the message afresh; the receiver must see it as a duplicate.
    settings = _settings(tls_server.port, client_tls)
    send_message(_message(), settings)
    send_message(_message(), settings)

    ids = [_parse(raw)["Message-ID"] for _, _, raw, _ in tls_server.received.messages]
    content = sha256(FAKE_PDF + FAKE_DOCX).hexdigest()
    assert ids == [message_id_for(REFERENCE, "p-mother/record", content, DOMAIN)] * 2


def test_a_server_without_starttls_is_refused_and_gets_nothing(
    plain_server: Server, client_tls: ssl.SSLContext
) -> None:
    with pytest.raises(DeliveryError, match="does not offer STARTTLS"):
        send_message(_message(), _settings(plain_server.port, client_tls))
    assert plain_server.received.messages == []


def test_without_starttls_asked_for_a_local_relay_gets_the_message(plain_server: Server) -> None:
    # starttls=False is for a relay on the same host; no login, so no password in clear text.
    settings = SmtpSettings("127.0.0.1", plain_server.port, starttls=False, timeout=5.0)
    send_message(_message(), settings)
    ((_, rcpt_tos, _, over_tls),) = plain_server.received.messages
    assert (rcpt_tos, over_tls) == (["social.worker@example.org"], False)


def test_the_password_is_not_in_the_settings_repr() -> None:
    assert PASSWORD not in repr(_settings(25, None))


def test_a_server_certificate_nobody_vouches_for_is_refused(tls_server: Server) -> None:
    # The system's CAs do not know the test CA: the handshake must fail before anything is sent.
    with pytest.raises(DeliveryError, match="SSLCertVerificationError") as caught:
        send_message(_message(), _settings(tls_server.port, ssl.create_default_context()))
    assert isinstance(caught.value.__cause__, ssl.SSLCertVerificationError)
    assert tls_server.received.messages == []


def test_a_wrong_password_is_a_delivery_error_without_the_password(
    tls_server: Server, client_tls: ssl.SSLContext
) -> None:
    # Issue 10: said in words with the server's reply, not a Python class name; a refused login
    # is the service's configuration, so it is tried again once put right (not permanent).
    with pytest.raises(DeliveryError, match=r"refused the login .535") as caught:
        send_message(_message(), _settings(tls_server.port, client_tls, password="wrong"))
    assert "wrong" not in str(caught.value)
    assert not caught.value.permanent
    assert tls_server.received.messages == []


def test_a_closed_port_is_a_delivery_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The socket never listened, so nothing answers on that port.
    with pytest.raises(DeliveryError, match="could not connect") as caught:
        send_message(_message(), _settings(port, None))
    assert isinstance(caught.value.__cause__, ConnectionRefusedError)


def test_an_error_never_quotes_the_attachments(
    plain_server: Server, client_tls: ssl.SSLContext
) -> None:
    secret = b"CONFIDENTIAL-CONTENT"
    message = _message((Attachment("CPC-1-record.pdf", secret, PDF),))
    with pytest.raises(DeliveryError) as caught:
        send_message(message, _settings(plain_server.port, client_tls))
    assert "CONFIDENTIAL" not in str(caught.value)


# --- building the message ------------------------------------------------------------------------


def test_the_same_arguments_build_the_same_bytes() -> None:
    # The MIME boundary is fixed too, not the email package's random one.
    assert _message().as_bytes() == _message().as_bytes()


def test_the_message_id_names_nobody_and_changes_with_the_content() -> None:
    first = message_id_for(REFERENCE, "p-mother/record", "a" * 64, DOMAIN)
    assert first.startswith("<") and first.endswith(f"@{DOMAIN}>")
    assert REFERENCE not in first and "mother" not in first
    assert message_id_for(REFERENCE, "p-mother/record", "b" * 64, DOMAIN) != first
    assert message_id_for(REFERENCE, "p-father/record", "a" * 64, DOMAIN) != first


@pytest.mark.parametrize(
    "domain",
    [
        pytest.param("", id="empty"),
        pytest.param("example.org>", id="closes-the-id"),
        pytest.param("a b.org", id="space"),
        pytest.param("x@example.org", id="at-sign"),
    ],
)
def test_a_message_id_domain_must_be_a_domain(domain: str) -> None:
    with pytest.raises(ValueError, match="not a domain"):
        message_id_for(REFERENCE, "k", "a" * 64, domain)


def test_the_subject_and_file_names_carry_only_the_reference() -> None:
    assert subject_for(REFERENCE) == "Child protection conference CPC-2026-0412: documents"
    assert attachment_name(REFERENCE, "record.pdf") == "CPC-2026-0412-record.pdf"


@pytest.mark.parametrize(
    ("reference", "file_name"),
    [
        pytest.param("Jane Doe", "record.pdf", id="a-name-is-not-a-reference"),
        pytest.param(REFERENCE, "../record.pdf", id="path-in-file-name"),
        pytest.param(REFERENCE, "record\r\n.pdf", id="line-break-in-file-name"),
    ],
)
def test_subject_and_file_name_parts_are_checked(reference: str, file_name: str) -> None:
    with pytest.raises(ValueError, match="not a"):
        attachment_name(reference, file_name)


def test_a_date_without_a_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        build_message(
            sender="a@example.org",
            to="b@example.org",
            subject="s",
            body="b",
            attachments=(),
            message_id="<x@example.org>",
            date=datetime(2026, 12, 14, 9, 30),  # naive on purpose
        )


def test_a_header_cannot_smuggle_in_another_header() -> None:
    with pytest.raises(ValueError, match=r"linefeed|carriage return"):
        build_message(
            sender="a@example.org",
            to="b@example.org\r\nBcc: someone@example.net",
            subject="s",
            body="b",
            attachments=(),
            message_id="<x@example.org>",
            date=DATE,
        )


def test_an_authorised_copy_by_email_names_only_the_reference_and_the_document(
    tls_server: Server, client_tls: ssl.SSLContext
) -> None:
    """Issue 4: attachment names carry the conference reference only, never whom an authorised
    copy is for (the outbox's own file names do)."""
    from datetime import UTC, datetime

    from pipeline.delivery.channels import Destination, deliver_by_email

    deliver_by_email(
        _settings(tls_server.port, client_tls),
        reference="CPC-2026-0412",
        destination=Destination("email", "p-sol", email="solicitor@example.org"),
        files=[
            ("record-for-p-mother-updated-1.pdf", FAKE_PDF),
            ("record-for-p-mother-updated-1.docx", FAKE_DOCX),
        ],
        body="Attached.",
        message_id="<abc@cpc.invalid>",
        sent_at=datetime(2026, 12, 14, 9, 30, tzinfo=UTC),
        document="record",
        edition="updated-1",
    )
    ((_, _, raw, _),) = tls_server.received.messages
    assert _attachments(_parse(raw)) == [("CPC-2026-0412-record-updated-1.pdf", PDF, FAKE_PDF)]


@pytest.mark.parametrize(
    ("handover", "expected"),
    [
        # to the reader: the confidentiality words for a wrong recipient
        (
            False,
            "Attached is the invitation to the conference for conference CPC-1.\n\n"
            "This e-mail and its attachments are confidential. If you are not the person it is "
            "addressed to, please delete it and tell the sender.\n",
        ),
        # to the lead social worker, to hand over: the sheet is named, forwarding forbidden
        (
            True,
            "Attached is the invitation to the conference for conference CPC-1, for you to hand "
            "over and discuss, with its hand-over sheet saying to whom and by when.\n\n"
            "This e-mail and its attachments are confidential. Do not forward them.\n",
        ),
    ],
)
def test_the_email_body_says_what_is_attached_and_that_it_is_confidential(
    handover: bool, expected: str
) -> None:
    """The words live in templates/email/copy.txt; these are the words recipients have had."""
    assert email_body("invitation", "CPC-1", handover=handover) == expected

"""Rendered document bytes + an address → one e-mail sent over SMTP with STARTTLS, or DeliveryError.

An I/O edge: it never sees the export, only the bytes already rendered and leak-checked, and the
subject and file names the caller composed (`subject_for`, `attachment_name` carry the conference
reference and nothing personal). A message is built the same way every time for the same copy and
content (`message_id_for`, fixed Date, fixed MIME boundary), so a re-send after a crash carries the
same Message-ID and a receiver can drop the duplicate.

CpcError
└── DeliveryError   the message could not be handed to the SMTP server (nothing is known to be sent)
"""

from __future__ import annotations

import hashlib
import re
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime

from pipeline.contract.types import ID_PATTERN
from pipeline.errors import DeliveryError
from pipeline.terminal_text import printable


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where and how to hand messages over. `tls_context` None means the system's trusted CAs."""

    host: str
    port: int = 587
    starttls: bool = True
    username: str | None = None
    # Left out of the repr, so a log line or traceback that shows the settings never shows it.
    password: str | None = field(default=None, repr=False)
    sender: str = "cpc-pipeline@localhost"
    timeout: float = 30.0
    tls_context: ssl.SSLContext | None = None


@dataclass(frozen=True, slots=True)
class Attachment:
    """One file to attach: the name the reader sees, its bytes, and its MIME type (e.g. application/pdf)."""

    name: str
    data: bytes
    mime_type: str


PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

_REFERENCE = re.compile(ID_PATTERN)
# A bare file name as `process.file_stem` makes them ("record.pdf",
# "decision_letter-authorisation-2-large-print.docx"): no folders, no spaces, nothing to escape.
_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*$")
_MIME_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")


def subject_for(conference_reference: str) -> str:
    """The subject line: the conference reference only, because a subject is shown in every inbox list."""
    _check_reference(conference_reference)
    return f"Child protection conference {conference_reference}: documents"


def attachment_name(conference_reference: str, file_name: str) -> str:
    """The attached file's name: "CPC-2026-0412-record.pdf" from the reference and the outbox name."""
    _check_reference(conference_reference)
    if not _FILE_NAME.fullmatch(file_name) or ".." in file_name:
        raise ValueError(f"not a bare file name: {file_name!r}")
    return f"{conference_reference}-{file_name}"


def message_id_for(conference: str, copy_key: str, content_sha256: str, domain: str) -> str:
    """A Message-ID that is the same for the same copy with the same content, and names nobody.

    The inputs are hashed, so neither the conference reference nor a recipient's key appears.
    """
    if not _DOMAIN.fullmatch(domain):
        raise ValueError(f"not a domain for a Message-ID: {domain!r}")
    digest = hashlib.sha256()
    for part in (conference, copy_key, content_sha256):
        # Length-prefixed, so ("ab", "c") and ("a", "bc") cannot give the same id.
        encoded = part.encode("utf-8")
        digest.update(len(encoded).to_bytes(8, "big") + encoded)
    return f"<{digest.hexdigest()[:40]}.cpc@{domain}>"


def build_message(
    *,
    sender: str,
    to: str,
    subject: str,
    body: str,
    attachments: Sequence[Attachment],
    message_id: str,
    date: datetime,
) -> EmailMessage:
    """A plain-text message with the files attached; the same arguments always give the same bytes.

    Raises ValueError for a naive `date` or a header value that would break the message (the email
    package refuses line breaks in headers, so a value cannot smuggle in a header of its own).
    """
    if date.tzinfo is None or date.utcoffset() is None:
        # Without an offset the Date header would say "-0000" (time zone unknown) to the reader.
        raise ValueError("date must carry its time zone")
    # The SMTP policy writes CRLF line ends, as the wire wants them, so the bytes we build are the
    # bytes the server stores.
    message = EmailMessage(policy=SMTP_POLICY)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id
    message.set_content(body)
    for attachment in attachments:
        if not _MIME_TYPE.fullmatch(attachment.mime_type):
            raise ValueError(f"not a MIME type: {attachment.mime_type!r}")
        maintype, subtype = attachment.mime_type.split("/")
        message.add_attachment(
            attachment.data, maintype=maintype, subtype=subtype, filename=attachment.name
        )
    if message.is_multipart():
        # The email package picks a random boundary when it writes the message; a fixed one, made
        # from what the message holds, keeps the bytes reproducible (and the same on a re-send).
        message.set_boundary(_boundary(message_id, body, attachments))
    return message


def send_message(message: EmailMessage, settings: SmtpSettings) -> None:
    """Hand `message` to the SMTP server in `settings`; raise DeliveryError if it was not accepted.

    With `starttls` set, nothing is sent (not even the login) unless the connection is encrypted
    and the server's certificate verified: a server that offers no STARTTLS is refused.
    """
    where = f"{settings.host}:{settings.port}"
    hide = {str(message["To"] or ""): "<recipient>", settings.sender: "<sender>"}
    try:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    except (smtplib.SMTPException, OSError) as exc:
        raise _refused(f"could not connect to {where}", exc, hide) from exc
    try:
        smtp.ehlo()
        if settings.starttls:
            if not smtp.has_extn("starttls"):
                raise DeliveryError(
                    f"{where} does not offer STARTTLS; nothing was sent in clear text"
                )
            smtp.starttls(context=settings.tls_context or ssl.create_default_context())
            smtp.ehlo()  # the server's extensions (AUTH among them) may differ once encrypted
        if settings.username is not None:
            smtp.login(settings.username, settings.password or "")
        smtp.send_message(message, from_addr=settings.sender)
    except (smtplib.SMTPException, OSError) as exc:  # ssl.SSLError is an OSError
        raise _refused(f"could not send by e-mail via {where}", exc, hide) from exc
    finally:
        _quit_quietly(smtp)


def _quit_quietly(smtp: smtplib.SMTP) -> None:
    # Once the server has accepted the message, a failed QUIT changes nothing about delivery; and
    # after a failure the original error is the one worth reporting.
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _refused(what: str, exc: BaseException, hide: dict[str, str]) -> DeliveryError:
    """The error a failed hand-over raises: what failed, the server's words, and whether a
    later run may try again."""
    codes: list[int] = []
    replies: list[str] = []
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        for code, text in exc.recipients.values():
            codes.append(code)
            replies.append(f"{code} {_words(text, hide)}")
    elif isinstance(exc, smtplib.SMTPResponseException):
        codes.append(exc.smtp_code)
        replies.append(f"{exc.smtp_code} {_words(exc.smtp_error, hide)}")
    # 5xx: refused for good. A refused login is 5xx too, but it is the service's configuration,
    # not this message, that is wrong: once put right, every copy goes (so: tried again).
    permanent = (
        bool(codes)
        and all(500 <= code < 600 for code in codes)
        and not isinstance(exc, smtplib.SMTPAuthenticationError)
    )
    reply = "; ".join(replies) or None
    detail = f"server replied {reply}" if reply else _describe(exc)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        detail = f"the server refused the login ({reply}): check smtp.username and the password"
    return DeliveryError(f"{what}: {detail}", permanent=permanent, reply=reply)


def _words(text: bytes | str, hide: dict[str, str]) -> str:
    """A server's reply as printable text: its addresses replaced, control characters escaped."""
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    for address, placeholder in hide.items():
        if address:
            words = words.replace(address, placeholder)
    return printable(" ".join(words.split()))[:500]


def _describe(exc: BaseException) -> str:
    # The kind of failure: an SMTP exception with no reply (a dropped connection), or the
    # system's words for a socket or TLS error ("[Errno 111] Connection refused").
    if isinstance(exc, smtplib.SMTPException):
        return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return f"{type(exc).__name__}: {exc}"


def _check_reference(conference_reference: str) -> None:
    if not _REFERENCE.fullmatch(conference_reference):
        raise ValueError(f"not a conference reference: {conference_reference!r}")


def _boundary(message_id: str, body: str, attachments: Sequence[Attachment]) -> str:
    digest = hashlib.sha256(message_id.encode("utf-8") + b"\0" + body.encode("utf-8"))
    for attachment in attachments:
        digest.update(b"\0" + attachment.name.encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(attachment.data).digest())
    # "=_" cannot occur in base64 or quoted-printable text, and a plain-text body cannot contain
    # a hash of itself, so no part can contain the boundary and end the part early.
    return f"=_cpc_{digest.hexdigest()[:32]}"

"""Calls to GOV.UK Notify (notifications-python-client) → their answers, with the client's errors wrapped where they enter and transient ones retried.

Notify does not refuse a duplicate: a request that reached it and whose answer was lost would, if
simply sent again, make a second letter. So before any request is sent again (after a lost
answer in this run, or a copy a killed run left pending) the copy is looked up by its reference,
and sent only if Notify has nothing under it. Only the errors Notify calls transient are tried
again (its API documentation: 429 and 5xx; a request that got no answer is the client's 503);
every other 4xx is Notify refusing the request, and the delivery fails with Notify's words.
"""

from __future__ import annotations

import functools
import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pipeline import clock
from pipeline.errors import DeliveryError
from pipeline.procedure.calendar import UK_TIME, WorkingCalendar

if TYPE_CHECKING:
    # The client (and requests and PyJWT under it) is imported where a request is made: a third
    # of a command's start-up, and only a run with [notify] configured makes one.
    from notifications_python_client.errors import APIError
    from notifications_python_client.notifications import NotificationsAPIClient

Postage = Literal["first", "second"]
NOTIFY_URL = "https://api.notifications.service.gov.uk"
# Notify prints the letters it has by 17:30 (UK time) on a working day in that day's run
# (docs.notifications.service.gov.uk, "Send a letter": "Letters received before 5:30pm are
# printed and posted the next working day"); one taken later goes into the next working day's.
PRINT_TIME = (17, 30)


@functools.cache
def _printer_calendar() -> WorkingCalendar:
    return WorkingCalendar.for_nation("england")  # Notify prints in England

# What each failure status means, in Notify's words (API documentation, "Get message status").
NOTIFY_FAILURES: dict[str, str] = {
    "permanent-failure": "Notify's provider could not deliver it and will not try again",
    "temporary-failure": "Notify's provider could not deliver it (an inbox full, say)",
    "technical-failure": "a problem between Notify and its provider; it was not sent",
    "validation-failed": "Notify could not print the letter: its PDF breaks Notify's rules for "
    "precompiled letters (page size, margins, or the address in the window)",
    "cancelled": "the letter was cancelled in Notify before it was printed",
    "returned-letter": "the letter came back to Notify undelivered",
}


@dataclass(frozen=True, slots=True)
class NotifySettings:
    """The configuration's [notify] section with the API key read from its variable."""

    api_key: str | None
    base_url: str = NOTIFY_URL
    email_template_id: str | None = None
    postage: Postage = "second"
    retention_period: str = "26 weeks"
    retries: int = 3
    backoff_seconds: float = 2.0
    timeout: float = 30.0


@dataclass(frozen=True, slots=True)
class NotifyReceipt:
    """What Notify holds for one copy: its id, the reference it was sent under, its status, when
    it was created, and whether it was found already there (not sent again)."""

    notify_id: str
    reference: str
    status: str
    created_at: datetime
    found: bool = False


@dataclass(frozen=True, slots=True)
class NotifyStatus:
    """A notification's status now; `failure` in Notify's words where it failed."""

    status: str
    completed_on: date | None
    failure: str | None


def make_client(settings: NotifySettings) -> NotificationsAPIClient:
    from notifications_python_client.notifications import NotificationsAPIClient

    if not settings.api_key:
        raise DeliveryError(
            "no GOV.UK Notify API key: the variable named by notify.api_key_env is not set; "
            "the copy stays pending until it is"
        )
    try:
        return NotificationsAPIClient(
            settings.api_key, base_url=settings.base_url, timeout=settings.timeout
        )
    except AssertionError as exc:  # the client checks the key's shape with assert
        raise DeliveryError(
            "the GOV.UK Notify API key is not in Notify's form {name}-{service id}-{secret}"
        ) from exc


def notify_words(exc: APIError) -> str:
    """Notify's own message: its error body's messages, or the client's words for no answer."""
    message: Any = exc.message
    if isinstance(message, list):
        return "; ".join(str(e.get("message", e)) for e in message if isinstance(e, dict))
    return str(message)


def transient(status_code: int) -> bool:
    return status_code == 429 or status_code >= 500


def call(what: str, request: Callable[[], Any]) -> Any:
    """One request; the client's error as a `DeliveryError`, permanent unless Notify calls it
    transient."""
    from notifications_python_client.errors import APIError

    try:
        return request()
    except APIError as exc:
        code = exc.status_code
        raise DeliveryError(
            f"GOV.UK Notify {what}: {code} {notify_words(exc)}",
            # 401/403 are the service's key (rotated, revoked): a configuration to mend, after
            # which the copy goes; not a refusal of the copy itself.
            permanent=not transient(code) and code not in (401, 403),
            reply=notify_words(exc),
        ) from exc


def send_once(
    settings: NotifySettings,
    reference: str,
    client: NotificationsAPIClient,
    send: Callable[[], NotifyReceipt],
    *,
    resumed: bool,
    sleep: Callable[[float], None] = time.sleep,
) -> NotifyReceipt:
    """`send`, at most once under `reference`: looked up first when an earlier try may have
    reached Notify (`resumed`, or a transient error now), retried with backoff a bounded number
    of times. A lookup that fails leaves the copy pending: sending blind could send it twice."""
    if resumed and (found := find_by_reference(client, reference)) is not None:
        return found
    for attempt in range(settings.retries + 1):
        try:
            return send()
        except DeliveryError as exc:
            if exc.permanent or attempt == settings.retries:
                raise
        sleep(settings.backoff_seconds * 2**attempt)
        if (found := find_by_reference(client, reference)) is not None:
            return found
    raise AssertionError("unreachable: the last attempt returns or raises")


def find_by_reference(client: NotificationsAPIClient, reference: str) -> NotifyReceipt | None:
    try:
        answer = call(
            "look-up by reference", lambda: client.get_all_notifications(reference=reference)
        )
    except DeliveryError as exc:
        # Never for good: Notify may hold the copy, so failing it (and clearing its spool) would
        # show as not sent what was sent, and a person's re-send would be a second copy.
        raise DeliveryError(str(exc), permanent=False, reply=exc.reply) from exc
    found = [n for n in answer.get("notifications", []) if n.get("reference") == reference]
    if not found:
        return None
    first = found[-1]  # Notify lists the newest first: the first one made is the last
    return NotifyReceipt(
        first["id"], reference, first.get("status", "created"), _moment(first), found=True
    )


def send_precompiled_letter(
    client: NotificationsAPIClient, pdf: bytes, reference: str, postage: Postage
) -> NotifyReceipt:
    """One precompiled letter (the PDF as printed: address in the window, A4, Notify's margins)."""
    answer = call(
        "letter",
        lambda: client.send_precompiled_letter_notification(
            reference=reference, pdf_file=io.BytesIO(pdf), postage=postage
        ),
    )
    # A precompiled letter is first checked for viruses, then for Notify's letter rules.
    return NotifyReceipt(answer["id"], reference, "pending-virus-check", clock.now())


def send_email_with_link(
    client: NotificationsAPIClient,
    settings: NotifySettings,
    *,
    email_address: str,
    pdf: bytes,
    filename: str,
    reference: str,
    conference: str,
) -> NotifyReceipt:
    """An e-mail from the configured template, the PDF behind a secure link that asks for the
    reader's e-mail address before it downloads. Over 2 MB Notify refuses the file: nothing is
    sent, and the delivery fails for a person to choose another way (see README)."""
    from notifications_python_client.utils import DOCUMENT_UPLOAD_SIZE_LIMIT, prepare_upload

    if len(pdf) > DOCUMENT_UPLOAD_SIZE_LIMIT:
        raise DeliveryError(
            f"not sent by GOV.UK Notify e-mail: the PDF is {len(pdf) / 1024 / 1024:.1f} MB and "
            "Notify takes files of at most 2 MB by link; send this copy by post or the folder",
            permanent=True,
        )
    if not settings.email_template_id:
        raise DeliveryError("notify.email_template_id is not set", permanent=True)
    link = prepare_upload(
        io.BytesIO(pdf),
        filename=filename,
        confirm_email_before_download=True,
        retention_period=settings.retention_period,
    )
    answer = call(
        "e-mail",
        lambda: client.send_email_notification(
            email_address=email_address,
            template_id=settings.email_template_id,
            personalisation={"link_to_file": link, "conference": conference},
            reference=reference,
        ),
    )
    return NotifyReceipt(answer["id"], reference, "created", clock.now())


def notification_status(client: NotificationsAPIClient, notify_id: str) -> NotifyStatus:
    answer = call("status", lambda: client.get_notification_by_id(notify_id))
    status = str(answer.get("status", "created"))
    completed = answer.get("completed_at")
    return NotifyStatus(
        status,
        _moment({"created_at": completed}).astimezone(UK_TIME).date() if completed else None,
        NOTIFY_FAILURES.get(status),
    )


def print_run_day(accepted_at: datetime) -> date:
    """The working day whose print run a letter Notify accepted at this moment goes into:
    that day before 17:30 UK time if it is a working day, else the next working day (English
    bank holidays: Notify prints in England)."""
    local = accepted_at.astimezone(UK_TIME)
    day = local.date()
    if (local.hour, local.minute) >= PRINT_TIME:
        day += timedelta(days=1)
    return _printer_calendar().next_working_day_on_or_after(day)


def _moment(notification: dict[str, Any]) -> datetime:
    text = notification.get("created_at")
    if not text:
        return clock.now()
    moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)

"""The notify channel through the real notifications-python-client against the Notify test double on loopback (issue points 4 and 5).

What is asserted is what Notify was given (the letter's bytes as the printer gets them, the
e-mail's link) and what the channel says, never a value copied from the channel's own output.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import jwt
import pypdfium2
import pytest
import requests

from pipeline.delivery.channel import ChannelSet, Parcel
from pipeline.delivery.channels import Destination
from pipeline.delivery.notify import NotifyChannel, NotifySettings, joined_pdf, new_reference
from pipeline.delivery.notify_api import print_run_day
from pipeline.errors import DeliveryError
from tests.notify_double import (
    API_KEY,
    SECRET,
    SERVICE_ID,
    TEMPLATE_ID,
    NotifyDouble,
)
from tests.notify_letters import ADDRESS, letter_pdf

CONFERENCE = "CPC-2026-0412"
LONDON = ZoneInfo("Europe/London")


def settings(double: NotifyDouble, retries: int = 2) -> NotifySettings:
    return NotifySettings(
        api_key=API_KEY,
        base_url=double.base_url,
        email_template_id=TEMPLATE_ID,
        postage="first",
        retention_period="12 weeks",
        retries=retries,
        backoff_seconds=0,
        timeout=5,
    )


def letter(pdf: bytes, resumed: bool = False, reference: str | None = None) -> Parcel:
    return Parcel(
        conference=CONFERENCE,
        document="record",
        edition="original",
        via=None,
        destination=Destination(
            channel="notify",
            folder="p-mother",
            name=ADDRESS[0],
            address_lines=ADDRESS[1:3],
            postcode=ADDRESS[3],
        ),
        files=(("record.pdf", pdf),),
        message_id=reference or new_reference(),
        resumed=resumed,
    )


def email(pdf: bytes) -> Parcel:
    return Parcel(
        conference=CONFERENCE,
        document="outline_plan",
        edition="original",
        via=None,
        destination=Destination(channel="notify", folder="p-sw", email="sw@northby.example"),
        files=(("outline_plan.pdf", pdf),),
        message_id=new_reference(),
    )


def page_texts(pdf: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [document[i].get_textpage().get_text_range() for i in range(len(document))]
    finally:
        document.close()


def test_a_letter_is_taken_once_as_printed_then_accepted_and_received(
    notify_double: NotifyDouble,
) -> None:
    pdf = letter_pdf(ADDRESS)
    parcel = letter(pdf)
    channel = NotifyChannel(settings(notify_double))
    receipt = channel.deliver(parcel)

    (taken,) = notify_double.sends
    assert taken.kind == "letter" and taken.pdf == pdf  # the printer gets these very bytes
    assert taken.body["postage"] == "first"
    assert taken.reference == parcel.message_id and receipt.notify_id == taken.id
    # The reference is opaque: nothing of the reader or the conference.
    assert not any(word.lower() in taken.reference.lower() for word in (*ADDRESS, CONFERENCE))
    assert notify_double.requests == [("POST", "/v2/notifications/letter")]  # one request

    assert channel.status(receipt.notify_id).status == "pending-virus-check"
    notify_double.advance()
    assert channel.status(receipt.notify_id).status == "accepted"
    notify_double.advance()
    final = channel.status(receipt.notify_id)
    assert (final.status, final.failure) == ("received", None)
    assert final.completed_on is not None


def test_a_letter_breaking_notifys_rules_turns_validation_failed_with_notifys_reason(
    notify_double: NotifyDouble,
) -> None:
    channel = NotifyChannel(settings(notify_double))
    receipt = channel.deliver(letter(letter_pdf(ADDRESS, ink_in_margin=True)))
    (taken,) = notify_double.sends
    assert [p.code for p in taken.problems] == ["content-outside-printable-area"]
    notify_double.advance()
    failed = channel.status(receipt.notify_id)
    assert failed.status == "validation-failed"
    assert failed.failure is not None and "could not print the letter" in failed.failure


def test_an_email_carries_the_pdf_as_a_secure_link_and_is_delivered(
    notify_double: NotifyDouble,
) -> None:
    pdf = letter_pdf(ADDRESS)
    channel = NotifyChannel(settings(notify_double))
    receipt = channel.deliver(email(pdf))
    (taken,) = notify_double.sends
    assert taken.kind == "email" and taken.body["email_address"] == "sw@northby.example"
    link = taken.body["link"]
    assert taken.pdf == pdf
    assert link["confirm_email_before_download"] is True
    assert link["retention_period"] == "12 weeks"
    assert link["filename"] == f"{CONFERENCE}-outline_plan.pdf"  # no one's name
    notify_double.advance()
    notify_double.advance()
    assert channel.status(receipt.notify_id).status == "delivered"


def test_an_email_over_2_mb_is_not_sent_and_fails_for_good_saying_why(
    notify_double: NotifyDouble,
) -> None:
    big = letter_pdf(ADDRESS) + b"%" + b"0" * (2 * 1024 * 1024)
    with pytest.raises(DeliveryError) as raised:
        NotifyChannel(settings(notify_double)).deliver(email(big))
    assert raised.value.permanent
    assert "2 MB" in str(raised.value) and "post" in str(raised.value)
    assert notify_double.requests == []  # nothing left for Notify


@pytest.mark.parametrize("status", [500, 503, 429])
def test_a_transient_error_is_retried_after_looking_the_copy_up(
    notify_double: NotifyDouble, status: int
) -> None:
    notify_double.fail_next(2, status)
    receipt = NotifyChannel(settings(notify_double, retries=2)).deliver(letter(letter_pdf(ADDRESS)))
    (taken,) = notify_double.sends
    assert receipt.notify_id == taken.id
    # Three sends (two refused), and before each retry a look-up that found nothing.
    assert notify_double.count("POST", "/v2/notifications/letter") == 3
    assert notify_double.count("GET", "/v2/notifications") == 2


def test_transient_errors_past_the_retries_leave_the_copy_to_try_again(
    notify_double: NotifyDouble,
) -> None:
    notify_double.fail_next(3, 500)
    with pytest.raises(DeliveryError) as raised:
        NotifyChannel(settings(notify_double, retries=2)).deliver(letter(letter_pdf(ADDRESS)))
    assert not raised.value.permanent
    assert "500" in str(raised.value) and "Internal server error" in str(raised.value)
    assert notify_double.sends == []


def test_a_4xx_is_not_retried_and_reported_in_notifys_words(notify_double: NotifyDouble) -> None:
    words = "Can't send to this recipient using a team-only API key"
    notify_double.fail_next(1, 400, "BadRequestError", words)
    with pytest.raises(DeliveryError) as raised:
        NotifyChannel(settings(notify_double)).deliver(letter(letter_pdf(ADDRESS)))
    assert raised.value.permanent
    assert words in str(raised.value) and "400" in str(raised.value)
    assert notify_double.requests == [("POST", "/v2/notifications/letter")]
    assert notify_double.sends == []


def test_a_lost_answer_is_looked_up_by_reference_and_not_sent_again(
    notify_double: NotifyDouble,
) -> None:
    notify_double.drop_next()
    receipt = NotifyChannel(settings(notify_double)).deliver(letter(letter_pdf(ADDRESS)))
    (taken,) = notify_double.sends
    assert receipt.found and receipt.notify_id == taken.id
    assert notify_double.count("POST", "/v2/notifications/letter") == 1


def test_a_copy_left_pending_with_its_answer_lost_is_found_on_the_next_try(
    notify_double: NotifyDouble,
) -> None:
    """A crash after the request and before the answer is recorded: no retry in the first try
    (as a killed process makes none); the next one, resumed, looks it up and sends nothing."""
    pdf = letter_pdf(ADDRESS)
    reference = new_reference()
    notify_double.drop_next()
    with pytest.raises(DeliveryError) as raised:
        NotifyChannel(settings(notify_double, retries=0)).deliver(letter(pdf, reference=reference))
    assert not raised.value.permanent
    receipt = NotifyChannel(settings(notify_double)).deliver(
        letter(pdf, resumed=True, reference=reference)
    )
    (taken,) = notify_double.sends
    assert receipt.found and receipt.notify_id == taken.id
    assert notify_double.count("POST", "/v2/notifications/letter") == 1


def test_a_resumed_copy_notify_never_took_is_sent(notify_double: NotifyDouble) -> None:
    NotifyChannel(settings(notify_double)).deliver(letter(letter_pdf(ADDRESS), resumed=True))
    assert len(notify_double.sends) == 1
    assert notify_double.requests == [
        ("GET", "/v2/notifications"),
        ("POST", "/v2/notifications/letter"),
    ]


def test_the_double_refuses_a_token_signed_with_another_secret_or_stale(
    notify_double: NotifyDouble,
) -> None:
    wrong_key = f"cpc_test-{SERVICE_ID}-{'0' * 8}-0000-0000-0000-{'0' * 12}"
    with pytest.raises(DeliveryError) as raised:
        NotifyChannel(NotifySettings(api_key=wrong_key, base_url=notify_double.base_url)).deliver(
            letter(letter_pdf(ADDRESS))
        )
    # A refused key is the service's to mend, not the copy's fault: it stays pending, not failed.
    assert not raised.value.permanent and "403" in str(raised.value)
    stale = jwt.encode({"iss": SERVICE_ID, "iat": int(time.time()) - 60}, SECRET, "HS256")
    answer = requests.get(
        f"{notify_double.base_url}/v2/notifications",
        headers={"Authorization": f"Bearer {stale}"},
        timeout=5,
    )
    assert answer.status_code == 403
    assert answer.json()["errors"][0]["error"] == "AuthError"
    assert notify_double.sends == []


def test_with_no_api_key_nothing_is_sent_and_the_copy_waits(notify_double: NotifyDouble) -> None:
    with pytest.raises(DeliveryError) as raised:
        NotifyChannel(NotifySettings(api_key=None, base_url=notify_double.base_url)).deliver(
            letter(letter_pdf(ADDRESS))
        )
    assert not raised.value.permanent and "api_key_env" in str(raised.value)
    assert notify_double.requests == []


def test_a_copy_and_its_handover_sheet_go_as_one_letter_in_order() -> None:
    copy = letter_pdf(ADDRESS, pages=2)
    sheet = letter_pdf(("Hand-over sheet", "for the social worker", "Exampletown", "CF99 4AB"))
    joined = joined_pdf(
        (("record.pdf", copy), ("notes.docx", b"PK"), ("handover-sheet.pdf", sheet))
    )
    texts = page_texts(joined)
    assert len(texts) == 3
    assert "page 1" in texts[0] and "page 2" in texts[1] and "Hand-over sheet" in texts[2]


def test_without_notify_configured_a_begun_copy_stays_pending(tmp_path: Path) -> None:
    channels = ChannelSet.standard(tmp_path, None, datetime(2026, 12, 1, tzinfo=LONDON))
    with pytest.raises(DeliveryError) as raised:
        channels.notify.deliver(letter(letter_pdf(ADDRESS)))
    assert not raised.value.permanent and "[notify] is not configured" in str(raised.value)


@pytest.mark.parametrize(
    ("accepted", "print_day"),
    [
        ("2026-12-01T17:29", "2026-12-01"),  # a Tuesday, before Notify's print time
        ("2026-12-01T17:30", "2026-12-02"),  # at it: the next working day's run
        ("2026-12-04T18:00", "2026-12-07"),  # a Friday evening: Monday
        ("2026-12-24T18:00", "2026-12-29"),  # Christmas, Boxing Day's substitute: Tuesday
        ("2026-07-01T17:15", "2026-07-01"),  # summer time: 16:15 UTC
    ],
)
def test_a_letter_is_in_the_print_run_of_the_day_it_was_taken_before_17_30(
    accepted: str, print_day: str
) -> None:
    moment = datetime.fromisoformat(accepted).replace(tzinfo=LONDON)
    assert print_run_day(moment).isoformat() == print_day

"""A planned copy and the run's settings → where it goes: the channel and the address on the envelope.

Also the day it counts as received, and the destination as stored with a begun delivery.
"""

from __future__ import annotations

import json
from datetime import date

from pipeline.config import Channels, DeliveryChannel
from pipeline.delivery.channels import Destination, choose_channel
from pipeline.planning.plan import PlannedCopy
from pipeline.service.conference import Conference
from pipeline.service.settings import RunSettings


def _configured(channels: Channels, copy: PlannedCopy, role: str) -> DeliveryChannel:
    if copy.via is not None:
        return channels.lead_social_worker
    if copy.on_behalf_of is not None or copy.recipient_class == "authorised":
        return channels.authorised
    return channels.professional if role == "professional" else channels.family


def destination_for(
    conference: Conference, copy: PlannedCopy, settings: RunSettings
) -> Destination:
    """Through the lead social worker when the plan says `via` (to the social worker, by their
    channel); else the recipient's own, by the configured channel where it can reach them."""
    export = conference.export
    reached = copy.via or copy.recipient
    person = export.person(reached)
    channel = choose_channel(
        _configured(
            settings.channels,
            copy,
            "child" if export.is_child(copy.recipient) else export.person(copy.recipient).role,
        ),
        has_email=person.email is not None,
        has_address=person.address is not None,
        email_possible=settings.smtp is not None,
    )
    folder = f"{copy.via}/to-hand-over/{copy.recipient}" if copy.via is not None else copy.recipient
    return Destination(
        channel=channel,
        folder=folder,
        email=person.email if channel == "email" else None,
        name=person.name,
        address_lines=person.address.lines if person.address and channel == "post" else (),
        postcode=person.address.postcode if person.address and channel == "post" else "",
    )


def destination_json(destination: Destination) -> str:
    return json.dumps(
        {
            "channel": destination.channel,
            "folder": destination.folder,
            "email": destination.email,
            "name": destination.name,
            "address_lines": list(destination.address_lines),
            "postcode": destination.postcode,
        },
        ensure_ascii=False,
    )


def destination_from(text: str) -> Destination:
    data = json.loads(text)
    return Destination(
        channel=data["channel"],
        folder=data["folder"],
        email=data["email"],
        name=data["name"],
        address_lines=tuple(data["address_lines"]),
        postcode=data["postcode"],
    )


def received_on(
    conference: Conference | None, channel: str, via: str | None, sent_on: date
) -> date | None:
    if via is not None:
        return None  # received when the social worker hands it over (`cpc handed-over`)
    if channel == "post":
        if conference is None:
            return None  # the conference cannot be read now; the receipt date is not known
        days = conference.profile.notice("post_receipt").value.amount
        return conference.calendar.add_working_days(sent_on, days)
    return sent_on

"""A planned copy and the run's settings → where it goes: the channel and the address on the envelope.

Also the day it counts as received, and the destination as stored with a begun delivery.
"""

from __future__ import annotations

import json
from datetime import date

from pipeline.delivery.channels import Destination
from pipeline.errors import InternalFault
from pipeline.planning.plan import PlannedCopy
from pipeline.service.conference import Conference
from pipeline.service.settings import RunSettings


def destination_for(
    conference: Conference, copy: PlannedCopy, settings: RunSettings
) -> Destination:
    """By the channel the plan chose (pipeline.planning.routing, from these settings): to the
    lead social worker when the plan says `via`, else to the recipient."""
    export = conference.export
    reached = copy.via or copy.recipient
    person = export.person(reached)
    channel = copy.channel
    if channel is None:
        raise InternalFault(f"{copy.recipient}/{copy.document}: the plan gave this copy no channel")
    folder = f"{copy.via}/to-hand-over/{copy.recipient}" if copy.via is not None else copy.recipient
    by_email = channel == "email"
    by_letter = channel == "post"
    if channel == "notify":
        # Notify sends a professional an e-mail with a secure link, and the family a letter:
        # each form where the reader can be reached by it, else the other.
        by_email = person.email is not None and (
            person.role == "professional" or person.address is None
        )
        by_letter = not by_email
    return Destination(
        channel=channel,
        folder=folder,
        email=person.email if by_email else None,
        name=person.name,
        address_lines=person.address.lines if person.address and by_letter else (),
        postcode=person.address.postcode if person.address and by_letter else "",
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

"""A copy's route (whom it reaches, under the service's channel settings) → the channel it takes: the one rule.

The plan records the channel this rule gives and delivery uses the planned channel as it stands,
so `cpc plan` says what delivery will do. The rule's inputs are a `Routing`: the channel the
service is configured to use for each kind of reader and whether it can send e-mail at all. The
service builds it from its configuration; with none, `Routing()` is the service's own defaults.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.contract.export import Export
from pipeline.planning.plan import Channel


@dataclass(frozen=True, slots=True)
class Routing:
    """The configured channel per kind of reader, and whether e-mail can be sent (SMTP is set).

    The defaults are the service configuration's (`pipeline.config.Channels`, no SMTP):
    tests/test_plan_routing.py checks the two agree."""

    professional: Channel = "folder"
    family: Channel = "post"
    authorised: Channel = "folder"
    lead_social_worker: Channel = "folder"
    email_possible: bool = False

    def configured(self, *, via: bool, authorised: bool, professional: bool) -> Channel:
        """The channel set for this kind of copy: through the social worker, on someone's behalf,
        to a professional, or to the family."""
        if via:
            return self.lead_social_worker
        if authorised:
            return self.authorised
        return self.professional if professional else self.family


# The service's defaults, for a plan made with no configuration (`cpc plan`).
DEFAULT_ROUTING = Routing()


def choose_channel(
    configured: Channel, *, has_email: bool, has_address: bool, email_possible: bool
) -> Channel:
    """The configured channel where the reader can be reached by it (Notify: by a postal address
    or an e-mail address); else the other of e-mail and post that can reach them; the outbox
    folder only as a last resort."""
    if configured == "email" and has_email and email_possible:
        return "email"
    if configured == "post" and has_address:
        return "post"
    if configured == "notify" and (has_address or has_email):
        # GOV.UK Notify reaches a reader by letter or by e-mail: which one is the destination's
        # (pipeline.service.destination).
        return "notify"
    if configured == "folder":
        return "folder"
    if has_address:
        return "post"
    if has_email and email_possible:
        return "email"
    return "folder"


def route(
    export: Export,
    routing: Routing,
    *,
    recipient: str,
    via: str | None,
    authorised: bool,
) -> Channel | None:
    """The channel a copy takes to the person it is handed to: the social worker it passes through
    (`via`), else its recipient. None where nobody can be reached: a child's copy goes only by hand
    through the social worker."""
    reached = via or recipient
    if export.is_child(reached):
        return None
    person = export.person(reached)
    configured = routing.configured(
        via=via is not None,
        authorised=authorised,
        professional=export.person(recipient).role == "professional"
        if not export.is_child(recipient)
        else False,
    )
    return choose_channel(
        configured,
        has_email=person.email is not None,
        has_address=person.address is not None,
        email_possible=routing.email_possible,
    )

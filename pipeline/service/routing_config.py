"""The service configuration's channels and SMTP settings → the `Routing` the plan chooses each copy's channel by."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipeline.config import Channels, Config
from pipeline.planning.routing import Routing

if TYPE_CHECKING:
    # Only its shape: `cpc plan` need not import smtplib and ssl to plan.
    from pipeline.delivery.email import SmtpSettings


def routing_for(channels: Channels, smtp: SmtpSettings | None) -> Routing:
    """The channel set for each kind of reader, and whether e-mail can be sent at all."""
    return Routing(
        professional=channels.professional,
        family=channels.family,
        authorised=channels.authorised,
        lead_social_worker=channels.lead_social_worker,
        email_possible=smtp is not None,
    )


def configured_routing(config: Config) -> Routing:
    """The routing a configuration gives before a run (`cpc plan --config`): e-mail possible
    where a mail server is set."""
    return Routing(
        professional=config.channels.professional,
        family=config.channels.family,
        authorised=config.channels.authorised,
        lead_social_worker=config.channels.lead_social_worker,
        email_possible=bool(config.smtp.host),
    )

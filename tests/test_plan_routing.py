"""Which channel a copy takes: one rule (pipeline.planning.routing), so the plan's `channel` is the channel delivery uses.

Before, the plan picked from its own order (e-mail for professionals, post for families) while
delivery chose again from the service's channels per role and whether SMTP was set: `cpc plan`
said `email` where delivery wrote a folder, and the Wirral draft outline plan that 002 §22.8 says
is posted went to a folder when families were configured to one.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipeline.config import Channels
from pipeline.delivery.email import SmtpSettings
from pipeline.planning.routing import DEFAULT_ROUTING, Routing, choose_channel
from pipeline.service.routing_config import routing_for
from tests.conftest import EXAMPLES, PlanOf, example, the_copy
from tests.test_service_e2e import CONFIG, PRE_BIRTH, Service

DV = "CPC-2026-0412"  # initial-domestic-abuse.json


def test_the_plans_defaults_are_the_services_defaults() -> None:
    # `cpc plan` has no configuration: it must say what a service with no [channels] does.
    assert routing_for(Channels(), None) == DEFAULT_ROUTING
    smtp = SmtpSettings(host="mail.example", port=587, username=None, password=None, sender="a@b")
    assert routing_for(Channels(professional="email"), smtp) == Routing(
        professional="email", email_possible=True
    )


@pytest.mark.parametrize(
    ("configured", "has_email", "has_address", "email_possible", "expected"),
    [
        ("email", True, True, True, "email"),  # as configured
        ("email", True, True, False, "post"),  # no SMTP: the other channel that reaches them
        ("email", False, False, False, "folder"),  # nothing reaches them: the outbox folder
        ("post", True, False, True, "email"),  # no address: e-mail, where it can be sent
        ("post", True, False, False, "folder"),
        ("folder", True, True, True, "folder"),  # the folder needs no contact details
    ],
)
def test_the_channel_rule(
    configured: str, has_email: bool, has_address: bool, email_possible: bool, expected: str
) -> None:
    assert (
        choose_channel(
            configured,  # type: ignore[arg-type]
            has_email=has_email,
            has_address=has_address,
            email_possible=email_possible,
        )
        == expected
    )


def test_the_plan_follows_the_configured_channels(plan_of: PlanOf) -> None:
    data = example("initial-domestic-abuse")
    default = plan_of(data)
    # no configuration: professionals' copies go to their outbox folder, as delivery does
    assert the_copy(default, "p-police", "record").channel == "folder"
    assert the_copy(default, "p-gran", "record").channel == "post"
    emailing = plan_of(data, routing=Routing(professional="email", email_possible=True))
    assert the_copy(emailing, "p-police", "record").channel == "email"
    # e-mail chosen but not possible (no SMTP): what delivery would do, the folder
    assert (
        the_copy(plan_of(data, routing=Routing(professional="email")), "p-police", "record").channel
        == "folder"
    )


def test_a_copy_through_the_social_worker_takes_the_social_workers_channel(
    plan_of: PlanOf,
) -> None:
    # R32: the child's decision letter is handed over by the lead social worker (p-sw, e-mail only)
    data = example("initial-domestic-abuse")
    child = the_copy(plan_of(data), "c-ella", "decision_letter")
    assert (child.via, child.channel) == ("p-sw", "folder")
    to_sw = plan_of(data, routing=Routing(lead_social_worker="email", email_possible=True))
    assert the_copy(to_sw, "c-ella", "decision_letter").channel == "email"


def _deliveries(service: Service, document: str) -> dict[str, str]:
    return {d.recipient: d.channel for d in service.deliveries() if d.document == document}


def test_the_wirral_draft_plan_is_posted_as_the_plan_says(tmp_path: Path) -> None:
    """002 §22.8: the draft outline plan is posted to parents who attended. With families set to
    the outbox folder, delivery used to write it to a folder while `cpc plan` said post."""
    service = Service.create(tmp_path / "service")
    service.config.write_text(CONFIG + '\n[channels]\nfamily = "folder"\n', encoding="utf-8")
    data = example("initial-domestic-abuse")
    data["authority"]["procedure_profile"] = "wirral"
    service.drop("dv.json", data)
    service.cpc("ingest")
    service.distribute("2026-11-24")
    plans = _deliveries(service, "outline_plan")
    assert (plans["p-mother"], plans["p-father"]) == ("post", "post")
    # her decision letter has no such rule: the configured folder
    assert _deliveries(service, "decision_letter")["p-mother"] == "folder"


def test_copies_not_yet_delivered_follow_a_changed_configuration(tmp_path: Path) -> None:
    """The run plans again under the configuration it runs with: a copy not yet delivered takes
    the new channel; a copy delivered is not sent again because its channel changed."""
    service = Service.create(tmp_path / "service")
    service.drop("pre-birth.json", (EXAMPLES / "pre-birth-scheduled.json").read_bytes())
    service.cpc("ingest")
    service.distribute("2026-12-18")
    first = service.deliveries()
    assert {d.channel for d in first if d.recipient == "p-mum3"} == {"post"}

    # families now go to the outbox folder; the conference moves, so invitations go again
    service.config.write_text(CONFIG + '\n[channels]\nfamily = "folder"\n', encoding="utf-8")
    moved = example("pre-birth-scheduled")
    moved.update(revision=2, export_id="LCS-EXP-20261218-0004", exported_at="2026-12-18T08:30:00Z")
    moved["conference"]["venue"] = "Civic Centre, Meeting Room 7"
    service.drop("pre-birth-r2.json", moved)
    service.cpc("ingest")
    service.distribute("2026-12-21")
    updated = [d for d in service.deliveries() if d.revision == 2 and d.recipient == "p-mum3"]
    assert [(d.document, d.edition, d.channel) for d in updated] == [
        ("invitation", "updated-1", "folder")
    ]
    assert (service.outbox / PRE_BIRTH / "p-mum3" / "invitation-updated-1.pdf").is_file()

    # a channel change alone changes nothing anyone reads: nothing is sent again
    service.config.write_text(CONFIG + '\n[channels]\nfamily = "post"\n', encoding="utf-8")
    assert "Delivered: 0 (none)" in service.distribute("2026-12-22")
    assert len(service.deliveries()) == len(first) + 4  # the four updated invitations
    assert all(d.sent_on != date(2026, 12, 22) for d in service.deliveries())

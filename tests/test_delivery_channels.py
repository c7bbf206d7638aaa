"""The run delivers only through the channels it is given (one `Channel` protocol), and a copy to hand over never leaves without its sheet."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from pipeline.config import Channels
from pipeline.delivery.channel import ChannelSet, HandoverRoute, Parcel
from pipeline.delivery.channels import Destination
from pipeline.delivery.envelopes import Envelope
from pipeline.errors import InternalFault
from pipeline.procedure.profile import load_profiles
from pipeline.service.run import RunSettings, distribute
from tests import service_harness
from tests.backends import on_both_stores
from tests.conftest import example
from tests.fake_renderer import FAKE

DV = "CPC-2026-0412"  # initial-domestic-abuse.json: copies by folder and by post, three via


@dataclass
class Recording:
    """A channel that keeps what it is given and says where it went."""

    name: str
    batched: bool = False
    parcels: list[Parcel] = field(default_factory=list)

    envelopes: list[Envelope] = field(default_factory=list)

    def send(self, parcels: Sequence[Parcel], batch: str = "") -> str:
        self.parcels.extend(parcels)
        return f"{self.name}:{batch or parcels[0].destination.folder}"

    def send_envelopes(self, envelopes: Iterable[Envelope], batch: str) -> str:
        taken = list(envelopes)  # given one at a time, as they are made
        self.envelopes.extend(taken)
        return self.send([p for envelope in taken for p in envelope.parcels], batch)


@on_both_stores
def test_the_run_sends_every_copy_through_the_channel_set_it_is_given(tmp_path: Path) -> None:
    service = service_harness.Service(tmp_path, 'family = "post"', renderer=FAKE)
    service.drop(example("initial-domestic-abuse"))
    folder, email, post = Recording("folder"), Recording("email"), Recording("post", batched=True)
    store = service.store()
    try:
        summary = distribute(
            store,
            load_profiles(),
            RunSettings(
                today=date(2026, 11, 24),
                sent_at=datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
                outbox=tmp_path / "outbox",
                spool=tmp_path / "state" / "spool",
                channels=Channels(family="post"),
                smtp=None,
                message_id_domain="cpc.invalid",
                profile_dirs=(),
            ),
            renderer=FAKE,
            channels=ChannelSet(folder, email, post),
        )
        sent = [d for d in store.deliveries(DV) if d.state == "sent"]
    finally:
        store.close()
    assert not summary.any_failed
    # Each copy recorded sent went through its own channel once, and where the channel said it
    # went is what the history says; the run wrote nothing into the outbox itself.
    by_channel = {"folder": folder, "email": email, "post": post}
    for delivery in sent:
        handed = [
            p for p in by_channel[delivery.channel].parcels if p.document == delivery.document
        ]
        assert (delivery.destination or "").startswith(f"{delivery.channel}:")
        assert handed, delivery.copy_key
    assert len(folder.parcels) + len(post.parcels) == len(sent)
    assert post.parcels and folder.parcels and not email.parcels
    # The post is given envelopes, one per person: each holds that person's parcels only.
    people = [(e.conference, e.recipient) for e in post.envelopes]
    assert len(people) == len(set(people)) < len(post.parcels)
    for envelope in post.envelopes:
        assert {p.via or p.destination.folder for p in envelope.parcels} == {envelope.recipient}
    assert not (tmp_path / "outbox").exists()
    # Copies through the lead social worker carry the hand-over sheet (002 §22.9).
    via = [p for p in folder.parcels + post.parcels if p.via is not None]
    assert via
    assert all(any(n.startswith("handover-sheet") for n, _ in p.files) for p in via)


def test_a_copy_to_hand_over_without_its_sheet_is_not_sent() -> None:
    inner = Recording("folder")
    parcel = Parcel(
        conference=DV,
        document="record",
        edition="original",
        via="p-sw",
        destination=Destination(channel="folder", folder="p-sw/to-hand-over/p-mother"),
        files=(("record.pdf", b"%PDF"),),
    )
    with pytest.raises(InternalFault, match="no hand-over sheet"):
        HandoverRoute(inner).send((parcel,))
    assert inner.parcels == []

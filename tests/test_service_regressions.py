"""Faults a review found in the service, each shown fixed through the real commands (issues 4 and 5)."""

from __future__ import annotations

import csv
import fcntl
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from pipeline.contract.load import load_export
from pipeline.planning.recipients import plan_distribution
from pipeline.procedure.profile import load_profiles
from pipeline.rendering.html import Composer
from pipeline.service.copy_renderer import Renderer
from pipeline.service.run_guard import RUN_LOCK
from pipeline.store.db import Store
from tests.conftest import example, the_copy
from tests.fake_renderer import FAKE, FakeRenderer
from tests.service_harness import Service, pdf_text

# Each test on both stores: SQLite and PostgreSQL (tests.backends).
pytestmark = pytest.mark.usefixtures("database")

DV = "CPC-2026-0412"
PRE_BIRTH = "CPC-2026-0777"


def revision(name: str, n: int, **changes: Any) -> dict[str, Any]:
    data = example(name)
    data["revision"] = n
    data["export_id"] = f"EXP-{n}-{name[:10]}"
    data.update(changes)
    return data


def test_a_second_run_at_the_same_time_does_nothing(tmp_path: Path) -> None:
    """Two runs at once would deliver everything twice: the second is refused. The run is held
    as a run holds it: the state folder's file lock on SQLite, the database's advisory lock on
    PostgreSQL (where other machines share the store)."""
    service = Service(tmp_path, renderer=FAKE)
    service.drop(example("pre-birth-scheduled"))
    store = service.store()
    try:
        with _holding_the_run(store, tmp_path / "state"):
            output = service.cpc("distribute", "--today", "2026-11-24", "--workers", "0", code=1)
    finally:
        store.close()
    assert "another cpc distribute" in output and "this run did nothing" in output
    assert service.sent(PRE_BIRTH) == []
    service.distribute("2026-11-24")
    assert len(service.sent(PRE_BIRTH)) == 5


@contextmanager
def _holding_the_run(store: Store, state: Path) -> Iterator[None]:
    if store.database_locks:
        with store.advisory_lock(RUN_LOCK) as held:
            assert held
            yield
        return
    lock = state / "distribute.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def test_a_run_stopped_while_recording_a_post_batch_loses_no_letter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every posted copy ends in exactly one batch, and the batch file lists them all."""
    service = Service(tmp_path, 'family = "post"', renderer=FAKE)
    service.drop(example("initial-domestic-abuse"))

    def stopped(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("killed here")

    with monkeypatch.context() as patch:
        patch.setattr(Store, "finish_batch", stopped)
        service.cpc("distribute", "--today", "2026-11-24", "--workers", "0", code=1)
    service.distribute("2026-11-24")
    posted = [d for d in service.sent(DV) if d.channel == "post"]
    assert posted and len({d.batch_id for d in posted}) == 1
    (batch,) = service.outbox("post").glob("*.csv")
    rows = list(csv.DictReader(batch.read_text(encoding="utf-8-sig").splitlines()))
    enclosed = [e for r in rows for e in r["enclosures"].split("; ")]
    letters = [e for e in enclosed if e not in ("covering letter", "hand-over sheet")]
    assert len(letters) == len(posted)


def test_a_delivery_stuck_across_a_new_revision_is_followed_by_the_updated_invitation(
    tmp_path: Path,
) -> None:
    """A delivery left pending, then a new venue: the updated invitation still goes."""
    service = Service(tmp_path)
    service.drop(revision("pre-birth-scheduled", 1))
    outbox = service.outbox()
    outbox.parent.mkdir(parents=True, exist_ok=True)
    outbox.write_text("not a folder")  # the share is down: every folder delivery fails
    service.cpc("distribute", "--today", "2026-11-24", "--workers", "0", code=1)
    moved = revision("pre-birth-scheduled", 2)
    moved["conference"]["venue"] = "Riverside Family Centre, Room 2"
    service.drop(moved)
    outbox.unlink()
    service.distribute("2026-11-25")  # finishes the stuck ones, then sends the updates
    assert "Delivered: 0" in service.distribute("2026-11-25")
    for delivery in service.sent(PRE_BIRTH):
        assert delivery.revision in (1, 2)
    invited = {d.recipient for d in service.sent(PRE_BIRTH) if d.document == "invitation"}
    updated = [d for d in service.sent(PRE_BIRTH) if d.edition.startswith("updated")]
    assert {d.recipient for d in updated} == invited and len(updated) == len(invited)
    for delivery in updated:
        (pdf,) = [f["name"] for f in delivery.files if f["name"].endswith(".pdf")]
        text = pdf_text(next(service.outbox(PRE_BIRTH).rglob(pdf)).read_bytes())
        assert "Riverside Family Centre" in text


def test_a_begun_delivery_is_refused_if_the_copy_changed_meanwhile(tmp_path: Path) -> None:
    """A revision taken in while a run rendered: the old bytes are not recorded as the new."""
    service = Service(tmp_path, renderer=FAKE)
    service.drop(example("pre-birth-scheduled"))
    store = service.store()
    row = store.copy_row(PRE_BIRTH, "p-sw3/invitation")
    values = {
        "conference_id": PRE_BIRTH, "copy_key": "p-sw3/invitation", "revision": 1,
        "recipient": "p-sw3", "document": "invitation", "channel": "folder", "via": None,
        "edition": "original", "files": [], "message_id": None, "destination": "{}",
    }  # fmt: skip
    assert store.begin_deliveries([values | {"fingerprint": "another content"}]) == [None]
    assert store.copy_row(PRE_BIRTH, "p-sw3/invitation").status == "ready"
    assert store.begin_deliveries([values | {"fingerprint": row.fingerprint}]) != [None]
    assert store.begin_deliveries([values | {"fingerprint": row.fingerprint}]) == [None]
    store.close()


def _withheld_from_the_social_worker() -> dict[str, Any]:
    data = example("initial-domestic-abuse")
    (s2,) = [s for s in data["record"]["sections"] if s["id"] == "s2"]
    s2["visibility"] = {"withheld_from": ["p-sw"]}
    return data


def test_content_withheld_from_the_social_worker_never_travels_through_them(
    tmp_path: Path,
) -> None:
    """Spec §4 rule 2: the hand-over route makes the social worker a reader of the copy."""
    service = Service(tmp_path, renderer=FAKE)
    service.drop(_withheld_from_the_social_worker())
    service.distribute("2026-11-24")
    held = service.copy(DV, "p-mother/record")
    # the plan holds it now, before rendering (spec §4 rules 2, 4): no longer the byte check
    assert held.status == "held" and held.hold_kind == "route"
    assert "withheld from p-sw, through whom it goes" in held.reason
    assert not service.outbox(DV, "p-sw", "to-hand-over", "p-mother", "record.pdf").exists()
    assert service.outbox(DV, "p-sw", "record.pdf").exists()  # their own copy goes


def test_the_social_workers_own_record_leaves_out_what_is_withheld_from_them() -> None:
    """Spec §4 rule 2, on the laid-out page: the section withheld from the social worker is not
    in their own record."""
    profiles = load_profiles()
    raw = json.dumps(_withheld_from_the_social_worker()).encode()
    export = load_export(raw, profiles.keys())
    profile = profiles["default"]
    plan = plan_distribution(export, profile, profile.working_calendar(export.authority.nation))
    result = Renderer.for_profile(profile, Composer.at()).render(
        export, the_copy(plan, "p-sw", "record")
    )
    assert result.status == "ready", result.reason
    text = pdf_text(dict(result.files)["record.pdf"])
    withheld = next(s for s in export.record.sections if s.id == "s2")
    assert withheld.heading not in text
    assert not any(" ".join(p.split()[:8]) in text for p in withheld.paragraphs)
    assert "Some content has been withheld from this copy." in text
    assert "Information from the police" in text  # the rest of it is there


def test_reordering_authorisations_in_a_new_revision_sends_nothing_again(
    tmp_path: Path,
) -> None:
    service = Service(tmp_path, renderer=FAKE)
    service.drop(example("initial-domestic-abuse"))
    service.distribute("2026-11-24")
    second = revision("initial-domestic-abuse", 2)
    new = {
        "person": "p-father-sol", "documents": ["decision_letter"], "basis": "parent_consent",
        "on_behalf_of": "p-father", "authorised_by": "p-chair", "authorised_on": "2026-11-24",
        "purpose": "advice to Mr Whitfield",
    }  # fmt: skip
    second["distribution"]["authorisations"].insert(0, new)
    service.drop(second)
    service.distribute("2026-11-25")
    for key in ("p-mother-sol/record-for-p-mother", "p-mother-sol/decision_letter-for-p-mother"):
        assert len(service.sent(DV, key)) == 1, key
    assert service.sent(DV, "p-father-sol/decision_letter-for-p-father")


def test_the_chairs_release_of_a_short_withheld_item_takes_effect(tmp_path: Path) -> None:
    """A withheld address line too short to search for holds the copy until a person checks;
    the chair's release then sends it (spec §4 rule 7). The holding is the renderer's (its
    laid-out side: tests/test_process.py); the run's part is to carry the release to it."""
    key = "p-father/decision_letter"
    service = Service(tmp_path, renderer=FakeRenderer(short=frozenset({key})))
    service.drop(example("initial-domestic-abuse"))
    service.distribute("2026-11-24")
    assert service.copy(DV, key).hold_kind == "short_items"
    service.cpc("release", DV, key, "--by", "p-chair", "--why", "read it: no address in it")
    service.distribute("2026-11-25")
    assert len(service.sent(DV, key)) == 1


def test_a_request_arriving_after_its_decision_is_a_duplicate(tmp_path: Path) -> None:
    """Files are taken in name order: a decision may come in first."""
    service = Service(tmp_path, renderer=FAKE)
    service.drop(example("initial-domestic-abuse"))
    service.distribute("2026-11-24")
    service.drop(example("amendment-agreed"))
    request = example("amendment-agreed")
    request["decision"] = {"status": "pending"}
    assert "duplicate" in service.drop(request)
    history = json.loads(service.cpc("history", DV, "--format", "json"))
    assert history["amendments"][0]["status"] == "agreed"


def test_each_copy_through_the_social_worker_has_its_own_hand_over_sheet(
    tmp_path: Path,
) -> None:
    service = Service(tmp_path, renderer=FAKE)
    service.drop(example("initial-domestic-abuse"))
    service.distribute("2026-11-24")
    service.cpc("handed-over", DV, "p-mother/record", "--by", "p-sw", "--on", "2026-11-25")
    service.drop(example("amendment-agreed"))
    service.distribute("2026-12-04")
    folder = service.outbox(DV, "p-sw", "to-hand-over", "p-mother")
    sheets = sorted(p.name for p in folder.glob("handover-sheet-*.pdf"))
    assert sheets == [
        "handover-sheet-amendment_notice-AMD-0412-01.pdf",
        "handover-sheet-record.pdf",
    ]
    for delivery in service.sent(DV):
        for file in delivery.files:
            if delivery.channel == "folder":
                assert next(service.outbox(DV).rglob(file["name"])).exists()


def test_a_copy_left_sending_with_nothing_pending_is_sent_by_the_next_run(tmp_path: Path) -> None:
    """A re-plan that raced the finish of a delivery can leave a row 'sending' with no delivery
    in flight: the next run settles it rather than leaving it for ever."""
    service = Service(tmp_path, renderer=FAKE)
    service.drop(example("pre-birth-scheduled"))
    store = service.store()
    with store.transaction() as connection:
        connection.exec_driver_sql(
            "UPDATE copies SET status = 'sending' WHERE copy_key = 'p-sw3/invitation'"
        )
    store.close()
    service.distribute("2026-11-24")
    assert len(service.sent(PRE_BIRTH, "p-sw3/invitation")) == 1

"""A new release of the service (its templates, stylesheet or renderer) changes every copy's fingerprint; it must not make a delivered copy look changed.

A fingerprint is the reader's document, hashed as this release renders it. Comparing one made by
an earlier release with one made now would find every copy changed: invitations re-sent as
updated copies, decision letters held as "changed after it was sent" (spec §5: a copy whose
content did not change is not sent again). So what a reader was sent is worked out again, from
the export revision it was made from, by the running release.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import example
from tests.fake_renderer import FAKE
from tests.service_harness import Service

DV = "CPC-2026-0412"

# Each test on both stores: SQLite and PostgreSQL (tests.backends).
pytestmark = pytest.mark.usefixtures("database")


# Another fingerprint of the same length (PostgreSQL holds the column to its 64 characters):
# the first character changed to one no hash has.
_EARLIER = "'x' || substr(fingerprint, 2)"


def _as_an_earlier_release_stored_it(service: Service) -> None:
    # Every fingerprint on record as a release with other templates would have made it.
    store = service.store()
    try:
        with store.transaction() as db:
            for table in ("deliveries", "copies"):
                db.exec_driver_sql(f"UPDATE {table} SET fingerprint = {_EARLIER}")
    finally:
        store.close()


def test_a_new_release_sends_nothing_again_when_a_re_export_changes_nothing(
    tmp_path: Path,
) -> None:
    service = Service(tmp_path, renderer=FAKE)
    service.drop(example("initial-domestic-abuse"))
    service.distribute("2026-11-24")
    sent = {d.copy_key for d in service.sent(DV)}
    assert len(sent) == 36
    _as_an_earlier_release_stored_it(service)
    again = example("initial-domestic-abuse")
    again["revision"], again["export_id"] = 2, "LCS-EXP-20261123-0002"  # the same case, re-exported
    service.drop(again)
    service.distribute("2026-11-25")
    assert len(service.sent(DV)) == 36  # nothing re-sent, not even as an "updated" copy
    store = service.store()
    try:
        rows = store.copy_rows(DV)
    finally:
        store.close()
    assert [r.copy_key for r in rows if r.status == "held"] == []
    assert {r.copy_key for r in rows if r.status == "delivered"} == sent


def test_a_new_release_still_sees_what_a_new_revision_changed(tmp_path: Path) -> None:
    """The control: with the same earlier-release fingerprints on record, a revision that adds a
    recommendation for Ella changes every decision letter but Ella's own, and each is held for the chair as
    changed after it was sent; the copies it does not change stay delivered."""
    service = Service(tmp_path, renderer=FAKE)
    service.drop(example("initial-domestic-abuse"))
    service.distribute("2026-11-24")
    _as_an_earlier_release_stored_it(service)
    changed = example("initial-domestic-abuse")
    changed["revision"], changed["export_id"] = 2, "LCS-EXP-20261123-0002"
    changed["decisions"][0]["recommendations"].append("A family group conference to be offered.")
    service.drop(changed)
    service.distribute("2026-11-25")
    store = service.store()
    try:
        rows = store.copy_rows(DV)
    finally:
        store.close()
    held = {r.copy_key for r in rows if r.status == "held"}
    # Every decision letter that prints recommendations: a child's own letter prints none.
    letters = {
        r.copy_key
        for r in rows
        if r.document == "decision_letter" and r.in_plan and not r.copy_key.startswith("c-")
    }
    own = next(r for r in rows if r.copy_key == "c-ella/decision_letter")
    assert own.status != "held"
    assert held and held <= letters | {r.copy_key for r in rows if r.document == "record"}
    assert letters <= held
    assert all(
        "changed after it was sent" in (r.reason or "") for r in rows if r.copy_key in letters
    )
    assert {r.document for r in rows if r.status == "delivered"} >= {"outline_plan"}

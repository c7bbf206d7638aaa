"""A conference's deliveries are made durable in batches: one transaction begins them all, one records its folder copies sent, each folder is synced once, and a folder copy is never spooled.

What is counted is what happened, observed as it happened: the SQL each committed transaction
ran (SQLAlchemy's cursor and commit events on the run's own store), and every `os.fsync` the run
made (wrapped to note whether it synced a folder and which; the real sync still runs). What a
person receives is read back from the outbox. A run stopped part-way (a `KeyboardInterrupt`
raised at a step, which no handler of the run catches, as no handler runs on a kill) is finished
by the next one: the staged files renamed into place, a copy whose files were removed meanwhile
failed with words saying so, and files staged for a copy that was never begun swept away.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from pipeline.config import Channels
from pipeline.delivery.channel import FolderChannel
from pipeline.procedure.profile import load_profiles
from pipeline.service.run import RunSettings, distribute
from pipeline.store.db import Store, StoredDelivery
from tests import service_harness
from tests.backends import Database
from tests.conftest import example
from tests.fake_renderer import FAKE

DV = "CPC-2026-0412"  # initial-domestic-abuse.json: chaired by Helen Marsh, three copies via p-sw
TODAY = date(2026, 11, 24)
FAMILY_BY_FOLDER = 'family = "folder"'

# Each test on both stores: SQLite and PostgreSQL (tests.backends).
pytestmark = pytest.mark.usefixtures("database")


def _settings(root: Path, channels: Channels) -> RunSettings:
    return RunSettings(
        today=TODAY,
        sent_at=datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
        outbox=root / "outbox",
        spool=root / "state" / "spool",
        channels=channels,
        smtp=None,
        message_id_domain="cpc.invalid",
        profile_dirs=(),
    )


def _run(service: service_harness.Service, channels: Channels) -> None:
    """`distribute` in this process on the service's store, with the real channels."""
    store = service.store()
    try:
        distribute(store, load_profiles(), _settings(service.root, channels), renderer=FAKE)
    finally:
        store.close()


@dataclass
class Observed:
    """What one run did: the statements of each committed transaction (with how many rows of
    values each was run for: more than one when executed for many), and each fsync."""

    transactions: list[list[tuple[str, int]]] = field(default_factory=list)
    syncs: list[tuple[Path, bool]] = field(default_factory=list)  # (what, is a folder)

    def committed(self, starting: str) -> list[list[tuple[str, int]]]:
        """The committed transactions that ran a statement starting so (case as SQLAlchemy's)."""
        return [t for t in self.transactions if any(s.startswith(starting) for s, _ in t)]


def _row_count(sql: str, parameters: Any, many: bool) -> int:
    """Rows of values one statement was run for: one a set of parameters run for many, and an
    INSERT of many rows in one statement (VALUES (...), (...)) as many as its values fill."""
    # Run for many: a list of sets, or (SQLAlchemy's "insertmanyvalues", many rows in one
    # INSERT) one flat set for all of them.
    # One set is a tuple of values (SQLite's qmark) or a dict of them by name (psycopg's).
    one_set = (
        not parameters
        or isinstance(parameters, dict)
        or not isinstance(parameters[0], tuple | list | dict)
    )
    sets = [parameters] if not many or one_set else list(parameters)
    if not sql.startswith("INSERT"):
        return len(sets)
    columns = len(sql[sql.index("(") + 1 : sql.index(")")].split(","))
    return sum(len(p) // columns for p in sets)


def _rows(transaction: list[tuple[str, int]], starting: str) -> int:
    """How many rows of values the transaction's statements starting so were run for."""
    return sum(n for sql, n in transaction if sql.startswith(starting))


@pytest.fixture(scope="module")
def folder_run(
    tmp_path_factory: pytest.TempPathFactory, module_database: Database
) -> Iterator[tuple[service_harness.Service, Observed]]:
    """One conference, every copy by folder, distributed once while being watched."""
    root = tmp_path_factory.mktemp("batches")
    service = service_harness.Service(
        root, FAMILY_BY_FOLDER, renderer=FAKE, database_url=module_database.url
    )
    service.drop(example("initial-domestic-abuse"))
    observed = Observed()
    current: list[tuple[str, int]] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        what = Path(os.readlink(f"/proc/self/fd/{fd}"))
        observed.syncs.append((what, stat.S_ISDIR(os.fstat(fd).st_mode)))
        real_fsync(fd)

    def statement(
        _conn: Any, _cursor: Any, sql: str, parameters: Any, _context: Any, many: bool
    ) -> None:
        current.append((sql, _row_count(sql, parameters, many)))

    def commit(_conn: Any) -> None:
        observed.transactions.append(list(current))
        current.clear()

    def rollback(_conn: Any) -> None:
        current.clear()  # a read's connection, closed

    store = service.store()
    for name, listener in (
        ("before_cursor_execute", statement),
        ("commit", commit),
        ("rollback", rollback),
    ):
        sa.event.listen(store.engine, name, listener)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(os, "fsync", fsync)
            distribute(
                store, load_profiles(), _settings(root, Channels(family="folder")), renderer=FAKE
            )
    finally:
        store.close()
    yield service, observed


def _sent(service: service_harness.Service) -> list[StoredDelivery]:
    return service.sent(DV)


def _folder(root: Path, delivery: StoredDelivery) -> Path:
    who = (
        f"{delivery.via}/to-hand-over/{delivery.recipient}" if delivery.via else delivery.recipient
    )
    return root / "outbox" / DV / who


def test_every_copy_of_a_conference_is_begun_in_one_transaction(
    folder_run: tuple[service_harness.Service, Observed],
) -> None:
    service, observed = folder_run
    sent = _sent(service)
    assert len(sent) >= 10  # every reader of the example, by folder
    (begun,) = observed.committed("INSERT INTO deliveries")
    assert _rows(begun, "INSERT INTO deliveries") == len(sent)


def test_every_folder_copy_of_a_conference_is_recorded_sent_in_one_transaction(
    folder_run: tuple[service_harness.Service, Observed],
) -> None:
    service, observed = folder_run
    sent = _sent(service)
    (finished,) = observed.committed("UPDATE deliveries SET state")
    assert _rows(finished, "UPDATE deliveries SET state") == len(sent)
    assert _rows(finished, "UPDATE copies SET status") == len(sent)
    # The audit's "delivered" lines go in that same transaction: one per copy.
    assert _rows(finished, "INSERT INTO audit_log") == len(sent)


def test_each_folder_is_synced_once_and_no_copy_goes_through_the_spool(
    folder_run: tuple[service_harness.Service, Observed],
) -> None:
    service, observed = folder_run
    root, sent = service.root, _sent(service)
    folders = Counter(path for path, is_folder in observed.syncs if is_folder)
    assert folders and max(folders.values()) == 1, folders.most_common(3)
    outbox = root / "outbox"
    delivered_in = {_folder(root, d) for d in sent}
    assert delivered_in <= set(folders)
    # Besides those: the folders made for them have their parents synced (each once), and the
    # state folder when the staging log is first made there. Nothing under the spool.
    for path in folders:
        assert path == root / "state" or path == root or path.is_relative_to(outbox), path
    assert not (root / "state" / "spool").exists()
    # One sync of each file's bytes, made while it waited under its staged name (.NAME.TAG.tmp),
    # and one of the staging log's line.
    files = [path for path, is_folder in observed.syncs if not is_folder]
    assert files.count(root / "state" / "staging.log") == 1
    waited = [p for p in files if p != root / "state" / "staging.log"]
    assert all(p.name.startswith(".") and p.name.endswith(".tmp") for p in waited), waited
    assert Counter(p.parent / p.name[1:].rsplit(".", 2)[0] for p in waited) == Counter(
        _folder(root, d) / f["name"] for d in sent for f in d.files
    )


def test_what_each_reader_finds_in_their_folder_is_their_copy_and_nothing_else(
    folder_run: tuple[service_harness.Service, Observed],
) -> None:
    service, _ = folder_run
    root = service.root
    expected: dict[Path, set[str]] = {}
    for delivery in _sent(service):
        folder = _folder(root, delivery)
        for file in delivery.files:
            data = (folder / file["name"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == file["sha256"]
            if file["name"].endswith(".pdf") and not file["name"].startswith("handover-sheet"):
                assert delivery.copy_key in service_harness.pdf_text(data)
            expected.setdefault(folder, set()).add(file["name"])
    for folder, names in expected.items():
        assert {p.name for p in folder.iterdir() if p.is_file()} == names, folder
    # Every conference staged is marked begun in the log: the next run has nothing to sweep.
    log = (root / "state" / "staging.log").read_text(encoding="utf-8").splitlines()
    assert log == [f"+{DV}", f"-{DV}"]


# ---- a run stopped part-way, then run again -------------------------------------------------------


class Stopped(KeyboardInterrupt):
    """Raised at a step to stop the run there, as a kill would: no handler of the run takes it."""


def _stop_at(patch: pytest.MonkeyPatch, owner: Any, name: str, *, after: bool) -> None:
    real: Callable[..., Any] = getattr(owner, name)

    def stop(*args: Any, **kwargs: Any) -> Any:
        if after:
            real(*args, **kwargs)
        raise Stopped(name)

    patch.setattr(owner, name, stop)


def _stopped_run(service: service_harness.Service, owner: Any, name: str, *, after: bool) -> None:
    with pytest.MonkeyPatch.context() as patch:
        _stop_at(patch, owner, name, after=after)
        with pytest.raises(Stopped):
            _run(service, Channels(family="folder"))


def _staged(root: Path) -> list[Path]:
    return sorted(p for p in (root / "outbox").rglob("*") if p.name.endswith(".tmp"))


def test_a_run_stopped_after_the_begin_is_finished_by_renaming_what_was_staged(
    tmp_path: Path,
) -> None:
    service = service_harness.Service(tmp_path, FAMILY_BY_FOLDER, renderer=FAKE)
    service.drop(example("initial-domestic-abuse"))
    _stopped_run(service, Store, "begin_deliveries", after=True)
    staged = _staged(tmp_path)
    assert staged  # waiting, hidden, in each reader's folder
    service.distribute("2026-11-24")
    assert _staged(tmp_path) == []
    sent = _sent(service)
    assert len(sent) >= 10 and len({d.copy_key for d in sent}) == len(sent)
    for delivery in sent:
        for file in delivery.files:
            data = (_folder(tmp_path, delivery) / file["name"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == file["sha256"]
    assert "Delivered: 0" in service.distribute("2026-11-24")


def test_a_begun_folder_copy_whose_files_were_removed_meanwhile_fails_saying_so(
    tmp_path: Path,
) -> None:
    service = service_harness.Service(tmp_path, FAMILY_BY_FOLDER, renderer=FAKE)
    service.drop(example("initial-domestic-abuse"))
    _stopped_run(service, FolderChannel, "place", after=False)
    gp = tmp_path / "outbox" / DV / "p-gp"
    removed = [p for p in gp.iterdir() if p.name.endswith(".tmp")]
    assert removed
    for path in removed:
        path.unlink()  # someone cleared the folder while the run was stopped
    output = service.cpc("distribute", "--today", "2026-11-24", "--workers", "0", code=1)
    assert "neither waiting in its outbox folder nor there with the bytes recorded" in output
    store = service.store()
    try:
        deliveries = store.deliveries(DV)
    finally:
        store.close()
    failed = [d for d in deliveries if d.state == "failed"]
    assert failed and {d.recipient for d in failed} == {"p-gp"}
    assert all("Send the copy again" in (d.error or "") for d in failed)
    assert not [d for d in deliveries if d.state == "pending"]
    assert not [p for p in gp.iterdir() if p.is_file()]  # nothing half-delivered to the GP
    others = [d for d in deliveries if d.state == "sent"]
    assert others and all(d.recipient != "p-gp" for d in others)
    assert _staged(tmp_path) == []


def test_files_staged_for_a_copy_never_begun_are_swept_by_the_next_run(tmp_path: Path) -> None:
    service = service_harness.Service(tmp_path, FAMILY_BY_FOLDER, renderer=FAKE)
    service.drop(example("initial-domestic-abuse"))
    _stopped_run(service, Store, "begin_deliveries", after=False)
    gp = tmp_path / "outbox" / DV / "p-gp"
    staged_for_gp = [p for p in gp.iterdir() if p.name.endswith(".tmp")]
    assert staged_for_gp
    # Meanwhile the chair withdraws the GP's decision letter: the next run never stages it again.
    service.cpc(
        "withdraw", DV, "p-gp/decision_letter", "--by", "Helen Marsh", "--why", "sent by hand"
    )
    service.distribute("2026-11-24")
    assert _staged(tmp_path) == []
    sent = _sent(service)
    assert sent and "p-gp/decision_letter" not in {d.copy_key for d in sent}
    in_gp_folder = {p.name for p in gp.iterdir()} if gp.is_dir() else set()
    assert in_gp_folder == {f["name"] for d in sent if d.recipient == "p-gp" for f in d.files}


def test_each_copy_in_one_begin_is_still_compared_and_set_on_its_own(tmp_path: Path) -> None:
    """One transaction, each copy its own check: a copy that changed while it rendered (another
    fingerprint) is not begun, the others are, and a copy named twice is begun once."""
    service = service_harness.Service(tmp_path, FAMILY_BY_FOLDER, renderer=FAKE)
    service.drop(example("initial-domestic-abuse"))
    store = service.store()
    try:
        keys = ["p-gp/record", "p-hv/record", "p-school/record"]
        rows = {k: store.copy_row(DV, k) for k in keys}
        values = [
            {
                "conference_id": DV,
                "copy_key": k,
                "revision": 1,
                "recipient": k.split("/")[0],
                "document": "record",
                "channel": "folder",
                "via": None,
                "edition": "original",
                "files": [],
                "message_id": None,
                "destination": "{}",
                "fingerprint": rows[k].fingerprint,
            }
            for k in keys
        ]
        changed = values[1] | {"fingerprint": "another content"}
        ids = store.begin_deliveries([values[0], changed, values[2], values[0]])
        assert ids[1] is None and ids[3] is None
        assert ids[0] is not None and ids[2] is not None and ids[0] != ids[2]
        pending = {d.copy_key: d.id for d in store.deliveries(DV, state="pending")}
        assert pending == {"p-gp/record": ids[0], "p-school/record": ids[2]}
        assert store.copy_row(DV, "p-hv/record").status == "ready"
        assert {store.copy_row(DV, k).status for k in (keys[0], keys[2])} == {"sending"}
        # Begun again while pending: refused, recording nothing.
        assert store.begin_deliveries([values[0], values[2]]) == [None, None]
    finally:
        store.close()

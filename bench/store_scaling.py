"""A store holding N finished conferences and the same few open ones → wall time and peak memory of `cpc status`, `cpc distribute --dry-run` and `cpc ingest` of one new file.

Usage: .venv/bin/python bench/store_scaling.py [--sizes 100,1000,5000]

The question it answers: do the commands cost what the open work costs, or what the history
costs? So each size holds the same open work (three example exports just taken in, their copies
ready) beside N finished conferences, and the figures should not grow with N.

The finished conferences are made fast, not through N real runs: two example conferences are
taken in and delivered once by the real `cpc distribute` (with the tests' fake renderer), their
tasks done and hand-overs recorded, so every copy is with its reader; then their rows in every
table the commands read (received_documents, conferences, copies, tasks, deliveries) are copied N
times in one transaction under new conference ids and export ids, the stored export bytes with
those ids, and the dates moved a year back (history, not this fortnight's work). All names in
the examples are fictional.

Each command runs in this process through the real `cpc` command (typer's runner, as the tests
drive it), on the configuration file of a service folder: the time is the fastest wall time of
three calls (each ingest takes a file of its own), and the least CPU time of this process of
the three (which a shared machine's load moves less); the peak memory is tracemalloc's peak of
Python allocations in a further, separate call (tracemalloc slows what it watches, so the timed
calls run without it).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from sqlalchemy.engine import Connection  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from pipeline import clock  # noqa: E402
from pipeline.cli.app import app  # noqa: E402
from pipeline.service.run import RunTools  # noqa: E402
from pipeline.store.db import Store  # noqa: E402
from pipeline.store.schema import (  # noqa: E402
    conferences,
    copies,
    deliveries,
    received_documents,
    tasks,
)
from tests.fake_renderer import FAKE  # noqa: E402

EXAMPLES = ROOT / "examples"
FINISHED = ("initial-domestic-abuse", "pre-birth-scheduled")  # every copy goes, none waits
OPEN = ("initial-domestic-abuse", "review-plan-ends", "pre-birth-scheduled")
TEMPLATES = tuple(f"CPC-T-{number:02d}" for number in range(len(FINISHED)))
REPEATS = 3  # timed runs of each command; the fastest is reported
HISTORY = timedelta(days=400)  # how far back the finished conferences' dates are moved
_DATES = ("sent_on", "received_on", "handed_over_on", "due", "done_on", "handover_by")
_MOMENTS = ("received_at", "planned_at", "started_at", "delivered_at", "failed_at")

runner = CliRunner()


class Folder:
    """A service folder and its configuration, driven through the real `cpc` command."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.config = root / "cpc.toml"
        self.config.write_text(
            '[folders]\ninbox = "inbox"\nstate = "state"\noutbox = "outbox"\n[channels]\n'
        )
        self.tools = RunTools(renderer=FAKE)
        self.drops = 0

    def cpc(self, *args: str) -> str:
        result = runner.invoke(app, [*args, "--config", str(self.config)], obj=self.tools)
        if result.exit_code != 0:
            raise RuntimeError(f"cpc {' '.join(args)}: exit {result.exit_code}\n{result.output}")
        return result.output

    def export_file(self, example: str, conference_id: str) -> Path:
        data = json.loads((EXAMPLES / f"{example}.json").read_text(encoding="utf-8"))
        data["conference"]["id"] = conference_id
        data["export_id"] = f"EXP-{conference_id}"
        self.drops += 1
        path = self.root / "drops" / f"{self.drops:04d}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=1), encoding="utf-8")
        return path

    def store(self) -> Store:
        return Store.open(f"sqlite:///{self.root / 'state' / 'cpc.sqlite3'}")


def finish_everything(store: Store, today: date) -> None:
    """Every task done and every copy through a social worker handed over, so nothing is left
    for anyone to do; then every date moved back a year: history, not this fortnight's work."""
    with store.transaction() as connection:
        connection.execute(tasks.update().values(done_on=today))
        connection.execute(
            deliveries.update()
            .where(deliveries.c.via.is_not(None))
            .values(handed_over_on=deliveries.c.sent_on, received_on=deliveries.c.sent_on)
        )
        left = connection.execute(
            sa.select(sa.func.count()).where(copies.c.status.not_in(("delivered", "withdrawn")))
        ).scalar()
        if left:
            raise RuntimeError(f"the template conferences still have {left} copies to send")
        for table in (received_documents, conferences, copies, deliveries, tasks):
            (key,) = table.primary_key.columns
            for row in list(connection.execute(sa.select(table)).mappings()):
                moved = _moved(dict(row))
                connection.execute(table.update().where(key == row[key.name]).values(moved))


def _moved(row: dict[str, Any]) -> dict[str, Any]:
    for name in _DATES:
        if isinstance(row.get(name), date):
            row[name] = row[name] - HISTORY
    for name in _MOMENTS:
        if isinstance(row.get(name), datetime):
            row[name] = row[name] - HISTORY
    return row


def _rows_of(connection: Connection, table: sa.Table, conference_id: str) -> list[dict[str, Any]]:
    query = sa.select(table).where(table.c.conference_id == conference_id)
    return [dict(r) for r in connection.execute(query).mappings()]


def fill_history(
    store: Store, count: int, templates: Sequence[str] = TEMPLATES, start: int = 0
) -> list[str]:
    """`count` finished conferences copied from the finished `templates` in one transaction,
    numbered from `start`; their conference ids."""
    rows: dict[sa.Table, list[dict[str, Any]]] = {
        table: [] for table in (received_documents, conferences, copies, deliveries, tasks)
    }
    made = []
    with store.transaction() as connection:
        first_id = connection.execute(sa.select(sa.func.max(received_documents.c.id))).scalar()
        document_ids = itertools.count((first_id or 0) + 1)
        sources = []
        for template_id in templates:
            (conference,) = _rows_of(connection, conferences, template_id)
            (document,) = (
                dict(r)
                for r in connection.execute(
                    sa.select(received_documents).where(
                        received_documents.c.id == conference["document_id"]
                    )
                ).mappings()
            )
            children = {
                t: _rows_of(connection, t, template_id) for t in (copies, deliveries, tasks)
            }
            sources.append((template_id, conference, document, children))
        for number in range(start, start + count):
            template_id, conference, document, children = sources[number % len(sources)]
            new_id, export_id = f"CPC-H-{number:06d}", f"EXP-H-{number:06d}"
            made.append(new_id)
            # The stored export names its conference and export ids: the copy names its own.
            raw = (
                bytes(document["raw"])
                .replace(f'"{template_id}"'.encode(), f'"{new_id}"'.encode())
                .replace(f'"{document["document_id"]}"'.encode(), f'"{export_id}"'.encode())
            )
            document_id = next(document_ids)
            rows[received_documents].append(
                document
                | {
                    "id": document_id,
                    "conference_id": new_id,
                    "document_id": export_id,
                    "raw": raw,
                    "sha256": hashlib.sha256(raw).hexdigest(),
                }
            )
            rows[conferences].append(
                conference | {"conference_id": new_id, "document_id": document_id}
            )
            for table, source in children.items():
                rows[table].extend(
                    {k: v for k, v in r.items() if k != "id"} | {"conference_id": new_id}
                    for r in source
                )
        for table, values in rows.items():
            if values:
                connection.execute(table.insert(), values)
    return made


def _timed(call: Callable[[], object]) -> tuple[float, float]:
    """Wall seconds and this process's CPU seconds (less moved by a shared machine's load)."""
    started, cpu = time.perf_counter(), time.process_time()
    call()
    return time.perf_counter() - started, time.process_time() - cpu


def _peak(call: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def finished_templates(folder: Folder) -> None:
    """The example conferences taken in and delivered by a real run, then every task done and
    every hand-over recorded: finished conferences to copy."""
    for template, example in zip(TEMPLATES, FINISHED, strict=True):
        folder.cpc("ingest", str(folder.export_file(example, template)))
    folder.cpc("distribute", "--today", clock.now().date().isoformat(), "--workers", "0")
    store = folder.store()
    try:
        finish_everything(store, clock.now().date())
    finally:
        store.close()


def measure_one(size: int, work: Path) -> dict[str, Any]:
    """The figures for one store of `size` finished conferences and the same open work."""
    today = clock.now().date().isoformat()
    folder = Folder(work / f"store-{size}")
    finished_templates(folder)
    store = folder.store()
    started = time.perf_counter()
    fill_history(store, size - len(FINISHED))
    filled = time.perf_counter() - started
    store.close()
    for number, example in enumerate(OPEN):
        folder.cpc("ingest", str(folder.export_file(example, f"CPC-O-{number:02d}")))
    status = ("status", "--format", "json", "--today", today)
    dry_run = ("distribute", "--dry-run", "--today", today)
    # Each ingest takes in a file of its own (a new conference), as a day's files come in.
    ingests = [
        ("ingest", str(folder.export_file("review-plan-ends", f"CPC-N-{n}")))
        for n in range(REPEATS + 1)
    ]
    figures: dict[str, Any] = {"finished": size, "open": len(OPEN), "fill_s": round(filled, 2)}
    for name, runs in (
        ("status", [status] * (REPEATS + 1)),
        ("dry_run", [dry_run] * (REPEATS + 1)),
        ("ingest", ingests),
    ):
        # The best of a few: a shared machine only ever adds time.
        timed = [_timed(lambda a=args: folder.cpc(*a)) for args in runs[:REPEATS]]  # type: ignore[misc]
        figures[f"{name}_s"] = round(min(wall for wall, _cpu in timed), 3)
        figures[f"{name}_cpu_s"] = round(min(cpu for _wall, cpu in timed), 3)
        last = runs[REPEATS]
        figures[f"{name}_peak_mb"] = round(_peak(lambda a=last: folder.cpc(*a)) / 2**20, 1)  # type: ignore[misc]
    return figures


def measure_store_scaling(sizes: Sequence[int] = (100, 1000, 5000)) -> list[dict[str, Any]]:
    """One row of figures for each size: seconds and peak MB of status, dry run and ingest."""
    with tempfile.TemporaryDirectory(prefix="cpc-store-scaling-") as work:
        return [measure_one(size, Path(work)) for size in sizes]


def _table(results: list[dict[str, Any]]) -> str:
    columns = list(results[0])
    lines = ["  ".join(f"{c:>15}" for c in columns)]
    lines += ["  ".join(f"{r[c]!s:>15}" for c in columns) for r in results]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default="100,1000,5000", help="finished conferences, e.g. 100,1000"
    )
    args = parser.parse_args(argv)
    results = measure_store_scaling(tuple(int(s) for s in args.sizes.split(",")))
    print(_table(results))


if __name__ == "__main__":
    main()

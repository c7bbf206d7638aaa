"""Seeded mutations of the examples at scale → how many were accepted, refused naming the field, lost, or ended in a traceback (issue 10 item 4).

Usage: .venv/bin/python scripts/fuzz_intake.py [--variants N] [--seed S] [--batch B] [--store]

The variants and checks of tests/test_fuzz_intake.py (tests/intake_fuzz.py), at larger numbers:
every variant is validated (and planned when accepted), then dropped into an inbox in batches of B
with a good export behind each batch, and the inbox taken in name order. With --store the real
SQLite store sink takes them (slower); by default an in-memory sink does. Prints the figures and
the first few problems of each kind. Exit status: 0 if there were none, 1 otherwise.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # `tests` is not installed; import it from the checkout

from pipeline.intake.inbox import InboxFolders  # noqa: E402
from pipeline.rendering.html import Composer  # noqa: E402
from pipeline.service.ingest import StoreSink  # noqa: E402
from pipeline.store.db import Store  # noqa: E402
from tests.intake_fuzz import PROFILES, Figures, check_variant, ingest_batch, variants  # noqa: E402
from tests.test_inbox import FakeSink  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--store", action="store_true", help="ingest into a real SQLite store")
    args = parser.parse_args()
    shm = Path("/dev/shm")
    workdir = Path(tempfile.mkdtemp(prefix="cpc-fuzz-", dir=shm if shm.is_dir() else None))
    figures = Figures()
    try:
        started = time.perf_counter()
        batch = list(variants(args.seed, args.variants))
        for variant in batch:
            check_variant(variant, figures)
        checked = time.perf_counter()
        folders = InboxFolders.at(workdir / "inbox")
        folders.ensure()
        store = Store.open(f"sqlite:///{workdir / 'state' / 'cpc.sqlite3'}") if args.store else None
        sink = StoreSink(store, PROFILES, Composer.at()) if store is not None else FakeSink()
        for start in range(0, len(batch), args.batch):
            ingest_batch(batch[start : start + args.batch], folders, sink, figures, start)
        if store is not None:
            store.close()
        ingested = time.perf_counter()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"variants: {figures.variants} (seed {args.seed})")
    print(f"accepted: {figures.accepted}")
    print(f"refused:  {figures.refused}")
    print(f"tracebacks: {len(figures.tracebacks)}")
    print(f"refused without naming the field: {len(figures.unnamed)}")
    print(f"files lost: {len(figures.lost)}")
    print(f"good files behind poison not taken: {len(figures.good_behind_poison_missed)}")
    print(f"validate and plan: {checked - started:.1f} s; ingest: {ingested - checked:.1f} s")
    print("refusals by top-level field:", dict(figures.reasons.most_common(15)))
    problems = (
        figures.tracebacks,
        figures.unnamed,
        figures.lost,
        figures.good_behind_poison_missed,
    )
    for kind in problems:
        for line in kind[:3]:
            print("---", line, sep="\n")
    return 1 if any(problems) else 0


if __name__ == "__main__":
    sys.exit(main())

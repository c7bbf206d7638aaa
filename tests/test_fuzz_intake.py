"""Fuzz: 2,000 seeded mutations of the examples, each accepted or refused naming the field; none lost; good files behind poison always taken (issue 10 item 4).

The variants and checks are in tests/intake_fuzz.py; scripts/fuzz_intake.py runs them at larger
numbers. Four chunks of 500, so that the two CI workers share them.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.intake.inbox import InboxFolders
from pipeline.rendering.html import Composer
from pipeline.service.ingest import StoreSink
from pipeline.store.db import Store
from tests.intake_fuzz import (
    EXAMPLES,
    EXTREMES,
    PROFILES,
    TARGETS,
    Figures,
    Variant,
    check_variant,
    ingest_batch,
    variants,
)
from tests.mutations import put
from tests.test_inbox import FakeSink

CHUNKS = 4
PER_CHUNK = 500
SHM = Path("/dev/shm")


@pytest.fixture
def fast_dir(tmp_path: Path) -> Iterator[Path]:
    """A folder in memory where there is one: a few thousand files each moved with two fsyncs of
    a directory take a minute on a busy disk, and the disk is not what this test is about."""
    if not (SHM.is_dir() and os.access(SHM, os.W_OK)):
        yield tmp_path
        return
    folder = Path(tempfile.mkdtemp(prefix="cpc-fuzz-", dir=SHM))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _assert_clean(figures: Figures) -> None:
    assert figures.tracebacks == [], figures.tracebacks[0]
    assert figures.unnamed == [], figures.unnamed[:5]
    assert figures.lost == [], figures.lost[:5]
    assert figures.good_behind_poison_missed == [], figures.good_behind_poison_missed[:5]


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_every_variant_is_accepted_or_refused_naming_the_field_and_none_is_lost(
    fast_dir: Path, chunk: int
) -> None:
    """issue 10 item 4: 0 tracebacks from validating or planning; each refusal names its field
    (or says what is wrong with the whole file); each ingested variant ends in processed/ or in
    quarantine/ with its reason; the good file dropped behind every 100 poison files is taken."""
    figures = Figures()
    batch = list(variants(seed=chunk, count=PER_CHUNK))
    for variant in batch:
        check_variant(variant, figures)
    folders = InboxFolders.at(fast_dir / "inbox")
    folders.ensure()
    sink = FakeSink()
    for start in range(0, len(batch), 100):
        ingest_batch(batch[start : start + 100], folders, sink, figures, chunk * 100 + start)
    _assert_clean(figures)
    assert figures.variants == PER_CHUNK
    # The mutations must reach both answers, or the test proves nothing about one of them.
    assert figures.accepted > 0 and figures.refused > PER_CHUNK // 2


def _extremes() -> list[Variant]:
    """Every extreme at every date, revision and timestamp of the examples: the values issue 10
    saw pass validation and then break the store or the calendar."""
    found = []
    for path in EXAMPLES:
        for target in TARGETS:
            try:
                put(target, None)(json.loads(path.read_bytes()))
            except (KeyError, IndexError, TypeError, AssertionError):
                continue
            for value in EXTREMES:
                mutated = json.loads(path.read_bytes())
                put(target, value)(mutated)
                raw = json.dumps(mutated).encode("utf-8", errors="surrogatepass")
                found.append(Variant(f"{path.name}: {target} = {value!r:.30}", path.name, raw))
    return found


def test_the_extremes_go_through_the_real_store_without_a_traceback(fast_dir: Path) -> None:
    """issue 10 item 4: revision 2^63, exported_at 9999-12-31T23:59:59-23:59, a conference in
    December 9999, an amendment decided on 9999-12-31 (and the rest of EXTREMES at every date):
    refused naming the field, ingested by the real store sink into quarantine, and the good file
    behind them taken, kept and planned."""
    extremes = _extremes()
    assert len(extremes) > 100
    figures = Figures()
    for variant in extremes:
        check_variant(variant, figures)
    store = Store.open(f"sqlite:///{fast_dir / 'state' / 'cpc.sqlite3'}")
    problems: list[str] = []
    sink = StoreSink(store, PROFILES, Composer.at(), problems.append)
    folders = InboxFolders.at(fast_dir / "inbox")
    folders.ensure()
    # One batch for the examples' own revision-1 conferences would make the later good files
    # stale; the extremes are refused whatever order they come in, so one big batch is enough.
    ingest_batch(extremes, folders, sink, figures, 0)
    store.close()
    _assert_clean(figures)
    assert problems == []
    assert figures.refused > len(extremes) // 2

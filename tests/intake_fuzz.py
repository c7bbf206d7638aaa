"""Seeded byte- and field-level mutations of the shipped examples, and the checks each must pass (issue 10 item 4).

Shared by tests/test_fuzz_intake.py (a few thousand variants in CI) and scripts/fuzz_intake.py
(as many as asked). Each variant is a file an administrator might drop: the examples with one
field set to an extreme (revision 2^63, dates in year 9999, `exported_at` 9999-12-31T23:59:59-23:59,
huge strings, wrong types, null), a field dropped, or the bytes truncated, flipped, prefixed with
a BOM, cut with a NUL or made invalid UTF-8; and with odd file names (very long, not UTF-8, with a
newline). A variant passes when it is accepted (and then planned without error) or refused with a
reason that names the field, or the whole file for what is wrong with the whole file; when it is
ingested it ends in processed/ or quarantine/ (with its reason), never lost; and a good file
dropped behind poison files is always taken.
"""

from __future__ import annotations

import copy
import json
import os
import random
import traceback
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.contract.export import Export
from pipeline.contract.load import load_document
from pipeline.errors import ContractError, RejectedFile
from pipeline.intake.accept import read_document
from pipeline.intake.inbox import REASON_SUFFIX, InboxFolders, ingest_file, scan
from pipeline.planning.recipients import plan_distribution
from pipeline.procedure.calendar import WorkingCalendar
from pipeline.procedure.profile import Profile, load_profiles
from tests.mutations import drop, put

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
PROFILES: dict[str, Profile] = load_profiles(())
KNOWN = frozenset(PROFILES)

# Values no valid export holds at most places, and the extremes issue 10 observed.
EXTREMES: tuple[Any, ...] = (
    2**63,
    2**31,
    2**31 - 1,
    -1,
    0,
    1.5,
    10**400,
    "9999-12-31",
    "0001-01-01",
    "2100-12-31",
    "2101-01-01",
    "1899-12-31",
    "9999-12-31T23:59:59-23:59",
    "2100-12-31T23:59:59-23:59",
    "0001-01-01T00:00:00+23:59",
    "2026-02-30",
    "x" * 30_000,
    "",
    " ",
    "\u202e\u2066",
    "a\x00b",
    "\ud800",
    None,
    True,
    [],
    {},
    [None],
    {"format": "cpc-export/1"},
)
# Fields where an extreme means most: every date, the revision, the timestamps.
TARGETS = (
    "revision",
    "exported_at",
    "conference.date",
    "conference.previous_conference_date",
    "children[0].date_of_birth",
    "decision.on",
    "received_on",
)
ODD_NAMES = (
    "a" * 245 + ".json",
    "é" * 120 + ".json",
    "new\nline.json",
    "reason: forged.json",
    "tab\there.json",
    "-leading-dash.json",
)


@dataclass(frozen=True, slots=True)
class Variant:
    label: str  # how it was made, for the report
    name: str  # the file name it is dropped under
    raw: bytes


def _paths(value: Any, prefix: str = "") -> Iterator[str]:
    """Every JSON path in `value` ('people[3].email'), objects and lists included."""
    if isinstance(value, dict):
        for key, inner in value.items():
            here = f"{prefix}.{key}" if prefix else key
            yield here
            yield from _paths(inner, here)
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            here = f"{prefix}[{i}]"
            yield here
            yield from _paths(inner, here)


def _field_variant(rng: random.Random, data: dict[str, Any], paths: list[str]) -> tuple[str, Any]:
    mutated = copy.deepcopy(data)
    roll = rng.random()
    if roll < 0.35:
        path = rng.choice([p for p in TARGETS if p in paths] or paths)
        value = rng.choice(EXTREMES)
        put(path, value)(mutated)
        return f"put {path} = {_short(value)}", mutated
    path = rng.choice(paths)
    if roll < 0.75:
        value = rng.choice(EXTREMES)
        put(path, value)(mutated)
        return f"put {path} = {_short(value)}", mutated
    drop(path)(mutated)
    return f"drop {path}", mutated


def _byte_variant(rng: random.Random, raw: bytes) -> tuple[str, bytes]:
    at = rng.randrange(len(raw))
    kind = rng.choice(
        ["truncate", "flip", "nul", "bom", "bad_utf8", "delete", "repeat", "utf16", "empty", "bom2"]
    )
    if kind == "truncate":
        return f"truncated at {at}", raw[:at]
    if kind == "flip":
        return f"byte {at} flipped", raw[:at] + bytes([raw[at] ^ (1 << rng.randrange(8))]) + raw[at + 1 :]
    if kind == "nul":
        return f"NUL at {at}", raw[:at] + b"\x00" + raw[at:]
    if kind == "bom":
        return "BOM", b"\xef\xbb\xbf" + raw
    if kind == "bom2":
        return "two BOMs", b"\xef\xbb\xbf\xef\xbb\xbf" + raw
    if kind == "bad_utf8":
        return f"0xff at {at}", raw[:at] + b"\xff" + raw[at:]
    if kind == "delete":
        return f"byte {at} deleted", raw[:at] + raw[at + 1 :]
    if kind == "repeat":
        end = min(len(raw), at + rng.randrange(1, 200))
        return f"bytes {at}-{end} repeated", raw[:end] + raw[at:end] + raw[end:]
    if kind == "utf16":
        return "UTF-16", raw.decode("utf-8").encode("utf-16")
    return "empty", b""


def variants(seed: int, count: int) -> Iterator[Variant]:
    """`count` variants, the same for the same seed: about two thirds field-level, a third bytes."""
    rng = random.Random(seed)
    sources = [(path.name, json.loads(path.read_bytes())) for path in EXAMPLES]
    paths = {name: list(_paths(data)) for name, data in sources}
    for n in range(count):
        name, data = rng.choice(sources)
        if rng.random() < 0.65:
            label, mutated = _field_variant(rng, data, paths[name])
            # A lone surrogate can only be written escaped (\ud800); the rest either way.
            text = json.dumps(mutated, ensure_ascii=rng.random() < 0.5)
            raw = text.encode("utf-8", errors="surrogatepass")
        else:
            original = json.dumps(data, indent=1, ensure_ascii=False).encode("utf-8")
            label, raw = _byte_variant(rng, original)
        dropped = rng.choice(ODD_NAMES) if rng.random() < 0.05 else f"{n:06d}-{name}"
        if rng.random() < 0.02:
            dropped = os.fsdecode(b"not-utf8-\xff\xfe-" + str(n).encode() + b".json")
        yield Variant(f"{name}: {label}", dropped, raw)


@dataclass
class Figures:
    """What happened to the variants: the script prints these, the test asserts on them."""

    variants: int = 0
    accepted: int = 0
    refused: int = 0
    tracebacks: list[str] = field(default_factory=list)
    unnamed: list[str] = field(default_factory=list)  # refused without naming a field
    lost: list[str] = field(default_factory=list)
    good_behind_poison_missed: list[str] = field(default_factory=list)
    reasons: Counter[str] = field(default_factory=Counter)


# Refusals of a whole file have no field to name; each is one of these.
WHOLE_FILE = (
    "the file is empty",
    "the file is larger than",
    "the file is ",  # libmagic's "the file is a PDF document", binary data, ...
    "the file is not UTF-8 text",
    "the file is not valid JSON",
    "the file must hold one JSON object",
    "the file nests more than",
    "the key ",
)


def check_variant(variant: Variant, figures: Figures) -> None:
    """Validate (and plan, when accepted) one variant; record anything that is not a clean answer."""
    figures.variants += 1
    try:
        accepted = read_document(variant.raw, "fuzz.json", KNOWN)
    except RejectedFile as exc:
        figures.refused += 1
        cause = exc.__cause__
        if isinstance(cause, ContractError):
            for issue in cause.issues:
                figures.reasons[issue.path.split("[")[0].split(".")[0] or "(file)"] += 1
                if not issue.path and not issue.message.startswith(WHOLE_FILE):
                    figures.unnamed.append(f"{variant.label}: {issue}")
        elif not exc.reason.startswith(WHOLE_FILE):
            figures.unnamed.append(f"{variant.label}: {exc.reason}")
        return
    except Exception:
        figures.tracebacks.append(f"{variant.label}\n{traceback.format_exc()}")
        return
    figures.accepted += 1
    if isinstance(accepted.document, Export):
        try:
            export = accepted.document
            profile = PROFILES[export.authority.procedure_profile or "default"]
            calendar = WorkingCalendar.for_nation(export.authority.nation, profile.closure_days)
            plan_distribution(export, profile, calendar).to_json()
            load_document(accepted.raw, KNOWN)
        except Exception:
            figures.tracebacks.append(f"{variant.label} (planning)\n{traceback.format_exc()}")


def good_export(n: int) -> bytes:
    data = json.loads((ROOT / "examples" / "pre-birth-scheduled.json").read_bytes())
    data["export_id"] = f"EXP-GOOD-{n}"
    data["conference"]["id"] = f"CPC-GOOD-{n}"  # never made stale by an accepted variant
    return json.dumps(data).encode()


def ingest_batch(
    batch: list[Variant], folders: InboxFolders, sink: Any, figures: Figures, n: int
) -> None:
    """Drop the batch, then a good file whose name sorts after them all; take the whole inbox
    once in name order; every variant must be in processed/ or quarantine/, the good one taken."""
    dropped: list[bytes] = []
    for i, variant in enumerate(batch):
        name = variant.name if variant.name[:6].isdigit() else f"{i:03d}{variant.name}"
        target = folders.exports / name
        if target.exists():
            target = folders.exports / f"{i:03d}-{name}"
        target.write_bytes(variant.raw)
        dropped.append(variant.raw)
    good = good_export(n)
    (folders.exports / "zzzz-good.json").write_bytes(good)
    outcomes = {}
    for seen in scan(folders):
        try:
            outcome = ingest_file(seen.path, folders, sink, KNOWN)
        except BaseException:
            figures.tracebacks.append(f"ingest {seen.path.name!r}\n{traceback.format_exc()}")
            continue
        if outcome is not None:
            outcomes[seen.path.name] = outcome
            if outcome.fault is not None or outcome.outcome == "left":
                figures.tracebacks.append(f"ingest {seen.path.name!r}: {outcome.reason}")
    good_outcome = outcomes.get("zzzz-good.json")
    if good_outcome is None or good_outcome.outcome != "taken":
        figures.good_behind_poison_missed.append(f"batch {n}: {good_outcome}")
    kept = Counter(
        p.read_bytes()
        for folder in (folders.processed, folders.quarantine)
        for p in folder.iterdir()
        if not p.name.endswith(REASON_SUFFIX)
    )
    reasons = {p.name for p in folders.quarantine.iterdir() if p.name.endswith(REASON_SUFFIX)}
    for p in folders.quarantine.iterdir():
        if not p.name.endswith(REASON_SUFFIX) and f"{p.name}{REASON_SUFFIX}" not in reasons:
            figures.lost.append(f"{p.name}: quarantined without a reason")
    for raw in [*dropped, good]:
        if kept[raw] <= 0:
            figures.lost.append(f"batch {n}: {raw[:60]!r}")
        kept[raw] -= 1
    if list(folders.exports.iterdir()):
        figures.lost.append(f"batch {n}: left in the inbox {sorted(os.listdir(folders.exports))}")
    for folder in (folders.processed, folders.quarantine):
        for p in folder.iterdir():
            p.unlink()


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."

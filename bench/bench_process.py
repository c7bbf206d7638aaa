"""The shipped examples and a synthetic council night → timings of `cpc process`'s stages, a table and bench/results.json.

Usage: .venv/bin/python bench/bench_process.py [--repeats N] [--night N] [--out FILE]

A benchmark, not a test: it asserts nothing about speed. For each cpc-export/1 file in examples/
it times, over N repeats, the three stages `cpc process` runs for one file:

  validate  bytes → Export (`load_export`)
  plan      Export + profile + calendar → DistributionPlan (`plan_distribution`)
  render    every ready copy rendered (PDF and DOCX, leak-checked: `render_plan`) and written with
            its manifest into a fresh temporary outbox (`write_outbox`, fsync included)

and reports the minimum and the median of each, documents per second (a document is one file,
PDF or DOCX) and rendered copies per second, from the median render time. As in the CLI, the
Composer (compiled templates) is made once per process and a Renderer once per conference, so the
first repeat also pays for loading fonts and compiling templates: its time is shown as "first".

Memory: the process's peak resident set (ru_maxrss) after everything, and, in one extra untimed
pass per example under tracemalloc, the peak of Python allocations for that example (WeasyPrint's
Pango and HarfBuzz allocate in C, which tracemalloc does not see; ru_maxrss does). The council
night also records the resident set after each conference: a steady climb there is native memory
that one long-running process (a watcher on the inbox) would not get back.

The "large council night" processes 20 conferences in one process, made from the domestic-abuse
example by renaming its conference id and export_id, as `cpc process` would given 20 files.
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

from rich.console import Console
from rich.table import Table

from pipeline.contract.export import Export
from pipeline.contract.load import load_export
from pipeline.delivery.preview import sha256, write_outbox
from pipeline.planning.plan import DistributionPlan
from pipeline.planning.recipients import plan_distribution
from pipeline.procedure.profile import Profile, load_profiles
from pipeline.rendering.html import Composer
from pipeline.service.copy_renderer import Renderer, render_plan

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
NIGHT_SKELETON = "initial-domestic-abuse.json"
T = TypeVar("T")


@dataclass
class Figures:
    """The timings of one input, in seconds, and what was produced."""

    name: str
    repeats: int
    copies_planned: int
    copies_rendered: int
    files: int
    validate_min: float
    validate_median: float
    plan_min: float
    plan_median: float
    render_first: float
    render_min: float
    render_median: float
    documents_per_second: float
    copies_per_second: float
    python_peak_mb: float | None = None


def _timed(action: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def _plan(export: Export, profiles: dict[str, Profile]) -> tuple[DistributionPlan, Profile]:
    profile = profiles[export.authority.procedure_profile or "default"]
    calendar = profile.working_calendar(export.authority.nation)
    return plan_distribution(export, profile, calendar), profile


def _render_and_write(
    export: Export, plan: DistributionPlan, profile: Profile, composer: Composer, outbox: Path
) -> tuple[int, int]:
    """As `cpc process` does for one file; → (copies rendered, files written, manifest excluded)."""
    rendered = list(render_plan(export, plan, Renderer.for_profile(profile, composer)))
    export_sha = sha256(export.model_dump_json().encode())  # as cpc process records the file's
    write_outbox(outbox, plan, export.export_id, export_sha, rendered)
    with_files = [r for r in rendered if r.files]
    return len(with_files), sum(len(r.files) for r in with_files)


def bench_one(
    name: str, raw: bytes, profiles: dict[str, Profile], composer: Composer, repeats: int
) -> Figures:
    validate_times, plan_times, render_times = [], [], []
    copies_planned = copies_rendered = files = 0
    for _ in range(repeats):
        seconds, export = _timed(lambda: load_export(raw, profiles.keys(), name))
        validate_times.append(seconds)
        seconds, (plan, profile) = _timed(lambda: _plan(export, profiles))  # noqa: B023
        plan_times.append(seconds)
        with tempfile.TemporaryDirectory(prefix="cpc-bench-") as outbox:
            seconds, (copies_rendered, files) = _timed(
                lambda: _render_and_write(export, plan, profile, composer, Path(outbox))  # noqa: B023
            )
        render_times.append(seconds)
        copies_planned = len(plan.copies)
        gc.collect()
    median = statistics.median(render_times)
    return Figures(
        name=name,
        repeats=repeats,
        copies_planned=copies_planned,
        copies_rendered=copies_rendered,
        files=files,
        validate_min=min(validate_times),
        validate_median=statistics.median(validate_times),
        plan_min=min(plan_times),
        plan_median=statistics.median(plan_times),
        render_first=render_times[0],
        render_min=min(render_times),
        render_median=median,
        documents_per_second=files / median if median else 0.0,
        copies_per_second=copies_rendered / median if median else 0.0,
    )


def python_peak_mb(raw: bytes, profiles: dict[str, Profile], composer: Composer) -> float:
    """Peak Python allocations of validate + plan + render + write for one export (untimed pass)."""
    gc.collect()
    tracemalloc.start()
    try:
        export = load_export(raw, profiles.keys())
        plan, profile = _plan(export, profiles)
        with tempfile.TemporaryDirectory(prefix="cpc-bench-") as outbox:
            _render_and_write(export, plan, profile, composer, Path(outbox))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def night_exports(size: int) -> list[bytes]:
    """`size` copies of the domestic-abuse example, each its own conference and export."""
    base = json.loads((EXAMPLES / NIGHT_SKELETON).read_text(encoding="utf-8"))
    exports = []
    for n in range(1, size + 1):
        data = copy.deepcopy(base)
        data["conference"]["id"] = f"CPC-2026-9{n:03d}"
        data["export_id"] = f"BENCH-NIGHT-{n:03d}"
        exports.append(json.dumps(data).encode())
    return exports


def current_rss_mb() -> float | None:
    """The resident set now (Linux /proc), to see whether memory grows conference by conference."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def bench_night(
    exports: list[bytes], profiles: dict[str, Profile], composer: Composer
) -> dict[str, Any]:
    copies = files = 0
    rss_after: list[float | None] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cpc-bench-night-") as outbox:
        for raw in exports:
            export = load_export(raw, profiles.keys())
            plan, profile = _plan(export, profiles)
            rendered_copies, written = _render_and_write(
                export, plan, profile, composer, Path(outbox)
            )
            copies += rendered_copies
            files += written
            rss_after.append(current_rss_mb())  # one small read per conference
    seconds = time.perf_counter() - started
    return {
        "conferences": len(exports),
        "copies_rendered": copies,
        "files": files,
        "seconds": seconds,
        "seconds_per_conference": seconds / len(exports),
        "documents_per_second": files / seconds,
        "copies_per_second": copies / seconds,
        "rss_mb_after_each_conference": rss_after,
    }


def export_files() -> list[Path]:
    """The cpc-export/1 files of examples/ (amendments and anything else left out)."""
    chosen = []
    for path in sorted(EXAMPLES.glob("*.json")):
        try:
            if json.loads(path.read_text(encoding="utf-8")).get("format") == "cpc-export/1":
                chosen.append(path)
        except (OSError, ValueError):
            continue
    return chosen


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def print_tables(
    console: Console, figures: list[Figures], night: dict[str, Any], peak_rss_mb: float
) -> None:
    table = Table(title="cpc process, per example (times: min / median over repeats)")
    for heading, justify in [
        ("example", "left"),
        ("copies\nplanned", "right"),
        ("copies\nrendered", "right"),
        ("files", "right"),
        ("validate\nms", "right"),
        ("plan\nms", "right"),
        ("render+write s\nfirst", "right"),
        ("render+write s\nmin / median", "right"),
        ("docs/s", "right"),
        ("copies/s", "right"),
        ("py peak\nMB", "right"),
    ]:
        table.add_column(heading, justify=justify)
    for f in figures:
        table.add_row(
            f.name,
            str(f.copies_planned),
            str(f.copies_rendered),
            str(f.files),
            f"{_ms(f.validate_min)} / {_ms(f.validate_median)}",
            f"{_ms(f.plan_min)} / {_ms(f.plan_median)}",
            f"{f.render_first:.2f}",
            f"{f.render_min:.2f} / {f.render_median:.2f}",
            f"{f.documents_per_second:.1f}",
            f"{f.copies_per_second:.1f}",
            f"{f.python_peak_mb:.0f}" if f.python_peak_mb is not None else "-",
        )
    console.print(table)
    night_table = Table(title="Large council night: one process, validate + plan + render + write")
    for heading in (
        "conferences",
        "copies",
        "files",
        "total s",
        "s/conference",
        "docs/s",
        "copies/s",
        "RSS MB after\n1st / last",
    ):
        night_table.add_column(heading, justify="right")
    rss = [r for r in night["rss_mb_after_each_conference"] if r is not None]
    night_table.add_row(
        str(night["conferences"]),
        str(night["copies_rendered"]),
        str(night["files"]),
        f"{night['seconds']:.1f}",
        f"{night['seconds_per_conference']:.2f}",
        f"{night['documents_per_second']:.1f}",
        f"{night['copies_per_second']:.1f}",
        f"{rss[0]:.0f} / {rss[-1]:.0f}" if rss else "-",
    )
    console.print(night_table)
    console.print(f"Peak resident set of the whole run (ru_maxrss): {peak_rss_mb:.0f} MB")


def _environment() -> dict[str, Any]:
    versions = {}
    for package in (
        "weasyprint",
        "pydyf",
        "docxtpl",
        "python-docx",
        "pikepdf",
        "pypdfium2",
        "pydantic",
    ):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": len(os.sched_getaffinity(0)),
        "packages": versions,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats per example (3)")
    parser.add_argument(
        "--night", type=int, default=20, help="conferences in the council night (20)"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
    args = parser.parse_args(argv)
    # WeasyPrint's PDF/A writer leaves its colour profile for the collector (see pyproject.toml).
    warnings.filterwarnings("ignore", category=ResourceWarning)
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)

    started = time.perf_counter()
    profiles = load_profiles()
    composer = Composer.at()
    figures = []
    for path in export_files():
        raw = path.read_bytes()
        console.print(f"[dim]{path.name}: {args.repeats} repeats...[/dim]")
        result = bench_one(path.name, raw, profiles, composer, args.repeats)
        result.python_peak_mb = python_peak_mb(raw, profiles, composer)
        figures.append(result)
    console.print(f"[dim]council night: {args.night} conferences...[/dim]")
    night = bench_night(night_exports(args.night), profiles, composer)
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

    print_tables(console, figures, night, peak_rss_mb)
    total = time.perf_counter() - started
    results = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "environment": _environment(),
        "repeats": args.repeats,
        "examples": [asdict(f) for f in figures],
        "council_night": night,
        "peak_rss_mb": peak_rss_mb,
        "benchmark_seconds": total,
        "notes": (
            "times in seconds; render = render_plan + write_outbox into a fresh temp dir; "
            "documents = files (PDF or DOCX); rates from the median render time; "
            "python_peak_mb from tracemalloc in an untimed pass (C allocations not included)"
        ),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    console.print(f"Figures written to {args.out} ({total:.0f} s in all)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

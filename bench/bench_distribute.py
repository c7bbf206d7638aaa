"""Benchmark-like conferences → layouts against distinct contents, the floor, and the real `cpc ingest` + `cpc distribute` run, their ratio, copies/s and every process's peak memory; printed and written to bench/distribute_results.json.

Usage: PYTHONPATH=. .venv/bin/python bench/bench_distribute.py [--conferences N] [--small N]
           [--workers W] [--quick] [--skip-store] [--workdir DIR] [--out FILE]

A benchmark, not a test: it asserts nothing about speed; it stops only if a run fails or does not
deliver every ready copy. In one run of this script, in this order:

(a) Layouts against distinct contents, per example conference (the first three of the run, one of
    each example), in this process: a Renderer per conference over its ready copies, as
    `render_pool.render_jobs` does (hand-over sheets too). Counted three ways: distinct contents
    worked out here, independently of the renderer (definition below); the renderer's own
    `Renderer.counts` (layouts, fallbacks, stamps) and the distinct `Renderer.printed(...)` HTML,
    where the renderer has them; and every WeasyPrint layout actually made, by kind (document,
    hand-over sheet, marks stamp), by counting `weasyprint.HTML` documents made (a stamp has no <h1>).
(c) The real run, twice, on fresh state folders (a small run, then the main one): `cpc ingest`
    then `cpc distribute --workers W` in child processes, as an operator runs them, with the real
    renderer, professionals and authorised readers by folder, family by post, outbox on local disk.
    Copies delivered are counted from the store; every one must be sent.
(b) The floor for the main run's conferences: each distinct content laid out once
    (`render_pdf`), its DOCX built once (`render_docx`), each written once (`write_atomically`,
    as the folder channel writes), each distinct hand-over sheet laid out and written once; in a
    pool of W forkserver processes (not a single process's time divided by W), warmed by one
    layout each before the clock starts; timed by the wall clock of that pool's work.
    Printed: (c)/(b), for ingest + distribute and for distribute alone.

Distinct content: the HTML `Composer.html(view)` makes for a ready copy (its view dated the run's
day, with its edition lines), with the addressee's window (name, address lines, postcode) and the
"Dear <name>," salutation taken out; the per-recipient marks (`_marks.html`, stamped on every
page) are not part of it. Distinct hand-over sheets: distinct `handover_html` (one per ready copy
going via the lead social worker; each names its recipient, so one each).

1,000 conferences: run with --conferences 1000; otherwise the main run's times are scaled in
proportion and said to be a "scaled estimate from N".

Memory of every process: each process of a command's tree (the command, the fork server, the
resource tracker, each render worker) has its kernel high-water mark VmHWM read from
/proc/<pid>/status every 0.1 s (a process's growth in its last 0.1 s would be missed); the
command's own ru_maxrss from wait4() is exact. Shown for the small and the main run, so that
"flat as conferences grow" can be seen.

Store scaling: `bench/store_scaling.py`'s `measure_store_scaling(sizes)` (another helper's) if that
module exists, its rows printed as they come; else the output says it is missing. --skip-store
leaves it out.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import importlib
import importlib.util
import json
import multiprocessing
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import lxml.html
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from bench_service import SOURCES, make_conferences  # noqa: E402

from pipeline.config import Channels  # noqa: E402
from pipeline.files import write_atomically  # noqa: E402  # as the folder channel writes
from pipeline.planning.recipients import plan_distribution  # noqa: E402
from pipeline.planning.routing import Routing  # noqa: E402
from pipeline.redaction.view import marks_for  # noqa: E402
from pipeline.rendering.docx import DocxMarks, render_docx  # noqa: E402
from pipeline.rendering.handover_sheet import handover_facts, handover_html  # noqa: E402
from pipeline.rendering.pdf import render_pdf  # noqa: E402
from pipeline.service import copy_renderer  # noqa: E402
from pipeline.service.conference import AmendmentContext, read_conference_copies  # noqa: E402
from pipeline.service.copy_renderer import Renderer  # noqa: E402
from pipeline.service.render_pool import tools  # noqa: E402
from pipeline.service.routing_config import routing_for  # noqa: E402
from pipeline.store.db import Store  # noqa: E402

CONFIG = '[folders]\ninbox = "inbox"\nstate = "state"\noutbox = "outbox"\n'
# The channels that configuration gives (every default): the plan routes by them, as in the run.
ROUTING: Routing = routing_for(Channels(), None)
MB = 2**20


# ---- distinct contents ----------------------------------------------------------------------------


def content_key(html: str) -> str:
    """The document's HTML less what is stamped per recipient of a letter, hashed."""
    tree = lxml.html.fromstring(html)
    for window in tree.xpath(
        '//div[contains(concat(" ", normalize-space(@class), " "), " window ")]'
    ):
        window.drop_tree()
    for salutation in tree.xpath('//h1/following-sibling::p[1][starts-with(., "Dear ")]'):
        salutation.drop_tree()
    return hashlib.sha256(lxml.html.tostring(tree)).hexdigest()


@dataclass(frozen=True, slots=True)
class Content:
    name: str  # the copy key of the first ready copy that prints it, as a file name
    html: str
    footer: tuple[str, ...] = ()  # that copy's marks, as the DOCX's footer lines


@dataclass(frozen=True, slots=True)
class Contents:
    """One conference's distinct contents and the ready copies they come from."""

    conference: str
    copies_ready: int
    via_social_worker: int
    documents: tuple[Content, ...]
    sheets: tuple[Content, ...]


def _footer(marks_html: str) -> tuple[str, ...]:
    if not marks_html.strip():
        return ()
    fragment = lxml.html.fragment_fromstring(marks_html, create_parent="div")
    return tuple(" ".join(p.text_content().split()) for p in fragment.iter("p"))


def contents_of(raw: bytes, issued_on: date) -> Contents:
    """The distinct contents of one stored export's ready copies, as its run would print them."""
    profiles, composer = tools(())
    conference = read_conference_copies(raw, profiles, AmendmentContext(), ROUTING)
    current, profile = conference.current, conference.profile
    renderer = Renderer.for_profile(profile, composer)
    tasks = plan_distribution(current.export, profile, conference.calendar, ROUTING).tasks
    documents: dict[str, Content] = {}
    sheets: dict[str, Content] = {}
    ready = via = 0
    for key, copy in current.copies.items():
        if copy.status != "ready":
            continue
        ready += 1
        edition = current.record_edition.get(key, ())
        view = renderer.view(current.export, copy, current.amendment_of.get(key), issued_on)
        if edition:
            view = dataclasses.replace(view, edition=edition)
        html = composer.html(view)
        marks = renderer.marks_html(marks_for(current.export, copy, renderer.words), copy.document)
        name = key.replace("/", "_")
        documents.setdefault(content_key(html), Content(name, html, _footer(marks)))
        if copy.via is not None:
            via += 1
            sheet = handover_html(composer, handover_facts(current.export, copy, tasks, edition))
            sheets.setdefault(hashlib.sha256(sheet.encode()).hexdigest(), Content(name, sheet))
    return Contents(
        current.export.conference.id, ready, via, tuple(documents.values()), tuple(sheets.values())
    )


# ---- (a) what a Renderer lays out, counted ----------------------------------------------------------

LayoutKind = Literal["document", "sheet", "stamp"]


def _kind(html: str) -> LayoutKind:
    if "<title>Hand-over sheet" in html[:2000]:
        return "sheet"
    # Every document has its title as a heading; what is laid out to be stamped on one (marks,
    # an address window) has none.
    return "document" if "<h1" in html else "stamp"


@contextmanager
def counting_layouts() -> Iterator[Counter[str]]:
    """Every WeasyPrint document made meanwhile in this process, by kind: `weasyprint.HTML` is
    looked up when called, so whichever pipeline function lays out, the count sees it; what is
    made and laid out is unchanged."""
    import weasyprint

    made: Counter[str] = Counter()
    real = weasyprint.HTML

    def counted(*args: Any, **kwargs: Any) -> Any:
        made[_kind(str(kwargs.get("string") or ""))] += 1
        return real(*args, **kwargs)

    weasyprint.HTML = counted
    try:
        yield made
    finally:
        weasyprint.HTML = real


def count_layouts(raw: bytes, issued_on: date) -> dict[str, Any]:
    """One conference through a Renderer, as `render_jobs` renders it, with its layouts counted."""
    contents = contents_of(raw, issued_on)
    profiles, composer = tools(())
    conference = read_conference_copies(raw, profiles, AmendmentContext(), ROUTING)
    current, profile = conference.current, conference.profile
    renderer = Renderer.for_profile(profile, composer)
    tasks = plan_distribution(current.export, profile, conference.calendar, ROUTING).tasks
    printed: set[str] = set()
    statuses: Counter[str] = Counter()
    started = time.perf_counter()
    ready = [(key, copy) for key, copy in current.copies.items() if copy.status == "ready"]
    asks = [
        (copy, current.record_edition.get(key, ()), current.amendment_of.get(key))
        for key, copy in ready
    ]
    with counting_layouts() as made:
        if hasattr(renderer, "render_many"):  # a conference's copies together, as render_jobs
            requests = [
                copy_renderer.CopyRequest(copy, edition, amendment=amendment, issued_on=issued_on)  # type: ignore[attr-defined, unused-ignore]  # the lead's renderer
                for copy, edition, amendment in asks
            ]
            items = renderer.render_many(current.export, requests)
        else:
            items = [
                renderer.render(
                    current.export, copy, edition=edition, amendment=amendment, issued_on=issued_on
                )
                for copy, edition, amendment in asks
            ]
        for (copy, edition, amendment), item in zip(asks, items, strict=True):
            statuses[item.status] += 1
            if item.status == "ready" and copy.via is not None:
                facts = handover_facts(current.export, copy, tasks, edition)
                render_pdf(handover_html(composer, facts), composer.templates)
            if hasattr(renderer, "printed"):  # the HTML the renderer lays out for this copy
                printed.add(
                    renderer.printed(
                        current.export,
                        copy,
                        amendment=amendment,
                        issued_on=issued_on,
                        edition=edition,
                    )
                )
    seconds = time.perf_counter() - started
    counts = getattr(renderer, "counts", None)
    own = {f: getattr(counts, f, None) for f in ("layouts", "fallbacks", "stamps")}
    # The layouts counted here are the check; the renderer's own count must agree with them.
    expected = len(contents.documents) + (own["fallbacks"] or 0)
    return {
        "conference": contents.conference,
        "copies_ready": contents.copies_ready,
        "rendered": dict(statuses),
        "distinct_contents": len(contents.documents),
        "distinct_printed_by_renderer": len(printed) if printed else None,
        "renderer_counts": own if counts is not None else None,
        "weasyprint_layouts": dict(made),
        "layouts_equal_distinct_plus_fallbacks": made["document"] == expected,
        "layouts_over_that": made["document"] - expected,
        "renderer_agrees_with_count": own["layouts"] in (None, made["document"]),
        "via_social_worker": contents.via_social_worker,
        "distinct_sheets": len(contents.sheets),
        "seconds_in_one_process": round(seconds, 2),
    }


# ---- (b) the floor ----------------------------------------------------------------------------------


def _warm(html: str) -> None:
    # Fonts and WeasyPrint loaded in each worker before the clock starts: the floor is the work.
    render_pdf(html, tools(())[1].templates)


def lay_out_once(contents: Contents, folder: str) -> int:
    """Each distinct content of one conference laid out, built and written once; bytes written."""
    templates = tools(())[1].templates
    out, written = Path(folder) / contents.conference, 0
    for content in contents.documents:
        pdf = render_pdf(content.html, templates)
        docx = render_docx(content.html, DocxMarks(content.footer), templates)
        write_atomically(out / f"{content.name}.pdf", pdf)
        write_atomically(out / f"{content.name}.docx", docx)
        written += len(pdf) + len(docx)
    for sheet in contents.sheets:
        pdf = render_pdf(sheet.html, templates)
        write_atomically(out / f"handover-sheet-{sheet.name}.pdf", pdf)
        written += len(pdf)
    return written


def measure_floor(raws: list[bytes], issued_on: date, workers: int, folder: Path) -> dict[str, Any]:
    warm_with = contents_of(raws[0], issued_on).documents[0].html
    context = multiprocessing.get_context("forkserver")  # as the run's pool: WeasyPrint and fork
    with ProcessPoolExecutor(workers, context, initializer=_warm, initargs=(warm_with,)) as pool:
        # Untimed: which contents are distinct (the real run works that out too, timed).
        every = list(pool.map(contents_of, raws, [issued_on] * len(raws)))
        started = time.perf_counter()
        written = sum(pool.map(lay_out_once, every, [str(folder)] * len(every)))
        seconds = time.perf_counter() - started
    return {
        "conferences": len(every),
        "workers": workers,
        "copies_ready": sum(c.copies_ready for c in every),
        "distinct_contents": sum(len(c.documents) for c in every),
        "distinct_sheets": sum(len(c.sheets) for c in every),
        "bytes_written": written,
        "seconds": round(seconds, 2),
        "how": f"a pool of {workers} forkserver processes, each warmed by one layout; wall clock",
    }


# ---- (c) the real run, and the memory of every process ---------------------------------------------


def _process_table() -> dict[int, tuple[int, str]]:
    """pid → (parent pid, command line) of every process we can read."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_bytes()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: the fields after it are fixed.
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        table[int(entry)] = (ppid, cmdline.replace(b"\0", b" ").decode(errors="replace"))
    return table


def _high_water(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


HELPER = "helper programs"


@dataclass
class ProcessPeaks:
    """Each process of a tree with its role and peak resident set (VmHWM), sampled."""

    root: int
    role_of_root: str
    peaks: dict[int, tuple[str, str, int]] = field(default_factory=dict)  # role, cmdline, bytes
    _stop: threading.Event = field(default_factory=threading.Event)

    def _role(self, pid: int, parent: int, cmdline: str) -> str | None:
        """What the process is; None for a fork not yet exec'd (it shows its parent's size)."""
        if pid == self.root:
            return self.role_of_root
        parent_role = self.peaks.get(parent, ("", "", 0))[0]
        if "resource_tracker" in cmdline:
            return "resource tracker"
        if "forkserver" in cmdline:  # the fork server and what it forks share its command line
            if parent == self.root:
                return "fork server"
            return "render worker" if parent_role == "fork server" else None
        if parent in self.peaks and cmdline == self.peaks[parent][1]:
            return None
        return f"{HELPER}: {Path(cmdline.split(' ', 1)[0]).name}"  # ldconfig, gcc, fc-list...

    def sample(self) -> None:
        table = _process_table()
        todo = [self.root]
        while todo:
            pid = todo.pop()
            if pid not in table:
                continue
            parent, cmdline = table[pid]
            todo.extend(child for child, (up, _) in table.items() if up == pid)
            role = self._role(pid, parent, cmdline) if cmdline else None
            if role is None:
                continue  # exiting, or forked and not yet exec'd
            before = self.peaks.get(pid)
            # After an exec the process is another program with a new high-water mark.
            peak = before[2] if before is not None and before[1] == cmdline else 0
            self.peaks[pid] = (role, cmdline, max(peak, _high_water(pid)))

    def run(self) -> None:
        while not self._stop.wait(0.1):
            self.sample()

    def by_role(self) -> dict[str, list[float]]:
        roles: dict[str, list[float]] = {}
        for role, _, peak in self.peaks.values():
            roles.setdefault(role, []).append(round(peak / MB, 1))
        return {role: sorted(peaks, reverse=True) for role, peaks in roles.items()}


@dataclass(frozen=True)
class Command:
    seconds: float
    maxrss_mb: float  # wait4: the command itself (and any child it reaped)
    processes: dict[str, list[float]]  # role → each process's sampled peak, MB


def run_cpc(args: list[str], config: Path, role: str) -> Command:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CPC_")}
    command = [sys.executable, "-c", "from pipeline.cli.app import app; app(prog_name='cpc')"]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        child = subprocess.Popen(
            [*command, *args, "--config", str(config)], stdout=out, stderr=err, env=env, cwd=ROOT
        )
        peaks = ProcessPeaks(child.pid, role)
        sampler = threading.Thread(target=peaks.run, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.monotonic() - started
        peaks._stop.set()
        sampler.join()
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            out.seek(0)
            err.seek(0)
            raise SystemExit(
                f"cpc {' '.join(args)} failed ({child.returncode}):\n"
                f"{out.read().decode(errors='replace')}\n{err.read().decode(errors='replace')[-4000:]}"
            )
    return Command(seconds, round(usage.ru_maxrss * 1024 / MB, 1), peaks.by_role())


def real_run(count: int, root: Path, today: date, workers: int) -> dict[str, Any]:
    """`count` fresh conferences through `cpc ingest` and `cpc distribute`; every copy sent."""
    root.mkdir(parents=True, exist_ok=True)
    config = root / "cpc.toml"
    config.write_text(CONFIG, encoding="utf-8")
    make_conferences(count, root / "inbox" / "exports")
    load = os.getloadavg()[0]
    ingest = run_cpc(["ingest"], config, "cpc ingest")
    distribute = run_cpc(
        ["distribute", "--today", today.isoformat(), "--workers", str(workers)],
        config,
        "cpc distribute",
    )
    store = Store.open(f"sqlite:///{root / 'state' / 'cpc.sqlite3'}", create=False)
    try:
        states = Counter(d.state for d in store.deliveries())
        ready = sum(1 for r in store.copy_rows() if r.in_plan and r.plan_status == "ready")
    finally:
        store.close()
    if states["pending"] or states["sent"] != ready:
        raise SystemExit(f"not everything was delivered: {dict(states)} of {ready} ready")
    both = ingest.seconds + distribute.seconds
    return {
        "conferences": count,
        "workers": workers,
        "copies_delivered": states["sent"],
        "seconds": {
            "ingest": round(ingest.seconds, 2),
            "distribute": round(distribute.seconds, 2),
            "ingest_and_distribute": round(both, 2),
        },
        "copies_per_second": round(states["sent"] / both, 2),
        "copies_per_second_distribute": round(states["sent"] / distribute.seconds, 2),
        "memory_mb": {
            "ingest_maxrss_wait4": ingest.maxrss_mb,
            "distribute_maxrss_wait4": distribute.maxrss_mb,
            "ingest_processes_vmhwm": ingest.processes,
            "distribute_processes_vmhwm": distribute.processes,
        },
        "load_average_1min": [round(load, 2), round(os.getloadavg()[0], 2)],
    }


# ---- store scaling (another helper's module) --------------------------------------------------------


def store_scaling(path: Path, sizes: tuple[int, ...]) -> tuple[list[dict[str, Any]] | None, str]:
    """`measure_store_scaling(sizes)` of the module at `path`, or None and why not."""
    spec = importlib.util.spec_from_file_location("store_scaling", path)
    if not path.is_file() or spec is None or spec.loader is None:
        return None, f"{path} is missing: store scaling not measured"
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # another helper's module, perhaps for a store this branch lacks
        return None, f"{path} does not import here ({exc!r}): store scaling not measured"
    measure: Callable[..., list[dict[str, Any]]] = module.measure_store_scaling
    return measure(sizes=sizes), f"{path.name}, finished conferences {sizes}"


# ---- the report -------------------------------------------------------------------------------------


def _mb(peaks: list[float]) -> str:
    return ", ".join(f"{p:.0f}" for p in peaks)


def print_layouts(console: Console, rows: list[dict[str, Any]]) -> None:
    table = Table(title="(a) Layouts per conference against distinct contents (in this process)")
    for heading in (
        "example",
        "copies\nready",
        "distinct\ncontents",
        "distinct\nprinted()",
        "document\nlayouts\n(counted)",
        "renderer\nlayouts / fallbacks / stamps",
        "stamp\nlayouts",
        "layouts =\ndistinct + fallbacks",
        "via SW /\nsheets / laid out",
        "s",
    ):
        table.add_column(heading, justify="right")
    for source, row in zip(SOURCES, rows, strict=False):
        own, made = row["renderer_counts"], row["weasyprint_layouts"]
        table.add_row(
            source.removesuffix(".json"),
            str(row["copies_ready"]),
            str(row["distinct_contents"]),
            "-"
            if row["distinct_printed_by_renderer"] is None
            else str(row["distinct_printed_by_renderer"]),
            str(made.get("document", 0)),
            "not in this renderer"
            if own is None
            else " / ".join(str(own[f]) for f in own)
            + ("" if row["renderer_agrees_with_count"] else " (not as counted)"),
            str(made.get("stamp", 0)),
            "yes"
            if row["layouts_equal_distinct_plus_fallbacks"]
            else f"no ({row['layouts_over_that']:+d})",
            f"{row['via_social_worker']} / {row['distinct_sheets']} / {made.get('sheet', 0)}",
            f"{row['seconds_in_one_process']:.1f}",
        )
    console.print(table)


def print_runs(
    console: Console, floor: dict[str, Any], runs: list[dict[str, Any]], estimate: dict[str, Any]
) -> None:
    table = Table(title="(b) the floor and (c) the real run (cpc ingest + cpc distribute)")
    for heading in (
        "conferences",
        "copies\ndelivered",
        "ingest s",
        "distribute s",
        "ingest +\ndistribute s",
        "copies/s",
        "floor s",
        "(c)/(b)",
        "distribute /\nfloor",
    ):
        table.add_column(heading, justify="right")
    for run in runs:
        main = run["conferences"] == floor["conferences"]
        s = run["seconds"]
        table.add_row(
            str(run["conferences"]),
            str(run["copies_delivered"]),
            f"{s['ingest']:.1f}",
            f"{s['distribute']:.1f}",
            f"{s['ingest_and_distribute']:.1f}",
            f"{run['copies_per_second']:.1f}",
            f"{floor['seconds']:.1f}" if main else "-",
            f"{s['ingest_and_distribute'] / floor['seconds']:.2f}x" if main else "-",
            f"{s['distribute'] / floor['seconds']:.2f}x" if main else "-",
        )
    table.add_row(
        f"1000 ({estimate['said']})",
        str(estimate["copies"]),
        "",
        "",
        f"{estimate['seconds']:.0f}",
        f"{estimate['copies_per_second']:.1f}",
        "",
        "",
        "",
    )
    console.print(table)
    console.print(
        f"Floor: {floor['distinct_contents']} distinct contents (PDF + DOCX) and "
        f"{floor['distinct_sheets']} hand-over sheets of {floor['copies_ready']} ready copies, "
        f"{floor['bytes_written'] / MB:.0f} MB written, by {floor['how']}."
    )


def print_memory(console: Console, runs: list[dict[str, Any]]) -> None:
    table = Table(title="Peak memory of every process, MB (VmHWM sampled; command also by wait4)")
    for heading in ("conferences", "command", "process", "peak MB (each process)", "wait4 MB"):
        table.add_column(heading, justify="right")
    for run in runs:
        memory = run["memory_mb"]
        for command in ("ingest", "distribute"):
            roles = memory[f"{command}_processes_vmhwm"]
            helpers = {r.split(": ", 1)[1]: p for r, p in roles.items() if r.startswith(HELPER)}
            for role, peaks in roles.items():
                if role.startswith(HELPER):
                    continue
                wait4 = memory[f"{command}_maxrss_wait4"] if role.startswith("cpc") else ""
                table.add_row(str(run["conferences"]), command, role, _mb(peaks), str(wait4))
            if helpers:
                every = [peak for peaks in helpers.values() for peak in peaks]
                table.add_row(
                    str(run["conferences"]),
                    command,
                    f"{HELPER} ({', '.join(sorted(helpers))})",
                    f"{len(every)} processes, at most {max(every):.0f}",
                    "",
                )
    console.print(table)


def print_store(console: Console, rows: list[dict[str, Any]] | None, said: str) -> None:
    if not rows:
        console.print(f"Store scaling: {said}")
        return
    table = Table(title=f"Store scaling ({said})")
    headings = list(dict.fromkeys(k for row in rows for k in row))
    for heading in headings:
        table.add_column(heading, justify="right")
    for row in rows:
        table.add_row(*(str(row.get(h, "")) for h in headings))
    console.print(table)


def largest_process_mb(run: dict[str, Any]) -> float:
    """The largest peak of any one process of the run's two commands (VmHWM or wait4)."""
    memory = run["memory_mb"]
    sampled: list[float] = [
        peak
        for command in ("ingest", "distribute")
        for peaks in memory[f"{command}_processes_vmhwm"].values()
        for peak in peaks
    ]
    return max(
        [*sampled, float(memory["ingest_maxrss_wait4"]), float(memory["distribute_maxrss_wait4"])]
    )


def acceptance(
    layouts: list[dict[str, Any]],
    ratio: float,
    estimate: dict[str, Any],
    runs: list[dict[str, Any]],
) -> list[str]:
    """The issue's acceptance lines against this run's figures: printed, never asserted."""
    equal = all(
        row["layouts_equal_distinct_plus_fallbacks"] and row["renderer_agrees_with_count"]
        for row in layouts
    )
    peaks = {run["conferences"]: largest_process_mb(run) for run in runs}
    return [
        f"layouts = distinct contents + fallbacks (the renderer agreeing), every example: {'yes' if equal else 'no'}",
        f"real run within 1.5x of the floor: {ratio:.2f}x ({'yes' if ratio <= 1.5 else 'no'})",
        f"1,000 conferences under 5 minutes: {estimate['seconds']:.0f} s, {estimate['said']} "
        f"({'yes' if estimate['seconds'] < 300 else 'no'})",
        "largest process under 250 MB, flat: "
        + ", ".join(f"{mb:.0f} MB at {count}" for count, mb in sorted(peaks.items()))
        + f" ({'yes' if max(peaks.values()) < 250 else 'no'} under 250 MB)",
    ]


def _environment() -> dict[str, Any]:
    packages: dict[str, str | None] = {}
    for name in ("weasyprint", "pebble", "sqlalchemy", "pikepdf", "docxtpl"):
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = None
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": len(os.sched_getaffinity(0)),
        "packages": packages,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "shared": "the machine is shared with other work (see each run's load average)",
    }


def scaled(run: dict[str, Any], target: int = 1000) -> dict[str, Any]:
    factor = target / run["conferences"]
    seconds = run["seconds"]["ingest_and_distribute"] * factor
    return {
        "said": "measured" if factor == 1 else f"scaled estimate from {run['conferences']}",
        "conferences": target,
        "seconds": round(seconds, 1),
        "copies": round(run["copies_delivered"] * factor),
        "copies_per_second": run["copies_per_second"],
        "how": "ingest + distribute seconds and copies in proportion to the conferences",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--conferences", type=int, default=200, help="the main run (200)")
    parser.add_argument(
        "--small", type=int, default=50, help="a smaller run, for memory (50; 0: none)"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="20 and 5 conferences; store at 100")
    parser.add_argument("--skip-store", action="store_true", help="leave out store scaling")
    parser.add_argument(
        "--store-scaling", type=Path, default=ROOT / "bench" / "store_scaling.py", help="its module"
    )
    parser.add_argument(
        "--store-sizes", default="100,1000,5000", help="stored conferences (--quick: 100)"
    )
    parser.add_argument("--workdir", type=Path, default=None, help="kept if given")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "distribute_results.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.conferences, args.small = 20, 5
    if args.conferences < len(SOURCES):
        parser.error(f"--conferences must be at least {len(SOURCES)}, one of each example")
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 170)
    # The run's day: a real run records what it sends on the day it runs, so today in the UK.
    today = datetime.now(ZoneInfo("Europe/London")).date()
    environment = _environment()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cpc-bench-distribute-") as scratch:
        root = args.workdir or Path(scratch)
        console.print("[dim](a) counting layouts of one conference of each example...[/dim]")
        examples = root / "examples"
        made = make_conferences(len(SOURCES), examples)
        raws = [(examples / f"{name}.json").read_bytes() for name in made]
        layouts = [count_layouts(raw, today) for raw in raws]
        runs = []
        for count in sorted({args.small, args.conferences} - {0}):
            console.print(f"[dim](c) {count} conferences: cpc ingest, cpc distribute...[/dim]")
            runs.append(real_run(count, root / f"run-{count}", today, args.workers))
        # The main run's conferences again (the inbox keeps none once taken): the same ids.
        made = make_conferences(args.conferences, root / "floor-inputs")
        raws = [(root / "floor-inputs" / f"{name}.json").read_bytes() for name in made]
        console.print(f"[dim](b) the floor of {len(raws)} conferences...[/dim]")
        floor = measure_floor(raws, today, args.workers, root / "floor")
    sizes = (100,) if args.quick else tuple(int(n) for n in args.store_sizes.split(","))
    store_rows, store_said = (None, "left out (--skip-store)")
    if not args.skip_store:
        console.print(f"[dim]store scaling at {sizes}...[/dim]")
        store_rows, store_said = store_scaling(args.store_scaling, sizes)
    main_run = next(r for r in runs if r["conferences"] == args.conferences)
    estimate = scaled(main_run)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print_layouts(console, layouts)
    console.print(
        "Distinct content: Composer.html(view) of a ready copy, dated the run's day, with its "
        "edition lines, less the addressee's window and the 'Dear <name>,' line; the marks "
        "stamped per recipient are not part of it. Document layouts: WeasyPrint layouts of "
        "documents counted in this process (stamps and sheets apart)."
    )
    print_runs(console, floor, runs, estimate)
    print_memory(console, runs)
    print_store(console, store_rows, store_said)
    ratio = main_run["seconds"]["ingest_and_distribute"] / floor["seconds"]
    verdicts = acceptance(layouts, ratio, estimate, runs)
    console.print("Against the issue's acceptance (printed, not asserted):")
    for line in verdicts:
        console.print(f"  {line}")
    seconds = time.perf_counter() - started
    environment["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "environment": environment,
        "today": today.isoformat(),
        "made_from": list(SOURCES),
        "layouts_per_example": layouts,
        "floor": floor,
        "runs": runs,
        "ratio_real_to_floor": round(ratio, 2),
        "ratio_distribute_to_floor": round(main_run["seconds"]["distribute"] / floor["seconds"], 2),
        "one_thousand": estimate,
        "acceptance": verdicts,
        "store_scaling": {"rows": store_rows, "said": store_said},
        "bench_process_maxrss_mb": round(own, 1),
        "benchmark_seconds": round(seconds, 1),
    }
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    console.print(f"Figures written to {args.out} ({seconds:.0f} s in all)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

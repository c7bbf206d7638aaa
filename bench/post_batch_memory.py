"""Synthetic envelopes of a letter's size → the memory writing a post batch of 10, 100 and 500 takes, streamed and held whole.

Usage: .venv/bin/python bench/post_batch_memory.py [--sizes 10 100 500] [--kb 190]

A benchmark, not a test: it asserts nothing. Each measurement runs in a fresh interpreter so one
cannot inherit another's heap. Three ways of writing the same batch are measured:

  streamed  as the run does it now: each envelope made when the post room asks for the next one
            (`pipeline.delivery.post.write_batch`), written to disk before the next is made
  before    as the run did before this change: every envelope made first and kept in a list,
            then the batch put together in memory by pikepdf (`pages.extend`, `save` to bytes:
            the old `build_batch`, copied here) and its bytes written out
  pikepdf   as `before`, but each envelope made when asked and written to a file, and the batch
            put together by pikepdf from those files and saved straight to a file: pikepdf asks
            qpdf to copy a page's streams into memory at once, so this too grows with the batch

For each, the peak resident set above the resident set just before the batch (Linux's VmHWM,
reset through /proc/self/clear_refs: pikepdf's qpdf allocates in C++, which tracemalloc does not
see), and the peak of Python's own allocations (tracemalloc). An envelope here is four A4 pages
with an incompressible image of `--kb` KB split across them (a real letter from WeasyPrint is
~0.19 MB: fonts and text), each envelope's bytes different, made from a seed, so nothing is shared.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pikepdf

ROOT = Path(__file__).resolve().parents[1]
PAGES = 4


def _envelope_pdf(seed: int, kb: int) -> bytes:
    rng = random.Random(seed)
    pdf = pikepdf.new()
    side = 64
    for _ in range(PAGES):
        data = rng.randbytes(kb * 1024 // PAGES)
        height = max(1, len(data) // (side * 3))
        image = pdf.make_stream(
            data[: side * 3 * height],
            Type=pikepdf.Name.XObject,
            Subtype=pikepdf.Name.Image,
            Width=side,
            Height=height,
            ColorSpace=pikepdf.Name.DeviceRGB,
            BitsPerComponent=8,
        )
        page = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=pikepdf.Array([0, 0, 595, 842]),
            Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image)),
            Contents=pdf.make_stream(b"q 300 0 0 400 100 200 cm /Im0 Do Q"),
        )
        pdf.pages.append(pikepdf.Page(pdf.make_indirect(page)))
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True)
    return out.getvalue()


def _envelopes(count: int, kb: int) -> Iterator[Any]:
    from pipeline.delivery.channels import Destination
    from pipeline.delivery.envelopes import Envelope, Part

    for i in range(count):
        yield Envelope(
            reference=f"{i:08X}",
            conference="CPC-2026-0001",
            recipient=f"p-{i}",
            destination=Destination(
                channel="post",
                folder=f"p-{i}",
                name=f"Person {i}",  # fictional
                address_lines=(f"{i} Example Street", "Townsville"),
                postcode="AB1 2CD",
            ),
            pdf=_envelope_pdf(i, kb),
            pages=PAGES,
            parts=(
                Part("covering_letter", False, 1, 2, f"Person {i}", False),
                Part("record", False, 3, 2, f"Person {i}", False),
            ),
            inserts=(),
            parcels=(),
        )


def _before(envelopes: list[Any], folder: Path) -> int:
    """The old `build_batch` and `PostChannel.send_envelopes`: the whole batch in memory."""
    with ExitStack() as sources, pikepdf.new() as batch:
        for envelope in envelopes:
            batch.pages.extend(sources.enter_context(pikepdf.open(io.BytesIO(envelope.pdf))).pages)
        buffer = io.BytesIO()
        batch.save(buffer, deterministic_id=True)
    folder.mkdir()
    (folder / "b.pdf").write_bytes(buffer.getvalue())
    return len(buffer.getvalue())


def _pikepdf_from_files(envelopes: Iterator[Any], folder: Path) -> int:
    folder.mkdir()
    parts = []
    for i, envelope in enumerate(envelopes):
        parts.append(folder / f"{i}.pdf")
        parts[-1].write_bytes(envelope.pdf)
    with ExitStack() as sources, pikepdf.new() as batch:
        for part in parts:
            source = pikepdf.open(part, access_mode=pikepdf.AccessMode.stream)
            batch.pages.extend(sources.enter_context(source).pages)
        batch.save(folder / "b.pdf", deterministic_id=True)
    return (folder / "b.pdf").stat().st_size


def _rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _measure(mode: str, count: int, kb: int, trace: bool) -> dict[str, float]:
    """In this process: one batch written `mode`'s way; its memory (the resident set's peak, or
    with `trace` Python's peak, since tracemalloc's own records would swell the first) and time."""
    from pipeline.delivery.envelopes import Envelope  # noqa: F401  # loaded before the baseline
    from pipeline.delivery.post import write_batch

    names = {"covering_letter": "covering letter", "record": "record"}
    _envelope_pdf(0, 1)  # pikepdf loaded and warm before the baseline
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "post"
        Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
        baseline = _rss_kb("VmRSS")
        if trace:
            tracemalloc.start()
        started = time.perf_counter()
        if mode == "streamed":
            written = write_batch(_envelopes(count, kb), folder, "b", names)
            size = written.pdf.stat().st_size
        elif mode == "before":
            size = _before(list(_envelopes(count, kb)), folder)
        else:
            size = _pikepdf_from_files(_envelopes(count, kb), folder)
        seconds = time.perf_counter() - started
        peak = _rss_kb("VmHWM")
        if trace:
            _, python_peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            return {"python_peak_mb": python_peak / 2**20}
    return {
        "letters": count,
        "batch_mb": size / 2**20,
        "rss_peak_above_baseline_mb": (peak - baseline) / 1024,
        "seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 500])
    parser.add_argument("--kb", type=int, default=190, help="Size of one envelope's PDF, in KB.")
    parser.add_argument("--one", nargs=3, metavar=("MODE", "COUNT", "TRACE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        mode, count, trace = args.one
        sys.stdout.write(json.dumps(_measure(mode, int(count), args.kb, trace == "1")) + "\n")
        return
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    print(f"{'mode':<9} {'letters':>7} {'batch MB':>9} {'RSS peak MB':>12} "
          f"{'Python peak MB':>15} {'seconds':>8}")  # fmt: skip
    for mode in ("streamed", "before", "pikepdf"):
        for count in args.sizes:
            row: dict[str, float] = {}
            for trace in ("0", "1"):
                out = subprocess.run(
                    [sys.executable, __file__, "--kb", str(args.kb), "--one", mode, str(count),
                     trace],
                    capture_output=True, text=True, env=env, check=True, cwd=ROOT,
                )  # fmt: skip
                row.update(json.loads(out.stdout))
            print(
                f"{mode:<9} {row['letters']:>7} {row['batch_mb']:>9.1f} "
                f"{row['rss_peak_above_baseline_mb']:>12.1f} {row['python_peak_mb']:>15.1f} "
                f"{row['seconds']:>8.2f}"
            )


if __name__ == "__main__":
    main()

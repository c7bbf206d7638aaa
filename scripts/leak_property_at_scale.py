"""The leak property of tests/test_property_leaks.py over many generated conferences → counts and every failure.

Usage: .venv/bin/python scripts/leak_property_at_scale.py [--examples N] [--seed S] [--shrink] [--out DIR]

Each conference comes from the test module's Hypothesis strategy (the same builder functions) and is
checked by the same `check_conference`: every family-side and authorised copy and one professional
record rendered with the real renderers, read back, and checked against spec §4 rules 1-6. Unlike
the test, a failure does not stop the run: each one is recorded (the export written to DIR as JSON)
and the run goes on to N conferences, then prints the counts and the failures grouped by kind.
With --shrink, the first failure is then minimised by Hypothesis (slow: each try renders again).
Exit status: 0 if every conference passed, 1 if any failed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import traceback
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # `tests` is not installed; import it from the checkout

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402

from tests.test_property_leaks import Built, Counts, check_conference, conferences  # noqa: E402


@dataclass
class Failure:
    number: int
    kind: str
    message: str
    choices: str
    saved: Path | None


@dataclass
class Run:
    counts: Counts = field(default_factory=Counts)
    failures: list[Failure] = field(default_factory=list)
    seen: int = 0


def _kind(message: str) -> str:
    """A failure message with its tokens, quoted text and ids blurred, to group failures by kind."""
    blurred = re.sub(r"Zq[a-y]{10}\d{4}|Zq[a-y]{13}", "<token>", message)
    blurred = re.sub(r"'[^']*'", "'…'", blurred)
    blurred = re.sub(r"\[\d+\]", "[n]", blurred)
    return blurred.splitlines()[0][:220]


def _settings(examples: int, shrink: bool) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate, Phase.shrink] if shrink else [Phase.generate],
        suppress_health_check=list(HealthCheck),
        derandomize=False,
        print_blob=False,
    )


def run(examples: int, seed_value: int, out: Path, progress: bool) -> Run:
    result = Run()
    started = time.monotonic()

    @seed(seed_value)
    @_settings(examples, shrink=False)
    @given(built=conferences)
    def one(built: Built) -> None:
        result.seen += 1
        number = result.seen
        try:
            result.counts += check_conference(built)
        except Exception as exc:  # record every failure, crash or assertion, and carry on
            message = f"{type(exc).__name__}: {exc}"
            if not isinstance(exc, AssertionError):
                message += "\n" + traceback.format_exc(limit=-3)
            out.mkdir(parents=True, exist_ok=True)
            saved = out / f"failure-{seed_value}-{number:04d}.json"
            saved.write_text(json.dumps(built.data, indent=2) + "\n", encoding="utf-8")
            result.failures.append(
                Failure(number, _kind(message), message, repr(built.choices), saved)
            )
        if progress:
            elapsed = time.monotonic() - started
            status = "FAIL" if result.failures and result.failures[-1].number == number else "ok"
            print(
                f"  conference {number}/{examples}: {status}  ({elapsed:.0f} s)",
                file=sys.stderr,
                flush=True,
            )

    one()
    return result


def shrink_first_failure(examples: int, seed_value: int) -> str | None:
    """Let Hypothesis find and minimise a failing conference; → its report, or None if none failed."""

    @seed(seed_value)
    @_settings(examples, shrink=True)
    @given(built=conferences)
    def one(built: Built) -> None:
        check_conference(built)

    try:
        one()
    except Exception as exc:
        notes = "\n".join(getattr(exc, "__notes__", []))
        return f"{type(exc).__name__}: {exc}\n{notes}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=200, help="conferences to check (200)")
    parser.add_argument("--seed", type=int, default=0, help="Hypothesis seed (0)")
    parser.add_argument("--shrink", action="store_true", help="then minimise the first failure")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("/tmp/leak-property-failures"),
        help="where failing exports are written",
    )
    parser.add_argument("--quiet", action="store_true", help="no line per conference")
    args = parser.parse_args(argv)
    # WeasyPrint's PDF/A writer leaves its colour profile for the collector (see pyproject.toml).
    warnings.filterwarnings("ignore", category=ResourceWarning)

    started = time.monotonic()
    result = run(args.examples, args.seed, args.out, progress=not args.quiet)
    seconds = time.monotonic() - started
    c = result.counts
    print(
        f"checked {result.seen} conferences in {seconds:.0f} s: {c.copies} copies rendered and "
        f"read back ({c.files} files), {c.held} copies checked held with no files; "
        f"{len(result.failures)} conferences failed"
    )
    if result.failures:
        print("\nfailures by kind:")
        for kind, n in Counter(f.kind for f in result.failures).most_common():
            first = next(f for f in result.failures if f.kind == kind)
            print(f"  {n} x {kind}\n      first: conference {first.number}, export {first.saved}")
        print("\nfirst failure in full:")
        first = result.failures[0]
        print(f"  {first.message}\n  choices: {first.choices}")
        if args.shrink:
            print("\nminimising a failure (each try renders again; this can take minutes)...")
            report = shrink_first_failure(args.examples, args.seed)
            print(report or "no failure found when re-run with shrinking")
    return 1 if result.failures else 0


if __name__ == "__main__":
    raise SystemExit(main())

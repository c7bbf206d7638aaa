#!/usr/bin/env python3
"""The address-guard attack property (tests/test_address_attacks.py) on as many cases as asked.

    .venv/bin/python scripts/address_attacks_at_scale.py --cases 20000 [--seed N]

Prints the number of cases, how many spelt the withheld address and how many were controls, the
copies checked, the failures (each with its seed, so it can be reproduced) and the time taken.
Exit 1 if any case failed.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.address_attacks import copies_of, make_case, problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=20261201)
    args = parser.parse_args()
    master = random.Random(args.seed)
    started = time.perf_counter()
    failures: list[tuple[int, str, list[str]]] = []
    controls = copies = 0
    fields: dict[str, int] = {}
    for _ in range(args.cases):
        seed = master.randrange(2**32)
        case = make_case(random.Random(seed))
        controls += case.control
        fields[case.field] = fields.get(case.field, 0) + 1
        copies += len(copies_of(case))
        found = problems(case)
        if found:
            failures.append((seed, f"{case.written!r} in {case.field}", found))
    elapsed = time.perf_counter() - started
    print(f"cases: {args.cases} ({args.cases - controls} spelling the withheld address, "
          f"{controls} controls), copies checked: {copies}, fields: {len(fields)}")
    print(f"failures: {len(failures)}; time: {elapsed:.1f} s ({1000 * elapsed / args.cases:.1f} ms a case)")
    for seed, what, found in failures[:20]:
        print(f"  seed {seed}: {what}: {found[0]}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Issue 9, item 5: a property test that attacks the address guard (spec §4 rule 4; R16, R49).

Hypothesis draws a seed; `tests/address_attacks.py` makes from it a spelling of one part of the
mother's withheld address (the street line, the street without its number, a house name, the
postcode, the e-mail) disguised by one to four of the transformations issue 9 found getting
through (abbreviations, re-casing and re-spacing, look-alike letters and digits, invisible and
combining characters, markup, full-width forms, numbers in words, the e-mail and postcode
re-punctuated) and writes it into a random printed field, an agreed amendment's new text or the
chair's rejection note. Every copy for the father and his solicitor that prints the field must be
held, naming the field and not the text; no other copy may change. One case in five spells the
address of nobody, as a control: nothing may change.

500 cases run here; `scripts/address_attacks_at_scale.py --cases 20000` runs as many as asked.
"""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from tests.address_attacks import make_case, problems


@settings(
    max_examples=500,
    deadline=None,
    derandomize=True,  # the same 500 cases on every run: CI does not wander
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_every_disguised_spelling_holds_exactly_the_copies_it_would_reach(seed: int) -> None:
    case = make_case(random.Random(seed))
    note(f"seed {seed}: {case.written!r} in {case.field} (control: {case.control})")
    assert problems(case) == []


def test_the_generator_makes_every_kind_of_case() -> None:
    # The property is only as good as its cases: each field, each disguise and the control occur.
    cases = [make_case(random.Random(seed)) for seed in range(400)]
    assert {c.field for c in cases} >= {"changes[0].with", "decision.note", "conference.venue"}
    assert any(c.control for c in cases) and not all(c.control for c in cases)
    written = "".join(c.written for c in cases)
    for marker in ("\u0435", "\u200b", "<", "\uff21", " at ", "Ct", "seventeen"):
        assert marker in written or marker.lower() in written.lower(), marker

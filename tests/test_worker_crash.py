"""Workers on several machines, SIGKILLed at random moments of their jobs and restarted: each copy is still delivered exactly once and nothing is left pending.

The trials of tests/worker_trials.py: a run queued for two `cpc worker`s (separate processes,
each with its own state folder, sharing the PostgreSQL database, the outbox and the spool),
eight conferences, and a worker killed at a random moment of a job it is doing, then started
again, up to sixteen times a trial (at least fifteen); a killed worker's job is given to another by its missing heartbeat.
Two trials here, at least 30 kills; `scripts/crash_trials.py --queue-kills 200` runs more and counts
where they landed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.postgres_server import PostgresServer
from tests.test_distribute_crash import KILL_POINTS, on_the_test_day
from tests.worker_trials import QueueTemplate, prepare_queue, queue_trial

TRIALS = 2
KILLS = 16
# A trial ends when its run does: the last jobs may finish before every kill is made.
LEAST_KILLS = 15


@pytest.fixture(scope="module")
def queue_template(
    postgres_server: PostgresServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> QueueTemplate:
    return prepare_queue(postgres_server, tmp_path_factory.mktemp("queue"), copies=4)


@pytest.mark.parametrize("number", range(TRIALS))
def test_workers_killed_at_random_moments_still_deliver_each_copy_once(
    queue_template: QueueTemplate, tmp_path: Path, number: int
) -> None:
    with on_the_test_day():
        result = queue_trial(queue_template, tmp_path, f"trial-{number}", kills=KILLS, seed="ci")
    assert result.problems == [], result.distribute_output[-3000:]
    # Each kill lands in a job being done, which is then done again, so the run outlives most.
    assert result.kills >= LEAST_KILLS


# Steps of a worker's delivery, each a gap between two durable records (the single-process
# trials' kill points): the worker kills itself right there, another finishes the conference.
WORKER_KILL_POINTS = ("begun-not-placed", "placed-not-recorded", "spooled-not-begun")


@pytest.mark.parametrize("point", WORKER_KILL_POINTS)
def test_a_worker_killed_right_after_a_step_of_its_delivery_loses_and_repeats_nothing(
    queue_template: QueueTemplate, tmp_path: Path, point: str
) -> None:
    with on_the_test_day():
        result = queue_trial(
            queue_template, tmp_path, point, kills=0, kill_point=KILL_POINTS[point]
        )
    assert result.kills == 1, f"the worker never reached {point}"
    assert result.problems == [], result.distribute_output[-3000:]

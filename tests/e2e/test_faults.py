"""Exactly-once firing when instances die or turn into zombies: real processes, a real
broker, and the fault-injection points of ``app.kafka.faults``.

A ``read_committed`` reader must see each schedule's target exactly once; a
``read_uncommitted`` reader shows that the faulty instance did write, and was aborted.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.kafka_io import produce, read_all, read_count, schedule_headers, wait_for
from tests.scheduler_fixtures import Topics
from tools.chaos.instances import free_port, scheduler_process


def fire_soon(topics: Topics, key: bytes, due_in: float = 1.0) -> None:
    produce(
        topics.bootstrap,
        topics.schedules,
        [(key, key, schedule_headers(time.time() + due_in, topics.target))],
    )


def failed_batches(metrics_addr: str) -> float:
    text = httpx.get(f"http://{metrics_addr}/metrics", timeout=5).text
    samples = [
        line
        for line in text.splitlines()
        if line.startswith("kafka_scheduler_failed_batches_total")
    ]
    return float(samples[0].split()[-1]) if samples else 0.0


def copies(topics: Topics, key: bytes, committed: bool = True) -> int:
    messages = read_all(topics.bootstrap, topics.target, committed=committed)
    return sum(m.value() == key for m in messages)


def test_killed_between_target_and_tombstone_fires_once_after_restart(
    topics: Topics, group_id: str
) -> None:
    with scheduler_process(
        topics.bootstrap,
        topics.schedules,
        topics.history,
        group_id,
        SCHEDULER_FAULT="after-target",
    ) as doomed:
        fire_soon(topics, b"crash")
        assert doomed.wait(30) == -9
    # The target was written in a transaction that will never commit.
    read_count(topics.bootstrap, topics.target, 1, committed=False)
    assert copies(topics, b"crash") == 0
    with scheduler_process(topics.bootstrap, topics.schedules, topics.history, group_id):
        # Its load waits for the dead instance's transaction to be aborted, then fires.
        read_count(topics.bootstrap, topics.history, 1, timeout=60)
        fire_soon(topics, b"after")  # once it fired, everything before it was decided
        wait_for(lambda: copies(topics, b"after") == 1, 30, "the later schedule to fire")
        assert copies(topics, b"crash") == 1
        assert copies(topics, b"crash", committed=False) == 2


@pytest.mark.parametrize(("exactly_once", "expected"), [("true", 1), ("false", 2)])
def test_zombie_that_lost_its_partition_while_stalled_is_fenced(
    topics: Topics, group_id: str, tmp_path: Path, exactly_once: str, expected: int
) -> None:
    """The stalled instance misses ``max.poll.interval.ms``, the group gives its partitions
    to the other one, which fires; then it wakes and writes the same schedule. Without
    transactions that is a duplicate, which shows the test can see one."""
    config = tmp_path / "kafka.yaml"
    config.write_text("kafka:\n  consumer:\n    configuration:\n      max.poll.interval.ms: 3000\n")
    common = {
        "EXACTLY_ONCE": exactly_once,
        "CONFIGURATION_FILE": str(config),
        "SESSION_TIMEOUT": "3000",
    }
    args = (topics.bootstrap, topics.schedules, topics.history, group_id)
    zombie_metrics = f"127.0.0.1:{free_port()}"
    with scheduler_process(
        *args, SCHEDULER_FAULT="before-write:8", METRICS_ADDR=zombie_metrics, **common
    ):
        fire_soon(topics, b"zombie")
        with scheduler_process(*args, **common):
            wait_for(lambda: copies(topics, b"zombie") >= 1, 40, "the new owner to fire")
            if exactly_once == "true":  # the zombie wakes after its 8 s stall and is refused
                wait_for(lambda: failed_batches(zombie_metrics) >= 1, 40, "the zombie's attempt")
            else:  # nothing refuses its write
                wait_for(lambda: copies(topics, b"zombie") == 2, 40, "the zombie's write")
            fire_soon(topics, b"after")
            wait_for(lambda: copies(topics, b"after") == 1, 30, "the later schedule to fire")
            assert copies(topics, b"zombie") == expected

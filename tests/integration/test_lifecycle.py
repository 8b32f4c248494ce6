"""Restarts, rebalances and the scheduler's own writes read back, on a real broker."""

from __future__ import annotations

import time
from collections import Counter

from app.engine import Event
from app.engine.schedule import REWRITE_OF, TOMBSTONE_OF
from tests.integration.test_scheduler import fire_marker, payloads
from tests.kafka_io import produce, read_all, read_count, schedule_headers, wait_for
from tests.scheduler_fixtures import StartScheduler, Topics, wait_counted


def test_restart_fires_missed_schedules_first_in_due_order_and_only_once(
    topics: Topics, start_scheduler: StartScheduler
) -> None:
    now = time.time()
    produce(
        topics.bootstrap,
        topics.schedules,
        [
            (b"future", b"future", schedule_headers(now + 4, topics.target)),
            (b"missed-2", b"missed-2", schedule_headers(now - 20, topics.target)),
            (b"missed-3", b"missed-3", schedule_headers(now - 10, topics.target)),
            (b"missed-1", b"missed-1", schedule_headers(now - 30, topics.target)),
        ],
        partition=0,
        written_s=now - 60,  # in time: only the scheduler's absence makes them late
    )
    first = start_scheduler()
    fired = read_count(topics.bootstrap, topics.target, 4)
    assert [m.value() for m in fired] == [b"missed-1", b"missed-2", b"missed-3", b"future"]
    wait_counted(first, Event.MISSED, 3)
    wait_counted(first, Event.TRIGGERED, 1)
    first.close()

    second = start_scheduler()
    assert not second.schedules()
    fire_marker(topics, partition=0)
    assert Counter(payloads(topics)) == Counter([b"missed-1", b"missed-2", b"missed-3", b"future"])
    assert second.metrics.value(Event.MISSED) == 0


def test_update_written_between_trigger_and_tombstone_survives_live(
    topics: Topics, start_scheduler: StartScheduler
) -> None:
    """The log as the race leaves it: v1, then v2, then the tombstone of v1 (late)."""
    scheduler = start_scheduler()
    [v1] = produce(
        topics.bootstrap,
        topics.schedules,
        [(b"race", b"v1", schedule_headers(time.time() + 3600, topics.target))],
        partition=2,
    )
    produce(
        topics.bootstrap,
        topics.schedules,
        [(b"race", b"v2", schedule_headers(time.time() + 2, topics.target))],
        partition=2,
    )
    produce(
        topics.bootstrap,
        topics.schedules,
        [(b"race", None, [(TOMBSTONE_OF, str(v1.offset()).encode())])],
        partition=2,
    )
    fired = read_count(topics.bootstrap, topics.target, 1)
    assert [m.value() for m in fired] == [b"v2"]
    log = read_all(topics.bootstrap, topics.schedules)
    rewrites = [m for m in log if m.value() == b"v2" and REWRITE_OF in dict(m.headers() or [])]
    assert len(rewrites) == 1, "v2 must be written again after the stale tombstone"
    assert scheduler.metrics.value(Event.DELETED) == 0
    scheduler.close()
    start_scheduler()
    fire_marker(topics, partition=2)
    assert payloads(topics) == [b"v2"]


def test_update_written_between_trigger_and_tombstone_survives_a_restart(
    topics: Topics, start_scheduler: StartScheduler
) -> None:
    """The same log found by a load: the scheduler crashed before it could rewrite v2."""
    [v1] = produce(
        topics.bootstrap,
        topics.schedules,
        [(b"race", b"v1", schedule_headers(time.time() - 5, topics.target))],
        partition=1,
        written_s=time.time() - 10,
    )
    produce(
        topics.bootstrap,
        topics.schedules,
        [
            (b"race", b"v2", schedule_headers(time.time() + 2, topics.target)),
            (b"race", None, [(TOMBSTONE_OF, str(v1.offset()).encode())]),
        ],
        partition=1,
    )
    scheduler = start_scheduler()
    assert [s.value for s in scheduler.schedules()] == [b"v2"]
    fired = read_count(topics.bootstrap, topics.target, 1)
    assert [m.value() for m in fired] == [b"v2"]
    fire_marker(topics, partition=1)
    assert payloads(topics) == [b"v2"]


def test_two_instances_share_the_partitions_and_fire_each_schedule_once(
    topics: Topics, start_scheduler: StartScheduler
) -> None:
    first = start_scheduler()
    second = start_scheduler(expect_partitions=1)
    wait_for(
        lambda: len(first.loaded_partitions()) + len(second.loaded_partitions()) == 3,
        30,
        "the partitions to be shared",
    )
    due = time.time() + 2
    keys = [f"shared-{i}".encode() for i in range(30)]
    for partition in range(3):
        produce(
            topics.bootstrap,
            topics.schedules,
            [(key, key, schedule_headers(due, topics.target)) for key in keys[partition::3]],
            partition=partition,
        )
    fired = read_count(topics.bootstrap, topics.target, 30)
    assert sorted(m.value() for m in fired) == sorted(keys)
    for partition in range(3):
        fire_marker(topics, partition)
    assert sorted(payloads(topics)) == sorted(keys)

    def counts() -> list[float]:
        return [s.metrics.value(Event.TRIGGERED) for s in (first, second)]

    wait_for(lambda: sum(counts()) == 33, 10, "every fire counted")
    assert all(counts()), counts()

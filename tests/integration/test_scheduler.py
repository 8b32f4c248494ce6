"""The scheduler against a real broker: the original's scenarios and the fixes of its bugs.

"Did not fire" is proven with a later marker schedule in the same partition: schedules fire
in due order, so once the marker is in the target, anything due before it would be too.
"""

from __future__ import annotations

import time

import pytest

from app.engine import Event
from tests.kafka_io import produce, read_all, read_count, schedule_headers, wait_for
from tests.scheduler_fixtures import StartScheduler, Topics

OUTPUT_HEADERS = ["scheduler-timestamp", "scheduler-key", "scheduler-topic"]
MARKER = "marker-"


def fire_marker(topics: Topics, partition: int, due_in: float = 1.0) -> None:
    """Schedule a marker due soon in ``partition`` and wait until it reaches the target."""
    marker = f"{MARKER}{time.monotonic_ns()}".encode()
    produce(
        topics.bootstrap,
        topics.schedules,
        [(marker, marker, schedule_headers(time.time() + due_in, topics.target))],
        partition=partition,
    )
    read_all(
        topics.bootstrap,
        topics.target,
        lambda messages: any(m.value() == marker for m in messages),
        timeout=30,
    )


def payloads(topics: Topics) -> list[bytes | None]:
    """Payloads in the target topic, markers left out."""
    values = [m.value() for m in read_all(topics.bootstrap, topics.target)]
    return [v for v in values if not (v or b"").startswith(MARKER.encode())]


@pytest.mark.parametrize("exactly_once", ["true", "false"])
def test_readme_example_writes_target_history_and_tombstone(
    topics: Topics, start_scheduler: StartScheduler, exactly_once: str
) -> None:
    start_scheduler(EXACTLY_ONCE=exactly_once)
    due = time.time() + 2
    written = produce(
        topics.bootstrap,
        topics.schedules,
        [
            (
                b"vid1-online",
                b"video 1",
                [*schedule_headers(due, topics.target, b"vid1"), ("customer-header", b"dummy")],
            ),
            (b"no-target-key", b"", schedule_headers(due, topics.target)),
        ],
    )
    vid, nokey = sorted(written, key=lambda m: m.key() != b"vid1-online")
    targets = read_count(topics.bootstrap, topics.target, 2)
    assert sorted((m.key() or b"", m.value()) for m in targets) == [
        (b"", b""),
        (b"vid1", b"video 1"),
    ]
    fired = next(m for m in targets if m.key() == b"vid1")
    assert [name for name, _ in fired.headers() or []] == [
        "scheduler-epoch",
        "scheduler-target-topic",
        "scheduler-target-key",
        "customer-header",
        *OUTPUT_HEADERS,
    ]
    headers = dict(fired.headers() or [])
    assert headers["customer-header"] == b"dummy"
    assert headers["scheduler-key"] == b"vid1-online"
    assert headers["scheduler-topic"] == topics.schedules.encode()
    assert headers["scheduler-timestamp"] == str(vid.timestamp()[1] // 1000).encode()
    assert fired.timestamp()[1] >= int(due * 1000), "fired before its due time"
    assert next(m for m in targets if m.key() is None).value() == b""  # empty payload is kept

    history = read_count(topics.bootstrap, topics.history, 2)
    assert sorted((m.key() or b"", m.value(), m.headers()) for m in history) == sorted(
        (m.key() or b"", m.value(), m.headers()) for m in targets
    )
    log = read_count(topics.bootstrap, topics.schedules, 4)
    tombstones = {(m.key(), m.partition()) for m in log if m.value() is None}
    assert tombstones == {(b"vid1-online", vid.partition()), (b"no-target-key", nokey.partition())}


def test_tombstone_goes_to_the_partition_the_schedule_came_from(
    topics: Topics, start_scheduler: StartScheduler, topic_factory: object
) -> None:
    start_scheduler()
    due = time.time() + 1
    written = []
    for partition in range(topics.partitions):
        # Every key in every partition: whatever partitioner the scheduler used, some
        # tombstone would land in the wrong partition.
        written += produce(
            topics.bootstrap,
            topics.schedules,
            [(f"id-{partition}".encode(), b"x", schedule_headers(due, topics.target))],
            partition=partition,
        )
    read_count(topics.bootstrap, topics.target, 3)
    log = read_count(topics.bootstrap, topics.schedules, 6)
    assert {(m.key(), m.partition()) for m in log if m.value() is None} == {
        (m.key(), m.partition()) for m in written
    }


def test_delete_before_due_never_fires(topics: Topics, start_scheduler: StartScheduler) -> None:
    scheduler = start_scheduler()
    produce(
        topics.bootstrap,
        topics.schedules,
        [(b"doomed", b"doomed", schedule_headers(time.time() + 1.5, topics.target))],
        partition=0,
    )
    wait_for(lambda: [s.id for s in scheduler.schedules()] == [b"doomed"], 10, "planned")
    produce(topics.bootstrap, topics.schedules, [(b"doomed", None, [])], partition=0)
    wait_for(lambda: not scheduler.schedules(), 10, "the delete")
    fire_marker(topics, partition=0, due_in=2)
    assert payloads(topics) == []
    assert scheduler.metrics.value(Event.DELETED) == 1


def test_update_before_due_fires_only_the_new_version_at_its_time(
    topics: Topics, start_scheduler: StartScheduler
) -> None:
    scheduler = start_scheduler()
    now = time.time()
    produce(
        topics.bootstrap,
        topics.schedules,
        [
            (b"later", b"v1", schedule_headers(now + 1.5, topics.target)),
            (b"earlier", b"v1", schedule_headers(now + 30, topics.target)),
            (b"later", b"v2", schedule_headers(now + 2.5, topics.target)),
            (b"earlier", b"v2", schedule_headers(now + 2, topics.target)),
        ],
        partition=1,
    )
    fired = read_count(topics.bootstrap, topics.target, 2)
    assert sorted(m.value() for m in fired) == [b"v2", b"v2"]
    for message in fired:
        due = float(dict(message.headers() or [])["scheduler-epoch"])
        assert message.timestamp()[1] >= int(due * 1000)
    fire_marker(topics, partition=1)
    assert sorted(payloads(topics)) == [b"v2", b"v2"]
    assert not scheduler.schedules()

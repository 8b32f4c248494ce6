"""Bad input, configuration and the counters, on a real broker."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from app.engine import Event
from tests.integration.test_scheduler import MARKER, fire_marker, payloads
from tests.kafka_io import Header, produce, read_all, read_count, schedule_headers, wait_for
from tests.scheduler_fixtures import StartScheduler, Topics, wait_counted


def invalid_records(topics: Topics) -> list[tuple[bytes, bytes, list[Header]]]:
    target = topics.target
    epoch = f"{time.time() + 60:.0f}"
    return [
        (b"   ", b"x", schedule_headers(epoch, target)),
        (b"no-epoch", b"x", [("scheduler-target-topic", target.encode())]),
        (b"epoch-text", b"x", schedule_headers("tomorrow", target)),
        (b"epoch-negative", b"x", schedule_headers("-5", target)),
        (b"epoch-ms", b"x", schedule_headers(str(int(time.time() * 1000)), target)),
        (b"no-target", b"x", [("scheduler-epoch", epoch.encode())]),
        (b"target-loop", b"x", schedule_headers(epoch, topics.schedules)),
        (b"target-history", b"x", schedule_headers(epoch, topics.history)),
        (b"target-internal", b"x", schedule_headers(epoch, "__consumer_offsets")),
        (b"long-past", b"x", schedule_headers(time.time() - 3600, target)),
    ]


@pytest.mark.parametrize("dead_letter", [False, True], ids=["tombstoned", "dead-lettered"])
def test_invalid_schedules_are_counted_removed_and_never_block_the_partition(
    topics: Topics,
    start_scheduler: StartScheduler,
    topic_factory: Callable[..., str],
    dead_letter: bool,
) -> None:
    env = {"DEAD_LETTER_TOPIC": topic_factory(prefix="dlq")} if dead_letter else {}
    scheduler = start_scheduler(**env)
    bad = invalid_records(topics)
    produce(topics.bootstrap, topics.schedules, bad, partition=0)
    fire_marker(topics, partition=0)
    assert payloads(topics) == []
    assert scheduler.metrics.value(Event.INVALID) == len(bad)
    log = read_count(topics.bootstrap, topics.schedules, 2 * len(bad) + 2)
    tombstoned = {m.key() for m in log if m.value() is None}
    assert tombstoned - {m.key() for m in log if m.value() == m.key()} == {k for k, _, _ in bad}
    if dead_letter:
        letters = read_count(topics.bootstrap, env["DEAD_LETTER_TOPIC"], len(bad))
        assert {m.key() for m in letters} == {key for key, _, _ in bad}
        reasons = {m.key(): dict(m.headers() or [])["scheduler-error"] for m in letters}
        assert b"milliseconds" in reasons[b"epoch-ms"]
        assert b"history topic" in reasons[b"target-history"]
        wait_counted(scheduler, Event.DEAD_LETTERED, len(bad))


def test_invalid_records_found_by_a_load_are_rejected_once(
    topics: Topics, start_scheduler: StartScheduler
) -> None:
    bad = invalid_records(topics)[:9]  # a load fires long-past schedules as missed instead
    produce(topics.bootstrap, topics.schedules, bad, partition=1)
    first = start_scheduler()
    fire_marker(topics, partition=1)
    assert first.metrics.value(Event.INVALID) == len(bad)
    first.close()
    second = start_scheduler()
    fire_marker(topics, partition=1)
    assert second.metrics.value(Event.INVALID) == 0, "the tombstones ended them"
    assert payloads(topics) == []


@pytest.mark.parametrize(
    ("grace", "seconds_ago", "fires"),
    [("0", 0, True), ("0", 1, False), ("1", 1, True)],
    ids=["current-second", "one-second-late", "late-within-grace"],
)
def test_grace_interval_for_live_past_due_schedules(
    topics: Topics, start_scheduler: StartScheduler, grace: str, seconds_ago: int, fires: bool
) -> None:
    scheduler = start_scheduler(SCHEDULE_GRACE_INTERVAL=grace)
    while time.time() % 1 > 0.3:  # leave the rest of the second for the round trip
        time.sleep(0.01)
    epoch = str(int(time.time()) - seconds_ago)
    produce(
        topics.bootstrap,
        topics.schedules,
        [(b"late", b"late", schedule_headers(epoch, topics.target))],
        partition=0,
    )
    fire_marker(topics, partition=0)
    assert payloads(topics) == ([b"late"] if fires else [])
    assert scheduler.metrics.value(Event.INVALID) == (0 if fires else 1)
    tombstones = [m for m in read_all(topics.bootstrap, topics.schedules) if m.value() is None]
    assert b"late" in {m.key() for m in tombstones}


def test_several_schedules_topics(
    topics: Topics, start_scheduler: StartScheduler, topic_factory: Callable[..., str]
) -> None:
    second_topic = topic_factory(partitions=1, compacted=True, prefix="schedules-b")
    start_scheduler(expect_partitions=4, SCHEDULES_TOPICS=f"{topics.schedules}, {second_topic}")
    due = time.time() + 1.5
    for topic in (topics.schedules, second_topic):
        produce(
            topics.bootstrap, topic, [(topic.encode(), b"x", schedule_headers(due, topics.target))]
        )
    fired = read_count(topics.bootstrap, topics.target, 2)
    assert {dict(m.headers() or [])["scheduler-topic"] for m in fired} == {
        topics.schedules.encode(),
        second_topic.encode(),
    }
    for topic in (topics.schedules, second_topic):
        log = read_count(topics.bootstrap, topic, 2)
        assert [m.value() for m in log] == [b"x", None]


def test_yaml_configuration_cannot_override_bootstrap_servers(
    topics: Topics, start_scheduler: StartScheduler, tmp_path: Path
) -> None:
    config = tmp_path / "scheduler.yaml"
    config.write_text(
        "kafka:\n"
        "  common:\n    configuration:\n      bootstrap.servers: undefined\n"
        "  producer:\n    configuration:\n      bootstrap.servers: undefined\n"
        "      compression.codec: zstd\n      batch.size: 65536\n"
        "  consumer:\n    configuration:\n      bootstrap.servers: undefined\n"
        "      heartbeat.interval.ms: 1000\n"
    )
    start_scheduler(CONFIGURATION_FILE=str(config))
    produce(
        topics.bootstrap,
        topics.schedules,
        [(b"yaml", b"yaml", schedule_headers(time.time() + 1, topics.target))],
    )
    assert [m.value() for m in read_count(topics.bootstrap, topics.target, 1)] == [b"yaml"]


def test_counters_after_a_mixed_scenario(topics: Topics, start_scheduler: StartScheduler) -> None:
    produce(
        topics.bootstrap,
        topics.schedules,
        [(b"missed", b"missed", schedule_headers(time.time() - 5, topics.target))],
        partition=0,
        written_s=time.time() - 10,  # in time: only the scheduler's absence makes it late
    )
    scheduler = start_scheduler()
    now = time.time()
    produce(
        topics.bootstrap,
        topics.schedules,
        [
            (b"invalid", b"x", schedule_headers("-1", topics.target)),
            (b"deleted", b"x", schedule_headers(now + 30, topics.target)),
            (b"fires", b"fires", schedule_headers(now + 1, topics.target)),
            (b"deleted", None, []),
        ],
        partition=0,
    )
    read_count(topics.bootstrap, topics.target, 2)
    fire_marker(topics, partition=0)
    wait_counted(scheduler, Event.TRIGGERED, 2)
    metrics = scheduler.metrics
    assert {event: metrics.value(event) for event in Event} == {
        Event.PLANNED: 3,  # deleted, fires, marker
        Event.TRIGGERED: 2,  # fires, marker
        Event.MISSED: 1,
        Event.INVALID: 1,
        Event.DELETED: 1,  # the scheduler's own tombstones are not counted
        Event.FAILED: 0,
        Event.DEAD_LETTERED: 0,
        Event.SKIPPED: 0,
    }
    assert metrics.registry.get_sample_value("kafka_scheduler_trigger_lateness_seconds_count") == 3
    assert metrics.registry.get_sample_value("kafka_scheduler_pending_schedules") == 0
    assert metrics.registry.get_sample_value("kafka_scheduler_loading_partitions") == 0


@pytest.mark.parametrize("exactly_once", ["true", "false"])
def test_unknown_target_topic_goes_to_the_dead_letter_topic(
    topics: Topics,
    start_scheduler: StartScheduler,
    topic_factory: Callable[..., str],
    exactly_once: str,
) -> None:
    dead_letter = topic_factory(prefix="dlq")
    scheduler = start_scheduler(DEAD_LETTER_TOPIC=dead_letter, EXACTLY_ONCE=exactly_once)
    produce(
        topics.bootstrap,
        topics.schedules,
        [(b"lost", b"payload", schedule_headers(time.time() + 1, "no-such-topic"))],
        partition=0,
    )
    [letter] = read_count(topics.bootstrap, dead_letter, 1, timeout=60)
    assert letter.key() == b"lost" and letter.value() == b"payload"
    assert b"nknown" in dict(letter.headers() or [])["scheduler-error"]
    log = read_count(topics.bootstrap, topics.schedules, 2)
    assert [m.value() for m in log] == [b"payload", None]
    wait_counted(scheduler, Event.DEAD_LETTERED, 1)


def test_unknown_target_topic_without_dead_letter_topic_is_counted_and_kept(
    topics: Topics, start_scheduler: StartScheduler
) -> None:
    scheduler = start_scheduler()
    produce(
        topics.bootstrap,
        topics.schedules,
        [(b"stuck", b"payload", schedule_headers(time.time() + 1, "no-such-topic"))],
        partition=0,
    )
    wait_for(lambda: scheduler.metrics.value(Event.FAILED) == 1, 60, "the failure")
    fire_marker(topics, partition=0)
    log = read_all(topics.bootstrap, topics.schedules)
    assert [m.value() for m in log if m.key() == b"stuck"] == [b"payload"], "not tombstoned"


@pytest.mark.parametrize("dead_letter", [True, False])
def test_a_payload_too_large_for_its_target_is_dead_lettered_or_counted_once(
    topics: Topics,
    start_scheduler: StartScheduler,
    topic_factory: Callable[..., str],
    dead_letter: bool,
) -> None:
    """The target topic takes records of at most 1,000 bytes: the broker refuses this one
    for good. It must not be retried forever, nor hold up the schedule beside it."""
    small = topic_factory(prefix="small", config={"max.message.bytes": "1000"})
    letters = topic_factory(prefix="dlq") if dead_letter else ""
    scheduler = start_scheduler(DEAD_LETTER_TOPIC=letters)
    due = time.time() + 1
    produce(
        topics.bootstrap,
        topics.schedules,
        [
            (b"big", b"x" * 5000, schedule_headers(due, small)),
            (b"fits", b"ok", schedule_headers(due, small)),
        ],
        partition=0,
    )
    [fired] = read_count(topics.bootstrap, small, 1)
    assert fired.value() == b"ok"
    if dead_letter:
        [letter] = read_count(topics.bootstrap, letters, 1)
        assert letter.key() == b"big" and len(letter.value() or b"") == 5000
        wait_counted(scheduler, Event.DEAD_LETTERED, 1)
    else:
        wait_for(lambda: scheduler.metrics.value(Event.FAILED) == 1, 30, "the failure")
    fire_marker(topics, partition=0)
    assert scheduler.metrics.value(Event.FAILED) == (0 if dead_letter else 1)
    assert [m.value() for m in read_all(topics.bootstrap, small)] == [b"ok"]


def test_garbage_at_volume_beside_valid_schedules(
    topics: Topics, start_scheduler: StartScheduler
) -> None:
    """3,000 invalid records of every kind interleaved with 300 valid schedules in every
    partition: every valid one fires, every invalid one is counted once."""
    scheduler = start_scheduler()
    kinds = invalid_records(topics)
    records: list[tuple[bytes | None, bytes | None, list[Header]]] = []
    due = time.time() + 4
    for i in range(300):
        records.append((f"valid-{i}".encode(), b"ok", schedule_headers(due, topics.target)))
        for n, (key, value, headers) in enumerate(kinds):
            records.append((key + f"-{i}-{n}".encode() if key.strip() else key, value, headers))
    produce(topics.bootstrap, topics.schedules, records)
    read_count(topics.bootstrap, topics.target, 300, timeout=60)
    wait_counted(scheduler, Event.INVALID, 300 * len(kinds), timeout=60)
    fired = read_all(topics.bootstrap, topics.target)
    assert [m.value() for m in fired] == [b"ok"] * 300
    late = max(m.timestamp()[1] / 1000 - due for m in fired)
    print(f"\nworst lateness of the valid schedules: {late:.3f} s")


def test_a_history_copy_refused_for_good_fails_its_schedule_alone(
    topics: Topics, start_scheduler: StartScheduler, topic_factory: Callable[..., str]
) -> None:
    """With exactly-once the history copy is in the same transaction as the target: its
    refusal must fail that one schedule, not hold every batch it lands in."""
    small_history = topic_factory(prefix="history", config={"max.message.bytes": "1000"})
    scheduler = start_scheduler(HISTORY_TOPIC=small_history)
    due = time.time() + 1
    produce(
        topics.bootstrap,
        topics.schedules,
        [
            (b"big", b"x" * 5000, schedule_headers(due, topics.target)),
            (b"fits", b"ok", schedule_headers(due, topics.target)),
        ],
        partition=0,
    )
    wait_for(lambda: scheduler.metrics.value(Event.FAILED) == 1, 30, "the failure")
    fire_marker(topics, partition=0)
    for topic in (topics.target, small_history):
        values = [m.value() or b"" for m in read_all(topics.bootstrap, topic)]
        assert [v for v in values if not v.startswith(MARKER.encode())] == [b"ok"]
    assert scheduler.metrics.value(Event.FAILED) == 1

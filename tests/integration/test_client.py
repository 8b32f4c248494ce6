"""Records built by the client library, produced with a plain confluent-kafka producer,
through a running scheduler and the real broker."""

from __future__ import annotations

import time

from confluent_kafka import Message, Producer

from app.client import (
    Backoff,
    ProduceArgs,
    RetryPolicy,
    delete_schedule,
    is_retried_message,
    is_scheduler_message,
    schedule,
    schedule_retry,
)
from tests.kafka_io import read_all, read_count, wait_for
from tests.scheduler_fixtures import StartScheduler, Topics

FAST_RETRY = RetryPolicy(strategy=Backoff(minimum=1, maximum=1))


def produce(topics: Topics, *records: ProduceArgs, partition: int = -1) -> None:
    producer = Producer(
        {"bootstrap.servers": topics.bootstrap, "acks": "all", "partitioner": "murmur2_random"}
    )
    for record in records:
        producer.produce(**record, partition=partition)
    assert producer.flush(30) == 0


def headers(message: Message) -> dict[str, bytes]:
    return {name: value for name, value in message.headers() or [] if isinstance(value, bytes)}


def test_schedule_fires_then_its_retries_come_back_with_their_headers(
    topics: Topics, start_scheduler: StartScheduler
) -> None:
    start_scheduler()
    due = time.time() + 1.5
    record = schedule(
        "order-42",
        due,
        topics.target,
        b"payload",
        target_key="order-42-key",
        headers=[("trace", "abc")],
        topic=topics.schedules,
    )
    produce(topics, record)
    [fired] = read_count(topics.bootstrap, topics.target, 1)
    assert (fired.key(), fired.value()) == (b"order-42-key", b"payload")
    assert [name for name, _ in fired.headers() or []] == [
        "trace",
        "scheduler-epoch",
        "scheduler-target-topic",
        "scheduler-target-key",
        "scheduler-timestamp",
        "scheduler-key",
        "scheduler-topic",
    ]
    assert headers(fired)["scheduler-key"] == b"order-42"
    assert fired.timestamp()[1] >= int(due * 1000)
    assert is_scheduler_message(fired) and not is_retried_message(fired)

    produce(
        topics, schedule_retry(fired, "order-42-retry", policy=FAST_RETRY, topic=topics.schedules)
    )
    retried = read_count(topics.bootstrap, topics.target, 2)[1]
    assert (retried.key(), retried.value()) == (b"order-42-key", b"payload")
    assert is_retried_message(retried)
    original_s = str(fired.timestamp()[1] // 1000).encode()
    assert headers(retried)["retry-attempt"] == b"1"
    assert headers(retried)["retry-original-timestamp"] == original_s
    assert headers(retried)["trace"] == b"abc"

    produce(
        topics, schedule_retry(retried, "order-42-retry", policy=FAST_RETRY, topic=topics.schedules)
    )
    again = read_count(topics.bootstrap, topics.target, 3)[2]
    assert headers(again)["retry-attempt"] == b"2"
    assert headers(again)["retry-original-timestamp"] == original_s


def test_delete_cancels_a_pending_schedule(topics: Topics, start_scheduler: StartScheduler) -> None:
    scheduler = start_scheduler()
    now = time.time()
    # One partition: schedules fire in due order there, so once the later marker is in the
    # target, the deleted one would be too had it not been cancelled.
    produce(
        topics,
        schedule("doomed", now + 1.5, topics.target, "doomed", topic=topics.schedules),
        partition=0,
    )
    wait_for(lambda: [s.id for s in scheduler.schedules()] == [b"doomed"], 10, "planned")
    produce(topics, delete_schedule("doomed", topic=topics.schedules), partition=0)
    wait_for(lambda: not scheduler.schedules(), 10, "the delete")
    marker_due = max(now + 2, time.time() + 1)
    produce(
        topics,
        schedule("marker", marker_due, topics.target, "marker", topic=topics.schedules),
        partition=0,
    )
    fired = read_all(
        topics.bootstrap, topics.target, lambda ms: any(m.value() == b"marker" for m in ms)
    )
    assert [m.value() for m in fired] == [b"marker"]

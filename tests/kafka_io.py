"""Small, bounded helpers to write schedules and read topics back in integration tests."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence

from confluent_kafka import OFFSET_BEGINNING, Consumer, Message, Producer, TopicPartition

from tools.wait import wait_for

__all__ = ["produce", "read_all", "read_count", "schedule_headers", "wait_for"]

Header = tuple[str, str | bytes | None]


def schedule_headers(
    epoch: float | str, target: str, target_key: bytes | None = None
) -> list[Header]:
    epoch_text = epoch if isinstance(epoch, str) else f"{epoch:.3f}"
    headers: list[Header] = [
        ("scheduler-epoch", epoch_text.encode()),
        ("scheduler-target-topic", target.encode()),
    ]
    if target_key is not None:
        headers.append(("scheduler-target-key", target_key))
    return headers


def produce(
    bootstrap: str,
    topic: str,
    records: Sequence[tuple[bytes | None, bytes | None, list[Header]]],
    partition: int | None = None,
    written_s: float | None = None,
) -> list[Message]:
    """Write records with acks=all and return their delivery reports (with offsets).
    ``written_s``: the records' timestamp, when not now (written before a restart)."""
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
    delivered: list[Message] = []

    def on_delivery(error: object, message: Message) -> None:
        assert error is None, error
        delivered.append(message)

    for key, value, headers in records:
        producer.produce(
            topic,
            value,
            key,
            partition=-1 if partition is None else partition,
            timestamp=0 if written_s is None else round(written_s * 1000),
            headers=headers,
            on_delivery=on_delivery,
        )
    assert producer.flush(30) == 0
    return delivered


def read_all(
    bootstrap: str,
    topic: str,
    until: Callable[[list[Message]], bool] | None = None,
    timeout: float = 20.0,
    committed: bool = True,
) -> list[Message]:
    """Every record of ``topic`` from the start: until ``until`` holds for what was read or,
    without it, until every partition is at its end. Bounded by ``timeout``. Only committed
    records unless ``committed`` is false (then aborted and open transactions' too)."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"reader-{uuid.uuid4().hex}",
            "enable.partition.eof": True,
            "enable.auto.commit": False,
            "isolation.level": "read_committed" if committed else "read_uncommitted",
        }
    )
    try:
        metadata = consumer.list_topics(topic, timeout=10)
        partitions = set(metadata.topics[topic].partitions)
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        messages: list[Message] = []
        at_end: set[int] = set()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in consumer.consume(500, 0.2):
                if message.error() is None:
                    messages.append(message)
                    at_end.discard(message.partition() or 0)
                else:
                    at_end.add(message.partition() or 0)
            if at_end >= partitions if until is None else until(messages):
                return messages
        raise AssertionError(f"{topic}: condition not met in {timeout} s, read {len(messages)}")
    finally:
        consumer.close()


def read_count(
    bootstrap: str, topic: str, count: int, timeout: float = 30.0, committed: bool = True
) -> list[Message]:
    """Wait until ``topic`` holds at least ``count`` records; return them all."""
    return read_all(bootstrap, topic, lambda messages: len(messages) >= count, timeout, committed)

"""The ceiling: records per second a plain confluent-kafka producer gets acknowledged by the
same broker, with the record size the scheduler writes. Firing one schedule writes three
records (target, history copy, tombstone), so ceiling / 3 is the fire rate of a scheduler
that cost nothing. The same producer fills the topics of the load-rate run, as fast as it
goes."""

from __future__ import annotations

import time
from collections.abc import Iterable

from confluent_kafka import Producer

from tools.kafka.topics import create_topic, unique_name

Headers = list[tuple[str, str | bytes | None]]
FLUSH_TIMEOUT_S = 120

PRODUCER_CONFIG = {"acks": "all", "linger.ms": 5}
"""``acks=all`` like the scheduler; a short linger fills batches without holding records."""


def produce_all(bootstrap: str, topic: str, records: Iterable[tuple[bytes, bytes, Headers]]) -> int:
    """Write every (key, value, headers) and wait for the acknowledgements; the count."""
    producer = Producer({"bootstrap.servers": bootstrap, **PRODUCER_CONFIG})
    count = 0
    for key, value, headers in records:
        while True:
            try:
                producer.produce(topic, value, key, headers=headers)
                break
            except BufferError:  # the local queue is full: let deliveries drain it
                producer.poll(0.05)
        count += 1
    if producer.flush(FLUSH_TIMEOUT_S):
        raise RuntimeError(f"records to {topic} not acknowledged in {FLUSH_TIMEOUT_S} s")
    return count


def producer_ceiling(bootstrap: str, count: int, payload_bytes: int) -> float:
    """The rate of a second pass of ``count`` records: the first warms the broker's JIT, which
    would otherwise understate the ceiling and so flatter the fire rate's ratio to it."""
    topic = create_topic(bootstrap, unique_name("ceiling"), 3)
    value = b"p" * payload_bytes

    def one_pass() -> None:
        produce_all(bootstrap, topic, ((str(n).encode(), value, []) for n in range(count)))

    one_pass()
    began = time.perf_counter()
    one_pass()
    return count / (time.perf_counter() - began)

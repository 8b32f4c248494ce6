"""Writing schedule records from the command line: acknowledged by every replica, placed by
the murmur2 partitioner like the API's writes (an update or delete of an id must reach the
partition that holds it), with a one-line progress bar for bulk loads."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import TextIO

from confluent_kafka import KafkaError, Message, Producer

from app.cli.common import LIBRDKAFKA, Failed
from app.client import ProduceArgs
from app.config import Settings

DELIVERY_TIMEOUT_MS = 30_000
"""A command gives up on a record after this long, not librdkafka's five minutes."""


class Progress:
    """``[#####-----] 120/240`` redrawn in place on a terminal; silent on a pipe or a file,
    where carriage returns would only clutter a log."""

    WIDTH = 30

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.total = total
        self.stream = stream or sys.stderr  # the one of the moment, not the one at import
        self.enabled = total > 1 and self.stream.isatty()
        self._drawn = 0.0

    def show(self, done: int, force: bool = False) -> None:
        now = time.monotonic()
        if not self.enabled or (not force and now - self._drawn < 0.1):
            return
        self._drawn = now
        filled = self.WIDTH * done // self.total
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        self.stream.write(f"\r[{bar}] {done}/{self.total} acknowledged")
        self.stream.flush()

    def end(self, done: int) -> None:
        self.show(done, force=True)
        if self.enabled:
            self.stream.write("\n")


def write(settings: Settings, records: Sequence[ProduceArgs]) -> list[Message]:
    """Produce ``records`` and wait for every acknowledgement; return the acknowledged
    records. Raises ``Failed`` naming how many were refused and the first reason."""
    producer = Producer(
        {
            "message.timeout.ms": DELIVERY_TIMEOUT_MS,
            **settings.producer_config(),
            "acks": "all",
            "enable.idempotence": True,
            "partitioner": "murmur2_random",
        },
        logger=LIBRDKAFKA,
    )
    for topic in {record["topic"] for record in records}:
        # Asked first: a missing topic would otherwise show only as a timeout, 30 s later.
        metadata = producer.list_topics(topic, timeout=10).topics.get(topic)
        if metadata is None or metadata.error is not None:
            reason = "not found" if metadata is None else metadata.error.str()
            raise Failed(f"schedules topic {topic!r} cannot be written: {reason}")
    delivered: list[Message] = []
    errors: list[KafkaError] = []

    def on_delivery(error: KafkaError | None, message: Message) -> None:
        if error is None:
            delivered.append(message)
        else:
            errors.append(error)

    progress = Progress(len(records))
    for record in records:
        while True:
            try:
                producer.produce(**record, on_delivery=on_delivery)
                break
            except BufferError:  # the local queue is full: let acknowledgements drain it
                producer.poll(0.1)
        producer.poll(0)
        progress.show(len(delivered))
    while producer.flush(0.1) > 0:
        progress.show(len(delivered))
    progress.end(len(delivered))
    if errors:
        raise Failed(f"{len(errors)} of {len(records)} record(s) not written: {errors[0].str()}")
    return delivered

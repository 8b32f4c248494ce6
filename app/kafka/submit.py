"""Writes schedule records for the REST API, exactly as a Java client would.

A separate producer from the one that fires: it always uses the murmur2 partitioner (what
Java and most other clients use), whatever the YAML sets for target records, and the caller
waits for the broker's acknowledgement.
"""

from __future__ import annotations

import threading

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from app.config import Settings
from app.engine import Written
from app.engine.schedule import Header

ACK_TIMEOUT_S = 15.0


class ScheduleWriter:
    def __init__(self, settings: Settings) -> None:
        self._producer = Producer(
            {
                **settings.producer_config(),
                "acks": "all",
                "enable.idempotence": True,
                "partitioner": "murmur2_random",
                "linger.ms": 0,
            }
        )
        self._closing = threading.Event()
        self._poller = threading.Thread(target=self._serve, name="api-writer", daemon=True)
        self._poller.start()

    def write(
        self,
        topic: str,
        key: bytes,
        value: bytes | None,
        headers: list[Header],
        partition: int | None = None,
    ) -> Written:
        """Produce and wait for the acknowledgement; raise ``KafkaException`` on failure."""
        done = threading.Event()
        outcome: list[Message | KafkaError] = []

        def on_delivery(error: KafkaError | None, message: Message) -> None:
            outcome.append(message if error is None else error)
            done.set()

        self._producer.produce(
            topic,
            value,
            key,
            partition=-1 if partition is None else partition,
            headers=headers,
            on_delivery=on_delivery,
        )
        if not done.wait(ACK_TIMEOUT_S):
            raise KafkaException(KafkaError(KafkaError._TIMED_OUT, "no acknowledgement"))
        result = outcome[0]
        if isinstance(result, KafkaError):
            raise KafkaException(result)
        return Written(
            result.topic() or topic,
            result.partition() or 0,
            result.offset() or 0,
            result.timestamp()[1],
        )

    def close(self) -> None:
        self._producer.flush(ACK_TIMEOUT_S)
        self._closing.set()
        self._poller.join()

    def _serve(self) -> None:
        """Runs the delivery callbacks as soon as they come, for every waiting request: a
        request that polled for its own report waited out the poll's timeout whenever
        another request's poll had served it."""
        while not self._closing.is_set():
            self._producer.poll(0.1)

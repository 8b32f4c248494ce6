"""Reads the schedules topics and tells the engine where each partition's load ends.

A partition is loaded from its log start up to the high watermark taken when it is
assigned; records after that are live. Record timestamps play no part in it (the original's
"older than one second" rule let late deletes be ignored). Offsets are never committed: the
group only shares the partitions out, every assignment replays its log.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    TopicPartition,
)

from app.config import Settings
from app.engine import Engine

log = logging.getLogger(__name__)

WATERMARK_TIMEOUT_S = 10.0


def consumer_config(settings: Settings) -> dict[str, str | int | float | bool]:
    return {
        "broker.address.family": "v4",
        "fetch.wait.max.ms": 100,
        **settings.consumer_config(),
        "session.timeout.ms": settings.session_timeout_ms,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "partition.assignment.strategy": "cooperative-sticky",
        "enable.partition.eof": True,
        "isolation.level": "read_committed",
    }


class ScheduleConsumer:
    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        lock: threading.Lock,
        before_revoke: Callable[[], None],
    ) -> None:
        self._settings = settings
        self._engine = engine
        self._lock = lock
        self._before_revoke = before_revoke
        self._consumer = Consumer(consumer_config(settings))
        self._load_end: dict[tuple[str, int], int] = {}
        self.joined = False
        """Whether the group gave this member its first assignment (perhaps empty): until
        then nobody knows which schedules it will hold."""

    def subscribe(self) -> None:
        self._consumer.subscribe(
            list(self._settings.schedules_topics),
            on_assign=self._on_assign,
            on_revoke=self._on_revoke,
            on_lost=self._on_lost,
        )

    def consume(self, timeout: float) -> list[Message]:
        return self._consumer.consume(1000, timeout)

    def apply(self, messages: list[Message]) -> None:
        """Feed a batch to the engine; the caller holds the lock."""
        load_end = self._load_end
        engine = self._engine
        for message in messages:
            error = message.error()
            if error is not None:
                self._on_error(message, error)
                continue
            try:
                engine.apply(message)
            except Exception:
                log.exception(
                    "record %s[%s]@%s could not be applied",
                    message.topic(),
                    message.partition(),
                    message.offset(),
                )
            if load_end:
                tp = (message.topic() or "", message.partition() or 0)
                end = load_end.get(tp)
                if end is not None and (message.offset() or 0) >= end - 1:
                    self._finish_load(tp)

    def close(self) -> None:
        self._consumer.close()

    def _on_error(self, message: Message, error: KafkaError) -> None:
        if error.code() == KafkaError._PARTITION_EOF:
            tp = (message.topic() or "", message.partition() or 0)
            if tp in self._load_end:
                self._finish_load(tp)
        elif error.fatal():
            raise KafkaException(error)
        else:
            log.warning("consumer: %s", error.str())

    def _finish_load(self, tp: tuple[str, int]) -> None:
        del self._load_end[tp]
        self._engine.finish_load(*tp)
        log.info("loaded %s[%d]", *tp)

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        with self._lock:
            self.joined = True
            for tp in partitions:
                key = (tp.topic, tp.partition)
                self._engine.assign(*key)
                try:
                    low, high = consumer.get_watermark_offsets(
                        tp, timeout=WATERMARK_TIMEOUT_S, cached=False
                    )
                except KafkaException as error:
                    log.warning("no watermarks for %s[%d] (%s): loading to its end", *key, error)
                    self._load_end[key] = -1
                    continue
                if high <= low:
                    self._engine.finish_load(*key)
                else:
                    self._load_end[key] = high
                log.info("assigned %s[%d], loading offsets %d..%d", *key, low, high)
        consumer.incremental_assign(
            [TopicPartition(tp.topic, tp.partition, OFFSET_BEGINNING) for tp in partitions]
        )

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        # Writes already started finish first, so the next owner reads their tombstones.
        self._before_revoke()
        self._drop(consumer, partitions)

    def _on_lost(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._drop(consumer, partitions)

    def _drop(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        with self._lock:
            for tp in partitions:
                self._load_end.pop((tp.topic, tp.partition), None)
                dropped = self._engine.revoke(tp.topic, tp.partition)
                log.info("revoked %s[%d], dropped %d schedules", tp.topic, tp.partition, dropped)
        consumer.incremental_unassign(partitions)

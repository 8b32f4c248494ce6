"""Reads the schedules topics and tells the engine where each partition's load ends.

A partition is loaded from its log start up to the high watermark taken when it is
assigned; records after that are live. Record timestamps play no part in it (the original's
"older than one second" rule let late deletes be ignored). The group's committed offsets are
never read: the group shares the partitions out, every assignment replays its log, and the
offsets that transactions commit are there to fence zombies (and to show lag).

Reading is ``read_committed``, and the load ends at the high watermark, not at the last
stable offset: an open transaction of the previous owner (whose tombstones may follow) holds
the load until it commits or aborts, so nothing it fired fires again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    IsolationLevel,
    KafkaError,
    KafkaException,
    Message,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient, OffsetSpec  # type: ignore[attr-defined]

from app.config import Settings
from app.engine import Engine
from app.kafka.memory import release_free_memory

log = logging.getLogger(__name__)

WATERMARK_TIMEOUT_S = 5.0
END_RETRY_S = 1.0
_LATEST = OffsetSpec.latest()  # type: ignore[no-untyped-call]


def consumer_config(settings: Settings) -> dict[str, str | int | float | bool]:
    return {
        "broker.address.family": "v4",
        "fetch.wait.max.ms": 100,
        # Three heartbeats per session, so that a short SESSION_TIMEOUT does not expire.
        "heartbeat.interval.ms": max(100, settings.session_timeout_ms // 3),
        **settings.consumer_config(),
        "session.timeout.ms": settings.session_timeout_ms,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "partition.assignment.strategy": "cooperative-sticky",
        "enable.partition.eof": True,
        "isolation.level": "read_committed",
        # The group's member list is how instances find each other's API (app/kafka/peers).
        **({"client.id": settings.advertised_url} if settings.advertised_url else {}),
    }


class ScheduleConsumer:
    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        lock: threading.Lock,
        before_revoke: Callable[[list[tuple[str, int]]], None],
    ) -> None:
        self._settings = settings
        self._engine = engine
        self._lock = lock
        self._before_revoke = before_revoke
        self._consumer = Consumer(consumer_config(settings))
        self._admin = AdminClient(settings.admin_config())
        self._load_end: dict[tuple[str, int], int] = {}
        self._end_unknown: dict[tuple[str, int], int] = {}
        """Loading partitions whose high watermark could not be read yet (no leader), with
        the offset after the last record or end-of-partition event of this assignment
        (the consumer's ``position()`` can still be the previous assignment's)."""
        self._end_retry_at = 0.0
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

    def fencing(self, sources: set[tuple[str, int]]) -> tuple[list[TopicPartition], Any]:
        """Offsets to commit in a transaction that wrote for ``sources``, and the group
        metadata whose generation makes the broker refuse it from a zombie."""
        positions = self._consumer.position([TopicPartition(t, p) for t, p in sorted(sources)])
        offsets = [tp for tp in positions if tp.offset >= 0]
        return offsets, self._consumer.consumer_group_metadata()

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
            except OSError:
                raise  # the schedule file failed (a full disk): skipping would lose schedules
            except Exception:
                log.exception(
                    "record %s[%s]@%s could not be applied",
                    message.topic(),
                    message.partition(),
                    message.offset(),
                )
            if load_end or self._end_unknown:
                tp = (message.topic() or "", message.partition() or 0)
                end = load_end.get(tp)
                if end is not None and (message.offset() or 0) >= end - 1:
                    self._finish_load(tp)
                elif tp in self._end_unknown:
                    self._end_unknown[tp] = (message.offset() or 0) + 1

    def close(self) -> None:
        self._consumer.close()

    def _on_error(self, message: Message, error: KafkaError) -> None:
        if error.code() == KafkaError._PARTITION_EOF:
            tp = (message.topic() or "", message.partition() or 0)
            end = self._load_end.get(tp)
            # Before the end, the end of what is committed so far: an open transaction.
            if end is not None and (message.offset() or 0) >= end:
                self._finish_load(tp)
            elif tp in self._end_unknown:
                self._end_unknown[tp] = message.offset() or 0
        elif error.fatal():
            raise KafkaException(error)
        else:
            log.warning("consumer: %s", error.str())

    def find_load_ends(self) -> None:
        """Ask again for the high watermarks that could not be read when the partitions
        were assigned (without the lock: it waits on the network)."""
        if not self._end_unknown or time.monotonic() < self._end_retry_at:
            return
        self._end_retry_at = time.monotonic() + END_RETRY_S
        ends = self._high_watermarks([TopicPartition(t, p) for t, p in self._end_unknown])
        with self._lock:
            for key, end in ends.items():
                reached = self._end_unknown.pop(key, None)
                if reached is None:
                    continue  # revoked meanwhile
                self._load_end[key] = end
                log.info("%s[%d] loads up to offset %d", *key, end)
                if reached >= end:
                    self._finish_load(key)

    def _finish_load(self, tp: tuple[str, int]) -> None:
        del self._load_end[tp]
        self._engine.finish_load(*tp)
        log.info("loaded %s[%d]", *tp)
        if not self._load_end and not self._end_unknown:
            release_free_memory()

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        ends = self._high_watermarks(partitions)
        with self._lock:
            self.joined = True
            for tp in partitions:
                key = (tp.topic, tp.partition)
                self._engine.assign(*key)
                end = ends.get(key)
                if end is None:
                    log.warning("no high watermark for %s[%d] yet: its load waits", *key)
                    self._end_unknown[key] = 0
                elif end == 0:
                    self._engine.finish_load(*key)
                else:
                    self._load_end[key] = end
                log.info("assigned %s[%d], loading up to offset %s", *key, end)
        consumer.incremental_assign(
            [TopicPartition(tp.topic, tp.partition, OFFSET_BEGINNING) for tp in partitions]
        )

    def _high_watermarks(self, partitions: list[TopicPartition]) -> dict[tuple[str, int], int]:
        """Offsets after the last record of each partition, open transactions included
        (which a ``read_committed`` consumer's own watermarks leave out); partitions whose
        leader did not answer are left out."""
        if not partitions:
            return {}
        ends: dict[tuple[str, int], int] = {}
        errors = []
        try:
            futures = self._admin.list_offsets(
                {TopicPartition(tp.topic, tp.partition): _LATEST for tp in partitions},
                isolation_level=IsolationLevel.READ_UNCOMMITTED,
                request_timeout=WATERMARK_TIMEOUT_S,
            )
            for tp, future in futures.items():
                try:
                    offset = future.result(WATERMARK_TIMEOUT_S).offset
                except (KafkaException, TimeoutError) as error:
                    errors.append(f"{tp.topic}[{tp.partition}]: {error!r}")
                    continue
                if offset < 0:  # no error, no offset: seen while a leader moves
                    errors.append(f"{tp.topic}[{tp.partition}]: offset {offset}")
                else:
                    ends[(tp.topic, tp.partition)] = offset
        except KafkaException as error:
            errors.append(repr(error))
        if errors:
            # Its metadata can stay stale after a broker restart (FENCED_LEADER_EPOCH).
            self._admin = AdminClient(self._settings.admin_config())
            log.warning("high watermarks not read: %s", "; ".join(errors[:3]))
        return ends

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        # Writes already started finish first, so the next owner reads their tombstones.
        self._before_revoke([(tp.topic, tp.partition) for tp in partitions])
        self._drop(consumer, partitions)

    def _on_lost(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._drop(consumer, partitions)

    def _drop(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        with self._lock:
            for tp in partitions:
                self._load_end.pop((tp.topic, tp.partition), None)
                self._end_unknown.pop((tp.topic, tp.partition), None)
                dropped = self._engine.revoke(tp.topic, tp.partition)
                log.info("revoked %s[%d], dropped %d schedules", tp.topic, tp.partition, dropped)
        consumer.incremental_unassign(partitions)

"""Executes the engine's actions with one idempotent producer.

A fired schedule is written as target, then history and tombstone once the target is
acknowledged: a target that fails must not lose its schedule. Passing failures are retried
with back-off through the engine's queue, so a stuck target never holds up other schedules;
permanent ones go to the dead-letter topic when there is one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from app.config import Settings
from app.engine import Action, Engine, Event, Fire, Reject, Rewrite, Schedule, Tombstone
from app.engine.schedule import ERROR, TOMBSTONE_OF, Header, output_headers, rewrite_headers
from app.kafka.errors import is_permanent
from app.metrics import Metrics

log = logging.getLogger(__name__)

RETRY_MIN_MS = 200
RETRY_MAX_MS = 30_000

DeliveryCallback = Callable[[KafkaError | None, Message], None]


def producer_config(settings: Settings) -> dict[str, str | int | float | bool]:
    return {
        "acks": "all",
        "enable.idempotence": True,
        "linger.ms": 5,
        "message.timeout.ms": 30_000,
        # A target topic that does not exist fails in seconds, not after the message timeout.
        "topic.metadata.propagation.max.ms": 5_000,
        "partitioner": "murmur2_random",
        **settings.producer_config(),
    }


class ActionWriter:
    def __init__(self, settings: Settings, engine: Engine, metrics: Metrics) -> None:
        self._settings = settings
        self._engine = engine
        self._metrics = metrics
        self._producer = Producer(producer_config(settings))
        self._attempts: dict[tuple[str, int, bytes], int] = {}

    @property
    def producer(self) -> Producer:
        return self._producer

    def execute(self, actions: list[Action]) -> None:
        for action in actions:
            if isinstance(action, Fire):
                self._fire(action)
            elif isinstance(action, Reject):
                self._reject(action)
            elif isinstance(action, Rewrite):
                self._rewrite(action.schedule)
            else:
                self._tombstone(action)

    def poll(self, timeout: float = 0) -> None:
        self._producer.poll(timeout)

    def flush(self, timeout: float) -> int:
        """Wait for every write, including those that acknowledgements start."""
        return self._producer.flush(timeout)

    # -- fire ------------------------------------------------------------------------------

    def _fire(self, fire: Fire) -> None:
        schedule = fire.schedule
        headers = output_headers(schedule)
        written_ms = self._engine.now_ms()

        def on_target(error: KafkaError | None, message: Message) -> None:
            if error is None:
                acked_ms = written_ms + int((message.latency() or 0) * 1000)
                self._fired(fire, headers, acked_ms)
            else:
                self._fire_failed(fire, headers, error)

        self._produce(
            schedule.target_topic, schedule.target_key, schedule.value, headers, on_target
        )

    def _fired(self, fire: Fire, headers: list[Header], acked_ms: int) -> None:
        schedule = fire.schedule
        self._attempts.pop((schedule.topic, schedule.partition, schedule.id), None)
        self._metrics.lateness.observe(max(0, acked_ms - schedule.due_ms) / 1000)
        self._metrics.count(Event.MISSED if fire.missed else Event.TRIGGERED)
        self._produce(
            self._settings.history_topic,
            schedule.target_key,
            schedule.value,
            headers,
            self._log_failure("history"),
        )
        self._tombstone(
            Tombstone(schedule.topic, schedule.partition, schedule.id, schedule.version)
        )

    def _fire_failed(self, fire: Fire, headers: list[Header], error: KafkaError) -> None:
        schedule = fire.schedule
        key = (schedule.topic, schedule.partition, schedule.id)
        if not is_permanent(error):
            attempt = self._attempts.get(key, 0) + 1
            self._attempts[key] = attempt
            delay = min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (attempt - 1))
            log.warning(
                "target write of schedule %r failed (%s), retry %d in %d ms",
                schedule.id,
                error.str(),
                attempt,
                delay,
            )
            self._engine.retry_later(schedule, self._engine.now_ms() + delay)
            return
        self._attempts.pop(key, None)
        if self._settings.dead_letter_topic:
            self._dead_letter(
                schedule.id,
                schedule.value,
                headers,
                error.str(),
                lambda: self._tombstone(
                    Tombstone(schedule.topic, schedule.partition, schedule.id, schedule.version)
                ),
            )
            self._engine.give_up(schedule)
            return
        log.error(
            "schedule %r cannot be written to %r: %s; it stays in %s[%d]",
            schedule.id,
            schedule.target_topic,
            error.str(),
            schedule.topic,
            schedule.partition,
        )
        self._metrics.count(Event.FAILED)
        self._engine.give_up(schedule)

    # -- other actions ---------------------------------------------------------------------

    def _reject(self, reject: Reject) -> None:
        record = reject.record
        key, topic, partition = record.key(), record.topic() or "", record.partition() or 0
        log.warning(
            "invalid schedule %r in %s[%d]@%s: %s",
            key,
            topic,
            partition,
            record.offset(),
            reject.reason,
        )
        if key is None:
            return
        tombstone = Tombstone(topic, partition, key, record.offset() or 0)
        if self._settings.dead_letter_topic:
            raw = record.headers()
            headers = list(raw.items()) if isinstance(raw, dict) else list(raw or [])
            self._dead_letter(
                key, record.value(), headers, reject.reason, lambda: self._tombstone(tombstone)
            )
        else:
            self._tombstone(tombstone)

    def _rewrite(self, schedule: Schedule) -> None:
        """Keeps the record's own timestamp, which becomes its ``scheduler-timestamp``; a
        failed rewrite is tried again: compaction could otherwise lose the schedule."""

        def on_delivery(error: KafkaError | None, message: Message) -> None:
            if error is not None:
                log.error("rewrite of %r failed (%s); trying again", schedule.id, error.str())
                self._rewrite(schedule)

        self._produce(
            schedule.topic,
            schedule.id,
            schedule.value,
            rewrite_headers(schedule),
            on_delivery,
            partition=schedule.partition,
            timestamp_ms=schedule.timestamp_ms,
        )

    def _tombstone(self, tombstone: Tombstone) -> None:
        self._produce(
            tombstone.topic,
            tombstone.key,
            None,
            [(TOMBSTONE_OF, str(tombstone.version).encode())],
            self._log_failure("tombstone"),
            partition=tombstone.partition,
        )

    def _dead_letter(
        self,
        key: bytes | None,
        value: bytes | None,
        headers: list[Header],
        reason: str,
        then: Callable[[], None],
    ) -> None:
        def on_delivery(error: KafkaError | None, message: Message) -> None:
            if error is None:
                self._metrics.count(Event.DEAD_LETTERED)
                then()
            else:
                log.error("dead-letter write failed (%s); the schedule stays", error.str())
                self._metrics.count(Event.FAILED)

        self._produce(
            self._settings.dead_letter_topic,
            key,
            value,
            [*headers, (ERROR, reason.encode())],
            on_delivery,
        )

    # -- plumbing --------------------------------------------------------------------------

    def _log_failure(self, what: str) -> DeliveryCallback:
        def on_delivery(error: KafkaError | None, message: Message) -> None:
            if error is not None:
                log.error("%s write to %s failed: %s", what, message.topic(), error.str())

        return on_delivery

    def _produce(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        headers: list[Header],
        on_delivery: DeliveryCallback,
        partition: int | None = None,
        timestamp_ms: int = 0,
    ) -> None:
        options: dict[str, Any] = {"headers": headers, "on_delivery": on_delivery}
        if partition is not None:
            options["partition"] = partition
        if timestamp_ms:
            options["timestamp"] = timestamp_ms
        while True:
            try:
                self._producer.produce(topic, value, key, **options)
                return
            except BufferError:
                self._producer.poll(0.05)
            except KafkaException as exception:
                error = exception.args[0]
                on_delivery(error, Message(topic=topic, key=key, value=value, error=error))
                return

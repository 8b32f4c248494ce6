"""Schedule records for any Kafka producer, built from what the caller means rather than
from header names.

The result is the keyword arguments of ``confluent_kafka.Producer.produce``, so the
caller keeps its own producer, its delivery callbacks and its transactions. Produce with
``"partitioner": "murmur2_random"``: the scheduler's API and Java clients place a key
there, and a later update or delete of the same id must land in the same partition.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Protocol, TypedDict

from app.engine.schedule import (
    EPOCH,
    MAX_EPOCH_SECONDS,
    OUT_KEY,
    TARGET_KEY,
    TARGET_TOPIC,
    Header,
    HeadersLike,
    Rules,
    format_epoch_ms,
)

DEFAULT_SCHEDULES_TOPIC = "schedules"
"""The service's default ``SCHEDULES_TOPICS``."""

_SCHEDULER_PREFIX = "scheduler-"


class ProduceArgs(TypedDict):
    """``producer.produce(**args)``."""

    topic: str
    key: bytes
    value: bytes | None
    headers: list[Header]


class HasHeaders(Protocol):
    def headers(self) -> HeadersLike | None: ...


def header_list(message: HasHeaders) -> list[Header]:
    """A message's headers as a list, whichever of the two shapes the client returned."""
    headers = message.headers()
    if isinstance(headers, dict):
        return list(headers.items())
    return list(headers or [])


def header_value(message: HasHeaders, name: str) -> bytes | None:
    """The first value of header ``name``, as the scheduler reads it; None when absent."""
    for header, value in header_list(message):
        if header == name:
            return value.encode() if isinstance(value, str) else value
    return None


def is_scheduler_message(message: HasHeaders) -> bool:
    """Whether the scheduler wrote this record (a fired schedule or its history copy)."""
    return any(name == OUT_KEY for name, _ in header_list(message))


def _bytes(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else value


def due_ms(due: datetime | float) -> int:
    """Milliseconds since the epoch: the precision of the ``scheduler-epoch`` header."""
    if isinstance(due, datetime):
        if due.tzinfo is None:
            raise ValueError("due: a datetime needs a time zone (naive times are ambiguous)")
        return round(due.timestamp() * 1000)
    return round(due * 1000)


def _id(schedule_id: str | bytes) -> bytes:
    key = _bytes(schedule_id)
    if not key.strip():
        raise ValueError("schedule_id: must not be blank (the scheduler rejects blank keys)")
    return key


def _topic(topic: str) -> str:
    if not topic:
        raise ValueError("topic: the schedules topic must not be empty")
    return topic


def schedule(
    schedule_id: str | bytes,
    due: datetime | float,
    target_topic: str,
    value: str | bytes,
    *,
    target_key: str | bytes | None = None,
    headers: Iterable[Header] | Mapping[str, str | bytes | None] = (),
    topic: str = DEFAULT_SCHEDULES_TOPIC,
    now: float | None = None,
) -> ProduceArgs:
    """The record that fires ``value`` into ``target_topic`` at ``due`` (an aware datetime
    or Unix seconds, kept to the millisecond).

    Writing the same id again replaces the schedule. Headers named ``scheduler-*`` belong
    to the scheduler and are dropped, so that a fired record can be scheduled again without
    stacking them; the others are copied to the target record in order. A due time before
    the current second raises ``ValueError``: the scheduler would reject it. ``now``
    (Unix seconds) stands for the clock in tests.
    """
    key = _id(schedule_id)
    # The rules a client can check alone: it knows no history topic nor allowed targets.
    error = Rules(frozenset({_topic(topic)}), history_topic="").target_topic_error(target_topic)
    if error:
        raise ValueError(f"target_topic: {error}")
    ms = due_ms(due)
    current_s = int(time.time() if now is None else now)
    if ms // 1000 < current_s:
        raise ValueError(f"due: {format_epoch_ms(ms)} is before now ({current_s})")
    if ms // 1000 > MAX_EPOCH_SECONDS:
        raise ValueError(f"due: {format_epoch_ms(ms)} is beyond year 5138: milliseconds?")
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    record_headers: list[Header] = [
        (name, _bytes(raw) if raw is not None else None)
        for name, raw in pairs
        if not name.startswith(_SCHEDULER_PREFIX)
    ]
    record_headers += [(EPOCH, format_epoch_ms(ms).encode()), (TARGET_TOPIC, target_topic.encode())]
    if target_key is not None:
        record_headers.append((TARGET_KEY, _bytes(target_key)))
    if value is None:  # the type says otherwise; untyped callers would write a delete
        raise ValueError("value: None is a delete; use delete_schedule")
    return ProduceArgs(topic=topic, key=key, value=_bytes(value), headers=record_headers)


def delete_schedule(
    schedule_id: str | bytes, *, topic: str = DEFAULT_SCHEDULES_TOPIC
) -> ProduceArgs:
    """The tombstone that cancels a pending schedule. It must reach the schedule's
    partition: produce it with the partitioner that wrote the schedule."""
    return ProduceArgs(topic=_topic(topic), key=_id(schedule_id), value=None, headers=[])

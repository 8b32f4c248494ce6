"""What the engine asks its host to do, and what it reports having done.

The engine decides; the host (Kafka or mini mode) writes. Keeping the two apart is what lets
both modes share one engine and lets tests read the decisions without a broker.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from app.engine.schedule import RecordLike, Schedule


class Event(StrEnum):
    """Label values of ``kafka_scheduler_event_total``: the original's five, then ours."""

    PLANNED = "kafka_scheduler_planned_schedule"
    TRIGGERED = "kafka_scheduler_triggered_schedule"
    MISSED = "kafka_scheduler_missed_schedule"
    INVALID = "kafka_scheduler_invalid_schedule"
    DELETED = "kafka_scheduler_deleted_schedule"
    FAILED = "kafka_scheduler_failed_schedule"
    DEAD_LETTERED = "kafka_scheduler_dead_lettered_schedule"
    SKIPPED = "kafka_scheduler_skipped_schedule"


class Observer(Protocol):
    def count(self, event: Event, n: int = 1) -> None: ...


class NullObserver:
    def count(self, event: Event, n: int = 1) -> None:
        pass


@dataclass(slots=True)
class Fire:
    """Write the schedule to its target and history, then tombstone it."""

    schedule: Schedule
    missed: bool


@dataclass(slots=True)
class Reject:
    """Tombstone an invalid record (and dead-letter it when a dead-letter topic is set)."""

    record: RecordLike
    reason: str


@dataclass(slots=True)
class Rewrite:
    """Write a held schedule again so that the compacted log ends with it, not with a
    tombstone of an older version."""

    schedule: Schedule


@dataclass(frozen=True, slots=True)
class Tombstone:
    """Remove ``version`` of ``key`` from exactly the partition it was read from."""

    topic: str
    partition: int
    key: bytes
    version: int


Action = Fire | Reject | Rewrite | Tombstone

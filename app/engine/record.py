"""A plain record, for the mini mode's in-memory log and for tests of the engine."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.engine.schedule import Header

TIMESTAMP_CREATE_TIME = 1


@dataclass(slots=True)
class Record:
    """Has the accessors of ``confluent_kafka.Message`` that the engine reads."""

    topic_: str
    partition_: int
    offset_: int
    key_: bytes | None
    value_: bytes | None
    headers_: list[Header] = field(default_factory=list)
    timestamp_ms: int = 0

    def topic(self) -> str:
        return self.topic_

    def partition(self) -> int:
        return self.partition_

    def offset(self) -> int:
        return self.offset_

    def key(self) -> bytes | None:
        return self.key_

    def value(self) -> bytes | None:
        return self.value_

    def headers(self) -> list[Header]:
        return self.headers_

    def timestamp(self) -> tuple[int, int]:
        return (TIMESTAMP_CREATE_TIME, self.timestamp_ms)


@dataclass(frozen=True, slots=True)
class Written:
    """Where a write landed: what a Kafka acknowledgement says."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int


class WriteFailed(Exception):
    """A backend could not write a record (the broker did not acknowledge it)."""

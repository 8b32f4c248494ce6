"""The records each engine action turns into, in the order they may be written.

A job has ``first`` records and ``then`` records: the latter are written only once the former
are acknowledged (without transactions) or in the same transaction (with them). A fired
schedule's target comes first so that a target that fails never loses its schedule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from confluent_kafka import KafkaError

from app.engine import Action, Fire, Reject, Rewrite, Schedule
from app.engine.schedule import ERROR, TOMBSTONE_OF, Header, output_headers, rewrite_headers


@dataclass(slots=True)
class Out:
    """One record to produce, and what its delivery report said."""

    topic: str
    key: bytes | None
    value: bytes | None
    headers: list[Header]
    partition: int | None = None
    timestamp_ms: int = 0
    error: KafkaError | None = None


@dataclass(slots=True)
class DeadLetter:
    """A schedule that cannot be written to its target: to the dead-letter topic, then
    tombstoned."""

    schedule: Schedule
    reason: str


Work = Action | DeadLetter
Phase = Literal["first", "then"]


@dataclass(slots=True)
class Job:
    work: Work
    first: list[Out]
    then: list[Out] = field(default_factory=list)
    source: tuple[str, int] | None = None
    """The schedules partition the work came from: its offset fences zombie transactions."""

    def outs(self, phase: Phase) -> list[Out]:
        return self.first if phase == "first" else self.then

    def error_in(self, phase: Phase) -> KafkaError | None:
        return next((out.error for out in self.outs(phase) if out.error is not None), None)

    def then_errors(self) -> list[Out]:
        return [out for out in self.then if out.error is not None]


def tombstone_out(topic: str, partition: int, key: bytes, version: int) -> Out:
    """The scheduler's tombstone of ``version`` of ``key`` (see ``PartitionState``)."""
    return Out(topic, key, None, [(TOMBSTONE_OF, b"%d" % version)], partition=partition)


def _tombstone_of(schedule: Schedule) -> Out:
    return tombstone_out(schedule.topic, schedule.partition, schedule.id, schedule.version)


def job_for(work: Work, history_topic: str, dead_letter_topic: str) -> Job | None:
    """The records for ``work``; None when there is nothing to write (a keyless invalid
    record cannot be tombstoned)."""
    if isinstance(work, Fire):
        schedule = work.schedule
        headers = output_headers(schedule)
        return Job(
            work,
            first=[Out(schedule.target_topic, schedule.target_key, schedule.value, headers)],
            then=[
                Out(history_topic, schedule.target_key, schedule.value, headers),
                _tombstone_of(schedule),
            ],
            source=(schedule.topic, schedule.partition),
        )
    if isinstance(work, DeadLetter):
        schedule = work.schedule
        return Job(
            work,
            first=[
                Out(
                    dead_letter_topic,
                    schedule.id,
                    schedule.value,
                    [*output_headers(schedule), (ERROR, work.reason.encode())],
                )
            ],
            then=[_tombstone_of(schedule)],
            source=(schedule.topic, schedule.partition),
        )
    if isinstance(work, Reject):
        record = work.record
        key, topic, partition = record.key(), record.topic() or "", record.partition() or 0
        if key is None:
            return None
        tombstone = tombstone_out(topic, partition, key, record.offset() or 0)
        if not dead_letter_topic:
            return Job(work, first=[tombstone], source=(topic, partition))
        raw = record.headers()
        headers = list(raw.items()) if isinstance(raw, dict) else list(raw or [])
        dead = Out(
            dead_letter_topic, key, record.value(), [*headers, (ERROR, work.reason.encode())]
        )
        return Job(work, first=[dead], then=[tombstone], source=(topic, partition))
    if isinstance(work, Rewrite):
        schedule = work.schedule
        # The record's own timestamp is kept: it becomes the target's scheduler-timestamp.
        rewrite = Out(
            schedule.topic,
            schedule.id,
            schedule.value,
            rewrite_headers(schedule),
            partition=schedule.partition,
            timestamp_ms=schedule.timestamp_ms,
        )
        return Job(work, first=[rewrite], source=(schedule.topic, schedule.partition))
    tombstone = tombstone_out(work.topic, work.partition, work.key, work.version)
    return Job(work, first=[tombstone], source=(work.topic, work.partition))

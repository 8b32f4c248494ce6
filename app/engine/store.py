"""Where a partition keeps the schedules it holds, apart from the index that plans them.

The index (id, due time, version) is what the scheduling logic reads on every record and
every tick; payloads are read once, when the schedule fires or the API shows it. Keeping
them behind this interface lets the Kafka mode hold payloads on disk, so that memory grows
with the number of pending schedules and not with their size.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from app.engine.schedule import Schedule

Pending = int
"""What the index holds per schedule, packed into one int (a tuple of three would take three
times the memory): its due time, its version and the store's handle of the schedule."""

_DUE_BITS = 47  # MAX_EPOCH_SECONDS in milliseconds fits
_REF_BITS = 80
_DUE_MASK = (1 << _DUE_BITS) - 1
_REF_MASK = (1 << _REF_BITS) - 1


def pending(due_ms: int, version: int, ref: int) -> Pending:
    return (version << _REF_BITS | ref) << _DUE_BITS | due_ms


def due_of(entry: Pending) -> int:
    return entry & _DUE_MASK


def version_of(entry: Pending) -> int:
    return entry >> (_DUE_BITS + _REF_BITS)


def ref_of(entry: Pending) -> int:
    return entry >> _DUE_BITS & _REF_MASK


def with_ref(entry: Pending, ref: int) -> Pending:
    return pending(due_of(entry), version_of(entry), ref)


class ScheduleStore(Protocol):
    def put(self, schedule: Schedule) -> int:
        """Keep ``schedule``; returns its handle, below 2**80."""
        ...

    def get(self, ref: int) -> Schedule: ...

    def drop(self, ref: int) -> None:
        """The schedule behind ``ref`` is no longer held; ``ref`` is not read again."""
        ...

    def wasted(self) -> bool:
        """Whether dropped schedules take enough room that ``rewrite`` is worth its cost."""
        ...

    def rewrite(self, refs: list[int]) -> list[int]:
        """Keep only the schedules behind ``refs``; returns their new handles, in order."""
        ...

    def close(self) -> None: ...


StoreFactory = Callable[[str, int], ScheduleStore]
"""A store for one assignment of (topic, partition)."""


class MemoryStore:
    """Schedules as objects in the heap: for the mini mode, tests and small deployments."""

    __slots__ = ("_next", "_schedules")

    def __init__(self, topic: str = "", partition: int = 0) -> None:
        self._schedules: dict[int, Schedule] = {}
        self._next = 0

    def put(self, schedule: Schedule) -> int:
        self._next += 1
        self._schedules[self._next] = schedule
        return self._next

    def get(self, ref: int) -> Schedule:
        return self._schedules[ref]

    def drop(self, ref: int) -> None:
        del self._schedules[ref]

    def wasted(self) -> bool:
        return False

    def rewrite(self, refs: list[int]) -> list[int]:
        return refs

    def close(self) -> None:
        self._schedules.clear()

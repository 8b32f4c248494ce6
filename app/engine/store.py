"""Where a partition keeps the schedules it holds, apart from the index that plans them.

The index (id, due time, version) is what the scheduling logic reads on every record and
every tick; payloads are read once, when the schedule fires or the API shows it. Keeping
them behind this interface lets the Kafka mode hold payloads on disk, so that memory grows
with the number of pending schedules and not with their size.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple, Protocol

from app.engine.schedule import Schedule


class Pending(NamedTuple):
    """What the index holds per schedule."""

    due_ms: int
    version: int
    ref: int
    """The store's handle of the full schedule."""


class ScheduleStore(Protocol):
    def put(self, schedule: Schedule) -> int:
        """Keep ``schedule``; returns its handle."""
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

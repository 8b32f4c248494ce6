"""One due-time queue for every partition: a binary heap with lazy removal.

Updates and deletes never search the heap: an entry names the version it was planned for,
and the engine drops it when popped if that version is no longer held. The heap is rebuilt
when such stale entries outnumber the live ones, so memory stays proportional to what is
pending.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator

Entry = tuple[int, int, int, bytes]
"""(due ms, version, partition serial, schedule id)."""


class DueQueue:
    __slots__ = ("_heap",)

    def __init__(self) -> None:
        self._heap: list[Entry] = []

    def __len__(self) -> int:
        return len(self._heap)

    def push(self, at_ms: int, version: int, serial: int, key: bytes) -> None:
        heapq.heappush(self._heap, (at_ms, version, serial, key))

    def next_ms(self) -> int | None:
        return self._heap[0][0] if self._heap else None

    def pop_due(self, now_ms: int) -> Iterator[Entry]:
        """Entries due at ``now_ms`` or before, earliest first."""
        heap = self._heap
        while heap and heap[0][0] <= now_ms:
            yield heapq.heappop(heap)

    def compact(self, keep: Callable[[Entry], bool]) -> None:
        self._heap = [entry for entry in self._heap if keep(entry)]
        heapq.heapify(self._heap)

"""Time sources for the engine.

The engine never reads the system time itself: it asks a clock, so that tests can move time
by hand and scheduling decisions stay deterministic.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now_ms(self) -> int:
        """Wall-clock time in Unix milliseconds."""
        ...


class SystemClock:
    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


class ManualClock:
    """A clock that only moves when told to: for tests and simulations."""

    def __init__(self, now_ms: int = 0) -> None:
        self._now_ms = now_ms

    def now_ms(self) -> int:
        return self._now_ms

    def set(self, now_ms: int) -> None:
        self._now_ms = now_ms

    def advance(self, ms: int) -> None:
        self._now_ms += ms


class ShiftedClock:
    """Another clock moved forward by hand: the mini mode's test clock, which makes a
    far-future schedule due at once while time keeps flowing."""

    def __init__(self, base: Clock) -> None:
        self._base = base
        self.offset_ms = 0

    def now_ms(self) -> int:
        return self._base.now_ms() + self.offset_ms

    def advance(self, ms: int) -> None:
        self.offset_ms += ms

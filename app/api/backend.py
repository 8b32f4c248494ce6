"""What the routes need from a running scheduler, and how a route finds it."""

from __future__ import annotations

from typing import Protocol

from fastapi import Request

from app.config import Settings
from app.engine import Clock, Schedule, Written
from app.engine.schedule import Header
from app.metrics import Metrics


class Backend(Protocol):
    """What the routes need from a running scheduler, whatever its mode."""

    settings: Settings
    metrics: Metrics

    @property
    def clock(self) -> Clock: ...
    def is_alive(self) -> bool: ...
    def is_ready(self) -> bool: ...
    def schedules(self) -> list[Schedule]: ...
    def due_index(self) -> list[tuple[int, bytes]]:
        """(due ms, id) of every schedule held: what a listing sorts and filters on."""
        ...

    def get(self, key: bytes) -> Schedule | None: ...
    def peers(self) -> list[str]:
        """API URLs of the other instances holding the rest of the schedules."""
        ...

    def write(
        self,
        topic: str,
        key: bytes,
        value: bytes | None,
        headers: list[Header],
        partition: int | None = None,
    ) -> Written:
        """Write a schedule record or tombstone, acknowledged, to ``partition`` (None: the
        murmur2 partitioner's); raise ``WriteFailed``."""
        ...


def backend_of(request: Request) -> Backend:
    backend: Backend = request.app.state.backend
    return backend

"""Builds the FastAPI application around a backend."""

from __future__ import annotations

from typing import Protocol

from fastapi import FastAPI
from prometheus_fastapi_instrumentator import Instrumentator

from app import __version__
from app.api import compat, health, v1
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
    def get(self, key: bytes) -> Schedule | None: ...
    def write(self, topic: str, key: bytes, value: bytes | None, headers: list[Header]) -> Written:
        """Write a schedule record or tombstone, acknowledged; raise ``WriteFailed``."""
        ...


def create_app(backend: Backend, mini: bool = False) -> FastAPI:
    app = FastAPI(
        title="kafka-message-scheduler",
        version=__version__,
        description="Sends a Kafka record to a target topic at a scheduled time.",
    )
    app.state.backend = backend
    app.include_router(compat.router)
    app.include_router(health.router)
    app.include_router(v1.router)
    if mini:
        from app.api import mini as mini_routes

        app.include_router(mini_routes.router)
    # HTTP metrics go to the scheduler's registry: both /metrics endpoints show everything.
    Instrumentator(registry=backend.metrics.registry).instrument(app).expose(
        app, include_in_schema=False
    )
    return app

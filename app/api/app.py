"""Builds the FastAPI application around a backend."""

from __future__ import annotations

from typing import Protocol

from fastapi import FastAPI
from prometheus_fastapi_instrumentator import Instrumentator

from app import __version__
from app.api import compat, health
from app.config import Settings
from app.engine import Schedule
from app.metrics import Metrics


class Backend(Protocol):
    """What the routes need from a running scheduler, whatever its mode."""

    settings: Settings
    metrics: Metrics

    def is_alive(self) -> bool: ...
    def is_ready(self) -> bool: ...
    def schedules(self) -> list[Schedule]: ...


def create_app(backend: Backend) -> FastAPI:
    app = FastAPI(
        title="kafka-message-scheduler",
        version=__version__,
        description="Sends a Kafka record to a target topic at a scheduled time.",
    )
    app.state.backend = backend
    app.include_router(compat.router)
    app.include_router(health.router)
    # HTTP metrics go to the scheduler's registry: both /metrics endpoints show everything.
    Instrumentator(registry=backend.metrics.registry).instrument(app).expose(
        app, include_in_schema=False
    )
    return app

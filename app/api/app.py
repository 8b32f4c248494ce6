"""Builds the FastAPI application around a backend."""

from __future__ import annotations

from typing import Protocol

from fastapi import FastAPI

from app import __version__
from app.api import compat
from app.config import Settings
from app.engine import Schedule


class Backend(Protocol):
    """What the routes need from a running scheduler, whatever its mode."""

    settings: Settings

    def is_alive(self) -> bool: ...
    def schedules(self) -> list[Schedule]: ...


def create_app(backend: Backend) -> FastAPI:
    app = FastAPI(
        title="kafka-message-scheduler",
        version=__version__,
        description="Sends a Kafka record to a target topic at a scheduled time.",
    )
    app.state.backend = backend
    app.include_router(compat.router)
    return app

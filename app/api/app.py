"""Builds the FastAPI application around a backend."""

from __future__ import annotations

from fastapi import FastAPI
from prometheus_fastapi_instrumentator import Instrumentator

from app import __version__
from app.api import compat, health, v1
from app.api.backend import Backend


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

"""Builds the FastAPI application around a backend."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import APIRoute
from prometheus_fastapi_instrumentator import Instrumentator

from app import __version__
from app.api import compat, health, v1
from app.api.backend import Backend

DESCRIPTION = """\
Sends a Kafka record to a target topic at the time it names.

A schedule is a record in a compacted schedules topic: key = schedule id, value = the
payload, headers `scheduler-epoch`, `scheduler-target-topic` and `scheduler-target-key`.
At its due time the payload goes to the target topic, a copy to the history topic, and a
tombstone removes the schedule. This API writes exactly the record a Kafka client would, so
both ways of scheduling can be mixed.

In **mini mode** (`python -m app mini`) there is no Kafka: the same routes run in memory,
plus a test clock and the records that fired, for your integration tests.
"""

TAGS = [
    {"name": "schedules", "description": "Create, read, replace, list and delete schedules."},
    {
        "name": "mini mode",
        "description": "Only in mini mode (404 in Kafka mode): a test clock and what fired.",
    },
    {"name": "health", "description": "Kubernetes liveness and readiness probes."},
    {"name": "compatibility", "description": "The original Go scheduler's routes and shapes."},
]


def _operation_id(route: APIRoute) -> str:
    """The route function's name, so that generated clients get names like
    ``create_schedule`` rather than ``create_schedule_v1_schedules_post``."""
    return route.name


def create_app(backend: Backend, mini: bool = False) -> FastAPI:
    app = FastAPI(
        title="kafka-message-scheduler",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        generate_unique_id_function=_operation_id,
    )
    app.state.backend = backend
    app.include_router(v1.router)
    if mini:
        from app.api import mini as mini_routes

        app.include_router(mini_routes.router)
    app.include_router(health.router)
    app.include_router(compat.router)
    # HTTP metrics go to the scheduler's registry: both /metrics endpoints show everything.
    Instrumentator(registry=backend.metrics.registry).instrument(app).expose(
        app, include_in_schema=False
    )
    return app

"""Routes of the original scheduler, with its JSON shapes: its admin GUI calls them."""

from __future__ import annotations

import base64
import socket

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from app.api.auth import READ, UNAUTHORIZED
from app.api.backend import backend_of
from app.engine import Schedule

router = APIRouter(tags=["compatibility"])


@router.get(
    "/liveness",
    summary="200 when the scheduling loop runs; 500 otherwise (empty body)",
    response_class=Response,
    responses={
        200: {"content": {"text/plain": {}}, "description": "Alive"},
        500: {"content": {"text/plain": {}}, "description": "The loop or the consumer is down"},
    },
)
def liveness(request: Request) -> Response:
    ok = backend_of(request).is_alive()
    return Response(status_code=200 if ok else 500, media_type="text/plain")


def _addresses() -> list[str]:
    addresses = {"127.0.0.1"}
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None):
            addresses.add(str(info[4][0]))
    except OSError:
        pass
    return sorted(addresses)


class KafkaInfo(BaseModel):
    bootstrap_servers: str
    topics: list[str]
    history_topic: str


class Info(BaseModel):
    hostname: str
    address: list[str]
    server_address: str
    kafka: KafkaInfo


@router.get(
    "/info",
    summary="Where this instance runs and which topics it serves",
    dependencies=READ,
    responses=UNAUTHORIZED,
)
def info(request: Request) -> Info:
    settings = backend_of(request).settings
    return Info(
        hostname=socket.gethostname(),
        address=_addresses(),
        server_address=settings.server_addr_raw,
        kafka=KafkaInfo(
            bootstrap_servers=settings.bootstrap_servers,
            topics=list(settings.schedules_topics),
            history_topic=settings.history_topic,
        ),
    )


class HeldSchedule(BaseModel):
    """A schedule in the original's JSON shape: whole seconds, hyphenated names, base64."""

    id: str | None
    epoch: int
    timestamp: int
    topic: str
    target_topic: str = Field(serialization_alias="target-topic")
    target_key: str | None = Field(serialization_alias="target-key")
    value: str = Field(description="Payload, base64")


def _text(raw: bytes | None) -> str | None:
    return None if raw is None else raw.decode("utf-8", errors="replace")


def _held(schedule: Schedule) -> HeldSchedule:
    return HeldSchedule(
        id=_text(schedule.id),
        epoch=schedule.due_ms // 1000,
        timestamp=schedule.timestamp_ms // 1000,
        topic=schedule.topic,
        target_topic=schedule.target_topic,
        target_key=_text(schedule.target_key),
        value=base64.b64encode(schedule.value).decode(),
    )


@router.get(
    "/schedules",
    summary="Schedules held by this instance (the original's shape)",
    dependencies=READ,
    responses=UNAUTHORIZED,
)
def held_schedules(request: Request) -> list[HeldSchedule]:
    return [_held(s) for s in backend_of(request).schedules()]

"""Routes of the original scheduler, with its JSON shapes: its admin GUI calls them."""

from __future__ import annotations

import base64
import socket
from typing import Any

from fastapi import APIRouter, Request, Response

from app.api.backend import backend_of
from app.engine import Schedule

router = APIRouter(tags=["compatibility"])


@router.get("/liveness", summary="200 when the scheduling loop runs; 500 otherwise")
def liveness(request: Request) -> Response:
    return Response(status_code=200 if backend_of(request).is_alive() else 500)


def _addresses() -> list[str]:
    addresses = {"127.0.0.1"}
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None):
            addresses.add(str(info[4][0]))
    except OSError:
        pass
    return sorted(addresses)


@router.get("/info", summary="Where this instance runs and which topics it serves")
def info(request: Request) -> dict[str, Any]:
    settings = backend_of(request).settings
    return {
        "hostname": socket.gethostname(),
        "address": _addresses(),
        "server_address": settings.server_addr_raw,
        "kafka": {
            "bootstrap_servers": settings.bootstrap_servers,
            "topics": list(settings.schedules_topics),
            "history_topic": settings.history_topic,
        },
    }


def _text(raw: bytes | None) -> str | None:
    return None if raw is None else raw.decode("utf-8", errors="replace")


def _compat_schedule(schedule: Schedule) -> dict[str, Any]:
    return {
        "id": _text(schedule.id),
        "epoch": schedule.due_ms // 1000,
        "timestamp": schedule.timestamp_ms // 1000,
        "topic": schedule.topic,
        "target-topic": schedule.target_topic,
        "target-key": _text(schedule.target_key),
        "value": base64.b64encode(schedule.value).decode(),
    }


@router.get("/schedules", summary="Schedules held by this instance (the original's shape)")
def schedules(request: Request) -> list[dict[str, Any]]:
    return [_compat_schedule(s) for s in backend_of(request).schedules()]

"""Kubernetes probes: live while the loop turns, ready once every assigned partition is
loaded (an instance that is still loading would answer reads with partial state)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

if TYPE_CHECKING:
    from app.api.app import Backend

router = APIRouter(prefix="/health", tags=["health"])


def _status(ok: bool) -> JSONResponse:
    return JSONResponse({"status": "ok" if ok else "unavailable"}, status_code=200 if ok else 503)


@router.get("/live", summary="200 while the scheduling loop runs")
def live(request: Request) -> JSONResponse:
    backend: Backend = request.app.state.backend
    return _status(backend.is_alive())


@router.get("/ready", summary="200 once every assigned partition has finished its load")
def ready(request: Request) -> JSONResponse:
    backend: Backend = request.app.state.backend
    return _status(backend.is_ready())

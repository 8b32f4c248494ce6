"""Kubernetes probes: live while the loop turns, ready once every assigned partition is
loaded (an instance that is still loading would answer reads with partial state)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.api.backend import backend_of

router = APIRouter(prefix="/health", tags=["health"])


def _status(ok: bool) -> JSONResponse:
    return JSONResponse({"status": "ok" if ok else "unavailable"}, status_code=200 if ok else 503)


@router.get("/live", summary="200 while the scheduling loop runs")
def live(request: Request) -> JSONResponse:
    return _status(backend_of(request).is_alive())


@router.get("/ready", summary="200 once every assigned partition has finished its load")
def ready(request: Request) -> JSONResponse:
    return _status(backend_of(request).is_ready())

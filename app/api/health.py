"""Kubernetes probes: live while the loop turns, ready once every assigned partition is
loaded (an instance that is still loading would answer reads with partial state)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from app.api.backend import backend_of

router = APIRouter(prefix="/health", tags=["health"])


class Status(BaseModel):
    status: Literal["ok", "unavailable"]


def _status(ok: bool) -> JSONResponse:
    return JSONResponse({"status": "ok" if ok else "unavailable"}, status_code=200 if ok else 503)


_UNAVAILABLE: dict[int | str, dict[str, Any]] = {503: {"model": Status}}


@router.get(
    "/live",
    summary="200 while the scheduling loop runs",
    response_model=Status,
    responses=_UNAVAILABLE,
)
def health_live(request: Request) -> JSONResponse:
    return _status(backend_of(request).is_alive())


@router.get(
    "/ready",
    summary="200 once every assigned partition has finished its load",
    response_model=Status,
    responses=_UNAVAILABLE,
)
def health_ready(request: Request) -> JSONResponse:
    return _status(backend_of(request).is_ready())

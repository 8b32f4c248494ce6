"""Routes that exist only in mini mode: the test clock and what fired, per topic."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from app.api.auth import READ, UNAUTHORIZED, WRITE
from app.api.models import BAD_BODY, Advance, ClockOut, RecordHeader, RecordOut, as_text
from app.engine import Record
from app.mini.scheduler import MiniScheduler

router = APIRouter(prefix="/v1", tags=["mini mode"], responses=UNAUTHORIZED)


def _mini(request: Request) -> MiniScheduler:
    backend: MiniScheduler = request.app.state.backend
    return backend


def _clock(mini: MiniScheduler) -> ClockOut:
    return ClockOut(now=mini.clock.now_ms() / 1000, offset_seconds=mini.clock.offset_ms / 1000)


@router.get("/clock", summary="The mini scheduler's clock", dependencies=READ)
def get_clock(request: Request) -> ClockOut:
    return _clock(_mini(request))


@router.post(
    "/clock/advance",
    summary="Move the clock forward: what falls due fires at once",
    dependencies=WRITE,
    responses=BAD_BODY,
)
def advance_clock(request: Request, body: Advance) -> ClockOut:
    mini = _mini(request)
    mini.advance(body.seconds)
    return _clock(mini)


def _record(record: Record) -> RecordOut:
    key, key_encoding = as_text(record.key())
    value, value_encoding = as_text(record.value())
    return RecordOut(
        topic=record.topic(),
        partition=record.partition(),
        offset=record.offset(),
        timestamp=record.timestamp_ms / 1000,
        key=key,
        key_encoding=key_encoding,
        value=value,
        value_encoding=value_encoding,
        headers=[RecordHeader(name=n, value=as_text(v)[0] or "") for n, v in record.headers()],
    )


@router.get(
    "/topics/{topic}/records",
    summary="Records written to a topic, oldest first",
    dependencies=READ,
)
def list_records(
    request: Request, topic: str, limit: Annotated[int, Query(ge=1, le=10_000)] = 1000
) -> list[RecordOut]:
    return [_record(r) for r in _mini(request).topic_records(topic)[-limit:]]

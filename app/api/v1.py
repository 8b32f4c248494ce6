"""The versioned resource API: create, replace, read, list and delete schedules.

A write becomes the schedule record an SDK user would produce, so a schedule made here
follows exactly the same path as one produced by any Kafka client.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError

from app.api import cluster
from app.api.auth import READ, UNAUTHORIZED, WRITE
from app.api.backend import Backend, backend_of
from app.api.models import BAD_BODY, Page, Problem, ScheduleIn, ScheduleOut
from app.engine import Schedule, WriteFailed, Written
from app.engine.schedule import MAX_EPOCH_SECONDS, Header

router = APIRouter(prefix="/v1/schedules", tags=["schedules"], responses=UNAUTHORIZED)

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "No pending schedule with this id"}
}
_WRITES: dict[int | str, dict[str, Any]] = {
    503: {"model": Problem, "description": "Kafka did not acknowledge the write; retry"},
    **BAD_BODY,
}

MAX_RECORD_BYTES = 1_000_000
"""Kafka's default ``message.max.bytes`` (1 MB), less room for the batch overhead."""


def _error(field: str, message: str) -> dict[str, Any]:
    return {"loc": ("body", field), "msg": message, "type": "value_error"}


def _to_record(
    backend: Backend, schedule_id: str, body: ScheduleIn
) -> tuple[str, bytes, bytes, list[Header]]:
    """The schedule record for ``body``, or a 422 naming every field that breaks a rule."""
    settings = backend.settings
    errors = []
    if not schedule_id.strip():
        errors.append(_error("id", "must not be blank"))
    topic = body.topic or settings.schedules_topics[0]
    if topic not in settings.schedules_topics:
        errors.append(_error("topic", f"{topic!r} is not one of SCHEDULES_TOPICS"))
    target_error = settings.engine_settings().rules.target_topic_error(body.target_topic)
    if target_error:
        errors.append(_error("target_topic", target_error))
    now_s = backend.clock.now_ms() // 1000
    if int(body.due_seconds) < now_s - settings.schedule_grace_interval:
        errors.append(
            _error(
                "epoch" if body.at is None else "at",
                f"due time {body.due_seconds:.3f} is in the past (now {now_s}, grace "
                f"{settings.schedule_grace_interval} s)",
            )
        )
    value = b""
    try:
        value = body.payload()
    except ValueError as error:
        errors.append(_error("value", str(error)))
    headers = body.record_headers()
    size = len(schedule_id) + len(value) + sum(len(n) + len(v or b"") for n, v in headers)
    if size > MAX_RECORD_BYTES:
        errors.append(_error("value", f"record of {size} bytes exceeds {MAX_RECORD_BYTES}"))
    if errors:
        raise RequestValidationError(errors)
    return topic, schedule_id.encode(), value, headers


def _write(
    backend: Backend,
    topic: str,
    key: bytes,
    value: bytes | None,
    headers: list[Header],
    partition: int | None = None,
) -> Written:
    try:
        return backend.write(topic, key, value, headers, partition)
    except WriteFailed as error:
        raise HTTPException(503, f"the schedule could not be written: {error}") from error


def _written(
    schedule_id: str, body: ScheduleIn, topic: str, value: bytes, headers: list[Header], at: Written
) -> ScheduleOut:
    return ScheduleOut.of(
        Schedule(
            id=schedule_id.encode(),
            due_ms=round(body.due_seconds * 1000),
            target_topic=body.target_topic,
            target_key=None if body.target_key is None else body.target_key.encode(),
            value=value,
            headers=headers,
            timestamp_ms=at.timestamp_ms,
            topic=topic,
            partition=at.partition,
            offset=at.offset,
            version=at.offset,
        )
    )


@router.post(
    "", status_code=201, summary="Create a schedule", responses=_WRITES, dependencies=WRITE
)
def create_schedule(request: Request, body: ScheduleIn) -> ScheduleOut:
    if body.id is None:
        raise RequestValidationError([_error("id", "required")])
    backend = backend_of(request)
    topic, key, value, headers = _to_record(backend, body.id, body)
    held = _find(request, body.id, local=False, strict=False)
    written = _write(backend, topic, key, value, headers, _partition(held, topic))
    return _written(body.id, body, topic, value, headers, written)


def _partition(held: ScheduleOut | None, topic: str) -> int | None:
    """Where a new version of ``held`` must go: beside the old one, which a producer with
    another partitioner (a Go client) may have put elsewhere than murmur2 would; None: the
    partitioner's choice, for a new id."""
    return held.partition if held is not None and held.topic == topic else None


@router.put(
    "/{schedule_id}",
    summary="Create or replace a schedule",
    description="200 when it replaced a pending schedule, 201 when it created one.",
    responses={201: {"model": ScheduleOut, "description": "Created"}, **_WRITES},
    dependencies=WRITE,
)
def replace_schedule(
    request: Request, response: Response, schedule_id: str, body: ScheduleIn
) -> ScheduleOut:
    if body.id is not None and body.id != schedule_id:
        raise RequestValidationError([_error("id", "differs from the id in the path")])
    backend = backend_of(request)
    topic, key, value, headers = _to_record(backend, schedule_id, body)
    held = _find(request, schedule_id, local=False, strict=False)
    written = _write(backend, topic, key, value, headers, _partition(held, topic))
    response.status_code = 200 if held is not None else 201
    return _written(schedule_id, body, topic, value, headers, written)


LocalOnly = Annotated[
    bool,
    Query(description="Answer for this instance's partitions only (instances ask each other so)"),
]


@router.get(
    "/{schedule_id}",
    summary="Read a pending schedule, wherever it is held",
    responses={
        **_NOT_FOUND,
        503: {"model": Problem, "description": "Not found, and an instance did not answer"},
    },
    dependencies=READ,
)
def get_schedule(request: Request, schedule_id: str, local: LocalOnly = False) -> ScheduleOut:
    found = _find(request, schedule_id, local)
    if found is None:
        raise HTTPException(404, f"no pending schedule {schedule_id!r}")
    return found


def _find(
    request: Request, schedule_id: str, local: bool, strict: bool = True
) -> ScheduleOut | None:
    """The schedule from whichever instance holds it. ``strict``: when no instance that
    answered holds it and some did not answer, a 503 naming them (it may be theirs)."""
    backend = backend_of(request)
    schedule = backend.get(schedule_id.encode())
    if schedule is not None:
        return ScheduleOut.of(schedule)
    peers = [] if local else backend.peers()
    if not peers:
        return None
    path = f"/v1/schedules/{quote(schedule_id, safe='')}"
    answers = cluster.ask(peers, path, {}, request.headers.get("authorization"))
    if answers.found:
        return ScheduleOut.model_validate(answers.found[0])
    if answers.unreachable and strict:
        raise HTTPException(
            503,
            f"no pending schedule {schedule_id!r} on the instances that answered; "
            f"no answer from {', '.join(answers.unreachable)}",
        )
    return None


@router.delete(
    "/{schedule_id}",
    status_code=204,
    summary="Delete a pending schedule, wherever it is held",
    description="Writes a tombstone for the schedule: it will not fire.",
    responses={
        **_NOT_FOUND,
        **_WRITES,
        503: {
            "model": Problem,
            "description": "Kafka did not acknowledge the tombstone, or the schedule was not "
            "found and an instance did not answer; retry",
        },
    },
    dependencies=WRITE,
)
def delete_schedule(request: Request, schedule_id: str) -> Response:
    found = _find(request, schedule_id, local=False)
    if found is None:
        raise HTTPException(404, f"no pending schedule {schedule_id!r}")
    _write(backend_of(request), found.topic, schedule_id.encode(), None, [], found.partition)
    return Response(status_code=204)


def _cursor(due_ms: int, key: bytes) -> str:
    return base64.urlsafe_b64encode(f"{due_ms}:{key.hex()}".encode()).decode()


def _order(item: ScheduleOut) -> tuple[int, bytes]:
    return round(item.epoch * 1000), item.id.encode()


_FROM = "Due at or after, Unix seconds"
_TO = "Due at or before, Unix seconds"


def _after(cursor: str) -> tuple[int, bytes]:
    try:
        due, _, key = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        return int(due), bytes.fromhex(key)
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise RequestValidationError(
            [
                {
                    "loc": ("query", "cursor"),
                    "msg": "not a cursor from a previous page",
                    "type": "value_error",
                }
            ]
        ) from error


@router.get(
    "",
    summary="List pending schedules, by due time, one page at a time",
    description="Answers for the whole cluster when instances set ADVERTISED_URL; "
    "`unreachable` names the instances that did not answer in time.",
    dependencies=READ,
)
def list_schedules(
    request: Request,
    id_prefix: Annotated[str | None, Query(description="Only ids that start with this")] = None,
    due_from: Annotated[float | None, Query(ge=0, le=MAX_EPOCH_SECONDS, description=_FROM)] = None,
    due_to: Annotated[float | None, Query(ge=0, le=MAX_EPOCH_SECONDS, description=_TO)] = None,
    target_topic: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    local: LocalOnly = False,
) -> Page:
    after = _after(cursor) if cursor else None
    prefix = id_prefix.encode() if id_prefix else None
    low = None if due_from is None else round(due_from * 1000)
    high = None if due_to is None else round(due_to * 1000)
    backend = backend_of(request)
    matching = sorted(
        entry
        for entry in backend.due_index()
        if (prefix is None or entry[1].startswith(prefix))
        and (low is None or entry[0] >= low)
        and (high is None or entry[0] <= high)
        and (after is None or entry > after)
    )
    items = []
    for _, key in matching:  # only the page's schedules are read from the store
        schedule = backend.get(key)
        if schedule is not None and target_topic in (None, schedule.target_topic):
            items.append(ScheduleOut.of(schedule))
            if len(items) > limit:
                break
    peers = [] if local else backend.peers()
    unreachable: list[str] = []
    peer_has_more = False  # a peer that sent a full page: the merged page is full too
    if peers:
        params = {
            "id_prefix": id_prefix,
            "due_from": due_from,
            "due_to": due_to,
            "target_topic": target_topic,
            "limit": limit,
            "cursor": cursor,
        }
        answers = cluster.ask(peers, "/v1/schedules", params, request.headers.get("authorization"))
        unreachable = answers.unreachable
        for page in answers.found:
            items += [ScheduleOut.model_validate(item) for item in page["items"]]
            peer_has_more = peer_has_more or page["next_cursor"] is not None
        items.sort(key=_order)
    more = len(items) > limit or peer_has_more
    items = items[:limit]
    return Page(
        items=items,
        next_cursor=_cursor(*_order(items[-1])) if more else None,
        unreachable=unreachable,
    )

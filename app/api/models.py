"""The schedule resource of the /v1 API and its conversions to and from records."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, JsonValue, model_validator

from app.engine import Schedule
from app.engine.schedule import (
    EPOCH,
    MAX_EPOCH_SECONDS,
    TARGET_KEY,
    TARGET_TOPIC,
    Header,
    format_epoch_ms,
)


class Encoding(StrEnum):
    """How a text field carries bytes: as UTF-8 text, or base64 for anything else."""

    UTF8 = "utf-8"
    BASE64 = "base64"


_EXAMPLE: dict[str, JsonValue] = {
    "id": "vid1-online",
    "at": "2030-01-01T08:00:00+01:00",
    "target_topic": "online-videos",
    "target_key": "vid1",
    "value": "video 1",
    "headers": [{"name": "customer-header", "value": "dummy"}],
}
_EPOCH_BASE64_EXAMPLE: dict[str, JsonValue] = {
    "id": "retry-order-42",
    "epoch": 1893484800.25,
    "target_topic": "orders",
    "target_key": None,
    "value": "AAEC/w==",
    "value_encoding": "base64",
}
_OUT_EXAMPLE: dict[str, JsonValue] = {
    **_EXAMPLE,
    "epoch": 1893481200.0,
    "at": "2030-01-01T07:00:00Z",
    "value_encoding": "utf-8",
    "topic": "schedules",
    "timestamp": 1764201600.123,
    "partition": 2,
    "offset": 1187,
    "state": "pending",
}


class RecordHeader(BaseModel):
    """A Kafka record header; its value as UTF-8 text."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "trace-id", "value": "42"}]})

    name: str = Field(min_length=1)
    value: str


class Problem(BaseModel):
    """Why a request failed (404: no such schedule; 503: Kafka did not take the write)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"detail": "no pending schedule 'x' on this instance"}]}
    )

    detail: str


BAD_BODY: dict[int | str, dict[str, object]] = {
    400: {"model": Problem, "description": "The body is not JSON"}
}


class ScheduleIn(BaseModel):
    """A schedule to create or replace: its due time as `epoch` or `at`, not both.

    It becomes the record any Kafka client would produce: key = id, value = the payload,
    headers `scheduler-epoch`, `scheduler-target-topic`, `scheduler-target-key`, then yours.
    """

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [_EXAMPLE, _EPOCH_BASE64_EXAMPLE]}
    )

    id: str | None = Field(
        None, description="Schedule id (the record key); taken from the path by PUT"
    )
    epoch: float | None = Field(
        None,
        ge=0,
        le=MAX_EPOCH_SECONDS,
        description="Due time, Unix seconds (fraction allowed)",
    )
    at: AwareDatetime | None = Field(None, description="Due time, RFC 3339 with an offset")
    target_topic: str = Field(description="Topic the value is written to at the due time")
    target_key: str | None = Field(None, description="Key of the target record (null: no key)")
    value: str = Field("", description="Payload, encoded as value_encoding says")
    value_encoding: Encoding = Field(
        Encoding.UTF8, description="'base64' for a payload that is not text: it is kept byte-exact"
    )
    headers: list[RecordHeader] = Field(
        default_factory=list, description="Your headers, in order; copied to the target record"
    )
    topic: str | None = Field(None, description="Schedules topic (default: the first)")

    @model_validator(mode="after")
    def _one_due_time(self) -> ScheduleIn:
        if (self.epoch is None) == (self.at is None):
            raise ValueError("give the due time as exactly one of 'epoch' or 'at'")
        if self.due_seconds > MAX_EPOCH_SECONDS:
            raise ValueError(f"'at' is after {MAX_EPOCH_SECONDS} Unix seconds (year 5138)")
        return self

    @property
    def due_seconds(self) -> float:
        if self.at is not None:
            return self.at.timestamp()
        assert self.epoch is not None  # the validator saw to it
        return self.epoch

    def payload(self) -> bytes:
        """The value as bytes; raises ``ValueError`` for a base64 value that is not valid."""
        if self.value_encoding is Encoding.UTF8:
            return self.value.encode()
        try:
            return base64.b64decode(self.value, validate=True)
        except binascii.Error as error:
            raise ValueError(f"value is not valid base64: {error}") from error

    def record_headers(self) -> list[Header]:
        """The headers of the schedule record an SDK user would write."""
        headers: list[Header] = [
            (EPOCH, format_epoch_ms(round(self.due_seconds * 1000)).encode()),
            (TARGET_TOPIC, self.target_topic.encode()),
        ]
        if self.target_key is not None:
            headers.append((TARGET_KEY, self.target_key.encode()))
        headers += [(h.name, h.value.encode()) for h in self.headers]
        return headers


def as_text(raw: bytes | str | None) -> tuple[str | None, Encoding]:
    if raw is None:
        return None, Encoding.UTF8
    if isinstance(raw, str):
        return raw, Encoding.UTF8
    try:
        return raw.decode(), Encoding.UTF8
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode(), Encoding.BASE64


_INPUT_HEADERS = frozenset({EPOCH, TARGET_TOPIC, TARGET_KEY})


class ScheduleOut(BaseModel):
    """A pending schedule, as its record in the schedules topic says."""

    model_config = ConfigDict(json_schema_extra={"examples": [_OUT_EXAMPLE]})

    id: str
    epoch: float = Field(description="Due time, Unix seconds (millisecond precision)")
    at: datetime = Field(description="The same due time, RFC 3339 in UTC")
    target_topic: str
    target_key: str | None
    value: str = Field(description="Payload; base64 when it is not valid UTF-8")
    value_encoding: Encoding
    headers: list[RecordHeader] = Field(description="User headers, without the scheduler's")
    topic: str = Field(description="Schedules topic holding the record")
    timestamp: float = Field(description="Timestamp of the schedule record, Unix seconds")
    partition: int
    offset: int
    state: Literal["pending"] = Field(
        default="pending", description="Always 'pending': a fired or deleted schedule is gone"
    )

    @classmethod
    def of(cls, schedule: Schedule) -> ScheduleOut:
        value, encoding = as_text(schedule.value)
        return cls(
            id=as_text(schedule.id)[0] or "",
            epoch=schedule.due_ms / 1000,
            at=datetime.fromtimestamp(schedule.due_ms / 1000, UTC),
            target_topic=schedule.target_topic,
            target_key=as_text(schedule.target_key)[0],
            value=value or "",
            value_encoding=encoding,
            headers=[
                RecordHeader(name=name, value=as_text(raw)[0] or "")
                for name, raw in schedule.headers
                if name not in _INPUT_HEADERS
            ],
            topic=schedule.topic,
            timestamp=schedule.timestamp_ms / 1000,
            partition=schedule.partition,
            offset=schedule.offset,
        )


class Page(BaseModel):
    """One page of pending schedules, ordered by due time, then id."""

    items: list[ScheduleOut]
    next_cursor: str | None = Field(
        description="Pass as 'cursor' for the next page; null at the end"
    )
    unreachable: list[str] = Field(
        default_factory=list,
        description="Instances that did not answer in time: their schedules may be missing",
    )


class ClockOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"now": 1893484800.5, "offset_seconds": 3600.0}]}
    )

    now: float = Field(description="The mini scheduler's time, Unix seconds")
    offset_seconds: float = Field(description="How far it was advanced beyond the real time")


class Advance(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"seconds": 3600}]})

    seconds: float = Field(gt=0, le=100 * 365 * 86400, description="How far to move, > 0")


class RecordOut(BaseModel):
    """A record the mini scheduler wrote: a fired target record or its history copy."""

    topic: str
    partition: int
    offset: int
    timestamp: float
    key: str | None
    key_encoding: Encoding
    value: str | None
    value_encoding: Encoding
    headers: list[RecordHeader]

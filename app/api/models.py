"""The schedule resource of the /v1 API and its conversions to and from records."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, JsonValue, model_validator

from app.engine import Schedule
from app.engine.schedule import EPOCH, TARGET_KEY, TARGET_TOPIC, Header

Encoding = Literal["utf-8", "base64"]

_EXAMPLE: dict[str, JsonValue] = {
    "id": "vid1-online",
    "at": "2030-01-01T08:00:00+01:00",
    "target_topic": "online-videos",
    "target_key": "vid1",
    "value": "video 1",
    "headers": [{"name": "customer-header", "value": "dummy"}],
}


class HeaderModel(BaseModel):
    name: str = Field(min_length=1)
    value: str


class ScheduleIn(BaseModel):
    """A schedule to create or replace: its due time as ``epoch`` or ``at``, not both."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    id: str | None = Field(
        None, description="Schedule id (the record key); taken from the path by PUT"
    )
    epoch: float | None = Field(None, ge=0, description="Due time, Unix seconds (fraction allowed)")
    at: AwareDatetime | None = Field(None, description="Due time, RFC 3339 with an offset")
    target_topic: str = Field(description="Topic the value is written to at the due time")
    target_key: str | None = Field(None, description="Key of the target record (null: no key)")
    value: str = Field("", description="Payload, encoded as value_encoding says")
    value_encoding: Encoding = "utf-8"
    headers: list[HeaderModel] = Field(default_factory=list, description="User headers, in order")
    topic: str | None = Field(None, description="Schedules topic (default: the first)")

    @model_validator(mode="after")
    def _one_due_time(self) -> ScheduleIn:
        if (self.epoch is None) == (self.at is None):
            raise ValueError("give the due time as exactly one of 'epoch' or 'at'")
        return self

    @property
    def due_seconds(self) -> float:
        if self.at is not None:
            return self.at.timestamp()
        assert self.epoch is not None  # the validator saw to it
        return self.epoch

    def payload(self) -> bytes:
        """The value as bytes; raises ``ValueError`` for a base64 value that is not valid."""
        if self.value_encoding == "utf-8":
            return self.value.encode()
        try:
            return base64.b64decode(self.value, validate=True)
        except binascii.Error as error:
            raise ValueError(f"value is not valid base64: {error}") from error

    def record_headers(self) -> list[Header]:
        """The headers of the schedule record an SDK user would write."""
        headers: list[Header] = [
            (EPOCH, _epoch_text(self.due_seconds).encode()),
            (TARGET_TOPIC, self.target_topic.encode()),
        ]
        if self.target_key is not None:
            headers.append((TARGET_KEY, self.target_key.encode()))
        headers += [(h.name, h.value.encode()) for h in self.headers]
        return headers


def _epoch_text(seconds: float) -> str:
    """Whole seconds as the original wrote them; milliseconds only when there are some."""
    ms = round(seconds * 1000)
    return str(ms // 1000) if ms % 1000 == 0 else f"{ms // 1000}.{ms % 1000:03d}"


def as_text(raw: bytes | str | None) -> tuple[str | None, Encoding]:
    if raw is None:
        return None, "utf-8"
    if isinstance(raw, str):
        return raw, "utf-8"
    try:
        return raw.decode(), "utf-8"
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode(), "base64"


_INPUT_HEADERS = frozenset({EPOCH, TARGET_TOPIC, TARGET_KEY})


class ScheduleOut(BaseModel):
    id: str
    epoch: float
    at: datetime
    target_topic: str
    target_key: str | None
    value: str
    value_encoding: Encoding
    headers: list[HeaderModel]
    topic: str
    timestamp: float = Field(description="Timestamp of the schedule record, Unix seconds")
    partition: int
    offset: int
    state: Literal["pending"] = "pending"

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
                HeaderModel(name=name, value=as_text(raw)[0] or "")
                for name, raw in schedule.headers
                if name not in _INPUT_HEADERS
            ],
            topic=schedule.topic,
            timestamp=schedule.timestamp_ms / 1000,
            partition=schedule.partition,
            offset=schedule.offset,
        )


class Page(BaseModel):
    items: list[ScheduleOut]
    next_cursor: str | None = Field(
        description="Pass as 'cursor' for the next page; null at the end"
    )


class ClockOut(BaseModel):
    now: float = Field(description="The mini scheduler's time, Unix seconds")
    offset_seconds: float = Field(description="How far it was advanced beyond the real time")


class Advance(BaseModel):
    seconds: float = Field(gt=0, le=100 * 365 * 86400)


class RecordOut(BaseModel):
    topic: str
    partition: int
    offset: int
    timestamp: float
    key: str | None
    key_encoding: Encoding
    value: str | None
    value_encoding: Encoding
    headers: list[HeaderModel]

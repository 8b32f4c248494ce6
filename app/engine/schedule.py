"""The schedule record contract: how a Kafka record becomes a schedule, a deletion or a reject.

Wire-compatible with etf1/kafka-message-scheduler: the same three input headers, the same
output headers. Parsing is strict where the original was silently lossy (an epoch in
milliseconds, a missing target topic), so that every reject carries a reason.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Protocol

EPOCH = "scheduler-epoch"
TARGET_TOPIC = "scheduler-target-topic"
TARGET_KEY = "scheduler-target-key"
OUT_TIMESTAMP = "scheduler-timestamp"
OUT_KEY = "scheduler-key"
OUT_TOPIC = "scheduler-topic"
ERROR = "scheduler-error"
# Written by the scheduler itself: which version of the key a tombstone removes, and which
# version a rewritten record carries forward. They let a replay tell its own writes apart
# from a user's (see PartitionState).
TOMBSTONE_OF = "scheduler-tombstone-of"
REWRITE_OF = "scheduler-rewrite-of"

# Headers the scheduler adds on output: stale copies in the input (a triggered record
# re-produced as a schedule) are dropped so that each appears once.
_OUTPUT_ONLY = frozenset({OUT_TIMESTAMP, OUT_KEY, OUT_TOPIC, TOMBSTONE_OF, REWRITE_OF})

MAX_EPOCH_SECONDS = 10**11
"""An epoch above this is a timestamp in milliseconds by mistake (year 5138 in seconds)."""

_EPOCH = re.compile(rb"\s*\+?([0-9]+)(?:\.([0-9]*))?\s*")
_TOPIC_NAME = re.compile(r"[a-zA-Z0-9._-]{1,249}")

Header = tuple[str, str | bytes | None]
HeadersLike = list[Header] | dict[str, str | bytes | None]


class RecordLike(Protocol):
    """What the engine reads of a record: the accessors of ``confluent_kafka.Message``."""

    def topic(self) -> str | None: ...
    def partition(self) -> int | None: ...
    def offset(self) -> int | None: ...
    def key(self) -> bytes | None: ...
    def value(self) -> bytes | None: ...
    def headers(self) -> HeadersLike | None: ...
    def timestamp(self) -> tuple[int, int]: ...


@dataclass(frozen=True, slots=True)
class Rules:
    """What makes a target topic acceptable: never a loop back into the scheduler, and
    only the topics the operator allows (so that the scheduler cannot be used to write
    anywhere its credentials reach)."""

    schedules_topics: frozenset[str]
    history_topic: str
    allowed: tuple[re.Pattern[str], ...] = ()
    """Target topic patterns (full match); empty: any topic that passes the rules above."""

    def target_topic_error(self, topic: str) -> str | None:
        if not topic:
            return "empty scheduler-target-topic"
        if topic in self.schedules_topics:
            return f"target topic {topic!r} is a schedules topic"
        if topic == self.history_topic:
            return f"target topic {topic!r} is the history topic"
        if topic.startswith("__"):
            return f"target topic {topic!r} is internal (starts with '__')"
        if topic in (".", "..") or not _TOPIC_NAME.fullmatch(topic):
            return f"target topic {topic!r} is not a valid Kafka topic name"
        if self.allowed and not any(pattern.fullmatch(topic) for pattern in self.allowed):
            return f"target topic {topic!r} is not allowed by TARGET_TOPICS_ALLOWED"
        return None


def topic_patterns(spec: str) -> tuple[re.Pattern[str], ...]:
    """``TARGET_TOPICS_ALLOWED``: comma-separated globs (``orders-*``), or regular
    expressions prefixed with ``re:`` (``re:orders-(eu|us)``). Raises ``re.error``."""
    patterns = []
    for entry in (e.strip() for e in spec.split(",")):
        if entry.startswith("re:"):
            patterns.append(re.compile(entry[3:]))
        elif entry:
            patterns.append(re.compile(fnmatch.translate(entry)))
    return tuple(patterns)


@dataclass(slots=True)
class Schedule:
    id: bytes
    due_ms: int
    target_topic: str
    target_key: bytes | None
    value: bytes
    headers: list[Header]
    timestamp_ms: int
    topic: str
    partition: int
    offset: int
    version: int
    """Offset of the user record this schedule comes from; differs from ``offset`` only in a
    record the scheduler rewrote."""


@dataclass(frozen=True, slots=True)
class Deletion:
    tombstone_of: int | None
    """The version a scheduler tombstone removes; None for a user's delete."""


@dataclass(frozen=True, slots=True)
class Invalid:
    reason: str


def _as_bytes(value: str | bytes | None) -> bytes | None:
    return value.encode() if isinstance(value, str) else value


def parse_epoch_ms(raw: bytes) -> int | str:
    """Unix seconds, fraction allowed, as milliseconds; or the reason it is not a due time."""
    match = _EPOCH.fullmatch(raw)
    if match is None:
        if raw.strip().startswith(b"-"):
            return f"negative scheduler-epoch {raw.decode(errors='replace')!r}"
        return f"scheduler-epoch {raw.decode(errors='replace')!r} is not a number of seconds"
    digits = match.group(1).lstrip(b"0") or b"0"
    if len(digits) > 20:  # before int(), which raises on 4,300 digits
        return f"scheduler-epoch of {len(digits)} digits is too large"
    seconds = int(digits)
    if seconds > MAX_EPOCH_SECONDS:
        return f"scheduler-epoch {seconds} is too large: milliseconds instead of seconds?"
    fraction = (match.group(2) or b"")[:3].ljust(3, b"0")
    return seconds * 1000 + int(fraction)


def format_epoch_ms(ms: int) -> str:
    """The ``scheduler-epoch`` of a due time: whole seconds when there is no fraction, as
    the original scheduler (which reads only integers) wrote them."""
    return str(ms // 1000) if ms % 1000 == 0 else f"{ms // 1000}.{ms % 1000:03d}"


def _int_header(value: str | bytes | None) -> int | None:
    raw = _as_bytes(value)
    return int(raw) if raw is not None and raw.isdigit() and len(raw) <= 19 else None


def classify(record: RecordLike, rules: Rules) -> Schedule | Deletion | Invalid:
    """Turn a record of a schedules topic into what it means for its key."""
    raw_headers = record.headers()
    headers: list[Header] = (
        list(raw_headers.items()) if isinstance(raw_headers, dict) else raw_headers or []
    )
    epoch = target_topic = target_key = tombstone_of = rewrite_of = None
    seen: set[str] = set()  # the first occurrence of an input header wins, even a null one
    for name, value in headers:
        if name in seen:
            continue
        if name == EPOCH:
            seen.add(name)
            epoch = _as_bytes(value)
        elif name == TARGET_TOPIC:
            seen.add(name)
            target_topic = _as_bytes(value)
        elif name == TARGET_KEY:
            seen.add(name)
            target_key = _as_bytes(value)
        elif name == TOMBSTONE_OF:
            tombstone_of = _int_header(value)
        elif name == REWRITE_OF:
            rewrite_of = _int_header(value)

    value = record.value()
    if value is None:
        return Deletion(tombstone_of)
    key = record.key()
    if key is None or not key.strip():
        return Invalid("blank key")
    if epoch is None:
        return Invalid(f"missing {EPOCH} header")
    due_ms = parse_epoch_ms(epoch)
    if isinstance(due_ms, str):
        return Invalid(due_ms)
    if target_topic is None:
        return Invalid(f"missing {TARGET_TOPIC} header")
    try:
        topic_name = target_topic.decode()
    except UnicodeDecodeError:
        return Invalid(f"{TARGET_TOPIC} is not UTF-8")
    error = rules.target_topic_error(topic_name)
    if error is not None:
        return Invalid(error)
    offset = record.offset() or 0
    return Schedule(
        id=key,
        due_ms=due_ms,
        target_topic=topic_name,
        target_key=target_key,
        value=value,
        headers=headers,
        timestamp_ms=record.timestamp()[1],
        topic=record.topic() or "",
        partition=record.partition() or 0,
        offset=offset,
        version=rewrite_of if rewrite_of is not None and rewrite_of < offset else offset,
    )


def output_headers(schedule: Schedule) -> list[Header]:
    """Headers of the target and history records: the schedule's own, in order, then three
    that say where it came from (the original's order and encodings)."""
    headers = [h for h in schedule.headers if h[0] not in _OUTPUT_ONLY]
    headers.append((OUT_TIMESTAMP, str(schedule.timestamp_ms // 1000).encode()))
    headers.append((OUT_KEY, schedule.id))
    headers.append((OUT_TOPIC, schedule.topic.encode()))
    return headers


def rewrite_headers(schedule: Schedule) -> list[Header]:
    """Headers of a rewritten schedule: its own, marked with the version it carries."""
    headers = [h for h in schedule.headers if h[0] != REWRITE_OF]
    headers.append((REWRITE_OF, str(schedule.version).encode()))
    return headers

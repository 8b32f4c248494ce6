"""Property tests with arbitrary records: whatever a producer writes, the parser returns a
schedule, a deletion or an invalid record with its reason, and the engine takes it; neither
ever raises (an exception would leave the record neither fired, nor counted, nor
tombstoned)."""

from __future__ import annotations

import math

from hypothesis import example, given, settings
from hypothesis import strategies as st

from app.engine import Event
from app.engine.schedule import (
    EPOCH,
    MAX_EPOCH_SECONDS,
    REWRITE_OF,
    TARGET_KEY,
    TARGET_TOPIC,
    TOMBSTONE_OF,
    Deletion,
    Invalid,
    Schedule,
    classify,
    parse_epoch_ms,
)

from .helpers import NOON, RULES, TARGET, Harness, record

NAMES = st.sampled_from([EPOCH, TARGET_TOPIC, TARGET_KEY, TOMBSTONE_OF, REWRITE_OF]) | st.text(
    max_size=20
)
EPOCH_TEXT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(lambda x: repr(x).encode()),
    st.integers(min_value=-(10**30), max_value=10**30).map(lambda n: str(n).encode()),
    st.text(alphabet="0123456789.+- eE", max_size=6000).map(str.encode),
    st.binary(max_size=40),
)
VALUES = st.none() | st.binary(max_size=64) | EPOCH_TEXT | st.sampled_from([TARGET.encode()])
HEADERS = st.lists(st.tuples(NAMES, VALUES), max_size=8)
RECORDS = st.builds(
    record,
    key=st.none() | st.binary(max_size=32),
    value=st.none() | st.binary(max_size=64),
    headers=HEADERS,
    offset=st.integers(min_value=0, max_value=2**40),
    timestamp_ms=st.integers(min_value=-1, max_value=2**45),
)


@settings(max_examples=2000)
@given(RECORDS)
def test_any_record_is_a_schedule_a_deletion_or_invalid_with_a_reason(rec: object) -> None:
    parsed = classify(rec, RULES)  # type: ignore[arg-type]
    if isinstance(parsed, Invalid):
        assert parsed.reason
    elif isinstance(parsed, Schedule):
        assert 0 <= parsed.due_ms <= MAX_EPOCH_SECONDS * 1000 + 999
        assert RULES.target_topic_error(parsed.target_topic) is None
        assert parsed.id.strip()
        assert parsed.version <= parsed.offset
    else:
        assert isinstance(parsed, Deletion)


@settings(max_examples=2000)
@given(EPOCH_TEXT)
@example(b"9" * 5000)  # int() of more than 4,300 digits raises
@example(b"+0000000000000000000000001.5")
def test_any_epoch_text_is_milliseconds_or_a_reason(raw: bytes) -> None:
    due = parse_epoch_ms(raw)
    assert isinstance(due, str) or 0 <= due <= MAX_EPOCH_SECONDS * 1000 + 999


@given(st.floats())
def test_nan_infinite_and_negative_epochs_are_refused(x: float) -> None:
    due = parse_epoch_ms(repr(x).encode())
    if math.isnan(x) or math.isinf(x) or x < 0 or x >= MAX_EPOCH_SECONDS + 1:
        assert isinstance(due, str)


@given(st.integers(min_value=0, max_value=MAX_EPOCH_SECONDS * 1000 + 999))
def test_millisecond_epochs_round_trip(ms: int) -> None:
    assert parse_epoch_ms(f"{ms // 1000}.{ms % 1000:03d}".encode()) == ms


@settings(max_examples=300)
@given(st.lists(RECORDS, max_size=30), st.integers(min_value=0, max_value=10**9))
def test_the_engine_takes_any_sequence_of_records(records: list[object], later: int) -> None:
    h = Harness()
    h.load()
    for rec in records:  # each at the next offset of the partition
        h.append(rec.key(), rec.value(), list(rec.headers()))  # type: ignore[attr-defined]
        h.consume()
    h.clock.set(NOON + later)
    h.settle()
    assert h.counts[Event.PLANNED] + h.counts[Event.INVALID] <= len(records)
    assert h.engine.pending_count <= len(records)

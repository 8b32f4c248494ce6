"""The schedule record contract: parsing, validation and output headers."""

from __future__ import annotations

import pytest

from app.engine.schedule import (
    EPOCH,
    OUT_KEY,
    OUT_TIMESTAMP,
    OUT_TOPIC,
    REWRITE_OF,
    TARGET_KEY,
    TARGET_TOPIC,
    TOMBSTONE_OF,
    Deletion,
    Header,
    Invalid,
    Schedule,
    classify,
    output_headers,
    parse_epoch_ms,
    rewrite_headers,
)

from .helpers import HISTORY, OTHER_TOPIC, RULES, TARGET, TOPIC, record


def parse(
    key: bytes | None = b"id-1",
    value: bytes | None = b"payload",
    headers: list[Header] | None = None,
    **kw: int,
) -> Schedule | Deletion | Invalid:
    if headers is None:
        headers = [(EPOCH, b"1893456000"), (TARGET_TOPIC, TARGET)]
    return classify(record(key, value, headers, **kw), RULES)


def valid(**kw: object) -> Schedule:
    parsed = parse(**kw)  # type: ignore[arg-type]
    assert isinstance(parsed, Schedule), parsed
    return parsed


def test_valid_schedule_fields() -> None:
    headers: list[Header] = [
        (EPOCH, b"1893456000"),
        ("custom", b"c"),
        (TARGET_TOPIC, b"target"),
        (TARGET_KEY, b"tk"),
    ]
    s = valid(headers=headers, offset=7, partition=2, timestamp_ms=1_893_000_123_456)
    assert s.id == b"id-1"
    assert s.due_ms == 1_893_456_000_000
    assert (s.target_topic, s.target_key) == ("target", b"tk")
    assert s.value == b"payload"
    assert s.headers == headers
    assert (s.topic, s.partition, s.offset, s.version) == (TOPIC, 2, 7, 7)
    assert s.timestamp_ms == 1_893_000_123_456


def test_headers_as_dict_and_str_values() -> None:
    s = valid(headers={EPOCH: "1893456000", TARGET_TOPIC: "target", TARGET_KEY: "tk"})
    assert (s.due_ms, s.target_topic, s.target_key) == (1_893_456_000_000, "target", b"tk")


@pytest.mark.parametrize(
    ("raw", "ms"),
    [
        (b"1893456000", 1_893_456_000_000),
        (b"1893456000.250", 1_893_456_000_250),
        (b"1893456000.25", 1_893_456_000_250),
        (b"1893456000.2509", 1_893_456_000_250),
        (b"1893456000.", 1_893_456_000_000),
        (b" 1893456000 ", 1_893_456_000_000),
        (b"+1893456000", 1_893_456_000_000),  # the original parsed a sign too
        (b"0", 0),
        (b"100000000000", 10**14),
    ],
)
def test_epoch_to_ms(raw: bytes, ms: int) -> None:
    assert parse_epoch_ms(raw) == ms
    assert valid(headers=[(EPOCH, raw), (TARGET_TOPIC, TARGET)]).due_ms == ms


@pytest.mark.parametrize(
    ("target_key_headers", "expected"),
    [
        ([], None),
        ([(TARGET_KEY, b"")], b""),
        ([(TARGET_KEY, None)], None),
        ([(TARGET_KEY, b"k")], b"k"),
    ],
)
def test_target_key(target_key_headers: list[Header], expected: bytes | None) -> None:
    headers: list[Header] = [(EPOCH, b"1"), (TARGET_TOPIC, TARGET), *target_key_headers]
    assert valid(headers=headers).target_key == expected


def test_empty_value_is_a_payload_and_null_value_a_deletion() -> None:
    assert valid(value=b"").value == b""
    assert parse(value=None) == Deletion(tombstone_of=None)
    # a tombstone needs no valid headers, and the scheduler's own one names its version
    assert parse(value=None, headers=[]) == Deletion(None)
    assert parse(value=None, headers=[(TOMBSTONE_OF, b"12")]) == Deletion(12)


@pytest.mark.parametrize(
    ("headers", "due_ms", "target", "target_key"),
    [
        ([(EPOCH, b"1"), (EPOCH, b"2"), (TARGET_TOPIC, "a"), (TARGET_TOPIC, "b")], 1000, "a", None),
        (
            [(EPOCH, b"1"), (TARGET_TOPIC, "a"), (TARGET_KEY, b"k1"), (TARGET_KEY, b"k2")],
            1000,
            "a",
            b"k1",
        ),
        (
            [(EPOCH, b"1"), (TARGET_TOPIC, "a"), (TARGET_KEY, None), (TARGET_KEY, b"k2")],
            1000,
            "a",
            None,
        ),
    ],
)
def test_first_occurrence_of_a_scheduler_header_wins(
    headers: list[Header], due_ms: int, target: str, target_key: bytes | None
) -> None:
    s = valid(headers=headers)
    assert (s.due_ms, s.target_topic, s.target_key) == (due_ms, target, target_key)


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ([(EPOCH, None), (EPOCH, b"1"), (TARGET_TOPIC, TARGET)], "epoch"),
        ([(EPOCH, b"1"), (TARGET_TOPIC, None), (TARGET_TOPIC, TARGET)], TARGET_TOPIC),
    ],
)
def test_a_null_first_scheduler_header_still_wins(headers: list[Header], reason: str) -> None:
    """First occurrence wins even when its value is null, as for the target key."""
    parsed = parse(headers=headers)
    assert isinstance(parsed, Invalid)
    assert reason in parsed.reason


@pytest.mark.parametrize("key", [None, b"", b" ", b" \t\n"])
def test_blank_key_is_invalid(key: bytes | None) -> None:
    assert parse(key=key) == Invalid("blank key")


@pytest.mark.parametrize(
    ("epoch_headers", "words"),
    [
        ([], "missing"),
        ([(EPOCH, b"")], "not a number"),
        ([(EPOCH, b"soon")], "not a number"),
        ([(EPOCH, b"1.7e9")], "not a number"),
        ([(EPOCH, b"-1")], "negative"),
        ([(EPOCH, b" -1893456000.5")], "negative"),
        ([(EPOCH, b"100000000001")], "too large"),
        ([(EPOCH, b"1893456000000")], "milliseconds"),
    ],
)
def test_invalid_epoch(epoch_headers: list[Header], words: str) -> None:
    parsed = parse(headers=[*epoch_headers, (TARGET_TOPIC, TARGET)])
    assert isinstance(parsed, Invalid)
    assert words in parsed.reason


@pytest.mark.parametrize(
    ("topic_headers", "words"),
    [
        ([], "missing"),
        ([(TARGET_TOPIC, b"")], "empty"),
        ([(TARGET_TOPIC, TOPIC)], "schedules topic"),
        ([(TARGET_TOPIC, OTHER_TOPIC)], "schedules topic"),
        ([(TARGET_TOPIC, HISTORY)], "history topic"),
        ([(TARGET_TOPIC, "__consumer_offsets")], "internal"),
        ([(TARGET_TOPIC, "__x")], "internal"),
        ([(TARGET_TOPIC, "with space")], "not a valid"),
        ([(TARGET_TOPIC, "a/b")], "not a valid"),
        ([(TARGET_TOPIC, "é")], "not a valid"),
        ([(TARGET_TOPIC, ".")], "not a valid"),
        ([(TARGET_TOPIC, "..")], "not a valid"),
        ([(TARGET_TOPIC, "t" * 250)], "not a valid"),
        ([(TARGET_TOPIC, b"\xff")], "UTF-8"),
    ],
)
def test_invalid_target_topic(topic_headers: list[Header], words: str) -> None:
    parsed = parse(headers=[(EPOCH, b"1"), *topic_headers])
    assert isinstance(parsed, Invalid)
    assert words in parsed.reason


@pytest.mark.parametrize("name", ["a", "a.b_c-D9", "_x", "t" * 249, "._"])
def test_acceptable_target_topics(name: str) -> None:
    assert valid(headers=[(EPOCH, b"1"), (TARGET_TOPIC, name)]).target_topic == name


def test_output_headers_order() -> None:
    headers: list[Header] = [
        ("first", b"1"),
        (EPOCH, b"1893456000"),
        (TARGET_TOPIC, b"target"),
        ("dup", b"a"),
        (TARGET_KEY, b"tk"),
        ("dup", b"b"),
    ]
    s = valid(key=b"id-9", headers=headers, timestamp_ms=1_893_000_000_999)
    assert output_headers(s) == [
        *headers,
        (OUT_TIMESTAMP, b"1893000000"),
        (OUT_KEY, b"id-9"),
        (OUT_TOPIC, TOPIC.encode()),
    ]


def test_output_headers_drop_stale_scheduler_outputs() -> None:
    """A triggered record re-produced as a schedule carries old output headers: each once."""
    headers: list[Header] = [
        (OUT_KEY, b"old-key"),
        (EPOCH, b"1"),
        (OUT_TOPIC, b"old-topic"),
        (TARGET_TOPIC, TARGET),
        (OUT_TIMESTAMP, b"1"),
        ("user", b"u"),
        (REWRITE_OF, b"3"),
    ]
    s = valid(key=b"new", headers=headers, timestamp_ms=5_000, offset=9)
    assert output_headers(s) == [
        (EPOCH, b"1"),
        (TARGET_TOPIC, TARGET),
        ("user", b"u"),
        (OUT_TIMESTAMP, b"5"),
        (OUT_KEY, b"new"),
        (OUT_TOPIC, TOPIC.encode()),
    ]


def test_rewrite_carries_its_version_and_is_read_back_as_it() -> None:
    original = valid(offset=4)
    headers = rewrite_headers(original)
    assert headers[-1] == (REWRITE_OF, b"4")
    back = valid(headers=headers, offset=10)
    assert (back.offset, back.version, back.due_ms) == (10, 4, original.due_ms)
    # rewriting a rewrite keeps a single marker
    assert [h for h in rewrite_headers(back) if h[0] == REWRITE_OF] == [(REWRITE_OF, b"4")]
    assert REWRITE_OF not in dict(output_headers(back))


def test_a_rewrite_marker_not_older_than_the_record_is_ignored() -> None:
    s = valid(headers=[(EPOCH, b"1"), (TARGET_TOPIC, TARGET), (REWRITE_OF, b"12")], offset=12)
    assert s.version == 12

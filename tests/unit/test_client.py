"""The client library's pure parts: the records it builds are read back by the scheduler's
own parser, and the retry helper keeps the original's contract without its mistakes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from confluent_kafka import TIMESTAMP_CREATE_TIME, TIMESTAMP_NOT_AVAILABLE, Message

from app.client import (
    Backoff,
    MaxAttemptsReached,
    ProduceArgs,
    RetryPolicy,
    delete_schedule,
    is_retried_message,
    is_scheduler_message,
    schedule,
    schedule_retry,
)
from app.engine import Rules, Schedule
from app.engine.schedule import Deletion, classify

NOW = datetime(2030, 1, 1, 8, tzinfo=UTC).timestamp()  # 1893484800
RULES = Rules(frozenset({"schedules"}), "history")


def as_message(record: ProduceArgs, timestamp_ms: int = int(NOW * 1000)) -> Message:
    return Message(
        topic=record["topic"],
        partition=0,
        offset=7,
        key=record["key"],
        value=record["value"],
        headers=record["headers"],
        timestamp=(TIMESTAMP_CREATE_TIME, timestamp_ms),
    )


def parsed(record: ProduceArgs) -> Schedule:
    result = classify(as_message(record), RULES)
    assert isinstance(result, Schedule), result
    return result


def test_schedule_is_read_back_by_the_scheduler_as_meant() -> None:
    record = schedule(
        "vid1-online",
        NOW + 60.25,
        "online-videos",
        "video 1",
        target_key="vid1",
        headers=[("customer-header", "dummy")],
        now=NOW,
    )
    assert (record["topic"], record["key"], record["value"]) == (
        "schedules",
        b"vid1-online",
        b"video 1",
    )
    assert record["headers"] == [
        ("customer-header", b"dummy"),
        ("scheduler-epoch", b"1893484860.250"),
        ("scheduler-target-topic", b"online-videos"),
        ("scheduler-target-key", b"vid1"),
    ]
    result = parsed(record)
    assert (result.due_ms, result.target_topic, result.target_key) == (
        1893484860250,
        "online-videos",
        b"vid1",
    )


def test_due_time_as_aware_datetime_whole_seconds_and_no_target_key() -> None:
    paris = timezone(timedelta(hours=1))
    record = schedule(b"id", datetime(2030, 1, 1, 9, 1, tzinfo=paris), "t", b"", now=NOW)
    assert record["headers"] == [
        ("scheduler-epoch", b"1893484860"),  # no fraction: the original reads integers only
        ("scheduler-target-topic", b"t"),
    ]
    result = parsed(record)
    assert result.target_key is None and result.value == b""  # an empty payload is one


def test_scheduling_a_fired_record_again_does_not_stack_scheduler_headers() -> None:
    fired = [
        ("scheduler-epoch", b"1"),
        ("scheduler-target-topic", b"old"),
        ("scheduler-target-key", b"old"),
        ("scheduler-key", b"old-id"),
        ("trace", b"42"),
    ]
    before = list(fired)
    record = schedule("new", NOW + 1, "t", "v", headers=fired, topic="s2", now=NOW)
    assert [name for name, _ in record["headers"]] == [
        "trace",
        "scheduler-epoch",
        "scheduler-target-topic",
    ]
    assert record["topic"] == "s2"
    assert fired == before


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"schedule_id": " "}, "schedule_id: must not be blank"),
        ({"due": NOW - 1}, "before now"),
        ({"due": datetime(2030, 1, 1)}, "time zone"),
        ({"due": 1893484800000.0}, "milliseconds"),
        ({"target_topic": "schedules"}, "is a schedules topic"),
        ({"target_topic": "bad topic"}, "not a valid Kafka topic name"),
        ({"target_topic": ""}, "empty"),
        ({"topic": ""}, "topic: the schedules topic must not be empty"),
        ({"value": None}, "None is a delete"),
    ],
)
def test_schedule_refuses_what_the_scheduler_would_reject(
    kwargs: dict[str, object], words: str
) -> None:
    arguments: dict[str, object] = {
        "schedule_id": "id",
        "due": NOW,
        "target_topic": "t",
        "value": "v",
        "now": NOW + 0.9,  # the current second may still fire
        **kwargs,
    }
    with pytest.raises(ValueError, match=words):
        schedule(**arguments)  # type: ignore[arg-type]


def test_delete_is_a_tombstone_for_the_id() -> None:
    record = delete_schedule("vid1-online", topic="s2")
    assert record == {"topic": "s2", "key": b"vid1-online", "value": None, "headers": []}
    assert classify(as_message(record), RULES) == Deletion(None)
    with pytest.raises(ValueError, match="blank"):
        delete_schedule("")


def test_message_kinds_from_either_header_shape() -> None:
    assert is_scheduler_message(Message(headers=[("scheduler-key", b"x")]))
    assert is_scheduler_message(Message(headers={"scheduler-key": None}))
    assert not is_scheduler_message(Message(headers=[("scheduler-epoch", b"1")]))
    assert not is_scheduler_message(Message())
    assert is_retried_message(Message(headers={"retry-attempt": b"3"}))
    assert not is_retried_message(Message(headers=[("scheduler-key", b"x")]))


def test_default_backoff_starts_at_the_minimum_and_is_capped() -> None:
    backoff = Backoff()
    assert [backoff.delay(n) for n in range(1, 12)] == [
        5,
        10,
        20,
        40,
        80,
        160,
        320,
        640,
        1280,
        2560,
        3600,
    ]
    assert backoff.delay(10**6) == 3600  # no float overflow


@pytest.mark.parametrize(
    ("factor", "delays"),
    [(1.0, [10, 10, 10]), (1.5, [10, 15, 22.5]), (3.0, [10, 30, 90])],
)
def test_backoff_factors(factor: float, delays: list[float]) -> None:
    backoff = Backoff(minimum=10, maximum=3600, factor=factor)
    assert [backoff.delay(n) for n in (1, 2, 3)] == pytest.approx(delays)


def test_jitter_stays_between_minimum_and_the_delay_and_repeats_with_a_seed() -> None:
    draws = [Backoff(jitter=True, seed=seed) for seed in (7, 7, 8)]
    sequences = [[b.delay(n) for n in range(1, 30)] for b in draws]
    assert sequences[0] == sequences[1] != sequences[2]
    plain = Backoff()
    for n, delay in enumerate(sequences[0], start=1):
        assert 5 <= delay <= plain.delay(n)
    assert len(set(sequences[0][5:])) > 1  # really drawn, not the bound


@pytest.mark.parametrize(
    "kwargs",
    [{"minimum": 0}, {"minimum": 10, "maximum": 5}, {"factor": 0.5}],
)
def test_backoff_refuses_bad_parameters(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="Backoff"):
        Backoff(**kwargs)


def failed(headers: list[tuple[str, bytes]], timestamp_ms: int = 1_700_000_000_123) -> Message:
    return Message(
        topic="orders",
        key=b"order-42",
        value=b"payload",
        headers=headers,
        timestamp=(TIMESTAMP_CREATE_TIME, timestamp_ms),
    )


def test_first_retry_after_the_minimum_with_the_message_own_timestamp() -> None:
    message = failed([("trace", b"1"), ("scheduler-key", b"earlier-schedule")])
    record = schedule_retry(message, "retry-order-42", now=NOW)
    assert record["key"] == b"retry-order-42" and record["value"] == b"payload"
    assert record["headers"] == [
        ("trace", b"1"),
        ("retry-attempt", b"1"),
        ("retry-original-timestamp", b"1700000000"),
        ("scheduler-epoch", b"1893484805"),
        ("scheduler-target-topic", b"orders"),
        ("scheduler-target-key", b"order-42"),
    ]
    assert message.headers() == [("trace", b"1"), ("scheduler-key", b"earlier-schedule")]


def test_later_retry_counts_on_and_keeps_the_original_timestamp() -> None:
    message = failed([("retry-original-timestamp", b"1600000000"), ("retry-attempt", b"10")])
    record = schedule_retry(message, "r", now=NOW)
    headers = dict(record["headers"])
    assert headers["retry-attempt"] == b"11"
    assert headers["retry-original-timestamp"] == b"1600000000"
    assert headers["scheduler-epoch"] == str(int(NOW) + 3600).encode()
    assert [name for name, _ in record["headers"]].count("retry-attempt") == 1


def test_retry_without_a_count_or_a_timestamp_starts_over_from_now() -> None:
    message = Message(
        topic="orders",
        value=b"",
        headers=[("retry-attempt", b"not a number")],
        timestamp=(TIMESTAMP_NOT_AVAILABLE, 0),
    )
    policy = RetryPolicy(strategy=Backoff(minimum=1, maximum=2))
    headers = dict(schedule_retry(message, "r", policy=policy, now=NOW + 0.5)["headers"])
    assert headers["retry-attempt"] == b"1"
    assert headers["retry-original-timestamp"] == str(int(NOW)).encode()
    assert headers["scheduler-epoch"] == b"1893484801.500"
    assert "scheduler-target-key" not in headers  # a null key stays null


def test_retry_beyond_the_maximum_raises_and_changes_nothing() -> None:
    message = failed([("retry-attempt", b"3")])
    with pytest.raises(MaxAttemptsReached, match="attempt 4 is beyond the maximum of 3") as info:
        schedule_retry(message, "r", policy=RetryPolicy(max_attempts=3), now=NOW)
    assert (info.value.attempt, info.value.max_attempts) == (4, 3)
    assert message.headers() == [("retry-attempt", b"3")]
    assert dict(schedule_retry(message, "r", now=NOW)["headers"])["retry-attempt"] == b"4"


@pytest.mark.parametrize(
    ("message", "words"),
    [(Message(value=b"v"), "no topic"), (Message(topic="orders"), "null value")],
)
def test_retry_refuses_a_message_it_cannot_send_back(message: Message, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        schedule_retry(message, "r", now=NOW)

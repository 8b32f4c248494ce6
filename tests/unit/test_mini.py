"""The mini mode's in-memory scheduler: same engine, no Kafka."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from app.config import Settings
from app.engine import Event
from app.engine.schedule import EPOCH, TARGET_KEY, TARGET_TOPIC
from app.mini.scheduler import MiniScheduler


@pytest.fixture
def mini() -> Iterator[MiniScheduler]:
    with MiniScheduler(Settings.from_env({})) as scheduler:
        yield scheduler


def headers(due_s: float) -> list[tuple[str, str | bytes | None]]:
    return [(EPOCH, f"{due_s:.3f}".encode()), (TARGET_TOPIC, b"videos"), (TARGET_KEY, b"v1")]


def test_advancing_the_clock_fires_a_far_future_schedule_once(mini: MiniScheduler) -> None:
    mini.write("schedules", b"online", b"video 1", headers(time.time() + 3600))
    assert [s.id for s in mini.schedules()] == [b"online"]
    assert mini.topic_records("videos") == []
    mini.advance(3601)
    [fired] = mini.topic_records("videos")
    assert (fired.key(), fired.value()) == (b"v1", b"video 1")
    assert dict(fired.headers())["scheduler-key"] == b"online"
    assert [r.value() for r in mini.topic_records("history")] == [b"video 1"]
    assert mini.schedules() == []
    assert mini.metrics.value(Event.TRIGGERED) == 1
    assert mini.metrics.value(Event.DELETED) == 0


def test_a_schedule_fires_at_its_time_without_advancing(mini: MiniScheduler) -> None:
    mini.write("schedules", b"soon", b"x", headers(time.time() + 0.2))
    deadline = time.monotonic() + 5
    while not mini.topic_records("videos") and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [r.value() for r in mini.topic_records("videos")] == [b"x"]


def test_delete_and_invalid_writes(mini: MiniScheduler) -> None:
    mini.write("schedules", b"gone", b"x", headers(time.time() + 60))
    mini.write("schedules", b"gone", None, [])
    mini.write("schedules", b"bad", b"x", [(EPOCH, b"soon"), (TARGET_TOPIC, b"videos")])
    mini.advance(120)
    assert mini.topic_records("videos") == []
    assert mini.metrics.value(Event.DELETED) == 1
    assert mini.metrics.value(Event.INVALID) == 1

"""Fixtures that run the Kafka scheduler in-process against the session's real broker."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from app.config import Settings
from app.engine import Event
from app.kafka.runner import KafkaScheduler
from tests.kafka_io import wait_for


@dataclass(frozen=True)
class Topics:
    bootstrap: str
    schedules: str
    history: str
    target: str
    partitions: int


@pytest.fixture
def topics(kafka_broker: Any, topic_factory: Callable[..., str]) -> Topics:
    """A compacted 3-partition schedules topic, a history topic and a target topic."""
    return Topics(
        bootstrap=kafka_broker.bootstrap_servers,
        schedules=topic_factory(partitions=3, compacted=True, prefix="schedules"),
        history=topic_factory(prefix="history"),
        target=topic_factory(prefix="target"),
        partitions=3,
    )


StartScheduler = Callable[..., KafkaScheduler]


@pytest.fixture
def start_scheduler(topics: Topics, group_id: str) -> Iterator[StartScheduler]:
    """Start a scheduler on ``topics`` (environment overrides as keyword arguments) and wait
    until it has loaded ``expect_partitions`` partitions (all of them by default)."""
    started: list[KafkaScheduler] = []

    def start(expect_partitions: int | None = None, **env: str) -> KafkaScheduler:
        settings = Settings.from_env(
            {
                "BOOTSTRAP_SERVERS": topics.bootstrap,
                "SCHEDULES_TOPICS": topics.schedules,
                "HISTORY_TOPIC": topics.history,
                "GROUP_ID": group_id,
                # Missed schedules a few seconds old must fire even when a test runs just
                # after midnight: the window starts at yesterday's midnight.
                "SINCE_DELTA": "-1",
                **env,
            }
        )
        scheduler = KafkaScheduler(settings)
        started.append(scheduler)
        scheduler.start()
        want = topics.partitions if expect_partitions is None else expect_partitions
        wait_for(lambda: len(scheduler.loaded_partitions()) == want, 30, "partitions loaded")
        return scheduler

    yield start
    for scheduler in started:
        scheduler.close()


def wait_counted(
    scheduler: KafkaScheduler, event: Event, count: float, timeout: float = 10
) -> None:
    """Counters move when the broker's acknowledgement reaches the scheduler, a moment after
    a reader can already see the record: wait for them rather than read them at once."""
    wait_for(
        lambda: scheduler.metrics.value(event) == count,
        timeout,
        f"{event.value} == {count} (now {scheduler.metrics.value(event)})",
    )

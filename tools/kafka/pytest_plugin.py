"""pytest fixtures for tests against a real Kafka broker.

Register with ``pytest_plugins = ["tools.kafka.pytest_plugin"]`` in a conftest.py.

* ``kafka_runtime`` (session): directory of the Kafka jars (downloads them on first use).
* ``kafka_broker`` (session): a started single-node :class:`KafkaBroker`.
* ``topic_factory`` (function): ``topic_factory(partitions=1, compacted=False, config=None,
  prefix="t") -> str`` creates a uniquely named topic on ``kafka_broker``.
* ``schedules_topic_factory`` (function): ``schedules_topic_factory(partitions=3) -> str``,
  a compacted topic (``cleanup.policy=compact``, ``retention.ms=-1``).
* ``group_id`` (function): a unique consumer group id.
* ``kafka_cluster3`` (session, started on first use): a 3-node :class:`KafkaCluster`.
  Shared: a test that kills or stops a node restarts it before it ends.

Nothing here skips: a broker that cannot start fails the test with its log tail.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Protocol, TypeVar

import pytest

from tools.kafka.broker import KafkaBroker
from tools.kafka.cluster import KafkaCluster
from tools.kafka.node import ManagedKafka
from tools.kafka.runtime import KafkaHarnessError, ensure_runtime
from tools.kafka.topics import create_topic, unique_name

Managed = TypeVar("Managed", bound=ManagedKafka)


class TopicFactory(Protocol):
    def __call__(
        self,
        partitions: int = 1,
        compacted: bool = False,
        config: Mapping[str, str] | None = None,
        prefix: str = "t",
    ) -> str: ...


class SchedulesTopicFactory(Protocol):
    def __call__(self, partitions: int = 3, prefix: str = "schedules") -> str: ...


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: long-running tests (multi-broker, soak)")


@pytest.fixture(scope="session")
def kafka_runtime() -> Path:
    try:
        return ensure_runtime()
    except KafkaHarnessError as exc:
        pytest.fail(f"Kafka runtime unavailable: {exc}", pytrace=False)


def _running(kafka: Managed, what: str) -> Iterator[Managed]:
    """Started for the fixture's scope and removed after it; a start that fails fails the
    test with the broker's log tail, never skips it."""
    try:
        kafka.start()
    except KafkaHarnessError as exc:
        kafka.close()
        pytest.fail(f"{what} did not start: {exc}", pytrace=False)
    try:
        yield kafka
    finally:
        kafka.close()


@pytest.fixture(scope="session")
def kafka_broker(kafka_runtime: Path) -> Iterator[KafkaBroker]:
    yield from _running(KafkaBroker(), "Kafka broker")


@pytest.fixture
def topic_factory(kafka_broker: KafkaBroker) -> TopicFactory:
    def make(
        partitions: int = 1,
        compacted: bool = False,
        config: Mapping[str, str] | None = None,
        prefix: str = "t",
    ) -> str:
        name = unique_name(prefix)
        return create_topic(
            kafka_broker.bootstrap_servers, name, partitions, config, compacted=compacted
        )

    return make


@pytest.fixture
def schedules_topic_factory(topic_factory: TopicFactory) -> SchedulesTopicFactory:
    def make(partitions: int = 3, prefix: str = "schedules") -> str:
        return topic_factory(partitions=partitions, compacted=True, prefix=prefix)

    return make


@pytest.fixture
def group_id() -> str:
    return unique_name("g")


@pytest.fixture(scope="session")
def kafka_cluster3(kafka_runtime: Path) -> Iterator[KafkaCluster]:
    """Shared by the whole session: a test that stops or kills a node should restart it
    (``kafka_cluster3.restart(node_id)``, or ``ensure_running()``) before it ends."""
    yield from _running(KafkaCluster(3), "3-node Kafka cluster")

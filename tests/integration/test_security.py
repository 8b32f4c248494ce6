"""Kafka security through CONFIGURATION_FILE: a broker that only lets the scheduler in over
SASL/PLAIN, and a scheduler configured for it fires (and accepts API writes) like any other."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.config import Settings
from app.kafka.runner import KafkaScheduler
from tests.kafka_io import produce, read_count, schedule_headers, wait_for
from tools.kafka.broker import KafkaBroker
from tools.kafka.topics import create_topic, unique_name


@pytest.fixture
def sasl_broker(kafka_runtime: Path) -> Iterator[KafkaBroker]:
    with KafkaBroker(sasl_users={"scheduler": "s3cret"}) as broker:
        yield broker


def test_scheduler_over_sasl_plain(sasl_broker: KafkaBroker, tmp_path: Path) -> None:
    plain = sasl_broker.bootstrap_servers  # the harness's own listener, for the test's I/O
    schedules = create_topic(plain, unique_name("schedules"), 2, compacted=True)
    history = create_topic(plain, unique_name("history"))
    target = create_topic(plain, unique_name("target"))
    config = tmp_path / "kafka.yaml"
    config.write_text(
        "kafka:\n"
        "  common:\n"
        "    configuration:\n"
        "      security.protocol: SASL_PLAINTEXT\n"
        "      sasl.mechanism: PLAIN\n"
        "      sasl.username: scheduler\n"
        "      sasl.password: s3cret\n"
    )
    assert sasl_broker.sasl_bootstrap_servers is not None
    settings = Settings.from_env(
        {
            "BOOTSTRAP_SERVERS": sasl_broker.sasl_bootstrap_servers,
            "SCHEDULES_TOPICS": schedules,
            "HISTORY_TOPIC": history,
            "GROUP_ID": unique_name("g"),
            "CONFIGURATION_FILE": str(config),
        }
    )
    with KafkaScheduler(settings) as scheduler:
        wait_for(lambda: len(scheduler.loaded_partitions()) == 2, 30, "the load over SASL")
        produce(plain, schedules, [(b"kafka", b"one", schedule_headers(time.time() + 1, target))])
        written = scheduler.write(
            schedules, b"api", b"two", schedule_headers(time.time() + 1, target)
        )
        assert written.offset >= 0
        fired = read_count(plain, target, 2)
    assert sorted(m.value() for m in fired) == [b"one", b"two"]

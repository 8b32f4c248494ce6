"""The Kafka test harness itself, against real brokers: byte-exact round trips, topic
configs, restarts on the same data, the ``python -m tools.kafka up`` CLI and leader
failover on a 3-node cluster."""

from __future__ import annotations

import os
import re
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Message, Producer
from confluent_kafka import TopicPartition as TP

from tools.kafka import KafkaBroker, KafkaCluster, create_topic, topic_config, unique_name
from tools.kafka.pytest_plugin import TopicFactory
from tools.kafka.readiness import quiet_admin

ROOT = Path(__file__).resolve().parents[2]
Header = tuple[str, str | bytes | None]


def produce(
    bootstrap: str,
    topic: str,
    value: bytes,
    key: bytes | None = None,
    headers: list[Header] | None = None,
    partition: int = 0,
    timeout: float = 30.0,
) -> Message:
    """Produce one record with acks=all and return its delivery report (bounded)."""
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "acks": "all",
            "enable.idempotence": False,
            "message.timeout.ms": int(timeout * 1000),
        }
    )
    reports: list[tuple[KafkaError | None, Message]] = []
    producer.produce(
        topic,
        value,
        key,
        partition=partition,
        headers=headers,
        on_delivery=lambda err, msg: reports.append((err, msg)),
    )
    assert producer.flush(timeout + 5) == 0, "delivery not confirmed in time"
    [(error, report)] = reports
    assert error is None, error
    return report


def consume(
    bootstrap: str, topic: str, count: int, partition: int = 0, timeout: float = 30.0
) -> list[Message]:
    """Read ``count`` records of ``topic[partition]`` from the beginning (bounded)."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": unique_name("g"),
            "enable.auto.commit": False,
            "enable.partition.eof": False,
        }
    )
    try:
        consumer.assign([TP(topic, partition, OFFSET_BEGINNING)])
        records: list[Message] = []
        deadline = time.monotonic() + timeout
        while len(records) < count and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None:
                continue
            assert message.error() is None, message.error()
            records.append(message)
        assert len(records) == count, f"read {len(records)} of {count} records in {timeout} s"
        return records
    finally:
        consumer.close()


def test_round_trip_is_byte_exact(kafka_broker: KafkaBroker, topic_factory: TopicFactory) -> None:
    topic = topic_factory()
    key = bytes(range(255, -1, -1))
    value = bytes(range(256))
    headers: list[Header] = [
        ("scheduler-epoch", b"1700000000"),
        ("dup", b"first"),
        ("bin", bytes([0, 255, 10, 13, 0])),
        ("dup", b"second"),
        ("null", None),
        ("empty", b""),
        ("dup", b"third"),
    ]
    report = produce(kafka_broker.bootstrap_servers, topic, value, key, headers)
    [record] = consume(kafka_broker.bootstrap_servers, topic, 1)
    assert record.offset() == report.offset()
    assert record.key() == key
    assert record.value() == value
    assert record.headers() == headers


def test_compacted_topic_config(kafka_broker: KafkaBroker, topic_factory: TopicFactory) -> None:
    compacted = topic_factory(partitions=3, compacted=True, prefix="schedules")
    config = topic_config(kafka_broker.bootstrap_servers, compacted)
    assert config["cleanup.policy"] == "compact"
    assert config["retention.ms"] == "-1"
    meta = quiet_admin(kafka_broker.bootstrap_servers).list_topics(compacted, timeout=10)
    assert len(meta.topics[compacted].partitions) == 3

    plain = topic_factory(config={"retention.ms": "60000"})
    plain_config = topic_config(kafka_broker.bootstrap_servers, plain)
    assert plain_config["cleanup.policy"] == "delete"
    assert plain_config["retention.ms"] == "60000"


@pytest.fixture
def own_broker() -> Iterator[KafkaBroker]:
    """A private broker for tests that stop or crash it."""
    with KafkaBroker() as broker:
        yield broker
    assert not broker.directory.exists()


@pytest.mark.parametrize("how", ["stop", "kill"])
def test_restart_on_same_data_keeps_messages(own_broker: KafkaBroker, how: str) -> None:
    bootstrap = own_broker.bootstrap_servers
    topic = create_topic(bootstrap, unique_name("restart"), partitions=1, compacted=True)
    produce(bootstrap, topic, b"before-restart", key=b"k1")
    if how == "kill":
        own_broker.kill()
    else:
        own_broker.stop()
    assert not own_broker.is_running

    own_broker.restart()

    assert own_broker.bootstrap_servers == bootstrap
    [record] = consume(bootstrap, topic, 1)
    assert (record.key(), record.value()) == (b"k1", b"before-restart")
    produce(bootstrap, topic, b"after-restart", key=b"k2")
    assert [r.value() for r in consume(bootstrap, topic, 2)] == [
        b"before-restart",
        b"after-restart",
    ]


def _read_line(proc: subprocess.Popen[str], prefix: str, timeout: float) -> str:
    """The first stdout line of ``proc`` starting with ``prefix``, waiting at most ``timeout``."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        while (left := deadline - time.monotonic()) > 0:
            if not selector.select(left):
                continue
            line = proc.stdout.readline()
            if line == "":
                raise AssertionError(f"CLI exited (code {proc.wait(5)}) before {prefix!r}")
            if line.startswith(prefix):
                return line.strip()
    raise AssertionError(f"no {prefix!r} line on stdout within {timeout} s")


def test_cli_up_prints_bootstrap_and_stops_on_sigint(tmp_path: Path) -> None:
    stderr_path = tmp_path / "cli.stderr"
    with stderr_path.open("w") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tools.kafka", "up"],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        line = _read_line(proc, "BOOTSTRAP_SERVERS=", timeout=120)
        bootstrap = line.removeprefix("BOOTSTRAP_SERVERS=")
        assert re.fullmatch(r"127\.0\.0\.1:\d+", bootstrap), line
        metadata = quiet_admin(bootstrap).list_topics(timeout=10)
        assert list(metadata.brokers) == [1]

        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0, stderr_path.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    found = re.search(r"in (\S+kafka-broker-\S+)", stderr_path.read_text())
    assert found is not None, stderr_path.read_text()
    assert not Path(found.group(1)).exists(), "CLI left its data directory behind"


@pytest.mark.slow
def test_cluster_survives_leader_crash(kafka_cluster3: KafkaCluster) -> None:
    cluster = kafka_cluster3
    bootstrap = cluster.bootstrap_servers
    assert len(bootstrap.split(",")) == 3
    topic = create_topic(bootstrap, unique_name("failover"), partitions=1, replication_factor=3)
    produce(bootstrap, topic, b"before-crash", key=b"k")
    leader = cluster.leader_of(topic, 0)

    cluster.kill(leader)
    try:
        new_leader = cluster.wait_for_leader(topic, 0, exclude=[leader], timeout=60)
        assert new_leader != leader
        assert new_leader in cluster.running_ids()

        [record] = consume(bootstrap, topic, 1)
        assert record.value() == b"before-crash"
        produce(bootstrap, topic, b"after-crash", key=b"k")  # acks=all, min ISR 2 of 2 alive
        assert [r.value() for r in consume(bootstrap, topic, 2)] == [
            b"before-crash",
            b"after-crash",
        ]
    finally:
        cluster.restart(leader)
    assert sorted(cluster.running_ids()) == [1, 2, 3]

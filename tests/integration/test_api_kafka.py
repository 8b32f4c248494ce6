"""The /v1 API in Kafka mode: a POST produces exactly the record an SDK user would."""

from __future__ import annotations

import time
from collections.abc import Callable

from confluent_kafka import Producer
from fastapi.testclient import TestClient

from app.api import create_app
from app.engine.schedule import format_epoch_ms
from tests.kafka_io import read_all, read_count, wait_for
from tests.scheduler_fixtures import StartScheduler, Topics


def java_partition(bootstrap: str, topic: str, key: bytes) -> int:
    """The partition a Java client (murmur2) picks for ``key`` in ``topic``."""
    producer = Producer({"bootstrap.servers": bootstrap, "partitioner": "murmur2"})
    partitions: list[int] = []
    producer.produce(
        topic, b"probe", key, on_delivery=lambda e, m: partitions.append(m.partition())
    )
    producer.flush(10)
    return partitions[0]


def test_post_produces_the_sdk_record_which_then_fires(
    topics: Topics, start_scheduler: StartScheduler, topic_factory: Callable[..., str]
) -> None:
    scheduler = start_scheduler()
    client = TestClient(create_app(scheduler))
    due = round(time.time() + 2, 3)
    ms = round(due * 1000)  # whole seconds as the original wrote them, else 3 decimals
    epoch_text = format_epoch_ms(ms)
    response = client.post(
        "/v1/schedules",
        json={
            "id": "api-1",
            "epoch": due,
            "target_topic": topics.target,
            "target_key": "k",
            "value": "payload",
            "headers": [{"name": "custom", "value": "c"}],
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    [record] = read_count(topics.bootstrap, topics.schedules, 1)
    assert (record.partition(), record.offset()) == (body["partition"], body["offset"])
    assert record.key() == b"api-1" and record.value() == b"payload"
    assert record.headers() == [
        ("scheduler-epoch", epoch_text.encode()),
        ("scheduler-target-topic", topics.target.encode()),
        ("scheduler-target-key", b"k"),
        ("custom", b"c"),
    ]
    probe_topic = topic_factory(partitions=topics.partitions)  # same partition count
    assert record.partition() == java_partition(topics.bootstrap, probe_topic, b"api-1")
    wait_for(lambda: client.get("/v1/schedules/api-1").status_code == 200, 10, "held")
    [fired] = read_count(topics.bootstrap, topics.target, 1)
    assert fired.value() == b"payload"
    wait_for(lambda: client.get("/v1/schedules/api-1").status_code == 404, 10, "fired")


def test_delete_through_the_api_writes_a_tombstone(
    topics: Topics, start_scheduler: StartScheduler
) -> None:
    scheduler = start_scheduler()
    client = TestClient(create_app(scheduler))
    body = {"epoch": time.time() + 3600, "target_topic": topics.target, "value": "x"}
    assert client.put("/v1/schedules/api-2", json=body).status_code == 201
    wait_for(lambda: client.get("/v1/schedules/api-2").status_code == 200, 10, "held")
    assert client.put("/v1/schedules/api-2", json=body).status_code == 200
    assert client.delete("/v1/schedules/api-2").status_code == 204
    log = read_count(topics.bootstrap, topics.schedules, 3)
    assert [(m.key(), m.value()) for m in log][-1] == (b"api-2", None)
    wait_for(lambda: client.get("/v1/schedules/api-2").status_code == 404, 10, "deleted")
    assert [m for m in read_all(topics.bootstrap, topics.target)] == []


def test_updates_and_deletes_go_beside_a_schedule_placed_by_another_partitioner(
    topics: Topics, start_scheduler: StartScheduler, topic_factory: Callable[..., str]
) -> None:
    """A Go producer's partitioner is not murmur2: a new version written elsewhere would
    leave the old one to fire too."""
    probe_topic = topic_factory(partitions=topics.partitions)
    java = java_partition(topics.bootstrap, probe_topic, b"go-made")
    elsewhere = (java + 1) % topics.partitions
    producer = Producer({"bootstrap.servers": topics.bootstrap})
    due = time.time() + 2
    headers = [
        ("scheduler-epoch", format_epoch_ms(round(due * 1000)).encode()),
        ("scheduler-target-topic", topics.target.encode()),
    ]
    producer.produce(topics.schedules, b"v1", b"go-made", partition=elsewhere, headers=headers)
    producer.flush(10)
    scheduler = start_scheduler()
    client = TestClient(create_app(scheduler))
    wait_for(lambda: client.get("/v1/schedules/go-made").status_code == 200, 10, "held")
    body = {"epoch": due, "target_topic": topics.target, "value": "v2"}
    replaced = client.put("/v1/schedules/go-made", json=body)
    assert replaced.status_code == 200 and replaced.json()["partition"] == elsewhere
    [fired] = read_count(topics.bootstrap, topics.target, 1)
    assert fired.value() == b"v2"
    wait_for(lambda: client.get("/v1/schedules/go-made").status_code == 404, 10, "fired")
    assert [m.value() for m in read_all(topics.bootstrap, topics.target)] == [b"v2"]

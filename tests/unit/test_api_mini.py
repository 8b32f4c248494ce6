"""The REST API over the mini mode, in-process: every /v1 route, validation, pagination,
the test clock, and the original's routes with their exact JSON field names."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api import create_app
from app.config import Settings
from app.mini.scheduler import MiniScheduler


@pytest.fixture
def client() -> Iterator[TestClient]:
    settings = Settings.from_env({"SCHEDULE_GRACE_INTERVAL": "0"})
    with MiniScheduler(settings) as mini, TestClient(create_app(mini, mini=True)) as client:
        yield client


def schedule(**fields: Any) -> dict[str, Any]:
    return {
        "id": "vid1-online",
        "epoch": time.time() + 3600,
        "target_topic": "online-videos",
        "target_key": "vid1",
        "value": "video 1",
        "headers": [{"name": "customer-header", "value": "dummy"}],
        **fields,
    }


def test_create_read_list_delete(client: TestClient) -> None:
    created = client.post("/v1/schedules", json=schedule())
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["id"] == "vid1-online" and body["topic"] == "schedules"
    assert body["offset"] == 0 and body["state"] == "pending"
    read = client.get("/v1/schedules/vid1-online").json()
    assert {k: read[k] for k in ("target_topic", "target_key", "value", "headers")} == {
        "target_topic": "online-videos",
        "target_key": "vid1",
        "value": "video 1",
        "headers": [{"name": "customer-header", "value": "dummy"}],
    }
    assert [s["id"] for s in client.get("/v1/schedules").json()["items"]] == ["vid1-online"]
    assert client.delete("/v1/schedules/vid1-online").status_code == 204
    assert client.get("/v1/schedules/vid1-online").status_code == 404
    assert client.delete("/v1/schedules/vid1-online").status_code == 404


def test_put_creates_then_replaces(client: TestClient) -> None:
    first = client.put("/v1/schedules/a", json=schedule(id=None, value="v1"))
    second = client.put("/v1/schedules/a", json=schedule(id=None, value="v2"))
    assert (first.status_code, second.status_code) == (201, 200)
    assert client.get("/v1/schedules/a").json()["value"] == "v2"


def test_binary_values_round_trip_byte_exact(client: TestClient) -> None:
    raw = bytes(range(256))
    encoded = base64.b64encode(raw).decode()
    client.post("/v1/schedules", json=schedule(value=encoded, value_encoding="base64"))
    read = client.get("/v1/schedules/vid1-online").json()
    assert read["value_encoding"] == "base64"
    assert base64.b64decode(read["value"]) == raw


def test_due_time_as_rfc3339(client: TestClient) -> None:
    body = schedule(epoch=None, at="2030-01-01T08:00:00.250+01:00")
    assert client.post("/v1/schedules", json=body).status_code == 201
    assert client.get("/v1/schedules/vid1-online").json()["epoch"] == 1893481200.25


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"id": "  "}, "id", "blank"),
        ({"epoch": time.time() - 60}, "epoch", "past"),
        ({"epoch": None, "at": "2001-01-01T00:00:00Z"}, "at", "past"),
        ({"epoch": None}, None, "exactly one"),
        ({"epoch": 1e300}, "epoch", "less than or equal"),
        ({"epoch": None, "at": "9999-01-01T00:00:00Z"}, None, "year 5138"),
        ({"at": "2030-01-01T00:00:00Z"}, None, "exactly one"),
        ({"target_topic": "schedules"}, "target_topic", "schedules topic"),
        ({"target_topic": "history"}, "target_topic", "history topic"),
        ({"target_topic": "__consumer_offsets"}, "target_topic", "internal"),
        ({"target_topic": "bad topic"}, "target_topic", "not a valid"),
        ({"target_topic": None}, "target_topic", ""),
        ({"value": "***", "value_encoding": "base64"}, "value", "base64"),
        ({"value": "x" * 1_000_001}, "value", "exceeds"),
        ({"topic": "elsewhere"}, "topic", "SCHEDULES_TOPICS"),
        ({"unknown": 1}, "unknown", ""),
    ],
)
def test_validation_names_the_field_and_the_rule(
    client: TestClient, fields: dict[str, Any], field: str | None, words: str
) -> None:
    response = client.post("/v1/schedules", json=schedule(**fields))
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    assert any((field is None or e["loc"][-1] == field) and words in e["msg"] for e in errors), (
        errors
    )


def test_list_filters_and_paginates(client: TestClient) -> None:
    now = time.time()
    for i in range(25):
        topic = "even" if i % 2 == 0 else "odd"
        client.post(
            "/v1/schedules", json=schedule(id=f"s{i:02d}", epoch=now + 100 + i, target_topic=topic)
        )
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 10, "target_topic": "even"}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/v1/schedules", params=params).json()
        seen += [s["id"] for s in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"s{i:02d}" for i in range(0, 25, 2)]
    window = client.get("/v1/schedules", params={"due_from": now + 110, "due_to": now + 112})
    assert [s["id"] for s in window.json()["items"]] == ["s10", "s11", "s12"]
    prefix = client.get("/v1/schedules", params={"id_prefix": "s2"}).json()["items"]
    assert [s["id"] for s in prefix] == ["s20", "s21", "s22", "s23", "s24"]
    assert client.get("/v1/schedules", params={"cursor": "nonsense"}).status_code == 422
    assert client.get("/v1/schedules", params={"limit": 0}).status_code == 422


def test_clock_advance_fires_and_records_show_it(client: TestClient) -> None:
    client.post("/v1/schedules", json=schedule(epoch=time.time() + 86400))
    assert client.get("/v1/topics/online-videos/records").json() == []
    before = client.get("/v1/clock").json()
    after = client.post("/v1/clock/advance", json={"seconds": 86401}).json()
    assert after["offset_seconds"] == 86401 and after["now"] >= before["now"] + 86401
    [record] = client.get("/v1/topics/online-videos/records").json()
    assert (record["key"], record["value"]) == ("vid1", "video 1")
    names = [h["name"] for h in record["headers"]]
    assert names[-3:] == ["scheduler-timestamp", "scheduler-key", "scheduler-topic"]
    assert len(client.get("/v1/topics/history/records").json()) == 1
    assert client.get("/v1/schedules/vid1-online").status_code == 404


def test_original_routes_keep_their_shapes(client: TestClient) -> None:
    client.post("/v1/schedules", json=schedule())
    assert client.get("/liveness").status_code == 200
    info = client.get("/info").json()
    assert set(info) == {"hostname", "address", "server_address", "kafka"}
    assert set(info["kafka"]) == {"bootstrap_servers", "topics", "history_topic"}
    [entry] = client.get("/schedules").json()
    assert set(entry) == {
        "id",
        "epoch",
        "timestamp",
        "topic",
        "target-topic",
        "target-key",
        "value",
    }
    assert base64.b64decode(entry["value"]) == b"video 1"
    assert client.get("/health/ready").json() == {"status": "ok"}
    assert "kafka_scheduler_event_total" in client.get("/metrics").text

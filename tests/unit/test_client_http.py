"""The HTTP client against the mini mode's real routes, in-process: every call it makes is
answered by the API it wraps."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient

from app.api import create_app
from app.client import ApiError, SchedulerClient
from app.config import Settings
from app.mini.scheduler import MiniScheduler


@contextmanager
def mini_api(env: dict[str, str]) -> Iterator[TestClient]:
    with (
        MiniScheduler(Settings.from_env(env)) as mini,
        TestClient(create_app(mini, mini=True)) as http,
    ):
        yield http


@pytest.fixture
def client() -> Iterator[SchedulerClient]:
    with mini_api({}) as http:
        yield SchedulerClient(http=http)


def test_schedule_read_fire_and_see_what_fired(client: SchedulerClient) -> None:
    due = time.time() + 3600.5
    out = client.schedule(
        "vid1-online", due, "online-videos", "video 1", target_key="vid1", headers={"h": "1"}
    )
    assert (out.id, out.epoch, out.topic) == ("vid1-online", round(due * 1000) / 1000, "schedules")
    read = client.get("vid1-online")
    assert read is not None and read.headers[0].model_dump() == {"name": "h", "value": "1"}
    client.schedule("vid1-online", due, "online-videos", "video 2", target_key="vid1")
    assert client.advance_clock(3601).offset_seconds == 3601
    [fired] = client.records("online-videos")
    assert (fired.key, fired.value) == ("vid1", "video 2")
    assert client.get("vid1-online") is None
    assert len(client.records("history")) == 1


def test_binary_payloads_travel_as_base64(client: SchedulerClient) -> None:
    raw = bytes(range(256))
    client.schedule("bin", time.time() + 60, "t", raw)
    read = client.get("bin")
    assert read is not None and base64.b64decode(read.value) == raw


def test_list_follows_every_page_in_due_order(client: SchedulerClient) -> None:
    now = time.time()
    for i in (4, 0, 3, 1, 2):
        client.schedule(f"s{i}", now + 100 + i, "even" if i % 2 == 0 else "odd", "v")
    pages = list(client.pages(page_size=2))
    assert [len(p.items) for p in pages] == [2, 2, 1]
    assert [s.id for s in client.schedules(page_size=2)] == ["s0", "s1", "s2", "s3", "s4"]
    assert [s.id for s in client.schedules(target_topic="even", due_from=now + 101)] == [
        "s2",
        "s4",
    ]


def test_delete_says_whether_there_was_one(client: SchedulerClient) -> None:
    client.schedule("doomed", time.time() + 60, "t", "v")
    assert client.delete("doomed") is True
    assert client.delete("doomed") is False
    assert list(client.schedules()) == []


def test_refusals_carry_the_api_explanation(client: SchedulerClient) -> None:
    with pytest.raises(ApiError) as info:
        client.schedule("x", time.time() + 60, "schedules", "v")
    assert info.value.status == 422
    [error] = info.value.detail
    assert error["loc"][-1] == "target_topic" and "schedules topic" in error["msg"]


def test_bearer_token_is_sent_when_given() -> None:
    with mini_api({"API_TOKENS": "s3cret"}) as http:
        with pytest.raises(ApiError, match="HTTP 401"):
            SchedulerClient(http=http).schedule("a", time.time() + 60, "t", "v")
        authorized = SchedulerClient(http=http, token="s3cret")
        assert authorized.schedule("a", time.time() + 60, "t", "v").id == "a"

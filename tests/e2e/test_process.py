"""The service as users run it: ``python -m app`` in its own process, configured by the
environment, stopped by SIGTERM."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.kafka_io import produce, read_count, schedule_headers, wait_for
from tests.scheduler_fixtures import Topics
from tools.chaos.instances import free_port, service_process


@pytest.fixture
def service(topics: Topics, group_id: str) -> Iterator[tuple[subprocess.Popen[bytes], str, str]]:
    api, metrics = free_port(), free_port()
    env = {
        "BOOTSTRAP_SERVERS": topics.bootstrap,
        "SCHEDULES_TOPICS": topics.schedules,
        "HISTORY_TOPIC": topics.history,
        "GROUP_ID": group_id,
        "SERVER_ADDR": f"127.0.0.1:{api}",
        "METRICS_ADDR": f":{metrics}",
    }
    api_url, metrics_url = f"http://127.0.0.1:{api}", f"http://127.0.0.1:{metrics}"
    with service_process([], env, api_url) as process:
        yield process, api_url, metrics_url


def test_service_fires_answers_http_and_stops_cleanly_on_sigterm(
    topics: Topics, service: tuple[subprocess.Popen[bytes], str, str]
) -> None:
    process, api_url, metrics_url = service
    info = httpx.get(f"{api_url}/info", timeout=5).json()
    assert info["kafka"] == {
        "bootstrap_servers": topics.bootstrap,
        "topics": [topics.schedules],
        "history_topic": topics.history,
    }
    assert info["hostname"] and info["address"]
    assert info["server_address"].endswith(api_url.rsplit(":", 1)[1])

    due = time.time() + 3
    produce(
        topics.bootstrap,
        topics.schedules,
        [(b"e2e", b"payload", schedule_headers(due, topics.target, b"k"))],
    )

    def listed() -> bool:
        return bool(httpx.get(f"{api_url}/schedules", timeout=5).json())

    wait_for(listed, 10, "the schedule to be listed")
    [entry] = httpx.get(f"{api_url}/schedules", timeout=5).json()
    assert entry["id"] == "e2e" and entry["epoch"] == int(due)
    assert entry["target-topic"] == topics.target and entry["target-key"] == "k"
    assert base64.b64decode(entry["value"]) == b"payload"

    [fired] = read_count(topics.bootstrap, topics.target, 1)
    assert fired.value() == b"payload"
    assert httpx.get(f"{api_url}/health/live", timeout=5).json() == {"status": "ok"}
    assert httpx.get(f"{api_url}/health/ready", timeout=5).json() == {"status": "ok"}
    fired_total = 'kafka_scheduler_event_total{type="kafka_scheduler_triggered_schedule"} 1.0'
    for url in (metrics_url, api_url):  # the same registry on both ports
        wait_for(
            lambda url=url: fired_total in httpx.get(f"{url}/metrics", timeout=5).text,
            10,
            "the fire to be counted",
        )
        metrics = httpx.get(f"{url}/metrics", timeout=5).text
        assert 'http_requests_total{handler="/info",method="GET",status="2xx"}' in metrics

    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 0


def test_bad_configuration_exits_non_zero_naming_the_variable() -> None:
    env = {**os.environ, "SINCE_DELTA": "2"}
    result = subprocess.run(
        [sys.executable, "-m", "app"], env=env, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert "SINCE_DELTA" in result.stderr

"""What `make run` runs (``python -m tools.run_local``): its own broker, the topics, the
service; a schedule POSTed over HTTP five seconds ahead reaches its target topic."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time

import httpx

from tests.kafka_io import read_count, wait_for
from tools.chaos.instances import free_port


def test_a_schedule_posted_to_make_run_reaches_a_new_target_topic() -> None:
    port = free_port()
    api_url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "SERVER_ADDR": f"127.0.0.1:{port}", "METRICS_ADDR": f":{free_port()}"}
    env.pop("BOOTSTRAP_SERVERS", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "tools.run_local"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its broker and service too can be killed as a group
    )
    lines: list[str] = []
    assert process.stderr is not None
    reader = threading.Thread(target=lambda: lines.extend(process.stderr or ()), daemon=True)
    reader.start()

    def ready() -> bool:
        assert process.poll() is None, "".join(lines)
        try:
            return httpx.get(f"{api_url}/health/ready", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_for(ready, 90, "make run to be ready")
        [bootstrap] = [ln.split("=", 1)[1].strip() for ln in lines if "BOOTSTRAP_SERVERS=" in ln]
        created = httpx.post(
            f"{api_url}/v1/schedules",
            json={
                "id": "vid1-online",
                "epoch": int(time.time()) + 5,
                "target_topic": "online-videos",
                "target_key": "vid1",
                "value": "video 1",
            },
            timeout=10,
        )
        assert created.status_code == 201, created.text
        # The history copy follows the target record, so the target topic exists by then.
        [history] = read_count(bootstrap, "history", 1, timeout=30)
        assert (history.key(), history.value()) == (b"vid1", b"video 1")  # the target key
        [fired] = read_count(bootstrap, "online-videos", 1, timeout=10)
        assert (fired.key(), fired.value()) == (b"vid1", b"video 1")
        process.send_signal(signal.SIGINT)
        assert process.wait(60) == 0
    finally:
        print("".join(lines))  # shown when the test fails
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

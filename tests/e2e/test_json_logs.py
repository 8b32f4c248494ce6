"""``LOG_FORMAT=json`` for the whole process: a single text line among the JSON ones (say,
uvicorn's own start-up or access lines) is what breaks a log pipeline's parser."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import httpx

from tools.chaos.instances import answering_process, free_port


def test_every_line_of_a_running_service_is_a_json_record(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "LOG_FORMAT": "json", "SERVER_ADDR": f"127.0.0.1:{port}"}
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "stderr.log"
    with (
        log.open("wb") as stderr,
        answering_process(
            [sys.executable, "-m", "app", "mini"], env, f"{url}/health/live", stderr
        ) as process,
    ):
        assert httpx.get(f"{url}/v1/schedules/absent", timeout=5).status_code == 404
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0

    lines = log.read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert records and all(set(r) == {"time", "level", "logger", "message"} for r in records)
    loggers = {r["logger"] for r in records}
    assert {"uvicorn.error", "uvicorn.access"} <= loggers
    assert any("/v1/schedules/absent" in r["message"] for r in records)

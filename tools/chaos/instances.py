"""Scheduler instances as users run them: ``python -m app`` in processes of their own."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import IO

import httpx

from tools.wait import wait_for


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def answering_process(
    command: list[str], env: dict[str, str], probe_url: str, stderr: IO[bytes] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """``command`` with exactly ``env``, once ``probe_url`` answers 200; killed on exit if
    the caller has not stopped it."""
    process = subprocess.Popen(command, env=env, stderr=stderr)

    def live() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"the service exited with {process.returncode}")
        try:
            return httpx.get(probe_url, timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_for(live, 60, f"the service to answer {probe_url}")
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


@contextmanager
def service_process(
    args: list[str], env: dict[str, str], api_url: str, probe: str = "/health/live"
) -> Iterator[subprocess.Popen[bytes]]:
    """``python -m app ARGS`` with ``env`` added to this process's environment."""
    command = [sys.executable, "-m", "app", *args]
    with answering_process(command, {**os.environ, **env}, f"{api_url}{probe}") as process:
        yield process


@contextmanager
def scheduler_process(
    bootstrap: str,
    schedules: str,
    history: str,
    group_id: str,
    port: int | None = None,
    probe: str = "/health/ready",
    **env: str,
) -> Iterator[subprocess.Popen[bytes]]:
    """One Kafka-mode instance with its API on ``port`` (advertised to the others), once
    it has joined its group and loaded what it got; ``probe="/health/live"`` returns as
    soon as it runs, for a caller that times the load itself."""
    port = port or free_port()
    env = {
        "ADVERTISED_URL": f"http://127.0.0.1:{port}",
        "BOOTSTRAP_SERVERS": bootstrap,
        "SCHEDULES_TOPICS": schedules,
        "HISTORY_TOPIC": history,
        "GROUP_ID": group_id,
        "SINCE_DELTA": "-1",
        "SERVER_ADDR": f"127.0.0.1:{port}",
        "METRICS_ADDR": f"127.0.0.1:{free_port()}",
        **env,
    }
    with service_process([], env, f"http://127.0.0.1:{port}", probe) as process:
        yield process


class Instances:
    """Scheduler processes sharing one consumer group; all gone when ``stack`` closes."""

    def __init__(
        self, stack: ExitStack, bootstrap: str, schedules: str, history: str, **env: str
    ) -> None:
        self._stack = stack
        self._args = (bootstrap, schedules, history, f"g-{uuid.uuid4().hex}")
        self._env = env
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        process = self._stack.enter_context(scheduler_process(*self._args, None, **self._env))
        self.processes.append(process)
        return process

    def running(self) -> list[subprocess.Popen[bytes]]:
        return [p for p in self.processes if p.poll() is None]

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        process.kill()
        process.wait(10)

    def stop(self, process: subprocess.Popen[bytes]) -> None:
        """SIGTERM: a graceful stop, which must exit 0."""
        process.send_signal(signal.SIGTERM)
        if process.wait(30) != 0:
            raise AssertionError(f"instance exited with {process.returncode} on SIGTERM")

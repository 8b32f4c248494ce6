"""Starting the service as users do: ``python -m app`` in a process of its own."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from tests.kafka_io import wait_for


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def service_process(
    args: list[str], env: dict[str, str], api_url: str
) -> Iterator[subprocess.Popen[bytes]]:
    """``python -m app ARGS`` with ``env`` added, once it answers ``/health/live``; killed on
    exit if the test has not stopped it."""
    process = subprocess.Popen([sys.executable, "-m", "app", *args], env={**os.environ, **env})

    def live() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"the service exited with {process.returncode}")
        try:
            return httpx.get(f"{api_url}/health/live", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_for(live, 30, "the service to answer /health/live")
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)

"""Create requests per second through ``POST /v1/schedules``, in Kafka mode and in mini mode.

``concurrency`` clients each keep one request in flight for ``seconds``, every one a new
schedule due a year ahead (nothing fires meanwhile). In Kafka mode an answer waits for the
schedule record's acknowledgement (``acks=all``); in mini mode only for the in-memory log, so
the two rates separate the HTTP layer's cost from Kafka's. Any answer but 201, or none, counts
as failed, by status. The clients share the machine's cores with the server.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from typing import Any

import httpx

from tools.bench.processes import bench_env
from tools.chaos.instances import free_port, scheduler_process, service_process
from tools.kafka.topics import create_topic, unique_name

FAR_AHEAD_S = 365 * 86400


async def _create_for(
    url: str, seconds: float, concurrency: int, payload_bytes: int
) -> dict[str, Any]:
    prefix = uuid.uuid4().hex[:8]
    body = {
        "epoch": int(time.time() + FAR_AHEAD_S),
        "target_topic": "bench-api-target",
        "value": "p" * payload_bytes,
    }
    latencies: list[float] = []
    failures: Counter[str] = Counter()
    deadline = time.monotonic() + seconds

    async def client_loop(client: httpx.AsyncClient, worker: int) -> None:
        n = 0
        while time.monotonic() < deadline:
            n += 1
            began = time.perf_counter()
            try:
                response = await client.post(
                    "/v1/schedules", json={**body, "id": f"{prefix}-{worker}-{n}"}
                )
                status = str(response.status_code)
            except httpx.HTTPError as error:
                status = type(error).__name__
            if status == "201":
                latencies.append(time.perf_counter() - began)
            else:
                failures[status] += 1

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=10, limits=limits) as client:
        began = time.perf_counter()
        await asyncio.gather(*(client_loop(client, w) for w in range(concurrency)))
        elapsed = time.perf_counter() - began
    cuts = statistics.quantiles(latencies or [0.0, 0.0], n=100, method="inclusive")
    return {
        "requests": len(latencies) + failures.total(),
        "failed": failures.total(),
        "failures": dict(failures),
        "requests_per_s": round(len(latencies) / elapsed),
        "p50_ms": round(cuts[49] * 1000, 1),
        "p99_ms": round(cuts[98] * 1000, 1),
    }


def api_rates(
    bootstrap: str, seconds: float, concurrency: int, payload_bytes: int
) -> dict[str, dict[str, Any]]:
    rates = {}
    with ExitStack() as stack:
        port = free_port()
        schedules = create_topic(bootstrap, unique_name("schedules"), 6, compacted=True)
        history = create_topic(bootstrap, unique_name("history"))
        env = bench_env(stack)
        group = unique_name("g")
        stack.enter_context(scheduler_process(bootstrap, schedules, history, group, port, **env))
        url = f"http://127.0.0.1:{port}"
        rates["kafka"] = asyncio.run(_create_for(url, seconds, concurrency, payload_bytes))
    with ExitStack() as stack:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = bench_env(
            stack, SERVER_ADDR=f"127.0.0.1:{port}", METRICS_ADDR=f"127.0.0.1:{free_port()}"
        )
        stack.enter_context(service_process(["mini"], env, url))
        rates["mini"] = asyncio.run(_create_for(url, seconds, concurrency, payload_bytes))
    return rates

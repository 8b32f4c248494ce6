"""Start-up load rate and resident memory per pending schedule.

A schedules topic (6 partitions) holds ``count`` pending schedules, due a year ahead so that
none fires. One scheduler process starts on it, in a consumer group of its own:

- load rate = ``count`` / (time from the process's start to ``/health/ready`` answering 200).
  That includes the interpreter's start and the group join: what an operator waits for. The
  idle start (the same on an empty topic) is reported beside it.
- bytes per pending schedule = (VmRSS of that process once ready - VmRSS of one ready on an
  empty topic with the same ``PAYLOAD_STORE``) / ``count``. VmRSS counts the file pages the
  process has mapped, so a store that maps its files is charged for them; RssAnon is
  reported too.

A process whose VmRSS passes ``rss_cap_mb`` while it loads is stopped and its figures say so:
a store that keeps payloads in memory would take 10 GB for 1,000,000 x 10 KB.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import httpx

from tools.bench.ceiling import Headers, produce_all
from tools.bench.processes import bench_env
from tools.chaos.instances import free_port, scheduler_process
from tools.kafka.topics import create_topic, unique_name
from tools.wait import wait_for

PARTITIONS = 6
FAR_AHEAD_S = 365 * 86400
NO_COMPACTION_YET = {"min.compaction.lag.ms": str(3_600_000)}
"""Keeps the log cleaner off these fresh segments: it would read the whole topic while the
scheduler loads it, and there is nothing to compact (every key is unique)."""
MB = 1 << 20


@dataclass(frozen=True)
class Started:
    ready_s: float
    rss_bytes: int
    anon_bytes: int
    capped: bool
    """Stopped at the RSS cap before it was ready: ``ready_s`` is when."""


def _status_bytes(pid: int) -> dict[str, int]:
    """The memory lines of /proc/PID/status (``VmRSS: 123 kB``), in bytes."""
    with open(f"/proc/{pid}/status") as status:
        return {
            name: int(value.split()[0]) * 1024
            for name, value in (line.split(":", 1) for line in status)
            if value.strip().endswith("kB")
        }


def _pending(count: int, payload_bytes: int) -> Iterator[tuple[bytes, bytes, Headers]]:
    prefix = uuid.uuid4().hex[:8]
    first_due_ms = int((time.time() + FAR_AHEAD_S) * 1000)
    value = b"p" * payload_bytes
    for n in range(count):
        key = f"{prefix}-{n}".encode()
        yield (
            key,
            value,
            [
                ("scheduler-epoch", f"{(first_due_ms + n) / 1000:.3f}".encode()),
                ("scheduler-target-topic", b"bench-never-fires"),
                ("scheduler-target-key", key),
            ],
        )


def pending_topic(bootstrap: str, count: int, payload_bytes: int) -> str:
    topic = create_topic(
        bootstrap, unique_name("pending"), PARTITIONS, NO_COMPACTION_YET, compacted=True
    )
    produce_all(bootstrap, topic, _pending(count, payload_bytes))
    return topic


def start_until_ready(
    bootstrap: str,
    schedules: str,
    history: str,
    store: str,
    rss_cap_mb: int | None,
    timeout: float,
) -> Started:
    with ExitStack() as stack:
        port = free_port()
        env = bench_env(stack, PAYLOAD_STORE=store)
        began = time.monotonic()
        process = stack.enter_context(
            scheduler_process(
                bootstrap, schedules, history, unique_name("g"), port, "/health/live", **env
            )
        )
        client = stack.enter_context(httpx.Client(base_url=f"http://127.0.0.1:{port}"))
        capped = False

        def ready() -> bool:
            nonlocal capped
            if process.poll() is not None:
                raise AssertionError(f"the scheduler exited with {process.returncode}")
            capped = (
                rss_cap_mb is not None and _status_bytes(process.pid)["VmRSS"] > rss_cap_mb * MB
            )
            try:
                return capped or client.get("/health/ready", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(ready, timeout, f"a scheduler with PAYLOAD_STORE={store} to be ready")
        ready_s = time.monotonic() - began
        memory = _status_bytes(process.pid)
        return Started(ready_s, memory["VmRSS"], memory["RssAnon"], capped)


def load_and_memory(
    bootstrap: str, loads: list[tuple[str, int, int]], rss_cap_mb: int
) -> dict[str, Any]:
    """One start per (store, count, payload bytes) in ``loads``, topics shared by equal
    (count, payload), after an idle start per store for the baselines."""
    history = create_topic(bootstrap, unique_name("history"))
    empty = create_topic(bootstrap, unique_name("empty"), PARTITIONS, compacted=True)
    idle = {
        store: start_until_ready(bootstrap, empty, history, store, None, 60)
        for store in sorted({store for store, _, _ in loads})
    }
    topics: dict[tuple[int, int], str] = {}
    results = []
    for store, count, payload_bytes in loads:
        if (count, payload_bytes) not in topics:
            topics[count, payload_bytes] = pending_topic(bootstrap, count, payload_bytes)
        timeout = 120 + count / 5000
        topic = topics[count, payload_bytes]
        started = start_until_ready(bootstrap, topic, history, store, rss_cap_mb, timeout)
        figures: dict[str, Any] = {"stopped_at_rss_cap_mb": rss_cap_mb}
        if not started.capped:
            figures = {
                "schedules_per_s": round(count / started.ready_s),
                "bytes_per_schedule": round((started.rss_bytes - idle[store].rss_bytes) / count, 1),
                "anon_bytes_per_schedule": round(
                    (started.anon_bytes - idle[store].anon_bytes) / count, 1
                ),
            }
        results.append(
            {
                "store": store,
                "count": count,
                "payload_bytes": payload_bytes,
                "ready_s": round(started.ready_s, 3),
                "rss_mb": round(started.rss_bytes / MB, 1),
                **figures,
            }
        )
    return {
        "idle": {
            store: {"ready_s": round(s.ready_s, 3), "rss_mb": round(s.rss_bytes / MB, 1)}
            for store, s in idle.items()
        },
        "loads": results,
    }

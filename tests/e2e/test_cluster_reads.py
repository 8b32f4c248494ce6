"""Reads for the whole cluster: two instances split the partitions, and either one lists
and finds every schedule. An instance that does not answer makes the list partial (and
named), never wrong."""

from __future__ import annotations

import signal
import time
from typing import Any

import httpx

from tests.kafka_io import produce, schedule_headers, wait_for
from tests.scheduler_fixtures import Topics
from tools.chaos.instances import free_port, scheduler_process

COUNT = 30


def listed(url: str, **params: object) -> dict[str, Any]:
    body: dict[str, Any] = httpx.get(f"{url}/v1/schedules", params=params, timeout=10).json()
    return body


def test_either_instance_answers_for_all_and_a_silent_one_is_named(
    topics: Topics, group_id: str
) -> None:
    args = (topics.bootstrap, topics.schedules, topics.history, group_id)
    port_a, port_b = free_port(), free_port()
    a, b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
    with (
        scheduler_process(*args, port=port_a),
        # A long session: stopped below, it stays a member of the group, holding its share.
        scheduler_process(*args, port=port_b, SESSION_TIMEOUT="30000") as process_b,
    ):
        due = time.time() + 3600
        ids = [f"s-{i:02d}" for i in range(COUNT)]
        produce(
            topics.bootstrap,
            topics.schedules,
            [
                (i.encode(), b"v", schedule_headers(due + n, topics.target))
                for n, i in enumerate(ids)
            ],
        )
        wait_for(lambda: len(listed(a, limit=1000)["items"]) == COUNT, 30, "all listed")
        held_by_b = [s["id"] for s in listed(b, limit=1000, local="true")["items"]]
        assert 0 < len(held_by_b) < COUNT, "the partitions are shared"

        pages, cursor = [], None
        while True:
            page = listed(b, limit=7, **({"cursor": cursor} if cursor else {}))
            assert page["unreachable"] == []
            pages.append([s["id"] for s in page["items"]])
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert [i for p in pages for i in p] == ids and len(pages) == 5

        for schedule_id in (ids[0], held_by_b[0]):
            found = httpx.get(f"{a}/v1/schedules/{schedule_id}", timeout=10)
            assert found.status_code == 200 and found.json()["id"] == schedule_id
        assert httpx.get(f"{a}/v1/schedules/nope", timeout=10).status_code == 404

        # A delete through the instance that does not hold the schedule reaches its record.
        deleted = held_by_b[-1]
        assert httpx.delete(f"{a}/v1/schedules/{deleted}", timeout=10).status_code == 204
        wait_for(
            lambda: deleted not in [s["id"] for s in listed(b, limit=1000, local="true")["items"]],
            30,
            "the holder to read the tombstone",
        )
        held_by_b.remove(deleted)
        ids.remove(deleted)

        process_b.send_signal(signal.SIGSTOP)
        try:
            partial = listed(a, limit=1000)
            assert partial["unreachable"] == [b]
            assert len(partial["items"]) == len(ids) - len(held_by_b)
            silent = httpx.get(f"{a}/v1/schedules/{held_by_b[0]}", timeout=10)
            assert silent.status_code == 503 and b in silent.json()["detail"]
        finally:
            process_b.send_signal(signal.SIGCONT)

"""The on-disk schedule store: what goes in comes out, dropped room is taken back, and the
engine behaves the same over it as over the in-memory store."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine import Fire, Schedule
from app.engine.schedule import Header
from app.kafka import schedule_file
from app.kafka.schedule_file import ScheduleFile
from tests.unit.helpers import NOON, Harness, held


def a_schedule(n: int, value: bytes = b"payload", headers: list[Header] | None = None) -> Schedule:
    return Schedule(
        id=f"id-{n}".encode(),
        due_ms=NOON + n,
        target_topic="target",
        target_key=None if n % 2 else f"tk-{n}".encode(),
        value=value,
        headers=headers if headers is not None else [("h", b"v"), ("s", "text"), ("n", None)],
        timestamp_ms=NOON - n,
        topic="schedules",
        partition=3,
        offset=100 + n,
        version=90 + n,
    )


def test_a_schedule_comes_back_whole_from_the_buffer_and_from_the_file(tmp_path: Path) -> None:
    store = ScheduleFile("schedules", 3, str(tmp_path))
    first = a_schedule(1)
    ref = store.put(first)
    assert store.get(ref) == first  # still in the write buffer
    big = [store.put(a_schedule(n, os.urandom(100_000))) for n in range(2, 30)]
    assert store.get(ref) == first  # flushed to the file by now
    assert store.get(big[0]).value != store.get(big[1]).value
    store.close()


def test_the_file_is_unlinked_so_that_a_killed_process_leaves_nothing(tmp_path: Path) -> None:
    store = ScheduleFile("schedules", 0, str(tmp_path))
    store.put(a_schedule(1, b"x" * 3_000_000))
    assert list(tmp_path.iterdir()) == []
    store.close()


def test_dropped_room_is_taken_back_by_a_rewrite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(schedule_file, "WASTE_MIN_BYTES", 100_000)
    store = ScheduleFile("schedules", 3, str(tmp_path))
    schedules = [a_schedule(n, os.urandom(10_000)) for n in range(100)]
    refs = [store.put(s) for s in schedules]
    for ref in refs[:50]:
        store.drop(ref)
    assert not store.wasted()  # dropped no more than what is live
    for ref in refs[50:80]:
        store.drop(ref)
    assert store.wasted()
    kept = store.rewrite(refs[80:])
    assert not store.wasted()
    assert [store.get(ref) for ref in kept] == schedules[80:]
    store.put(a_schedule(200))  # appends after the copied records
    assert [store.get(ref) for ref in kept] == schedules[80:]
    store.close()


def test_the_engine_rewrites_its_file_as_updates_pile_up_and_fires_the_last_versions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(schedule_file, "WASTE_MIN_BYTES", 50_000)
    rewrites = 0
    original = ScheduleFile.rewrite

    def counting(store: ScheduleFile, refs: list[int]) -> list[int]:
        nonlocal rewrites
        rewrites += 1
        return original(store, refs)

    monkeypatch.setattr(ScheduleFile, "rewrite", counting)
    h = Harness(stores=lambda topic, partition: ScheduleFile(topic, partition, str(tmp_path)))
    h.load()
    for version in range(20):
        for n in range(10):
            h.put(f"id-{n}".encode(), NOON + 1000 + n, f"v{version}-".encode() * 300)
        h.consume()
    assert rewrites > 0
    h.clock.set(NOON + 2000)
    h.settle()
    assert {f.schedule.id: f.schedule.value[:4] for f in h.fired} == {
        f"id-{n}".encode(): b"v19-" for n in range(10)
    }


RECORDS = st.tuples(
    st.sampled_from([b"a", b"b", b"c"]),
    st.one_of(st.none(), st.binary(max_size=2_000)),
    st.integers(min_value=-2_000, max_value=5_000),
)


@settings(max_examples=100, deadline=None)
@given(st.lists(RECORDS, max_size=40))
def test_the_engine_decides_alike_over_both_stores(
    records: list[tuple[bytes, bytes | None, int]],
) -> None:
    """Updates, deletes, past and future due times, in any order: the same fires, with the
    same payloads, and the same schedules held."""
    in_memory = Harness()
    on_disk = Harness(stores=lambda topic, partition: ScheduleFile(topic, partition))
    for h in (in_memory, on_disk):
        h.load()
        for key, value, due_offset_ms in records:
            if value is None:
                h.delete(key)
            else:
                h.put(key, NOON + due_offset_ms, value)
            h.step()
        h.clock.set(NOON + 3_000)
        h.settle()
    assert held(on_disk.engine) == held(in_memory.engine)
    assert [_fired(f) for f in on_disk.fired] == [_fired(f) for f in in_memory.fired]


def _fired(fire: Fire) -> tuple[bytes, bytes, int]:
    return fire.schedule.id, fire.schedule.value, fire.schedule.version

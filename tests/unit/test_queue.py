"""The due-time queue: earliest first, lazy removal, compaction down to live entries."""

from __future__ import annotations

from app.engine.engine import HORIZON_MS
from app.engine.queue import DueQueue, Entry

from .helpers import NOON, Harness, held

S = 1000


def test_pops_what_is_due_earliest_first_and_nothing_later() -> None:
    q = DueQueue()
    for at, key in [(30, b"c"), (10, b"a"), (20, b"b"), (40, b"d")]:
        q.push(at, 0, 1, key)
    assert q.next_ms() == 10
    assert [e[3] for e in q.pop_due(30)] == [b"a", b"b", b"c"]
    assert len(q) == 1 and q.next_ms() == 40
    assert list(q.pop_due(39)) == []
    assert [e[3] for e in q.pop_due(40)] == [b"d"]
    assert q.next_ms() is None


def test_same_due_time_pops_in_version_order() -> None:
    q = DueQueue()
    q.push(5, 9, 1, b"x")
    q.push(5, 3, 1, b"y")
    assert [e[1] for e in q.pop_due(5)] == [3, 9]


def test_compact_keeps_only_what_the_predicate_keeps_in_heap_order() -> None:
    q = DueQueue()
    for i in range(100):
        q.push(1000 - i, i, 1, b"k%d" % i)
    live: set[int] = set(range(0, 100, 7))

    def keep(entry: Entry) -> bool:
        return entry[1] in live

    q.compact(keep)
    assert len(q) == len(live)
    assert [e[1] for e in q.pop_due(10_000)] == sorted(live, reverse=True)


def test_stale_entries_are_skipped_when_popped() -> None:
    h = Harness()
    h.load()
    h.put(b"moved", NOON + S)
    h.put(b"deleted", NOON + S)
    h.consume()
    h.put(b"moved", NOON + 2 * S)
    h.delete(b"deleted")
    h.consume()
    h.clock.set(NOON + S)
    assert h.tick() == []
    h.clock.set(NOON + 2 * S)
    assert [f.schedule.due_ms for f in h.tick()] == [NOON + 2 * S]  # type: ignore[union-attr]
    assert h.engine.next_due_ms() == NOON + HORIZON_MS // 2  # only the horizon's sweep


def test_live_churn_does_not_grow_the_queue_without_bound() -> None:
    """Updating one key again and again leaves a stale entry per update: the queue is
    compacted while live, not only at the next load."""
    h = Harness()
    h.put(b"kept", NOON + 9 * S)
    h.load()
    for i in range(5000):
        h.put(b"churn", NOON + S + i)
        h.consume()
    assert len(h.engine._queue) <= 2 * h.engine.pending_count + 1024
    assert held(h.engine) == {b"kept": (0, NOON + 9 * S), b"churn": (5000, NOON + S + 4999)}
    h.clock.set(NOON + 10 * S)
    assert [f.schedule.id for f in h.tick()] == [b"churn", b"kept"]  # type: ignore[union-attr]


def test_a_revoked_partition_leaves_no_entries_after_the_next_compaction() -> None:
    h = Harness()
    for i in range(3000):
        h.put(b"k%d" % i, NOON + S + i, partition=1)
    h.load(partition=1)
    h.engine.revoke("schedules", 1)
    h.load(partition=0)  # the next load compacts
    assert len(h.engine._queue) == 0
    h.clock.set(NOON + 10 * S)
    assert h.tick() == []

"""Far-off schedules wait in the index only; the moving horizon queues them in time.

The horizon is a memory saving, so it must never change a decision: an engine with a short
horizon fires the same schedules at the same moments as one whose horizon covers them all.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine import Fire

from .helpers import DAY_MS, NOON, Harness, held

S = 1000


def test_a_far_off_schedule_is_not_queued_until_the_horizon_reaches_it() -> None:
    h = Harness(horizon_ms=60 * S)
    h.load()
    h.put(b"soon", NOON + 10 * S)
    h.put(b"far", NOON + DAY_MS)
    h.consume()
    assert len(h.engine._queue) == 1  # white box: only "soon" takes a queue entry
    assert set(held(h.engine)) == {b"soon", b"far"}
    h.clock.set(NOON + DAY_MS - 1)
    assert [f.schedule.id for f in h.tick() if isinstance(f, Fire)] == [b"soon"]
    assert len(h.engine._queue) == 1  # the sweep queued "far"
    h.clock.set(NOON + DAY_MS)
    assert [f.schedule.id for f in h.tick() if isinstance(f, Fire)] == [b"far"]


def test_a_loaded_partition_queues_only_what_the_horizon_covers() -> None:
    h = Harness(horizon_ms=60 * S)
    for n in range(100):
        h.put(f"id-{n}".encode(), NOON + n * 10 * S)
    h.load()
    assert len(h.engine._queue) == 7  # due within the next 60 s
    h.clock.set(NOON + 1000 * S)
    h.settle()
    assert [f.schedule.id for f in h.fired] == [f"id-{n}".encode() for n in range(100)]


OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from([b"a", b"b", b"c", b"d"]),
        st.one_of(st.none(), st.integers(min_value=-2 * S, max_value=20 * S)),
        st.integers(min_value=0, max_value=4 * S),
    ),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(OPERATIONS)
def test_a_short_horizon_decides_like_an_endless_one(
    operations: list[tuple[bytes, int | None, int]],
) -> None:
    """Puts (due from 2 s ago to 20 s ahead), deletes and clock steps in any order."""
    outcomes = []
    for horizon_ms in (1 * S, 30 * DAY_MS):
        h = Harness(horizon_ms=horizon_ms)
        h.load()
        fired = []
        for key, due_offset_ms, step_ms in operations:
            if due_offset_ms is None:
                h.delete(key)
            else:
                h.put(key, h.clock.now_ms() + due_offset_ms)
            h.clock.set(h.clock.now_ms() + step_ms)
            h.settle()
            fired.append([(f.schedule.id, f.schedule.version) for f in h.fired])
        h.clock.set(h.clock.now_ms() + 60 * S)
        h.settle()
        outcomes.append((fired, [(f.schedule.id, f.schedule.version) for f in h.fired]))
    assert outcomes[0] == outcomes[1]

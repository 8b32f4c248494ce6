"""Failed fires: retried through the queue unless the key changed meanwhile, or given up."""

from __future__ import annotations

import pytest

from app.engine import Schedule

from .helpers import NOON, Harness, held, replay

S = 1000


def failed_fire() -> tuple[Harness, Schedule]:
    """A loaded partition whose only schedule fired at noon + 1 s and failed."""
    h = Harness()
    h.load()
    h.put(b"id", NOON + S)
    h.clock.set(NOON + S)
    h.step()
    return h, h.fail(h.fired[-1])


def test_a_failed_fire_retried_later_fires_again() -> None:
    h, schedule = failed_fire()
    h.engine.retry_later(schedule, NOON + 3 * S)
    assert held(h.engine) == {b"id": (schedule.version, NOON + S)}
    h.clock.set(NOON + 3 * S - 1)
    assert h.tick() == []
    h.clock.set(NOON + 3 * S)
    assert [(f.schedule, f.missed) for f in h.tick()] == [(schedule, False)]  # type: ignore[union-attr]
    h.settle()
    assert held(h.engine) == held(replay(h).engine) == {}


@pytest.mark.parametrize("change", ["update", "delete", "invalid", "past-due"])
def test_a_failed_fire_is_not_retried_once_the_key_changed(change: str) -> None:
    h, schedule = failed_fire()
    if change == "update":
        h.put(b"id", NOON + 9 * S, b"v2")
    elif change == "delete":
        h.delete(b"id")
    elif change == "invalid":
        h.put_invalid(b"id")
    else:
        h.put(b"id", NOON - 10 * S)
    h.consume()
    h.engine.retry_later(schedule, NOON + 2 * S)
    h.clock.set(NOON + 10 * S)
    # before the own tombstones of a reject are read back
    assert [f.schedule.value for f in h.tick()] == ([b"v2"] if change == "update" else [])  # type: ignore[union-attr]
    h.settle()
    assert len(h.fired) == (2 if change == "update" else 1)
    assert held(h.engine) == held(replay(h).engine) == {}


def test_give_up_forgets_the_fire_and_leaves_the_schedule_in_its_topic() -> None:
    h, schedule = failed_fire()
    h.engine.give_up(schedule)
    h.engine.retry_later(schedule, NOON + 2 * S)  # too late: it was given up
    h.clock.set(NOON + 5 * S)
    h.settle()
    assert len(h.fired) == 1 and h.engine.pending_count == 0
    restarted = replay(h)  # not tombstoned: the next load finds it again
    assert [(f.schedule.version, f.missed) for f in restarted.tick()] == [(schedule.version, True)]  # type: ignore[union-attr]


def test_retry_after_the_partition_came_back_is_ignored() -> None:
    h, schedule = failed_fire()
    h.load()  # revoked and assigned again: the new load holds it again
    h.engine.retry_later(schedule, NOON + 2 * S)
    h.clock.set(NOON + 3 * S)
    h.settle()
    assert [f.schedule.version for f in h.fired] == [schedule.version] * 2

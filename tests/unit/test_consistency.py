"""What the engine holds equals what a fresh replay of the log gives, and updates racing the
scheduler's own writes (tombstones, rewrites) survive."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from app.engine import Action, Event, Fire, Reject, Rewrite, Tombstone
from app.engine.schedule import REWRITE_OF, TOMBSTONE_OF, Schedule, classify

from .helpers import (
    DAY_MS,
    NOON,
    RULES,
    TOPIC,
    Harness,
    fired_ids,
    held,
    is_rewrite,
    outstanding,
    replay,
)

S = 1000


def fire_v1_then_update(h: Harness, v2_due: int) -> tuple[int, int]:
    """v1 fires; the user writes v2 before the scheduler's tombstone of v1 reaches the log."""
    v1 = h.put(b"id", h.clock.now_ms() + S)
    h.consume()
    h.clock.advance(S)
    assert fired_ids(h.tick()) == [b"id"]
    v2 = h.put(b"id", v2_due)
    h.consume()
    h.flush()  # the tombstone of v1 lands after v2
    return v1, v2


def test_an_update_between_a_trigger_and_its_tombstone_survives() -> None:
    h = Harness()
    h.load()
    _, v2 = fire_v1_then_update(h, NOON + 5 * S)
    actions = h.consume()  # reads the tombstone of v1
    assert [(type(a), a.schedule.version) for a in actions] == [(Rewrite, v2)]  # type: ignore[union-attr]
    assert held(h.engine) == {b"id": (v2, NOON + 5 * S)}
    assert held(replay(h).engine) == held(h.engine)  # a crash before the rewrite is written
    h.flush()
    assert is_rewrite(h.logs[(TOPIC, 0)][-1])
    assert h.consume() == []
    assert held(h.engine) == {b"id": (v2, NOON + 5 * S)}
    assert held(replay(h).engine) == held(h.engine)
    h.clock.set(NOON + 5 * S - 1)
    assert h.step() == []
    h.clock.set(NOON + 5 * S)
    assert [f.schedule.version for f in h.tick()] == [v2]  # type: ignore[union-attr]
    h.settle()
    assert [f.schedule.version for f in h.fired] == [0, v2]
    assert held(h.engine) == held(replay(h).engine) == {}
    assert h.counts[Event.DELETED] == 0


def test_an_update_that_fires_before_its_rewrite_is_read_back_fires_once() -> None:
    h = Harness()
    h.load()
    _, v2 = fire_v1_then_update(h, NOON + 2 * S)
    assert [type(a) for a in h.consume()] == [Rewrite]
    h.clock.set(NOON + 2 * S)
    assert [f.schedule.version for f in h.tick()] == [v2]  # type: ignore[union-attr]
    h.flush()  # the rewrite, then the tombstone of v2
    assert h.consume() == []
    assert h.engine.pending_count == 0
    h.clock.set(NOON + 10 * S)
    h.settle()
    assert [f.schedule.version for f in h.fired] == [0, v2]
    assert held(replay(h).engine) == {}


@pytest.mark.parametrize("cancel", ["delete", "invalid", "past-due"])
def test_a_cancel_between_the_tombstone_and_the_rewrite_tombstones_the_rewrite(
    cancel: str,
) -> None:
    h = Harness()
    h.load()
    _, v2 = fire_v1_then_update(h, NOON + 5 * S)
    assert [type(a) for a in h.consume()] == [Rewrite]
    if cancel == "delete":
        h.delete(b"id")  # lands before the rewrite
    elif cancel == "invalid":
        h.put_invalid(b"id")
    else:
        h.put(b"id", NOON - 10 * S)
    h.flush()  # the rewrite of v2
    actions = h.consume()
    assert Tombstone(TOPIC, 0, b"id", v2) in actions
    assert h.engine.pending_count == 0
    h.clock.set(NOON + 5 * S)
    assert h.tick() == []  # even before the reject's own tombstone is read back
    h.settle()
    assert fired_ids(h.fired) == [b"id"]  # v1 only
    assert held(replay(h).engine) == {}


def test_two_older_tombstones_read_after_an_update_make_one_rewrite() -> None:
    """v0 and v1 fire, v2 is written before both tombstones: one rewrite of v2 suffices (it
    lands after both), and a delete before it lands is not undone by a second one."""
    h = Harness()
    h.load()
    h.put(b"id", NOON + S)
    h.clock.set(NOON + S)
    h.step()  # v0 fires, its tombstone is not written yet
    h.put(b"id", NOON + S)  # v1, due now: fires at once
    v2 = h.put(b"id", NOON + 5 * S)
    assert [f.schedule.version for f in h.consume() if isinstance(f, Fire)] == [1]
    h.flush()  # both tombstones land after v2
    assert [(type(a), a.schedule.version) for a in h.consume()] == [(Rewrite, v2)]  # type: ignore[union-attr]
    h.delete(b"id")
    h.flush()
    assert Tombstone(TOPIC, 0, b"id", v2) in h.consume()
    h.clock.set(NOON + 5 * S)
    h.settle()
    assert [f.schedule.version for f in h.fired] == [0, 1]
    assert held(h.engine) == held(replay(h).engine) == {}


def test_a_delete_after_two_rewrites_of_different_versions_is_kept() -> None:
    """Rewrites of v2 then v3 are on their way when the user deletes the key: reading both back
    tombstones both (the mark is kept until the last one is back)."""
    h = Harness()
    h.load()
    h.put(b"id", NOON + S)  # v0
    h.clock.set(NOON + S)
    h.step()  # v0 fires; its tombstone is pending
    h.put(b"id", NOON + S)  # v1 fires at once; its tombstone is pending
    v2 = h.put(b"id", NOON + 5 * S)
    h.consume()
    tomb_v0, tomb_v1 = h.writes  # the two fires, not written back yet
    h.writes = [tomb_v0]
    h.flush()  # the tombstone of v0 lands after v2
    [rewrite_v2] = h.consume()  # not written yet
    h.writes = []
    v3 = h.put(b"id", NOON + 6 * S)
    h.writes = [tomb_v1]
    h.flush()  # the tombstone of v1 lands after v3
    [rewrite_v3] = h.consume()
    h.writes = []
    h.delete(b"id")
    h.writes = [rewrite_v2, rewrite_v3]
    h.flush()  # both rewrites land after the delete
    tombstones = [a for a in h.consume() if isinstance(a, Tombstone)]
    assert tombstones == [Tombstone(TOPIC, 0, b"id", v2), Tombstone(TOPIC, 0, b"id", v3)]
    h.clock.set(NOON + 10 * S)
    h.settle()
    assert [f.schedule.version for f in h.fired] == [0, 1]
    assert held(replay(h).engine) == {}


def test_a_skipped_schedule_stays_skipped_after_its_rewrite_is_read_back() -> None:
    """A load rewrites v2 (newer than the tombstone that ends the log) and skips it as due
    before the window: reading that rewrite back must not plan v2."""
    h = Harness(now_ms=NOON - DAY_MS)
    h.load()
    _, v2 = fire_v1_then_update(h, NOON - DAY_MS + 5 * S)
    restarted = replay(h, now_ms=NOON)  # the next day, since 0: v2 is before the window
    assert [a.schedule.version for a in restarted.writes] == [v2]  # type: ignore[union-attr]
    assert restarted.counts[Event.SKIPPED] == 1
    restarted.settle()
    assert restarted.fired == [] and restarted.engine.pending_count == 0
    assert held(replay(restarted).engine) == {}


# -- property: random interleavings of user writes, fires and write-backs -----------------


def latest_user_version(h: Harness, key: bytes) -> int | None:
    """The offset of the last user record of ``key`` read so far, if it is a schedule."""
    log = h.logs[(TOPIC, 0)][: h.read[(TOPIC, 0)]]
    for rec in reversed(log):
        if rec.key() == key and not any(n in (TOMBSTONE_OF, REWRITE_OF) for n, _ in rec.headers()):
            parsed = classify(rec, RULES)
            return rec.offset() if isinstance(parsed, Schedule) else None
    return None


def check_fires(h: Harness, actions: list[Action], seed: int) -> None:
    for fire in (a for a in actions if isinstance(a, Fire)):
        assert fire.schedule.version == latest_user_version(h, fire.schedule.id), seed


def run_random_history(seed: int, steps: int = 120) -> None:
    rng = random.Random(seed)
    h = Harness(grace_seconds=rng.choice([0, 1]))
    keys = [b"a", b"b", b"c"]
    h.load()
    allowed: Counter[tuple[bytes, int]] = Counter()
    for _ in range(steps):
        key, now, op = rng.choice(keys), h.clock.now_ms(), rng.random()
        if op < 0.25:
            h.put(key, now + rng.randint(1, 6000))
        elif op < 0.32:
            h.put(key, now - rng.randint(0, 3500))
        elif op < 0.37:
            h.put_invalid(key)
        elif op < 0.45:
            h.delete(key)
        elif op < 0.55:
            h.clock.advance(rng.randint(0, 1500))
        elif op < 0.65:
            h.flush(rng.randint(0, len(h.writes)))
        elif op < 0.72:
            fires = [a for a in h.writes if isinstance(a, Fire)]
            if fires:
                fire = rng.choice(fires)
                h.engine.retry_later(h.fail(fire), now + rng.randint(0, 2000))
                allowed[(fire.schedule.id, fire.schedule.version)] += 1
        elif op < 0.74:
            h.settle()  # see test_reload_while_a_rewrite_races_a_delete for an unsettled one
            h.load()  # revoked and assigned again
        elif op < 0.77:
            h.settle()
            assert held(h.engine) == held(replay(h).engine), seed
        else:  # a fire is always of the latest user record read for its key
            for _ in range(h.unread() if op < 0.9 else 0):
                check_fires(h, h.consume(limit=1), seed)
            check_fires(h, h.tick(), seed)
    h.settle()
    assert held(h.engine) == held(replay(h).engine), seed
    assert outstanding(h.engine) == {}, seed  # everything written back was read back
    fired = Counter((f.schedule.id, f.schedule.version) for f in h.fired)
    assert all(n <= 1 + allowed[fv] for fv, n in fired.items()), seed
    assert not any(isinstance(a, Reject) for a in replay(h).writes), seed


@pytest.mark.parametrize("block", range(10))
def test_random_histories_keep_the_replay_invariant(block: int) -> None:
    for seed in range(block * 30, block * 30 + 30):
        run_random_history(seed)


def test_a_new_owner_does_not_revive_a_deleted_schedule_from_a_stale_rewrite() -> None:
    """The owner rewrites v2, the user deletes the key before the rewrite lands, and the
    partition moves before the owner reads its rewrite back: the new owner's load must end
    with the key deleted, and tombstone the rewrite so that compaction cannot revive it."""
    h = Harness()
    h.load()
    _, v2 = fire_v1_then_update(h, NOON + 5 * S)
    assert [type(a) for a in h.consume()] == [Rewrite]
    h.delete(b"id")
    h.flush()  # the rewrite lands after the delete
    fresh = Harness(now_ms=h.clock.now_ms())
    fresh.logs = {tp: list(log) for tp, log in h.logs.items()}
    actions = fresh.load()
    assert held(fresh.engine) == {}
    assert Tombstone(TOPIC, 0, b"id", v2) in actions
    fresh.flush()
    assert held(replay(fresh).engine) == {}
    fresh.clock.set(NOON + 10 * S)
    fresh.settle()
    assert fresh.fired == []

"""The original scheduler's scenarios (reference §15.2), adapted to issue 3's decisions."""

from __future__ import annotations

import pytest

from app.engine import Event, Fire, Reject
from app.engine.engine import HORIZON_MS

from .helpers import DAY_MS, NOON, Harness, fired_ids, held, of_type, replay

S = 1000


def test_fires_at_due_time_and_not_one_ms_before() -> None:
    h = Harness()
    for i, key in enumerate([b"cold-2", b"cold-3"], start=2):
        h.put(key, NOON + i * S)
    assert h.load() == []
    for i, key in enumerate([b"live-4", b"live-5", b"live-6", b"live-7"], start=4):
        h.put(key, NOON + i * S)
    assert h.consume() == []
    assert h.counts[Event.PLANNED] == 6
    for i in range(2, 8):
        h.clock.set(NOON + i * S - 1)
        assert h.tick() == []
        h.clock.set(NOON + i * S)
        fires = h.tick()
        assert [(f.schedule.due_ms, f.missed) for f in fires] == [(NOON + i * S, False)]
    assert len(h.fired) == 6


def test_fires_to_the_millisecond() -> None:
    h = Harness()
    h.load()
    h.put(b"a", NOON + 1_250)
    h.consume()
    h.clock.set(NOON + 1_249)
    assert h.tick() == []
    h.clock.set(NOON + 1_250)
    assert fired_ids(h.tick()) == [b"a"]


@pytest.mark.parametrize("live", [True, False], ids=["live", "load"])
@pytest.mark.parametrize("new_due_s", [3, 7], ids=["earlier", "later"])
def test_update_before_due_fires_only_the_new_version(live: bool, new_due_s: int) -> None:
    h = Harness()
    if live:
        h.load()
    h.put(b"id", NOON + 5 * S, b"v1")
    v2 = h.put(b"id", NOON + new_due_s * S, b"v2")
    h.consume() if live else h.load()
    assert held(h.engine) == {b"id": (v2, NOON + new_due_s * S)}
    fires: list[tuple[int, bytes]] = []
    for t in range(1, 10):
        h.clock.set(NOON + t * S)
        fires += [(t, f.schedule.value) for f in h.tick() if isinstance(f, Fire)]
    assert fires == [(new_due_s, b"v2")]


@pytest.mark.parametrize("live", [True, False], ids=["live", "load"])
def test_delete_before_due(live: bool) -> None:
    h = Harness()
    if live:
        h.load()
    h.put(b"id", NOON + 2 * S)
    h.delete(b"id")
    h.consume() if live else h.load()
    assert h.engine.pending_count == 0
    h.clock.set(NOON + 10 * S)
    assert h.tick() == []
    assert h.counts[Event.DELETED] == (1 if live else 0)


def test_a_future_schedule_on_another_day_is_planned() -> None:
    h = Harness()
    h.load()
    due = NOON + 3 * DAY_MS + 5
    h.put(b"later", due)
    h.consume()
    assert h.counts[Event.PLANNED] == 1
    assert h.engine.next_due_ms() == NOON + HORIZON_MS // 2  # far off: the sweep comes first
    h.clock.set(due)
    assert fired_ids(h.tick()) == [b"later"]


def test_missed_schedules_fire_first_in_due_time_order() -> None:
    h = Harness()
    h.clock.set(NOON - 10 * S)  # written earlier today, in an order unlike their due times
    for key, due_s in [(b"f1", 1), (b"m2", -2), (b"f2", 2), (b"m3", -3), (b"m1", -1)]:
        h.put(key, NOON + due_s * S)
    h.clock.set(NOON)
    assert h.load() == []  # nothing fires before the first due() after the load
    assert h.counts[Event.PLANNED] == 2
    h.put(b"live", NOON + 3 * S)
    h.consume()
    first = h.tick()
    assert [(f.schedule.id, f.missed) for f in first] == [
        (b"m3", True),
        (b"m2", True),
        (b"m1", True),
    ]
    h.clock.set(NOON + 3 * S)
    assert [(f.schedule.id, f.missed) for f in h.tick()] == [
        (b"f1", False),
        (b"f2", False),
        (b"live", False),
    ]


def test_nothing_fires_during_a_load() -> None:
    h = Harness()
    h.put(b"past", NOON - S, written_ms=NOON - 2 * S)
    h.engine.assign("schedules", 0)
    h.read[("schedules", 0)] = 0
    h.consume()
    assert h.engine.is_loading("schedules", 0)
    assert h.tick() == []
    assert h.engine.pending_count == 0  # a loading partition is not visible yet
    h.engine.finish_load("schedules", 0)
    assert fired_ids(h.tick()) == [b"past"]


def test_a_load_rejects_what_was_past_when_written_as_a_live_read_does() -> None:
    """Bug B8 fixed: found by a load or read live, a record gets the same decision."""
    h = Harness()
    h.put(b"late", NOON - 5 * S)  # written now: already past
    h.put(b"in-time", NOON - 5 * S, written_ms=NOON - 10 * S)  # late only because we were
    rejects = of_type(h.load(), Reject)
    assert [r.record.key() for r in rejects] == [b"late"]  # type: ignore[attr-defined]
    assert "past when written" in rejects[0].reason  # type: ignore[attr-defined]
    assert fired_ids(h.tick()) == [b"in-time"]
    assert h.counts[Event.INVALID] == 1


def test_an_outdated_live_update_is_rejected_and_cancels_the_key() -> None:
    """Bug B9 fixed: the previous version no longer fires after its update was rejected."""
    h = Harness()
    h.load()
    h.put(b"id", NOON + 3 * S)
    h.consume()
    v2 = h.put(b"id", NOON - 4 * S)
    rejects = of_type(h.consume(), Reject)
    assert [r.record.offset() for r in rejects] == [v2]  # type: ignore[attr-defined]
    assert "past" in rejects[0].reason  # type: ignore[attr-defined]
    assert h.counts[Event.INVALID] == 1
    h.clock.set(NOON + 5 * S)
    assert h.step() == []
    h.settle()
    assert h.fired == [] and h.engine.pending_count == 0
    assert held(replay(h).engine) == {}


def test_a_schedule_that_reaches_us_late_fires_instead_of_being_rejected() -> None:
    """Written while still due, read live only after its due time (a leader failover can
    end a load early): it fires. Only the producer's own past due time is invalid."""
    h = Harness()
    h.load()
    h.put(b"id", NOON + S)  # written at NOON
    h.clock.set(NOON + 30 * S)
    assert fired_ids(h.consume()) == [b"id"]
    assert h.counts[Event.INVALID] == 0


@pytest.mark.parametrize(
    ("grace_s", "due_offset_ms", "fires"),
    [
        (0, 0, True),
        (0, -900, True),  # earlier in the current second
        (0, -901, False),
        (1, -1000, True),
        (1, -1901, False),
        (2, -2900, True),
    ],
)
def test_grace_interval(grace_s: int, due_offset_ms: int, fires: bool) -> None:
    now = NOON + 900
    h = Harness(now_ms=now, grace_seconds=grace_s)
    h.load()
    h.put(b"id", now + due_offset_ms)
    actions = h.consume()
    assert [type(a) for a in actions] == [Fire if fires else Reject]
    assert h.counts[Event.INVALID] == (0 if fires else 1)
    assert h.counts[Event.PLANNED] == 0
    if fires:
        assert actions[0].missed is False  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("since", "missed", "skipped"),
    [(0, [b"today"], [b"yesterday", b"last-week"]), (-1, [b"yesterday", b"today"], [b"last-week"])],
)
def test_since_window(since: int, missed: list[bytes], skipped: list[bytes]) -> None:
    h = Harness(since_delta_days=since)
    written = NOON - 8 * DAY_MS  # in time: only a restart makes them late
    h.put(b"last-week", NOON - 7 * DAY_MS, written_ms=written)
    h.put(b"yesterday", NOON - DAY_MS, written_ms=written)
    h.put(b"today", NOON - 11 * 3600 * S, written_ms=written)
    h.put(b"tomorrow", NOON + DAY_MS)
    h.load()
    assert h.counts[Event.SKIPPED] == len(skipped)
    assert h.counts[Event.PLANNED] == 1
    assert fired_ids(h.tick()) == missed
    assert set(held(h.engine)) == {b"tomorrow"}


def test_window_start_in_the_configured_timezone() -> None:
    # 2030-01-01T23:30Z is already 2030-01-02 00:30 in Paris (UTC+1)
    h = Harness(now_ms=NOON + 11 * 3600 * S + 1800 * S, timezone="Europe/Paris")
    assert h.engine.window_start_ms() == NOON + 11 * 3600 * S
    h.put(b"paris-yesterday", NOON + 11 * 3600 * S - 1, written_ms=NOON)
    h.put(b"paris-today", NOON + 11 * 3600 * S, written_ms=NOON)
    h.load()
    assert fired_ids(h.tick()) == [b"paris-today"]
    assert h.counts[Event.SKIPPED] == 1


@pytest.mark.parametrize(("since", "fires"), [(0, False), (-1, True)])
def test_since_window_is_computed_at_each_load(since: int, fires: bool) -> None:
    h = Harness(since_delta_days=since)
    h.put(b"tomorrow", NOON + DAY_MS)
    h.load()
    assert h.engine.revoke("schedules", 0) == 1  # lost before it fired
    h.clock.set(NOON + 2 * DAY_MS)  # two days later, same process
    h.load()
    assert fired_ids(h.tick()) == ([b"tomorrow"] if fires else [])
    assert h.counts[Event.SKIPPED] == (0 if fires else 1)


def test_metrics_after_a_mixed_scenario() -> None:
    h = Harness()
    h.clock.set(NOON - 60 * S)
    h.put(b"cold", NOON - 5 * S)
    h.put(b"old", NOON - DAY_MS, written_ms=NOON - 2 * DAY_MS)
    h.clock.set(NOON)
    h.load()
    h.put_invalid(b"bad")
    h.put(b"id3", NOON + 3 * S)
    h.put(b"id4", NOON + 3 * S)
    h.delete(b"id3")
    h.step()
    h.clock.set(NOON + 3 * S)
    h.settle()
    assert fired_ids(h.fired) == [b"cold", b"id4"]
    assert {e.value: n for e, n in h.counts.items()} == {
        Event.MISSED: 1,
        Event.INVALID: 1,
        Event.PLANNED: 2,
        Event.DELETED: 1,
        Event.TRIGGERED: 1,
        Event.SKIPPED: 1,
    }


def test_own_tombstones_read_back_are_not_user_deletes() -> None:
    h = Harness()
    h.put_invalid(b"bad-cold")
    h.put(b"missed", NOON - S, written_ms=NOON - 2 * S)
    h.load()
    h.tick()
    h.put_invalid(b"bad-live")
    h.put(b"now", NOON)
    h.put(b"later", NOON + S)
    h.step()
    h.clock.set(NOON + S)
    h.settle()
    assert fired_ids(h.fired) == [b"missed", b"now", b"later"]
    assert h.counts[Event.DELETED] == 0
    assert h.counts[Event.INVALID] == 2
    h.put(b"user", NOON + 5 * S)
    h.delete(b"user")
    h.delete(b"never-existed")
    h.settle()
    assert h.counts[Event.DELETED] == 2


def test_a_revoke_drops_everything_and_a_reload_fires_once() -> None:
    h = Harness()
    h.put(b"past", NOON - S, written_ms=NOON - 2 * S)
    h.load()
    h.put(b"future", NOON + 5 * S)
    h.consume()
    assert h.engine.revoke("schedules", 0) == 2
    assert h.engine.pending_count == 0 and h.engine.assigned() == []
    h.clock.set(NOON + 5 * S)
    assert h.tick() == []
    h.clock.set(NOON + 2 * S)
    h.load()
    assert [(f.schedule.id, f.missed) for f in h.tick()] == [(b"past", True)]
    h.clock.set(NOON + 10 * S)
    assert fired_ids(h.tick()) == [b"future"]
    assert h.tick() == []


def test_records_of_unassigned_partitions_are_ignored() -> None:
    h = Harness()
    h.load()
    h.put(b"elsewhere", NOON + S, partition=1)
    h.engine.apply(h.logs[("schedules", 1)][0])
    h.clock.set(NOON + S)
    assert h.tick() == [] and h.engine.pending_count == 0


def test_issue8_many_updates_of_one_id_fire_once() -> None:
    h = Harness()
    h.load()
    versions = [h.put(b"same", NOON + S, f"v{i}".encode()) for i in range(100)]
    h.consume()
    h.clock.set(NOON + S)
    fires = h.tick()
    assert [(f.schedule.version, f.schedule.value) for f in fires] == [(versions[-1], b"v99")]  # type: ignore[union-attr]
    assert h.counts[Event.PLANNED] == 100


def test_issue32_revoke_between_batches_of_missed_schedules() -> None:
    h = Harness()
    h.clock.set(NOON - 60 * S)
    for i in range(1000):
        h.put(b"p0-%d" % i, NOON - 30 * S + i)
    for i in range(500):
        h.put(b"p1-%d" % i, NOON - 10 * S + i, partition=1)
    h.clock.set(NOON)
    h.load(partition=0)
    h.load(partition=1)
    h.engine.due(limit=300)
    first = h.engine.drain()
    assert len(first) == 300
    h.engine.revoke("schedules", 1)
    rest: list[bytes] = []
    while batch := fired_ids(h.tick()):
        rest += batch
    assert len(rest) == 700 and all(key.startswith(b"p0-") for key in rest)
    assert len(set(fired_ids(first)) | set(rest)) == 1000

"""Records, engines and a simulated host for the engine's unit tests.

``Harness`` plays the host's part over an in-memory log per partition: the user appends records,
``consume`` feeds the engine what it has not read yet, and the actions the engine drains are
queued as the host's pending writes until ``flush`` writes them back into the log (a fired
schedule's tombstone, an invalid record's tombstone, a rewrite), the way the Kafka writer does.
Keeping the writes pending lets a test put a user record between a decision and its write.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from app.engine import (
    Action,
    Engine,
    EngineSettings,
    Event,
    Fire,
    ManualClock,
    Record,
    Reject,
    Rewrite,
    Rules,
    Schedule,
)
from app.engine.engine import HORIZON_MS
from app.engine.schedule import (
    EPOCH,
    REWRITE_OF,
    TARGET_KEY,
    TARGET_TOPIC,
    TOMBSTONE_OF,
    Header,
    rewrite_headers,
)
from app.engine.store import MemoryStore, StoreFactory

TOPIC = "schedules"
OTHER_TOPIC = "schedules-2"
HISTORY = "history"
TARGET = "target"
RULES = Rules(schedules_topics=frozenset({TOPIC, OTHER_TOPIC}), history_topic=HISTORY)

DAY_MS = 86_400_000
NOON = 1_893_499_200_000
"""2030-01-01T12:00:00Z: noon, so that "earlier today" and "yesterday" are both easy."""

TP = tuple[str, int]


class CountingObserver:
    def __init__(self) -> None:
        self.counts: Counter[Event] = Counter()

    def count(self, event: Event, n: int = 1) -> None:
        self.counts[event] += n


def epoch(ms: int) -> bytes:
    """The ``scheduler-epoch`` of a due time in ms, with its fraction when there is one."""
    seconds, rest = divmod(ms, 1000)
    return f"{seconds}.{rest:03d}".encode() if rest else str(seconds).encode()


def schedule_headers(
    due_ms: int, target: str = TARGET, target_key: bytes | None = b"tk"
) -> list[Header]:
    return [(EPOCH, epoch(due_ms)), (TARGET_TOPIC, target), (TARGET_KEY, target_key)]


def record(
    key: bytes | None,
    value: bytes | None = b"payload",
    headers: list[Header] | None = None,
    *,
    offset: int = 0,
    topic: str = TOPIC,
    partition: int = 0,
    timestamp_ms: int = NOON,
) -> Record:
    return Record(topic, partition, offset, key, value, headers or [], timestamp_ms)


class Harness:
    def __init__(
        self,
        *,
        now_ms: int = NOON,
        grace_seconds: int = 0,
        since_delta_days: int = 0,
        timezone: str = "UTC",
        stores: StoreFactory = MemoryStore,
        horizon_ms: int = HORIZON_MS,
    ) -> None:
        self.clock = ManualClock(now_ms)
        self.observer = CountingObserver()
        self.settings = EngineSettings(RULES, grace_seconds, since_delta_days, timezone)
        self.engine = Engine(self.settings, self.clock, self.observer, stores, horizon_ms)
        self.logs: dict[TP, list[Record]] = {}
        self.read: dict[TP, int] = {}
        self.writes: list[Action] = []
        """Actions drained from the engine and not yet written back (the host's producer)."""
        self.fired: list[Fire] = []

    @property
    def counts(self) -> Counter[Event]:
        return self.observer.counts

    # -- the log -------------------------------------------------------------------------

    def append(
        self,
        key: bytes | None,
        value: bytes | None,
        headers: list[Header],
        topic: str = TOPIC,
        partition: int = 0,
        written_ms: int | None = None,
    ) -> Record:
        """``written_ms``: the record's timestamp, when not now (written before a restart)."""
        log = self.logs.setdefault((topic, partition), [])
        at_ms = self.clock.now_ms() if written_ms is None else written_ms
        rec = Record(topic, partition, len(log), key, value, headers, at_ms)
        log.append(rec)
        return rec

    def put(
        self,
        key: bytes,
        due_ms: int,
        value: bytes = b"payload",
        topic: str = TOPIC,
        partition: int = 0,
        written_ms: int | None = None,
    ) -> int:
        """The user writes a schedule; returns its offset (its version)."""
        headers = schedule_headers(due_ms)
        return self.append(key, value, headers, topic, partition, written_ms).offset()

    def delete(self, key: bytes, topic: str = TOPIC, partition: int = 0) -> int:
        return self.append(key, None, [], topic, partition).offset()

    def put_invalid(self, key: bytes, topic: str = TOPIC, partition: int = 0) -> int:
        return self.append(key, b"x", [(TARGET_TOPIC, TARGET)], topic, partition).offset()

    # -- the host loop -------------------------------------------------------------------

    def load(self, topic: str = TOPIC, partition: int = 0) -> list[Action]:
        """Assign the partition and read it up to its end: the load."""
        self.engine.assign(topic, partition)
        self.read[(topic, partition)] = 0
        self._feed(topic, partition)
        self.engine.finish_load(topic, partition)
        return self._take()

    def consume(self, limit: int | None = None) -> list[Action]:
        """Read what the assigned partitions have not read yet (at most ``limit`` records of
        each): live records."""
        for topic, partition in self.engine.assigned():
            self._feed(topic, partition, limit)
        return self._take()

    def unread(self, topic: str = TOPIC, partition: int = 0) -> int:
        return len(self.logs.get((topic, partition), [])) - self.read[(topic, partition)]

    def tick(self) -> list[Action]:
        self.engine.due()
        return self._take()

    def flush(self, count: int | None = None) -> None:
        """Write back the pending actions (the first ``count`` of them), as the host does once
        the target acknowledged."""
        count = len(self.writes) if count is None else count
        writes, self.writes = self.writes[:count], self.writes[count:]
        for action in writes:
            if isinstance(action, Fire):
                self.fired_ok(action)
            elif isinstance(action, Reject):
                rec = action.record
                topic, partition = rec.topic() or "", rec.partition() or 0
                if rec.key() is not None:
                    self._tombstone(topic, partition, rec.key(), rec.offset() or 0)
            elif isinstance(action, Rewrite):
                s = action.schedule
                self.append(s.id, s.value, rewrite_headers(s), s.topic, s.partition)
            else:
                self._tombstone(action.topic, action.partition, action.key, action.version)

    def fail(self, fire: Fire) -> Schedule:
        """The target write of ``fire`` failed: nothing of it is written back."""
        self.writes.remove(fire)
        return fire.schedule

    def fired_ok(self, fire: Fire) -> None:
        s = fire.schedule
        self.observer.count(Event.MISSED if fire.missed else Event.TRIGGERED)
        self._tombstone(s.topic, s.partition, s.id, s.version)

    def settle(self, rounds: int = 20) -> None:
        """Flush, read back and fire what is due until nothing changes (at the same time)."""
        for _ in range(rounds):
            self.flush()
            size = sum(map(len, self.logs.values()))
            if not (self.consume() + self.tick()) and size == sum(map(len, self.logs.values())):
                return
        raise AssertionError("the host loop does not settle")

    def step(self) -> list[Action]:
        """One full round: write back, read back, fire what is due."""
        self.flush()
        return self.consume() + self.tick()

    def _feed(self, topic: str, partition: int, limit: int | None = None) -> None:
        log = self.logs.get((topic, partition), [])
        end = len(log) if limit is None else min(len(log), self.read[(topic, partition)] + limit)
        while self.read[(topic, partition)] < end:
            rec = log[self.read[(topic, partition)]]
            self.read[(topic, partition)] += 1
            self.engine.apply(rec)

    def _take(self) -> list[Action]:
        actions = self.engine.drain()
        self.writes.extend(actions)
        self.fired.extend(a for a in actions if isinstance(a, Fire))
        return actions

    def _tombstone(self, topic: str, partition: int, key: bytes | None, version: int) -> None:
        self.append(key, None, [(TOMBSTONE_OF, str(version).encode())], topic, partition)


def replay(
    h: Harness, topic: str = TOPIC, partition: int = 0, now_ms: int | None = None
) -> Harness:
    """A fresh engine loading the same log (at the same time unless told): a restart."""
    fresh = Harness(
        now_ms=h.clock.now_ms() if now_ms is None else now_ms,
        grace_seconds=h.settings.grace_seconds,
        since_delta_days=h.settings.since_delta_days,
        timezone=h.settings.timezone,
    )
    fresh.logs = {tp: list(log) for tp, log in h.logs.items()}
    fresh.load(topic, partition)
    return fresh


def held(engine: Engine) -> dict[bytes, tuple[int, int]]:
    """What the engine holds: id -> (version, due ms)."""
    return {s.id: (s.version, s.due_ms) for s in engine.pending()}


def outstanding(engine: Engine) -> dict[bytes, int]:
    """Fires and rewrites whose own record has not been read back yet (white box)."""
    states = engine._by_tp.values()
    return {
        k: v
        for st in states
        for k, v in [*st.inflight.items(), *st.rewriting.items(), *st.rewrite_marks.items()]
    }


def fired_ids(actions: Iterable[Action]) -> list[bytes]:
    return [a.schedule.id for a in actions if isinstance(a, Fire)]


def of_type(actions: Iterable[Action], kind: type) -> list[Action]:
    return [a for a in actions if isinstance(a, kind)]


def is_rewrite(rec: Record) -> bool:
    return rec.value() is not None and any(name == REWRITE_OF for name, _ in rec.headers())

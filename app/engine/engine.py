"""The scheduling engine: partitions in, actions out, driven by a clock.

Pure logic, shared by the Kafka and the mini modes: no I/O, no threads, no Kafka or HTTP
imports. The host feeds it records and load boundaries, calls ``due()`` when the next due time
comes, executes the actions it drains, and reports deliveries that failed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.engine.clock import Clock
from app.engine.events import Action, Event, Fire, Observer
from app.engine.partition import PartitionState
from app.engine.queue import DueQueue, Entry
from app.engine.schedule import RecordLike, Rules, Schedule, classify
from app.engine.store import MemoryStore, Pending, StoreFactory, due_of, ref_of, version_of

TopicPartition = tuple[str, int]

HORIZON_MS = 3_600_000
"""Schedules due further ahead than this wait in the index only, not in the due-time queue:
most pending schedules are far off (a year after the last login), and a queue entry would
double what each costs. Every half horizon, the index is swept for the next ones."""
_COMPACT_MIN = 1024
"""Stale queue entries tolerated beyond twice the held schedules before a compaction."""


@dataclass(frozen=True, slots=True)
class EngineSettings:
    rules: Rules
    grace_seconds: int = 0
    """How far in the past a live schedule may be due and still fire (the current second
    always may)."""
    since_delta_days: int = 0
    """Missed schedules fire if due after the start of today plus this many days (<= 0)."""
    timezone: str = "UTC"


class Engine:
    def __init__(
        self,
        settings: EngineSettings,
        clock: Clock,
        observer: Observer,
        stores: StoreFactory = MemoryStore,
        horizon_ms: int = HORIZON_MS,
    ) -> None:
        self.settings = settings
        self._stores = stores
        self._horizon_step_ms = horizon_ms
        self._horizon_ms = clock.now_ms() + horizon_ms
        """Planned schedules due up to this time are in the queue; later ones wait."""
        self.grace_ms = settings.grace_seconds * 1000
        self._clock = clock
        self._observer = observer
        self._zone = ZoneInfo(settings.timezone)
        self._queue = DueQueue()
        self._by_serial: dict[int, PartitionState] = {}
        self._by_tp: dict[TopicPartition, PartitionState] = {}
        self._next_serial = 0
        self._outbox: list[Action] = []

    # -- what a partition needs (the Host protocol) --------------------------------------

    def now_ms(self) -> int:
        return self._clock.now_ms()

    def emit(self, action: Action) -> None:
        self._outbox.append(action)

    def count(self, event: Event, n: int = 1) -> None:
        if n:
            self._observer.count(event, n)

    def plan(self, state: PartitionState, key: bytes, version: int, at_ms: int) -> None:
        if at_ms <= self._horizon_ms:
            self._queue.push(at_ms, version, state.serial, key)

    # -- partitions ----------------------------------------------------------------------

    def assign(self, topic: str, partition: int) -> None:
        """Start loading a partition; its records are applied without firing until
        ``finish_load``."""
        self._next_serial += 1
        self.revoke(topic, partition)
        state = PartitionState(topic, partition, self._next_serial, self._stores(topic, partition))
        self._by_tp[(topic, partition)] = state
        self._by_serial[state.serial] = state

    def revoke(self, topic: str, partition: int) -> int:
        """Forget a partition; nothing it planned fires. Returns how many it held."""
        state = self._by_tp.pop((topic, partition), None)
        if state is None:
            return 0
        del self._by_serial[state.serial]
        held = len(state.held)
        state.close()
        return held

    def finish_load(self, topic: str, partition: int) -> None:
        state = self._by_tp.get((topic, partition))
        if state is not None and state.loading:
            state.finish_load(self, self.window_start_ms())
            self._compact_if_stale()

    def window_start_ms(self) -> int:
        """Start of today in the configured zone, moved by ``since_delta_days``."""
        today = datetime.fromtimestamp(self.now_ms() / 1000, self._zone).date()
        day = today + timedelta(days=self.settings.since_delta_days)
        return int(datetime.combine(day, time(0), tzinfo=self._zone).timestamp() * 1000)

    def assigned(self) -> list[TopicPartition]:
        return list(self._by_tp)

    def is_loading(self, topic: str, partition: int) -> bool:
        state = self._by_tp.get((topic, partition))
        return state is not None and state.loading

    @property
    def loading_count(self) -> int:
        return sum(state.loading for state in self._by_tp.values())

    # -- records and time ----------------------------------------------------------------

    def apply(self, record: RecordLike) -> None:
        topic, partition = record.topic(), record.partition()
        state = self._by_tp.get((topic or "", partition or 0))
        if state is not None:
            state.apply(record, classify(record, self.settings.rules), self)
            if not state.loading:  # live updates and deletes leave stale entries too
                self._compact_if_stale()

    def due(self, limit: int = 10_000) -> None:
        """Fire what is due now, earliest first, at most ``limit`` schedules."""
        now = self.now_ms()
        if now >= self._horizon_ms - self._horizon_step_ms // 2:
            self._extend_horizon(now)
        fired = 0
        for entry in self._queue.pop_due(now):
            found = self._live(entry)
            if found is None:
                continue
            state, held = found
            key = entry[3]
            schedule = state.store.get(ref_of(held))
            state.release(key)
            state.inflight[key] = version_of(held)
            missed = state.loaded_at_ms is not None and schedule.due_ms < state.loaded_at_ms
            self._outbox.append(Fire(schedule, missed))
            fired += 1
            if fired >= limit:
                break

    def next_due_ms(self) -> int:
        """When ``due()`` has something to do: the first queued due time, or the sweep."""
        sweep_ms = self._horizon_ms - self._horizon_step_ms // 2
        first = self._queue.next_ms()
        return sweep_ms if first is None else min(first, sweep_ms)

    def drain(self) -> list[Action]:
        actions, self._outbox = self._outbox, []
        return actions

    def retry_later(self, schedule: Schedule, at_ms: int) -> None:
        """A fire that failed for a passing reason: plan it again unless it changed since."""
        state = self._by_tp.get((schedule.topic, schedule.partition))
        if state is None or state.inflight.get(schedule.id) != schedule.version:
            return
        del state.inflight[schedule.id]
        if schedule.id not in state.held:
            state.hold(schedule.id, schedule)
            self.plan(state, schedule.id, schedule.version, at_ms)

    def give_up(self, schedule: Schedule) -> None:
        """A fire that cannot succeed and was not tombstoned: it stays in its topic."""
        state = self._by_tp.get((schedule.topic, schedule.partition))
        if state is not None and state.inflight.get(schedule.id) == schedule.version:
            del state.inflight[schedule.id]

    # -- reading -------------------------------------------------------------------------

    def pending(self) -> Iterator[Schedule]:
        """Schedules held by loaded partitions, in no particular order."""
        for state in list(self._by_tp.values()):
            if not state.loading:
                for held in list(state.held.values()):
                    yield state.store.get(ref_of(held))

    def due_index(self) -> list[tuple[int, bytes]]:
        """(due ms, id) of every schedule held by loaded partitions: what a listing sorts
        and filters on before it reads the few schedules of its page."""
        return [
            (due_of(held), key)
            for state in self._by_tp.values()
            if not state.loading
            for key, held in state.held.items()
        ]

    @property
    def pending_count(self) -> int:
        return sum(len(s.held) for s in self._by_tp.values() if not s.loading)

    def get(self, key: bytes) -> Schedule | None:
        for state in self._by_tp.values():
            if not state.loading and key in state.held:
                return state.schedule(key)
        return None

    # -- internals -----------------------------------------------------------------------

    def _live(self, entry: Entry) -> tuple[PartitionState, Pending] | None:
        _, version, serial, key = entry
        state = self._by_serial.get(serial)
        if state is None:
            return None
        held = state.held.get(key)
        if held is None or version_of(held) != version:
            return None
        return state, held

    def _extend_horizon(self, now: int) -> None:
        """Queue the schedules of loaded partitions that the moving horizon reaches (a
        loading partition queues its own when its load ends)."""
        start, end = self._horizon_ms, now + self._horizon_step_ms
        push = self._queue.push
        for state in self._by_serial.values():
            if state.loading:
                continue
            for key, held in state.held.items():
                due_ms = due_of(held)
                if start < due_ms <= end:
                    push(due_ms, version_of(held), state.serial, key)
        self._horizon_ms = end

    def _compact_if_stale(self) -> None:
        if len(self._queue) <= _COMPACT_MIN:
            return
        held = sum(len(s.held) for s in self._by_serial.values())
        if len(self._queue) > 2 * held + _COMPACT_MIN:
            self._queue.compact(lambda entry: self._live(entry) is not None)

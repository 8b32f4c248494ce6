"""An in-memory scheduler for users' integration tests.

Writes go to an in-memory log that feeds the shared engine exactly as a Kafka partition
would, including the scheduler's own tombstones read back, so the mini mode behaves like the
real one. Fired records are kept per topic, bounded, for tests to read.
"""

from __future__ import annotations

import threading
from collections import deque

from app.config import Settings
from app.engine import (
    Action,
    Engine,
    Event,
    Fire,
    Record,
    Reject,
    Rewrite,
    Schedule,
    ShiftedClock,
    SystemClock,
    Tombstone,
    Written,
)
from app.engine.schedule import TOMBSTONE_OF, Header, output_headers, rewrite_headers
from app.metrics import Metrics
from app.service import Service

RECORDS_PER_TOPIC = 10_000
IDLE_WAIT_S = 1.0


class MiniScheduler(Service):
    def __init__(self, settings: Settings, metrics: Metrics | None = None) -> None:
        self.settings = settings
        self.metrics = metrics or Metrics()
        self.clock = ShiftedClock(SystemClock())
        self.engine = Engine(settings.engine_settings(), self.clock, self.metrics)
        self.metrics.track(lambda: self.engine.pending_count, lambda: 0)
        self.lock = threading.Condition()
        self.records: dict[str, deque[Record]] = {}
        """Records written to each topic other than the schedules topics (target, history,
        dead letters), the newest ``RECORDS_PER_TOPIC`` of each."""
        self._offsets: dict[str, int] = {}
        self._stopping = False
        self.failure: BaseException | None = None
        self._thread: threading.Thread | None = None
        for topic in settings.schedules_topics:
            self.engine.assign(topic, 0)
            self.engine.finish_load(topic, 0)

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="mini-loop", daemon=True)
        self._thread.start()

    def close(self) -> None:
        with self.lock:
            self._stopping = True
            self.lock.notify_all()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def is_alive(self) -> bool:
        return self.is_running()

    def is_ready(self) -> bool:
        return self.is_alive()

    # -- what the API calls ----------------------------------------------------------------

    def write(
        self,
        topic: str,
        key: bytes,
        value: bytes | None,
        headers: list[Header],
        partition: int | None = None,
    ) -> Written:
        """Append a schedule record (or a tombstone) to a schedules topic (whose one
        partition is 0)."""
        with self.lock:
            record = self._append(topic, key, value, headers)
            self._settle()
            self.lock.notify_all()
            return Written(topic, 0, record.offset_, record.timestamp_ms)

    def advance(self, seconds: float) -> int:
        with self.lock:
            self.clock.advance(int(seconds * 1000))
            self._settle()
            return self.clock.now_ms()

    def get(self, key: bytes) -> Schedule | None:
        with self.lock:
            return self.engine.get(key)

    def peers(self) -> list[str]:
        return []  # it holds every schedule itself

    def schedules(self) -> list[Schedule]:
        with self.lock:
            return list(self.engine.pending())

    def due_index(self) -> list[tuple[int, bytes]]:
        with self.lock:
            return self.engine.due_index()

    def topic_records(self, topic: str) -> list[Record]:
        with self.lock:
            return list(self.records.get(topic, ()))

    # -- the loop --------------------------------------------------------------------------

    def _run(self) -> None:
        with self.lock:
            while not self._stopping:
                self._settle()
                next_due = self.engine.next_due_ms()
                wait = max(0.0, min(IDLE_WAIT_S, (next_due - self.clock.now_ms()) / 1000))
                self.lock.wait(wait)

    def _settle(self) -> None:
        """Fire what is due and read the scheduler's own writes back until nothing is left."""
        self.engine.due()
        actions = self.engine.drain()
        while actions:
            for action in actions:
                self._execute(action)
            self.engine.due()
            actions = self.engine.drain()

    def _execute(self, action: Action) -> None:
        if isinstance(action, Fire):
            schedule = action.schedule
            headers = output_headers(schedule)
            self.metrics.count(Event.MISSED if action.missed else Event.TRIGGERED)
            lateness_ms = max(0, self.clock.now_ms() - schedule.due_ms)
            self.metrics.lateness.observe(lateness_ms / 1000)
            for topic in (schedule.target_topic, self.settings.history_topic):
                self._append(topic, schedule.target_key, schedule.value, headers)
            self._tombstone(schedule.topic, schedule.id, schedule.version)
        elif isinstance(action, Reject):
            key = action.record.key()
            if key is not None:
                self._tombstone(action.record.topic() or "", key, action.record.offset() or 0)
        elif isinstance(action, Rewrite):
            schedule = action.schedule
            # The record's own timestamp is kept, as in Kafka mode: it becomes the target's
            # scheduler-timestamp.
            self._append(
                schedule.topic,
                schedule.id,
                schedule.value,
                rewrite_headers(schedule),
                schedule.timestamp_ms,
            )
        else:
            assert isinstance(action, Tombstone)
            self._tombstone(action.topic, action.key, action.version)

    def _tombstone(self, topic: str, key: bytes, version: int) -> None:
        self._append(topic, key, None, [(TOMBSTONE_OF, str(version).encode())])

    def _append(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        headers: list[Header],
        timestamp_ms: int | None = None,
    ) -> Record:
        offset = self._offsets.get(topic, 0)
        self._offsets[topic] = offset + 1
        at_ms = self.clock.now_ms() if timestamp_ms is None else timestamp_ms
        record = Record(topic, 0, offset, key, value, list(headers), at_ms)
        if topic in self.settings.schedules_topics:
            self.engine.apply(record)
        else:
            self.records.setdefault(topic, deque(maxlen=RECORDS_PER_TOPIC)).append(record)
        return record

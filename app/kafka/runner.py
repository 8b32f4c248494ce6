"""The Kafka scheduler as one object: start it, close it, or use it as a context manager.

One thread runs the loop: consume a batch, apply it, fire what is due, write. Waiting in
``consume`` until the next due time is what gives millisecond timing without a timer per
schedule. The lock only guards the engine against the HTTP API's readers.
"""

from __future__ import annotations

import logging
import threading
from functools import partial

from confluent_kafka import KafkaException

from app.config import Settings
from app.engine import Clock, Engine, Schedule, SystemClock, WriteFailed, Written
from app.engine.schedule import Header
from app.engine.store import MemoryStore, StoreFactory
from app.kafka.consumer import ScheduleConsumer
from app.kafka.peers import GroupPeers
from app.kafka.schedule_file import ScheduleFile
from app.kafka.submit import ScheduleWriter
from app.kafka.writer import ActionWriter
from app.metrics import Metrics
from app.service import Service

log = logging.getLogger(__name__)

IDLE_WAIT_S = 0.1
STALLED_MS = 30_000
"""A loop that has not gone round for this long is dead: longer than any one batch of
writes can take (message timeout plus flush margin)."""


class KafkaScheduler(Service):
    def __init__(
        self,
        settings: Settings,
        metrics: Metrics | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self.metrics = metrics or Metrics()
        self.clock = clock or SystemClock()
        self.lock = threading.Lock()
        self.engine = Engine(
            settings.engine_settings(), self.clock, self.metrics, _stores(settings)
        )
        self.metrics.track(self._pending_count, self._loading_count)
        self._writer = ActionWriter(
            settings, self.engine, self.metrics, self.lock, lambda tps: consumer.fencing(tps)
        )
        consumer = ScheduleConsumer(settings, self.engine, self.lock, self._before_revoke)
        self._consumer = consumer
        self._api_writer = ScheduleWriter(settings)
        self._peers = GroupPeers(settings)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_loop_ms = 0
        """When the loop last went round: the liveness probe reads it."""
        self.failure: BaseException | None = None
        self._closed = False

    @classmethod
    def from_env(cls) -> KafkaScheduler:
        return cls(Settings.from_env())

    def start(self) -> None:
        self._consumer.subscribe()
        self._thread = threading.Thread(target=self._run, name="scheduler-loop", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop firing, finish every write started, leave the group. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._writer.close()
        self._consumer.close()
        self._api_writer.close()
        with self.lock:  # closes their schedule files
            for topic, partition in self.engine.assigned():
                self.engine.revoke(topic, partition)

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def is_alive(self) -> bool:
        """The loop is running and not stalled."""
        return self.is_running() and self.clock.now_ms() - self.last_loop_ms < STALLED_MS

    def is_ready(self) -> bool:
        """Alive, in the group, and no assigned partition is still loading."""
        return self.is_alive() and self._consumer.joined and self._loading_count() == 0

    def loaded_partitions(self) -> list[tuple[str, int]]:
        """Assigned partitions whose load has finished."""
        with self.lock:
            engine = self.engine
            return [tp for tp in engine.assigned() if not engine.is_loading(*tp)]

    def get(self, key: bytes) -> Schedule | None:
        with self.lock:
            return self.engine.get(key)

    def write(
        self,
        topic: str,
        key: bytes,
        value: bytes | None,
        headers: list[Header],
        partition: int | None = None,
    ) -> Written:
        try:
            return self._api_writer.write(topic, key, value, headers, partition)
        except KafkaException as error:
            raise WriteFailed(str(error)) from error

    def peers(self) -> list[str]:
        return self._peers.urls()

    def schedules(self) -> list[Schedule]:
        with self.lock:
            return list(self.engine.pending())

    def due_index(self) -> list[tuple[int, bytes]]:
        with self.lock:
            return self.engine.due_index()

    def _run(self) -> None:
        engine, writer, consumer, clock = self.engine, self._writer, self._consumer, self.clock
        try:
            writer.prepare()
            while not self._stopping.is_set():
                now = clock.now_ms()
                self.last_loop_ms = now
                wait = max(0.0, min(IDLE_WAIT_S, (engine.next_due_ms() - now) / 1000))
                messages = consumer.consume(wait)
                consumer.find_load_ends()
                with self.lock:
                    consumer.apply(messages)
                    engine.due()
                    actions = engine.drain()
                writer.execute(actions)  # without the lock: readers are not held up
        except BaseException as error:
            self.failure = error
            log.exception("scheduler loop stopped")
            raise

    def _before_revoke(self, partitions: list[tuple[str, int]]) -> None:
        """Write what is left over for the partitions going away, so that their next owner
        reads the outcome; what still fails is theirs to redo."""
        with self.lock:
            actions = self.engine.drain()
        self._writer.execute(actions)
        for topic, partition in partitions:
            self._writer.forget(topic, partition)

    def _pending_count(self) -> int:
        with self.lock:
            return self.engine.pending_count

    def _loading_count(self) -> int:
        with self.lock:
            return self.engine.loading_count


def _stores(settings: Settings) -> StoreFactory:
    if settings.payload_store == "memory":
        return MemoryStore
    return partial(ScheduleFile, directory=settings.payload_dir or None)

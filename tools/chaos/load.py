"""A known set of schedules, and the tally of what became of them in the target topic.

Every schedule's target key is its own id, so the tally can tell lost from duplicated without
any bookkeeping in the scheduler; lateness is the target record's timestamp minus the due
time (a target topic with ``message.timestamp.type=LogAppendTime`` makes that the broker's
append time rather than the scheduler's clock). The payload is any size the run asks for.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition


@dataclass(frozen=True)
class Tally:
    scheduled: int
    fired: int
    lost: int
    duplicated: int
    p99_lateness_s: float
    max_lateness_s: float
    lost_sample: tuple[bytes, ...] = ()
    lateness_s: tuple[float, ...] = field(default=(), repr=False)
    """Every fired schedule's lateness, ascending: for quantiles and distributions."""
    early: int = 0
    """Schedules that reached the target before their due time (their lateness counts as 0)."""

    def __str__(self) -> str:
        return (
            f"scheduled={self.scheduled} fired={self.fired} lost={self.lost} "
            f"duplicated={self.duplicated} p99_lateness={self.p99_lateness_s:.3f}s "
            f"max_lateness={self.max_lateness_s:.3f}s"
            + (f" lost_sample={[k.decode() for k in self.lost_sample]}" if self.lost else "")
        )

    def quantile(self, q: float) -> float:
        """The ``q`` quantile of the lateness (0 when nothing fired)."""
        return _nearest_rank(self.lateness_s or (0.0,), q)


def _nearest_rank(ascending: tuple[float, ...], q: float) -> float:
    return ascending[min(len(ascending) - 1, int(len(ascending) * q))]


class Load:
    def __init__(
        self,
        bootstrap: str,
        schedules_topic: str,
        target_topic: str,
        count: int,
        spread_s: float,
        start_in_s: float = 3.0,
        payload_bytes: int = 16,
    ) -> None:
        self.bootstrap = bootstrap
        self.schedules_topic = schedules_topic
        self.target_topic = target_topic
        self.prefix = uuid.uuid4().hex[:8]
        self.payload = b"p" * payload_bytes
        first = time.time() + start_in_s
        step = spread_s / max(1, count - 1)
        # Rounded as the epoch header is, so that lateness is measured from the due time
        # the scheduler was given.
        self.due: dict[bytes, float] = {
            f"{self.prefix}-{i}".encode(): round(first + i * step, 3) for i in range(count)
        }

    @property
    def last_due(self) -> float:
        return max(self.due.values())

    def produce(self, ahead_s: float | None = None) -> None:
        """Every schedule at once; or, with ``ahead_s``, each one ``ahead_s`` before its due
        time: a steady stream like producers write in production, so that a long run does not
        wait for all of it to be written and read up front."""
        producer = Producer({"bootstrap.servers": self.bootstrap, "linger.ms": 20})
        for key, due in self.due.items():
            if ahead_s is not None:
                while (wait := due - ahead_s - time.time()) > 0:
                    producer.poll(min(wait, 0.1))  # paced by the clock: serves deliveries
            headers = self._headers(key, due)
            while True:
                try:
                    producer.produce(self.schedules_topic, self.payload, key, headers=headers)
                    break
                except BufferError:
                    producer.poll(0.1)
        if producer.flush(60):
            raise RuntimeError("schedules not acknowledged in 60 s")

    def wait_fired(self, count: int, timeout: float) -> None:
        """Until ``count`` schedules have reached the target."""
        keys = set(self.due)
        seen = self._read(lambda seen: len(keys & set(seen)) >= count, timeout)
        if len(keys & set(seen)) < count:
            raise AssertionError(f"{count} schedules not fired in {timeout} s")

    def tally(self, timeout: float) -> Tally:
        """Read the target (committed records only) until every schedule is there, then
        until a marker due after the last of them arrives in every partition: anything
        not yet fired by then never will be, and any second copy would be before it."""
        markers = self._write_markers(max(self.last_due, time.time()) + 1)
        wanted = set(self.due) | markers
        # Every key read is one of ours, so the count rules out a full comparison until it
        # can succeed: a set comparison per batch is quadratic at hundreds of thousands.
        return self._tally(
            self._read(lambda seen: len(seen) >= len(wanted) and wanted <= seen.keys(), timeout)
        )

    def _read(
        self, until: Callable[[dict[bytes, list[int]]], bool], timeout: float
    ) -> dict[bytes, list[int]]:
        """Timestamps of each of our records in the target, read from its start."""
        seen: dict[bytes, list[int]] = {}
        consumer = Consumer(
            {
                "bootstrap.servers": self.bootstrap,
                "group.id": f"tally-{uuid.uuid4().hex}",
                "enable.auto.commit": False,
                "isolation.level": "read_committed",
            }
        )
        try:
            topic = consumer.list_topics(self.target_topic, timeout=10).topics[self.target_topic]
            consumer.assign(
                [TopicPartition(self.target_topic, p, OFFSET_BEGINNING) for p in topic.partitions]
            )
            prefix = self.prefix.encode()
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and not until(seen):
                for message in consumer.consume(1000, 0.5):
                    key = message.key() if message.error() is None else None
                    if key is not None and key.startswith(prefix):
                        seen.setdefault(key, []).append(message.timestamp()[1])
        finally:
            consumer.close()
        return seen

    def _write_markers(self, due: float) -> set[bytes]:
        producer = Producer({"bootstrap.servers": self.bootstrap})
        count = len(
            producer.list_topics(self.schedules_topic, timeout=10)
            .topics[self.schedules_topic]
            .partitions
        )
        markers = set()
        for partition in range(count):
            key = f"{self.prefix}-marker-{partition}".encode()
            markers.add(key)
            producer.produce(
                self.schedules_topic,
                key,
                key,
                partition=partition,
                headers=self._headers(key, due),
            )
        producer.flush(30)
        return markers

    def _headers(self, key: bytes, due: float) -> list[tuple[str, str | bytes | None]]:
        return [
            ("scheduler-epoch", f"{due:.3f}".encode()),
            ("scheduler-target-topic", self.target_topic.encode()),
            ("scheduler-target-key", key),
        ]

    def _tally(self, seen: dict[bytes, list[int]]) -> Tally:
        fired = [key for key in self.due if key in seen]
        signed = [min(seen[key]) / 1000 - self.due[key] for key in fired]
        lateness = tuple(sorted(max(0.0, late) for late in signed)) or (0.0,)
        return Tally(
            scheduled=len(self.due),
            fired=len(fired),
            lost=len(self.due) - len(fired),
            duplicated=sum(len(seen[key]) - 1 for key in fired),
            p99_lateness_s=_nearest_rank(lateness, 0.99),
            max_lateness_s=lateness[-1],
            lost_sample=tuple(key for key in self.due if key not in seen)[:10],
            lateness_s=lateness if fired else (),
            early=sum(late < 0 for late in signed),
        )

"""Writes the engine's actions, one batch at a time, in a Kafka transaction by default.

With ``EXACTLY_ONCE`` a batch of fired schedules (targets, history copies, tombstones) is one
transaction that also commits the consumer group's offsets. That commit carries the group
generation, so an instance that lost its partitions without noticing (a zombie) has its
transaction refused and aborted instead of firing a second time; and a loading instance reads
``read_committed`` past every open transaction, so it never fires what another committed.

Without it, targets are written first and history and tombstones only once they are
acknowledged: a failed target never loses its schedule, a crash can fire it twice.

A failed write never holds up the others: passing failures come back with back-off through
the engine's queue, permanent ones go to the dead-letter topic when there is one.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from confluent_kafka import KafkaError, KafkaException, TopicPartition

from app.config import Settings
from app.engine import Action, Engine, Event, Fire, Reject, Rewrite, Schedule
from app.kafka import faults
from app.kafka.errors import is_permanent
from app.kafka.jobs import DeadLetter, Job, Phase, job_for
from app.kafka.output import OutputProducer
from app.metrics import Metrics

log = logging.getLogger(__name__)

_FENCED = frozenset(
    {
        KafkaError.UNKNOWN_MEMBER_ID,
        KafkaError.ILLEGAL_GENERATION,
        KafkaError.REBALANCE_IN_PROGRESS,
        KafkaError.FENCED_INSTANCE_ID,
    }
)
"""Commit refusals that say this instance no longer owns its partitions."""

RETRY_MIN_MS = 200
RETRY_MAX_MS = 30_000

Fencing = Callable[[set[tuple[str, int]]], tuple[list[TopicPartition], Any]]
"""Offsets to commit for the given schedules partitions, and the consumer group metadata
that fences the transaction."""


class ActionWriter:
    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        metrics: Metrics,
        lock: threading.Lock,
        fencing: Fencing,
    ) -> None:
        self._settings = settings
        self._engine = engine
        self._lock = lock
        """Held for the engine calls only: writes happen while the API reads the engine."""
        self._metrics = metrics
        self._fencing = fencing
        self._output = OutputProducer(settings)
        self._carry: list[Job] = []
        """Jobs other than fires (which the engine replans) to write again."""
        self._attempts: dict[tuple[str, int, bytes], int] = {}
        self._isolated: set[tuple[str, int, bytes]] = set()
        """Fires refused for good while batched with others: written alone once more, as
        the broker refuses a whole batch for one record (too large, for one)."""
        self._known_topics: set[str] = set()
        self._failed_batches = 0

    def execute(self, actions: list[Action]) -> None:
        """Write ``actions`` and what is left over from the last batch; returns when every
        record is acknowledged (or committed) or its failure is handled."""
        jobs, self._carry = self._carry, []
        for action in actions:
            if isinstance(action, Reject):
                self._log_reject(action)
            job = job_for(action, self._settings.history_topic, self._settings.dead_letter_topic)
            if job is not None:
                jobs.append(job)
        if not jobs:
            return
        jobs = self._screen_targets(jobs)
        together = [job for job in jobs if _key(job) not in self._isolated]
        batches = [together, *([job] for job in jobs if _key(job) in self._isolated)]
        for batch in batches:
            if not batch:
                continue
            if self._output.transactional:
                self._write_transaction(batch)
            else:
                self._write_in_order(batch)

    def prepare(self) -> None:
        """Get ready to write before anything is due; a failure here is retried by the
        first batch."""
        try:
            self._output.prepare()
        except KafkaException as exception:
            log.warning("producer not ready yet: %s", exception.args[0].str())

    def forget(self, topic: str, partition: int) -> None:
        """Drop left-over jobs of a partition this instance no longer owns."""
        self._carry = [job for job in self._carry if job.source != (topic, partition)]

    def close(self) -> None:
        self.execute([])
        self._output.close()

    # -- the two ways to write a batch ----------------------------------------------------

    def _write_in_order(self, jobs: list[Job]) -> None:
        faults.checkpoint("before-write")
        self._output.send([out for job in jobs for out in job.first])
        visible_ms = self._engine.now_ms()
        written = []
        for job in jobs:
            error = job.error_in("first")
            if error is None:
                written.append(job)
            else:
                self._failed(job, error, alone=len(jobs) == 1)
        faults.checkpoint("after-target")
        self._output.send([out for job in written for out in job.then])
        for job in written:
            for out in job.then_errors():
                assert out.error is not None
                log.error("write to %s failed: %s", out.topic, out.error.str())
        self._succeeded(written, visible_ms)

    def _write_transaction(self, jobs: list[Job]) -> None:
        """Stream the whole batch and commit; only if that fails, go the careful way, which
        finds the records at fault (a delivery report costs a Python call per record)."""
        output = self._output
        if not self._began(jobs):
            return
        faults.checkpoint("before-write")
        try:
            output.stream(out for job in jobs for out in job.first)
            faults.checkpoint("after-target", before=output.flush)
            output.stream(out for job in jobs for out in job.then)
        except KafkaException as exception:
            log.warning("a record was refused (%s); writing again one by one", exception)
            output.abort()
            self._write_transaction_carefully(jobs)
            return
        try:
            output.commit(*self._fencing({job.source for job in jobs if job.source}))
        except KafkaException as exception:
            error: KafkaError = exception.args[0]
            if error.fatal() or error.code() in _FENCED:
                self._batch_failed(jobs, error)  # no record is at fault
            else:
                log.warning("commit failed (%s); writing again one by one", error.str())
                self._write_transaction_carefully(jobs)
            return
        self._committed(jobs)

    def _write_transaction_carefully(self, jobs: list[Job]) -> None:
        output = self._output
        if not self._began(jobs):
            return
        phases: tuple[Phase, ...] = ("first", "then")
        for phase in phases:
            self._output.send([out for job in jobs for out in job.outs(phase)])
            errors = [job.error_in(phase) for job in jobs]
            if any(errors):
                output.abort()
                for job, own in zip(jobs, errors, strict=True):
                    if own is None:
                        self._again(job, self._engine.now_ms())  # collateral: at once
                    else:
                        self._failed(job, own, alone=len(jobs) == 1)
                return
        try:
            output.commit(*self._fencing({job.source for job in jobs if job.source}))
        except KafkaException as exception:
            self._batch_failed(jobs, exception.args[0])
            return
        self._committed(jobs)

    def _began(self, jobs: list[Job]) -> bool:
        try:
            self._output.begin()
        except KafkaException as exception:
            self._batch_failed(jobs, exception.args[0])
            return False
        return True

    def _committed(self, jobs: list[Job]) -> None:
        self._failed_batches = 0
        self._succeeded(jobs, self._engine.now_ms())

    # -- outcomes ---------------------------------------------------------------------------

    def _succeeded(self, jobs: list[Job], visible_ms: int) -> None:
        """``visible_ms``: when a consumer could first read the targets."""
        counts: Counter[Event] = Counter()
        observe = self._metrics.lateness.observe
        for job in jobs:
            work = job.work
            if isinstance(work, Fire):
                schedule = work.schedule
                if self._attempts or self._isolated:
                    self._attempts.pop((schedule.topic, schedule.partition, schedule.id), None)
                    self._isolated.discard((schedule.topic, schedule.partition, schedule.id))
                observe(max(0, visible_ms - schedule.due_ms) / 1000)
                counts[Event.MISSED if work.missed else Event.TRIGGERED] += 1
            elif isinstance(work, DeadLetter):
                counts[Event.DEAD_LETTERED] += 1
                self._give_up(work.schedule)
            elif isinstance(work, Reject) and job.then:
                counts[Event.DEAD_LETTERED] += 1
        for event, n in counts.items():
            self._metrics.count(event, n)

    def _failed(self, job: Job, error: KafkaError, alone: bool = True) -> None:
        """``job``'s own first record was refused; ``alone``: it was the only one."""
        work = job.work
        if isinstance(work, Fire):
            self._fire_failed(work, error, alone)
        elif isinstance(work, DeadLetter):
            log.error("dead-letter write failed (%s); the schedule stays", error.str())
            self._metrics.count(Event.FAILED)
            self._give_up(work.schedule)
        elif not is_permanent(error) or isinstance(work, Rewrite):
            # A lost rewrite would let compaction drop a schedule: it is always tried again.
            self._carry.append(job)
        else:
            log.error("write to %s failed: %s", job.first[0].topic, error.str())
            if job.then:
                self._metrics.count(Event.FAILED)

    def _fire_failed(self, fire: Fire, error: KafkaError, alone: bool) -> None:
        schedule = fire.schedule
        key = (schedule.topic, schedule.partition, schedule.id)
        attempt = self._attempts.get(key, 0) + 1
        permanent = is_permanent(error, attempt)
        if permanent and not alone and key not in self._isolated:
            self._isolated.add(key)
            self._retry_later(schedule, self._engine.now_ms())
            return
        self._isolated.discard(key)
        if not permanent:
            self._attempts[key] = attempt
            delay = _backoff_ms(attempt)
            log.warning(
                "target write of schedule %r failed (%s), retry %d in %d ms",
                schedule.id,
                error.str(),
                attempt,
                delay,
            )
            self._retry_later(schedule, self._engine.now_ms() + delay)
            return
        self._attempts.pop(key, None)
        if self._settings.dead_letter_topic:
            job = job_for(DeadLetter(schedule, error.str()), "", self._settings.dead_letter_topic)
            assert job is not None
            self._carry.append(job)
            return
        log.error(
            "schedule %r cannot be written to %r: %s; it stays in %s[%d]",
            schedule.id,
            schedule.target_topic,
            error.str(),
            schedule.topic,
            schedule.partition,
        )
        self._metrics.count(Event.FAILED)
        self._give_up(schedule)

    def _batch_failed(self, jobs: list[Job], error: KafkaError) -> None:
        """The transaction failed as a whole: everything is written again after a pause."""
        self._failed_batches += 1
        self._metrics.failed_batches.inc()
        delay = _backoff_ms(self._failed_batches)
        log.warning(
            "transaction of %d writes failed (%s); again in %d ms", len(jobs), error.str(), delay
        )
        at_ms = self._engine.now_ms() + delay
        for job in jobs:
            self._again(job, at_ms)

    def _again(self, job: Job, at_ms: int) -> None:
        if isinstance(job.work, Fire):
            self._retry_later(job.work.schedule, at_ms)
        else:
            self._carry.append(job)

    # -- plumbing ---------------------------------------------------------------------------

    def _retry_later(self, schedule: Schedule, at_ms: int) -> None:
        with self._lock:
            self._engine.retry_later(schedule, at_ms)

    def _give_up(self, schedule: Schedule) -> None:
        with self._lock:
            self._engine.give_up(schedule)

    def _screen_targets(self, jobs: list[Job]) -> list[Job]:
        """Fail fires to target topics that do not exist before they enter the batch: one
        such record would otherwise hold the whole batch for the metadata timeout."""
        kept = []
        for job in jobs:
            topic = job.first[0].topic
            if isinstance(job.work, Fire) and topic not in self._known_topics:
                error = self._output.topic_error(topic)
                if error is not None:
                    self._failed(job, error)
                    continue
                self._known_topics.add(topic)
            kept.append(job)
        return kept

    def _log_reject(self, reject: Reject) -> None:
        record = reject.record
        log.warning(
            "invalid schedule %r in %s[%s]@%s: %s",
            record.key(),
            record.topic(),
            record.partition(),
            record.offset(),
            reject.reason,
        )


def _backoff_ms(attempt: int) -> int:
    return min(RETRY_MAX_MS, RETRY_MIN_MS << min(attempt - 1, 16))


def _key(job: Job) -> tuple[str, int, bytes] | None:
    """A fire's schedule, which a retry comes back as; None for other jobs."""
    if isinstance(job.work, Fire):
        schedule = job.work.schedule
        return (schedule.topic, schedule.partition, schedule.id)
    return None

"""The producer behind the action writer: writes records and waits for their reports, and
runs transactions whose every call is bounded.

librdkafka's ``send_offsets_to_transaction`` (and at times the commit) can wait past its own
timeout when the coordinator moves (confluentinc/librdkafka#5456, #5511). Each such call
runs in a helper thread; one that does not return counts as a fatal error and the producer
is replaced under the same transactional id, which fences the stuck one.
"""

from __future__ import annotations

import logging
import socket
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer, TopicPartition

from app.config import Settings
from app.kafka.jobs import Out

log = logging.getLogger(__name__)

MESSAGE_TIMEOUT_MS = 10_000
"""Also the transaction timeout: how long an open transaction of a crashed instance can
hold up the next owner's load."""
INIT_TIMEOUT_S = 30.0
TRANSACTION_CALL_S = 5.0
"""Bound on each transactional call: without one, a commit can wait forever on a
coordinator that moved."""
COMMIT_ATTEMPTS = 3


def transactional_id(settings: Settings) -> str:
    """TRANSACTIONAL_ID, or one of this process's own: two live instances must never share
    one (each start fences the other). A stable id (a StatefulSet's pod name) lets a
    restarted instance abort its predecessor's open transaction at once instead of after
    the transaction timeout."""
    return settings.transactional_id or (
        f"{settings.group_id}-{socket.gethostname()}-{uuid.uuid4().hex[:8]}"
    )


def producer_config(
    settings: Settings, transactional_id: str | None = None
) -> dict[str, str | int | float | bool]:
    config: dict[str, str | int | float | bool] = {
        "acks": "all",
        "enable.idempotence": True,
        "linger.ms": 5,
        "message.timeout.ms": MESSAGE_TIMEOUT_MS,
        # A target topic that does not exist fails in seconds, not after the message timeout.
        "topic.metadata.propagation.max.ms": 5_000,
        "partitioner": "murmur2_random",
        # A transaction begun right after a commit is refused with CONCURRENT_TRANSACTIONS
        # until the broker has written the commit markers, and retried after this back-off:
        # at the default 100 ms, every batch of fires waited 100 ms (KAFKA-5477).
        "retry.backoff.ms": 10,
    }
    if transactional_id is not None:
        config["transactional.id"] = transactional_id
        config["transaction.timeout.ms"] = MESSAGE_TIMEOUT_MS
    return {**config, **settings.producer_config()}


class OutputProducer:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.transactional = settings.exactly_once
        self._transactional_id = transactional_id(settings) if self.transactional else None
        self._producer = Producer(producer_config(settings, self._transactional_id))
        self._initialised = not self.transactional
        self._calls = ThreadPoolExecutor(1, "transaction-call")

    def topic_error(self, topic: str) -> KafkaError | None:
        """Why ``topic`` cannot be written to, from one metadata request; None if it can."""
        try:
            metadata = self._producer.list_topics(topic, timeout=5)
        except KafkaException as exception:
            error: KafkaError = exception.args[0]
            return error
        found = metadata.topics.get(topic)
        if found is None:
            return KafkaError(KafkaError.UNKNOWN_TOPIC_OR_PART)
        if found.error is not None and found.error.code() in (
            KafkaError.UNKNOWN_TOPIC_OR_PART,
            KafkaError.TOPIC_AUTHORIZATION_FAILED,
            KafkaError.TOPIC_EXCEPTION,
        ):
            return found.error  # type: ignore[no-any-return]
        return None

    def send(self, outs: list[Out]) -> None:
        """Produce ``outs`` and wait for every delivery report (into ``Out.error``)."""
        if not outs:
            return
        for out in outs:
            out.error = None
            try:
                self._produce(out, _reporter(out))
            except KafkaException as exception:
                out.error = exception.args[0]
        self._producer.flush(MESSAGE_TIMEOUT_MS / 1000 + 5)

    def stream(self, outs: Iterable[Out]) -> None:
        """Produce ``outs`` into the open transaction without delivery reports, whose cost
        is a Python call per record: the commit fails if any of them failed. Raises
        ``KafkaException`` for a record refused at once."""
        for out in outs:
            self._produce(out, None)

    def flush(self) -> None:
        self._producer.flush(MESSAGE_TIMEOUT_MS / 1000 + 5)

    def _produce(
        self, out: Out, on_delivery: Callable[[KafkaError | None, Message], None] | None
    ) -> None:
        producer = self._producer
        while True:
            try:
                producer.produce(
                    out.topic,
                    out.value,
                    out.key,
                    partition=-1 if out.partition is None else out.partition,  # -1: any
                    on_delivery=on_delivery,
                    timestamp=out.timestamp_ms,  # 0: now
                    headers=out.headers,
                )
                return
            except BufferError:
                producer.poll(0.05)

    def prepare(self) -> None:
        """Register the transactional id (fencing any predecessor with it) before the first
        batch, so that the first fire does not wait for it. Raises ``KafkaException``."""
        if not self._initialised:
            self._producer.init_transactions(INIT_TIMEOUT_S)
            self._initialised = True

    def begin(self) -> None:
        self.prepare()
        self._producer.begin_transaction()

    def commit(self, offsets: list[TopicPartition], group: Any) -> None:
        """Commit with the group offsets that fence zombies. On failure the transaction is
        aborted (or the producer replaced) before the error is raised."""
        try:
            if offsets:
                self._bounded(self._producer.send_offsets_to_transaction, offsets, group)
            for attempt in range(1, COMMIT_ATTEMPTS + 1):
                # A repeated commit is answered with the first one's outcome: safe to ask
                # again while it is unknown (a timeout).
                try:
                    self._bounded(self._producer.commit_transaction)
                    return
                except KafkaException as exception:
                    if attempt == COMMIT_ATTEMPTS or not exception.args[0].retriable():
                        raise
        except KafkaException as exception:
            if exception.args[0].fatal():
                self._renew()
            else:  # refused, or its outcome unknown: abort it either way
                self.abort()
            raise

    def abort(self) -> None:
        try:
            self._producer.abort_transaction(MESSAGE_TIMEOUT_MS / 1000)
        except KafkaException as exception:
            log.error("abort failed (%s); starting a new producer", exception.args[0].str())
            self._renew()

    def close(self) -> None:
        self._producer.flush(MESSAGE_TIMEOUT_MS / 1000)
        self._calls.shutdown(wait=False)

    def _bounded(self, call: Callable[..., None], *args: Any) -> None:
        """``call(*args, timeout)`` in the helper thread, given up after the timeout."""
        future = self._calls.submit(call, *args, TRANSACTION_CALL_S)
        try:
            future.result(TRANSACTION_CALL_S + 1)
        except TimeoutError:
            log.error("%s did not return; replacing the producer", call.__name__)
            self._calls.shutdown(wait=False)
            self._calls = ThreadPoolExecutor(1, "transaction-call")
            raise KafkaException(
                KafkaError(KafkaError._TIMED_OUT, f"{call.__name__} hung", fatal=True)
            ) from None

    def _renew(self) -> None:
        """After a fatal error: fenced by a newer producer with our id, or a call hung."""
        self._producer = Producer(producer_config(self._settings, self._transactional_id))
        self._initialised = False


def _reporter(out: Out) -> Callable[[KafkaError | None, Message], None]:
    def on_delivery(error: KafkaError | None, message: Message) -> None:
        out.error = error

    return on_delivery

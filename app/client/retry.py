"""Retry a message later through the scheduler: the failed message, scheduled back into its
own topic after a back-off, with headers that count the attempts.

Same headers and defaults as the original Go clientlib, without its mistakes: the first
retry waits the minimum delay (the original doubled it before the first attempt), and
``retry-original-timestamp`` is the failed message's own timestamp (the original took the
time of the first retry). The message passed in is never modified.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field
from typing import Protocol

from app.client.records import (
    DEFAULT_SCHEDULES_TOPIC,
    HasHeaders,
    ProduceArgs,
    header_list,
    header_value,
    schedule,
)

RETRY_ATTEMPT = "retry-attempt"
RETRY_ORIGINAL_TIMESTAMP = "retry-original-timestamp"
_RETRY_HEADERS = frozenset({RETRY_ATTEMPT, RETRY_ORIGINAL_TIMESTAMP})


class MessageLike(HasHeaders, Protocol):
    """What a retry reads of a message: the accessors of ``confluent_kafka.Message``."""

    def topic(self) -> str | None: ...
    def key(self) -> bytes | None: ...
    def value(self) -> bytes | None: ...
    def timestamp(self) -> tuple[int, int]: ...


class RetryStrategy(Protocol):
    def delay(self, attempt: int) -> float:
        """Seconds to wait before ``attempt`` (1 for the first retry)."""
        ...


@dataclass
class Backoff:
    """``minimum * factor ** (attempt - 1)`` seconds, capped at ``maximum``.

    With ``jitter``, a uniform draw between ``minimum`` and that delay, so that messages
    that failed together do not come back together; ``seed`` makes the draws repeatable.
    Bad parameters raise rather than being replaced by defaults, as the original did.
    """

    minimum: float = 5.0
    maximum: float = 3600.0
    factor: float = 2.0
    jitter: bool = False
    seed: int | None = None
    _random: random.Random = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not 0 < self.minimum <= self.maximum:
            raise ValueError(f"Backoff: need 0 < minimum <= maximum, got {self}")
        if self.factor < 1:
            raise ValueError(f"Backoff: factor must be >= 1, got {self.factor}")
        self._random = random.Random(self.seed)

    def delay(self, attempt: int) -> float:
        if attempt < 1:
            raise ValueError(f"attempt: must be 1 or more, got {attempt}")
        # Compared as logarithms first: factor ** attempt overflows a float for large attempts.
        capped = (attempt - 1) * math.log(self.factor) >= math.log(self.maximum / self.minimum)
        ceiling = (
            self.maximum
            if capped
            else min(self.maximum, self.minimum * self.factor ** (attempt - 1))
        )
        return self._random.uniform(self.minimum, ceiling) if self.jitter else ceiling


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how late: the original's defaults (50 attempts, 5 s to 1 h)."""

    max_attempts: int = 50
    strategy: RetryStrategy = field(default_factory=Backoff)


class MaxAttemptsReached(Exception):
    def __init__(self, attempt: int, max_attempts: int) -> None:
        super().__init__(f"retry attempt {attempt} is beyond the maximum of {max_attempts}")
        self.attempt = attempt
        self.max_attempts = max_attempts


def is_retried_message(message: HasHeaders) -> bool:
    return any(name == RETRY_ATTEMPT for name, _ in header_list(message))


def _next_attempt(message: HasHeaders) -> int:
    """The attempt a retry of ``message`` would be: one more than its header says, 1 when
    the header is missing or not a count."""
    raw = header_value(message, RETRY_ATTEMPT) or b""
    return int(raw) + 1 if raw.isdigit() and len(raw) <= 9 else 1


def schedule_retry(
    message: MessageLike,
    schedule_id: str | bytes,
    *,
    policy: RetryPolicy | None = None,
    topic: str = DEFAULT_SCHEDULES_TOPIC,
    now: float | None = None,
) -> ProduceArgs:
    """The schedule that sends ``message`` back to its own topic, with its key, value and
    headers, once the policy's delay for the next attempt has passed.

    Raises ``MaxAttemptsReached`` past the policy's maximum, and ``ValueError`` for a
    message without a topic or with a null value (a schedule with a null value deletes).
    ``now`` (Unix seconds) stands for the clock in tests.
    """
    policy = policy or RetryPolicy()
    target_topic, value = message.topic(), message.value()
    if not target_topic:
        raise ValueError("message: has no topic to retry into")
    if value is None:
        raise ValueError("message: a null value cannot be retried (it would delete)")
    attempt = _next_attempt(message)
    if attempt > policy.max_attempts:
        raise MaxAttemptsReached(attempt, policy.max_attempts)
    current = time.time() if now is None else now
    timestamp_type, timestamp_ms = message.timestamp()
    own_s = str(timestamp_ms // 1000 if timestamp_type else int(current)).encode()
    original = header_value(message, RETRY_ORIGINAL_TIMESTAMP)
    headers = [h for h in header_list(message) if h[0] not in _RETRY_HEADERS]
    headers += [
        (RETRY_ATTEMPT, str(attempt).encode()),
        (RETRY_ORIGINAL_TIMESTAMP, own_s if attempt == 1 or original is None else original),
    ]
    return schedule(
        schedule_id,
        current + policy.strategy.delay(attempt),
        target_topic,
        value,
        target_key=message.key(),
        headers=headers,
        topic=topic,
        now=current,
    )

"""Produce schedules from Python without learning the header names.

``schedule`` and ``delete_schedule`` build records for a confluent-kafka producer;
``schedule_retry`` sends a failed message back to its topic after a back-off;
``SchedulerClient`` calls the REST API instead, for callers without Kafka access.
"""

from app.client.http import ApiError, SchedulerClient
from app.client.records import (
    DEFAULT_SCHEDULES_TOPIC,
    ProduceArgs,
    delete_schedule,
    is_scheduler_message,
    schedule,
)
from app.client.retry import (
    RETRY_ATTEMPT,
    RETRY_ORIGINAL_TIMESTAMP,
    Backoff,
    MaxAttemptsReached,
    MessageLike,
    RetryPolicy,
    RetryStrategy,
    is_retried_message,
    schedule_retry,
)

__all__ = [
    "DEFAULT_SCHEDULES_TOPIC",
    "RETRY_ATTEMPT",
    "RETRY_ORIGINAL_TIMESTAMP",
    "ApiError",
    "Backoff",
    "MaxAttemptsReached",
    "MessageLike",
    "ProduceArgs",
    "RetryPolicy",
    "RetryStrategy",
    "SchedulerClient",
    "delete_schedule",
    "is_retried_message",
    "is_scheduler_message",
    "schedule",
    "schedule_retry",
]

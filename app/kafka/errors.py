"""Which produce errors are worth retrying."""

from __future__ import annotations

from confluent_kafka import KafkaError

PERMANENT = frozenset(
    {
        KafkaError._UNKNOWN_TOPIC,
        KafkaError._UNKNOWN_PARTITION,
        KafkaError.UNKNOWN_TOPIC_OR_PART,
        KafkaError.TOPIC_AUTHORIZATION_FAILED,
        KafkaError.CLUSTER_AUTHORIZATION_FAILED,
        KafkaError.MSG_SIZE_TOO_LARGE,
        KafkaError.RECORD_LIST_TOO_LARGE,
        KafkaError.INVALID_RECORD,
        KafkaError.INVALID_MSG_SIZE,
        KafkaError.TOPIC_EXCEPTION,
        KafkaError.POLICY_VIOLATION,
        KafkaError._INVALID_ARG,
    }
)
"""Errors that the same record to the same topic will meet again: a target topic that does
not exist or may not be written, a record the broker will never accept."""


UNKNOWN_TOPIC = frozenset({KafkaError._UNKNOWN_TOPIC, KafkaError.UNKNOWN_TOPIC_OR_PART})
UNKNOWN_TOPIC_ATTEMPTS = 3
"""A topic that a broker creates on first use is unknown for a moment: unknown-topic errors
are only taken as final on the third attempt."""


def is_permanent(error: KafkaError, attempt: int = UNKNOWN_TOPIC_ATTEMPTS) -> bool:
    if error.code() in UNKNOWN_TOPIC:
        return attempt >= UNKNOWN_TOPIC_ATTEMPTS
    return error.code() in PERMANENT or error.fatal()

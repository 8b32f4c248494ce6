"""Creating the scheduler's topics with the settings it needs."""

from __future__ import annotations

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

TIMEOUT_S = 30.0

SCHEDULES_TOPIC_CONFIG = {"cleanup.policy": "compact", "retention.ms": "-1"}
"""A schedules topic keeps the last version of every key, forever: anything else loses
schedules."""


def ensure_topics(
    bootstrap_servers: str,
    schedules_topics: list[str],
    history_topic: str,
    partitions: int = 3,
    replication: int = 1,
) -> list[str]:
    """Create the topics that are missing; return the names created."""
    admin = AdminClient({"bootstrap.servers": bootstrap_servers})
    existing = set(admin.list_topics(timeout=TIMEOUT_S).topics)
    wanted = [
        NewTopic(name, partitions, replication, config=SCHEDULES_TOPIC_CONFIG)
        for name in schedules_topics
        if name not in existing
    ]
    if history_topic not in existing:
        wanted.append(NewTopic(history_topic, partitions, replication))
    if not wanted:
        return []
    created = []
    for name, future in admin.create_topics(wanted, operation_timeout=TIMEOUT_S).items():
        try:
            future.result(TIMEOUT_S)
            created.append(name)
        except KafkaException as error:
            if error.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise
    return created

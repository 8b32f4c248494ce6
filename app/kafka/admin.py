"""Creating the scheduler's topics with the settings it needs."""

from __future__ import annotations

from collections.abc import Mapping

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

TIMEOUT_S = 30.0

SCHEDULES_TOPIC_CONFIG = {"cleanup.policy": "compact", "retention.ms": "-1"}
"""A schedules topic keeps the last version of every key, forever: anything else loses
schedules."""


def scheduler_topics(schedules_topics: list[str], history_topic: str) -> dict[str, dict[str, str]]:
    """Each topic the scheduler needs, with the configuration it must be created with."""
    return {**{name: SCHEDULES_TOPIC_CONFIG for name in schedules_topics}, history_topic: {}}


def create_missing(
    admin: AdminClient,
    wanted: Mapping[str, Mapping[str, str]],
    partitions: int,
    replication: int = -1,
) -> set[str]:
    """Create the topics of ``wanted`` (name -> configuration) that do not exist; returns
    the names created. One created meanwhile by someone else counts as existing. Raises
    ``KafkaException``."""
    existing = set(admin.list_topics(timeout=TIMEOUT_S).topics)
    new = [
        NewTopic(name, partitions, replication, config=dict(config))
        for name, config in wanted.items()
        if name not in existing
    ]
    created = set()
    if new:
        for name, future in admin.create_topics(new, operation_timeout=TIMEOUT_S).items():
            try:
                future.result(TIMEOUT_S)
            except KafkaException as error:
                if error.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                    raise
                continue
            created.add(name)
    return created


def ensure_topics(
    bootstrap_servers: str,
    schedules_topics: list[str],
    history_topic: str,
    partitions: int = 3,
    replication: int = 1,
) -> list[str]:
    """Create the topics that are missing; return the names created."""
    admin = AdminClient({"bootstrap.servers": bootstrap_servers})
    wanted = scheduler_topics(schedules_topics, history_topic)
    return sorted(create_missing(admin, wanted, partitions, replication))

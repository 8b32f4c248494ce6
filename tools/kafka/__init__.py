"""Local Apache Kafka (KRaft, jars from Maven Central) for integration tests and dev runs.

    from tools.kafka import KafkaBroker, create_topic

    with KafkaBroker() as broker:
        create_topic(broker.bootstrap_servers, "schedules", partitions=3, compacted=True)

CLI: ``python -m tools.kafka up [--brokers 1|3]`` and ``python -m tools.kafka fetch``.
pytest fixtures: ``tools.kafka.pytest_plugin``.
"""

from tools.kafka.broker import KafkaBroker
from tools.kafka.cluster import KafkaCluster
from tools.kafka.node import KafkaNode
from tools.kafka.runtime import JvmOptions, KafkaHarnessError, ensure_runtime, kafka_home
from tools.kafka.topics import (
    COMPACTED_CONFIG,
    create_topic,
    topic_config,
    unique_name,
    wait_for_topic,
)

__all__ = [
    "COMPACTED_CONFIG",
    "JvmOptions",
    "KafkaBroker",
    "KafkaCluster",
    "KafkaHarnessError",
    "KafkaNode",
    "create_topic",
    "ensure_runtime",
    "kafka_home",
    "topic_config",
    "unique_name",
    "wait_for_topic",
]

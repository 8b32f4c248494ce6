"""Topic helpers over the confluent_kafka AdminClient."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping

from confluent_kafka.admin._config import ConfigResource
from confluent_kafka.cimpl import NewTopic

from tools.kafka.readiness import quiet_admin
from tools.kafka.runtime import KafkaHarnessError

#: Topic config of a compacted schedules topic: keep the latest value per key forever.
COMPACTED_CONFIG: Mapping[str, str] = {"cleanup.policy": "compact", "retention.ms": "-1"}

TOPIC_TIMEOUT_S = 30.0


def unique_name(prefix: str = "t") -> str:
    """``<prefix>-<32 hex chars>``: a name no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex}"


def create_topic(
    bootstrap_servers: str,
    name: str,
    partitions: int = 1,
    config: Mapping[str, str] | None = None,
    *,
    compacted: bool = False,
    replication_factor: int | None = None,
    timeout: float = TOPIC_TIMEOUT_S,
) -> str:
    """Create ``name`` and wait until every partition has a leader; return the name.

    ``compacted=True`` adds ``cleanup.policy=compact`` and ``retention.ms=-1`` (explicit
    ``config`` entries win). ``replication_factor=None`` uses the broker default.
    """
    topic_config = dict(COMPACTED_CONFIG) if compacted else {}
    topic_config.update(config or {})
    new_topic = NewTopic(
        name,
        num_partitions=partitions,
        replication_factor=-1 if replication_factor is None else replication_factor,
        config=topic_config,
    )
    admin = quiet_admin(bootstrap_servers)
    futures = admin.create_topics([new_topic], operation_timeout=timeout, request_timeout=timeout)
    try:
        futures[name].result(timeout=timeout)
    except Exception as exc:
        raise KafkaHarnessError(f"cannot create topic {name!r}: {exc}") from exc
    wait_for_topic(bootstrap_servers, name, partitions, timeout=timeout)
    return name


def wait_for_topic(
    bootstrap_servers: str, name: str, partitions: int, *, timeout: float = TOPIC_TIMEOUT_S
) -> None:
    """Poll metadata until ``name`` exists with ``partitions`` partitions, all led."""
    admin = quiet_admin(bootstrap_servers)
    deadline = time.monotonic() + timeout
    last = "no metadata yet"
    while True:
        try:
            topics = admin.list_topics(name, timeout=2.0).topics
            meta = topics.get(name)
            if meta is None or meta.error is not None:
                last = f"topic error: {None if meta is None else meta.error}"
            elif len(meta.partitions) != partitions:
                last = f"{len(meta.partitions)} of {partitions} partitions"
            elif any(p.leader < 0 for p in meta.partitions.values()):
                last = "a partition has no leader yet"
            else:
                return
        except Exception as exc:  # KafkaException: metadata request failed
            last = repr(exc)
        if time.monotonic() >= deadline:
            raise KafkaHarnessError(f"topic {name!r} not usable after {timeout:.0f} s ({last})")
        time.sleep(0.1)


def topic_config(
    bootstrap_servers: str, name: str, *, timeout: float = TOPIC_TIMEOUT_S
) -> dict[str, str]:
    """The effective configuration of topic ``name`` (all entries, as strings)."""
    admin = quiet_admin(bootstrap_servers)
    resource = ConfigResource("topic", name)
    futures = admin.describe_configs([resource], request_timeout=timeout)
    entries = futures[resource].result(timeout=timeout)
    return {key: str(entry.value) for key, entry in entries.items()}

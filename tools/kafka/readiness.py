"""Waiting for test nodes to serve clients: quiet AdminClients and the readiness poll."""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Sequence

from confluent_kafka.admin import AdminClient

from tools.kafka.node import KafkaNode
from tools.kafka.runtime import KafkaHarnessError


def quiet_admin(bootstrap_servers: str) -> AdminClient:
    """An AdminClient whose librdkafka log lines go to a debug logger, not stderr."""
    conf: dict[str, str | int | float | bool] = {
        "bootstrap.servers": bootstrap_servers,
        "reconnect.backoff.max.ms": 500,
        "socket.connection.setup.timeout.ms": 2000,
    }
    return AdminClient(conf, logger=logging.getLogger("tools.kafka.librdkafka"))


def _fail_not_ready(
    bootstrap_servers: str, nodes: Sequence[KafkaNode], timeout: float, detail: str
) -> KafkaHarnessError:
    tails = "\n".join(
        f"--- node {n.node_id}: last lines of {n.log_path} ---\n{n.log_tail()}" for n in nodes
    )
    return KafkaHarnessError(
        f"Kafka at {bootstrap_servers} not ready after {timeout:g} s ({detail})\n{tails}"
    )


def wait_for_brokers(
    bootstrap_servers: str,
    broker_ids: Collection[int],
    nodes: Sequence[KafkaNode],
    timeout: float,
    *,
    warm_up_groups: bool = True,
) -> None:
    """Poll the AdminClient until the metadata lists every id in ``broker_ids``.

    With ``warm_up_groups`` it then describes a dummy consumer group until the group
    coordinator answers: that creates and loads ``__consumer_offsets`` now, instead of the
    first test's consumer hitting NOT_COORDINATOR and waiting out librdkafka's ~3 s rejoin
    backoff. Fails fast if a node's JVM exits; after ``timeout`` s raises with every node's
    log tail.
    """
    expected = set(broker_ids)
    admin = quiet_admin(bootstrap_servers)
    deadline = time.monotonic() + timeout
    detail = "no metadata yet"
    brokers_seen = False
    while True:
        for node in nodes:
            node.check_alive()
        try:
            if not brokers_seen:
                seen = set(admin.list_topics(timeout=1.0).brokers)
                brokers_seen = expected <= seen
                detail = f"brokers seen: {sorted(seen)}, expected: {sorted(expected)}"
            if brokers_seen:
                if not warm_up_groups:
                    return
                group = "__kafka_harness_warmup"
                admin.describe_consumer_groups([group], request_timeout=2.0)[group].result()
                return
        except Exception as exc:  # KafkaException while the broker is still coming up
            if brokers_seen:
                detail = f"group coordinator not available: {exc}"
        if time.monotonic() >= deadline:
            raise _fail_not_ready(bootstrap_servers, nodes, timeout, detail)
        time.sleep(0.1)

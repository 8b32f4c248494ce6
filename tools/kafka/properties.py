"""server.properties for test nodes: what every node shares and the replication settings."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


def base_properties(
    node_id: int, port: int, controller_port: int, data_dir: Path
) -> dict[str, str]:
    """server.properties entries common to every test node (single or clustered)."""
    return {
        "process.roles": "broker,controller",
        "node.id": str(node_id),
        "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        "advertised.listeners": (
            f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}"
        ),
        "inter.broker.listener.name": "PLAINTEXT",
        "controller.listener.names": "CONTROLLER",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs": str(data_dir),
        "num.partitions": "1",
        "auto.create.topics.enable": "false",
        "group.initial.rebalance.delay.ms": "0",
        # Failover tests run instances with short sessions (the default minimum is 6 s).
        "group.min.session.timeout.ms": "1000",
        # The transaction of a killed producer is aborted within a second of its timeout.
        "transaction.abort.timed.out.transaction.cleanup.interval.ms": "1000",
        "offsets.topic.num.partitions": "3",
        "transaction.state.log.num.partitions": "3",
        "share.coordinator.state.topic.num.partitions": "1",
        "num.network.threads": "2",
        "num.io.threads": "2",
        "num.recovery.threads.per.data.dir": "1",
        "num.replica.fetchers": "1",
        "background.threads": "2",
        "log.cleaner.threads": "1",
        "log.cleaner.dedupe.buffer.size": str(16 * 1024 * 1024),
        # A SIGKILLed broker keeps its registration until the session times out (default 9 s):
        # its restart is refused (DUPLICATE_BROKER_REGISTRATION) and, in a cluster, its
        # partitions keep a dead leader until then. Crash tests want this short.
        "broker.heartbeat.interval.ms": "500",
        "broker.session.timeout.ms": "3000",
    }


def replication_properties(replication: int, min_isr: int) -> dict[str, str]:
    """Replication factor / min ISR for internal topics and new topics."""
    rf, isr = str(replication), str(min_isr)
    return {
        "default.replication.factor": rf,
        "min.insync.replicas": isr,
        "offsets.topic.replication.factor": rf,
        "transaction.state.log.replication.factor": rf,
        "transaction.state.log.min.isr": isr,
        "share.coordinator.state.topic.replication.factor": rf,
        "share.coordinator.state.topic.min.isr": isr,
    }


def sasl_plain_properties(
    props: Mapping[str, str], port: int, users: Mapping[str, str]
) -> dict[str, str]:
    """One more listener, SASL_PLAINTEXT with the PLAIN mechanism and ``users`` (name to
    password), beside the PLAINTEXT one that the harness itself and the brokers use."""
    listener = f"SASL_PLAINTEXT://127.0.0.1:{port}"
    accounts = " ".join(f'user_{name}="{password}"' for name, password in users.items())
    return {
        "listeners": f"{props['listeners']},{listener}",
        "advertised.listeners": f"{props['advertised.listeners']},{listener}",
        "listener.security.protocol.map": (
            f"{props['listener.security.protocol.map']},SASL_PLAINTEXT:SASL_PLAINTEXT"
        ),
        "sasl.enabled.mechanisms": "PLAIN",
        "listener.name.sasl_plaintext.plain.sasl.jaas.config": (
            f"org.apache.kafka.common.security.plain.PlainLoginModule required {accounts};"
        ),
    }

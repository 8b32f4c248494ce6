"""A single-node Kafka (KRaft, combined broker+controller) for integration tests."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path

from tools.kafka.node import KafkaNode, ManagedKafka, make_owned_dir, remove_tree
from tools.kafka.properties import base_properties, replication_properties, sasl_plain_properties
from tools.kafka.readiness import wait_for_brokers
from tools.kafka.runtime import JvmOptions, free_ports, new_cluster_id

STARTUP_TIMEOUT_S = 90.0


class KafkaBroker(ManagedKafka):
    """One broker+controller JVM on free 127.0.0.1 ports, data in a private temp dir.

    ``start()`` blocks until the AdminClient sees the broker (bounded by
    ``startup_timeout``); ``restart()`` keeps the data and ports. Usable as a context
    manager: ``with KafkaBroker() as broker: ...`` starts it and removes it afterwards.
    """

    def __init__(
        self,
        *,
        base_dir: Path | None = None,
        jvm: JvmOptions | None = None,
        startup_timeout: float = STARTUP_TIMEOUT_S,
        properties: Mapping[str, str] | None = None,
        sasl_users: Mapping[str, str] | None = None,
    ) -> None:
        self.directory = make_owned_dir("kafka-broker-", base_dir)
        self.startup_timeout = startup_timeout
        self.cluster_id = new_cluster_id()
        port, controller_port, sasl_port = free_ports(3)
        props = base_properties(1, port, controller_port, self.directory / "data")
        props["controller.quorum.bootstrap.servers"] = f"127.0.0.1:{controller_port}"
        props.update(replication_properties(1, 1))
        self.sasl_bootstrap_servers: str | None = None
        if sasl_users:
            props.update(sasl_plain_properties(props, sasl_port, sasl_users))
            self.sasl_bootstrap_servers = f"127.0.0.1:{sasl_port}"
        props.update(properties or {})
        self.node = KafkaNode(
            node_id=1,
            directory=self.directory,
            port=port,
            controller_port=controller_port,
            properties=props,
            format_args=["--standalone", "--cluster-id", self.cluster_id],
            jvm=jvm or JvmOptions(),
        )
        self.last_start_seconds: float | None = None

    @property
    def bootstrap_servers(self) -> str:
        """``127.0.0.1:PORT`` of the PLAINTEXT listener (stable across restarts)."""
        return self.node.bootstrap_servers

    @property
    def log_path(self) -> Path:
        return self.node.log_path

    @property
    def is_running(self) -> bool:
        return self.node.is_running

    def log_tail(self, lines: int = 50) -> str:
        return self.node.log_tail(lines)

    def start(self) -> KafkaBroker:
        """Format (first time only), launch and wait until the broker answers metadata."""
        began = time.monotonic()
        self.node.launch()
        try:
            wait_for_brokers(self.bootstrap_servers, [1], [self.node], self.startup_timeout)
        except BaseException:
            self.node.kill()
            raise
        self.last_start_seconds = time.monotonic() - began
        return self

    def stop(self) -> None:
        """Controlled shutdown: SIGTERM, up to 30 s, then SIGKILL. Data is kept."""
        self.node.stop()

    def kill(self) -> None:
        """SIGKILL at once (crash); data is kept for ``restart()``."""
        self.node.kill()

    def restart(self) -> KafkaBroker:
        """Stop (if running) and start again on the same data and ports."""
        self.node.stop()
        return self.start()

    def close(self) -> None:
        """Stop the broker and delete its directory (data and log)."""
        self.node.stop()
        remove_tree(self.directory)

    def __repr__(self) -> str:
        state = "running" if self.is_running else "stopped"
        return f"KafkaBroker({self.bootstrap_servers}, {state}, dir={self.directory})"

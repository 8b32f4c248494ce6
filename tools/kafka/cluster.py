"""A multi-node Kafka cluster (each node broker+controller, static KRaft quorum)."""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tools.kafka.node import (
    KafkaNode,
    ManagedKafka,
    make_owned_dir,
    remove_tree,
)
from tools.kafka.properties import base_properties, replication_properties
from tools.kafka.readiness import quiet_admin, wait_for_brokers
from tools.kafka.runtime import JvmOptions, KafkaHarnessError, free_ports, new_cluster_id

STARTUP_TIMEOUT_S = 120.0


class KafkaCluster(ManagedKafka):
    """``size`` JVMs (node ids 1..size) sharing one cluster id and a static voter set.

    Defaults suit failover tests: replication factor 3, min.insync.replicas 2, and a
    3 s broker session timeout (see ``base_properties``) so a killed broker is fenced
    quickly.
    """

    def __init__(
        self,
        size: int = 3,
        *,
        base_dir: Path | None = None,
        jvm: JvmOptions | None = None,
        startup_timeout: float = STARTUP_TIMEOUT_S,
        properties: Mapping[str, str] | None = None,
    ) -> None:
        if size < 1:
            raise ValueError("a cluster needs at least one node")
        self.directory = make_owned_dir("kafka-cluster-", base_dir)
        self.startup_timeout = startup_timeout
        self.cluster_id = new_cluster_id()
        ports = free_ports(2 * size)
        ids = range(1, size + 1)
        voters = ",".join(f"{i}@127.0.0.1:{ports[2 * i - 1]}" for i in ids)
        replication = min(size, 3)
        self.nodes: dict[int, KafkaNode] = {}
        for i in ids:
            node_dir = self.directory / f"node{i}"
            port, controller_port = ports[2 * i - 2], ports[2 * i - 1]
            props = base_properties(i, port, controller_port, node_dir / "data")
            props["controller.quorum.voters"] = voters
            props.update(replication_properties(replication, max(1, replication - 1)))
            props["replica.lag.time.max.ms"] = "5000"
            props.update(properties or {})
            self.nodes[i] = KafkaNode(
                node_id=i,
                directory=node_dir,
                port=port,
                controller_port=controller_port,
                properties=props,
                format_args=["--cluster-id", self.cluster_id],
                jvm=jvm or JvmOptions(),
            )
        self.last_start_seconds: float | None = None

    @property
    def bootstrap_servers(self) -> str:
        """Comma-joined ``127.0.0.1:PORT`` of every node (killed ones included)."""
        return ",".join(node.bootstrap_servers for node in self.nodes.values())

    @property
    def node_ids(self) -> list[int]:
        return list(self.nodes)

    def node(self, node_id: int) -> KafkaNode:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise KeyError(f"no node {node_id}; nodes are {self.node_ids}") from None

    def running_ids(self) -> list[int]:
        return [i for i, node in self.nodes.items() if node.is_running]

    def _wait(self, broker_ids: Collection[int]) -> None:
        live = [self.nodes[i] for i in self.running_ids()]
        bootstrap = ",".join(node.bootstrap_servers for node in live)
        try:
            wait_for_brokers(bootstrap, broker_ids, live, self.startup_timeout)
        except BaseException:
            for i in broker_ids:
                self.nodes[i].kill()
            raise

    def start(self, node_id: int | None = None) -> KafkaCluster:
        """Start one node (or all when ``node_id`` is None) and wait until registered."""
        began = time.monotonic()
        self._start(self.node_ids if node_id is None else [self.node(node_id).node_id])
        if node_id is None:
            self.last_start_seconds = time.monotonic() - began
        return self

    def _start(self, targets: list[int]) -> None:
        with ThreadPoolExecutor(max_workers=len(targets)) as pool:
            # Format the nodes concurrently (one short-lived JVM each) ...
            list(pool.map(lambda i: self.nodes[i].prepare(), targets))
        for i in targets:
            self.nodes[i].launch()  # ... but spawn brokers from this thread (parent-death signal)
        self._wait(targets)

    def stop(self, node_id: int | None = None) -> None:
        """Controlled shutdown of one node (SIGTERM, up to 30 s, then SIGKILL), or of all.

        A whole KRaft cluster cannot shut down fully gracefully: the last node waits for a
        controller quorum that is gone until its timeout. So for all nodes: a controlled
        shutdown of each node in turn while a quorum remains, then SIGKILL for the last.
        """
        if node_id is not None:
            self.node(node_id).stop()
            return
        running = [self.nodes[i] for i in self.running_ids()]
        for node in running[:-1]:
            node.stop()
        for node in running[-1:]:
            node.kill()

    def kill(self, node_id: int) -> None:
        """SIGKILL one node at once (its data is kept for ``restart``)."""
        self.node(node_id).kill()

    def restart(self, node_id: int) -> KafkaCluster:
        """Stop (if running) and start one node on its old data and ports."""
        self.node(node_id).stop()
        return self.start(node_id)

    def ensure_running(self) -> KafkaCluster:
        """Start any node that was stopped or killed (e.g. by an earlier test)."""
        down = [i for i in self.node_ids if not self.nodes[i].is_running]
        if down:
            self._start(down)
        return self

    def leader_of(self, topic: str, partition: int, timeout: float = 10.0) -> int:
        """Node id currently leading ``topic``/``partition`` (per cluster metadata)."""
        return self.wait_for_leader(topic, partition, timeout=timeout)

    def wait_for_leader(
        self, topic: str, partition: int, *, exclude: Collection[int] = (), timeout: float = 60.0
    ) -> int:
        """Poll metadata until the partition has a leader not in ``exclude``; return it."""
        live = ",".join(self.nodes[i].bootstrap_servers for i in self.running_ids())
        if not live:
            raise KafkaHarnessError("no node is running")
        admin = quiet_admin(live)
        deadline = time.monotonic() + timeout
        last = "no metadata yet"
        while True:
            try:
                meta = admin.list_topics(topic, timeout=2.0).topics[topic]
                if meta.error is not None:
                    last = str(meta.error)
                elif partition not in meta.partitions:
                    last = f"partition {partition} not in metadata"
                else:
                    leader = int(meta.partitions[partition].leader)
                    if leader >= 0 and leader not in exclude:
                        return leader
                    last = f"leader is {leader}"
            except Exception as exc:  # KafkaException: metadata request failed
                last = repr(exc)
            if time.monotonic() >= deadline:
                raise KafkaHarnessError(
                    f"{topic}[{partition}]: no leader outside {sorted(exclude)} "
                    f"after {timeout:.0f} s ({last})"
                )
            time.sleep(0.2)

    def close(self) -> None:
        """Stop every node and delete the cluster directory."""
        self.stop()
        remove_tree(self.directory)

    def __repr__(self) -> str:
        return f"KafkaCluster({self.bootstrap_servers}, running={self.running_ids()})"

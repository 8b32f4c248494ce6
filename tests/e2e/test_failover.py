"""Thousands of schedules through instance kills, rebalances, a broker restart and the
loss of a partition leader: every schedule fires, none twice (``read_committed``).

The tallies are printed (``pytest -s``) for the closing figures: the worst lateness after a
failover is about the session timeout, plus the transaction timeout when the dead instance
had a transaction open.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack

from tools.chaos.instances import Instances
from tools.chaos.load import Load, Tally
from tools.kafka.broker import KafkaBroker
from tools.kafka.cluster import KafkaCluster
from tools.kafka.topics import create_topic, unique_name

SESSION = {"SESSION_TIMEOUT": "3000"}


def run(
    bootstrap: str,
    disrupt: Callable[[Instances, str], None],
    count: int = 3000,
    spread_s: float = 20,
    instances: int = 3,
    replication: int | None = None,
) -> Tally:
    """``instances`` schedulers over a 6-partition topic; ``disrupt`` gets them and the
    schedules topic once half the schedules are due."""
    schedules = create_topic(
        bootstrap, unique_name("schedules"), 6, compacted=True, replication_factor=replication
    )
    history = create_topic(bootstrap, unique_name("history"), replication_factor=replication)
    target = create_topic(bootstrap, unique_name("target"), 3, replication_factor=replication)
    load = Load(bootstrap, schedules, target, count, spread_s, start_in_s=6)
    with ExitStack() as stack:
        group = Instances(stack, bootstrap, schedules, history, **SESSION)
        for _ in range(instances):
            group.start()
        load.produce()
        load.wait_fired(count // 2, timeout=spread_s + 30)
        disrupt(group, schedules)
        tally = load.tally(timeout=spread_s + 90)
    print(f"\n{tally}")
    return tally


def assert_exactly_once(tally: Tally) -> None:
    assert tally.fired == tally.scheduled and tally.duplicated == 0, str(tally)


def test_instance_killed_replaced_and_rebalanced(kafka_broker: KafkaBroker) -> None:
    def disrupt(group: Instances, schedules: str) -> None:
        group.kill(group.processes[0])
        group.start()  # the replacement ...
        group.stop(group.start())  # ... and one that joins and leaves: more rebalances

    assert_exactly_once(run(kafka_broker.bootstrap_servers, disrupt))


def test_broker_restarted_under_load(kafka_runtime: object) -> None:
    with KafkaBroker() as broker:  # its own: the shared one stays up for the other tests

        def disrupt(group: Instances, schedules: str) -> None:
            broker.restart()

        tally = run(broker.bootstrap_servers, disrupt, count=1000, instances=2)
    assert_exactly_once(tally)


def test_partition_leader_killed_in_a_3_broker_cluster(kafka_cluster3: KafkaCluster) -> None:
    killed: list[int] = []

    def disrupt(group: Instances, schedules: str) -> None:
        leader = kafka_cluster3.leader_of(schedules, 0)
        kafka_cluster3.kill(leader)
        killed.append(leader)

    try:
        tally = run(
            kafka_cluster3.bootstrap_servers, disrupt, count=1000, instances=2, replication=3
        )
    finally:
        kafka_cluster3.ensure_running()
    assert killed and assert_exactly_once(tally) is None

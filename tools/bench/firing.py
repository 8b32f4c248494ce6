"""One scheduler instance fires a known set of schedules, and the tally says when each target
record landed.

The target topic has ``message.timestamp.type=LogAppendTime``: each target record's timestamp
is the moment the broker appended it, taken by the broker's clock, not one the scheduler
stamps. Lateness is that timestamp minus the due time (milliseconds on both sides; the same
machine, so the same clock). With exactly-once the record becomes visible at its transaction's
commit, a little after it was appended; the tally reads committed records only.
"""

from __future__ import annotations

from contextlib import ExitStack

from tools.bench.processes import bench_env
from tools.chaos.instances import Instances
from tools.chaos.load import Load, Tally
from tools.kafka.topics import create_topic, unique_name

SCHEDULES_PARTITIONS = 6
APPEND_TIME = {"message.timestamp.type": "LogAppendTime"}


def fire(
    bootstrap: str,
    count: int,
    spread_s: float,
    ahead_s: float,
    exactly_once: bool,
    payload_bytes: int,
) -> Tally:
    """``count`` schedules due evenly over ``spread_s`` from ``ahead_s`` on, each written
    ``ahead_s`` before its due time, into one running instance; the tally once all fired."""
    schedules = create_topic(
        bootstrap, unique_name("schedules"), SCHEDULES_PARTITIONS, compacted=True
    )
    history = create_topic(bootstrap, unique_name("history"))
    target = create_topic(bootstrap, unique_name("target"), 3, APPEND_TIME)
    with ExitStack() as stack:
        env = bench_env(stack, EXACTLY_ONCE=str(exactly_once).lower())
        Instances(stack, bootstrap, schedules, history, **env).start()
        load = Load(bootstrap, schedules, target, count, spread_s, ahead_s, payload_bytes)
        load.produce(ahead_s=ahead_s)
        return load.tally(timeout=ahead_s + spread_s + 120 + count / 5000)

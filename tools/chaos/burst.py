"""How fast one instance drains a burst: N schedules all due at the same moment, with and
without transactions. The throughput is N over the time from the due moment to the last
target record.

    python -m tools.chaos.burst [--schedules 20000]
"""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack

from tools.chaos.instances import Instances
from tools.chaos.load import Load, Tally
from tools.kafka.broker import KafkaBroker
from tools.kafka.runtime import JvmOptions
from tools.kafka.topics import create_topic, unique_name


def burst(bootstrap: str, count: int, exactly_once: bool, payload_bytes: int = 16) -> Tally:
    schedules = create_topic(bootstrap, unique_name("schedules"), 6, compacted=True)
    history = create_topic(bootstrap, unique_name("history"))
    target = create_topic(bootstrap, unique_name("target"), 3)
    with ExitStack() as stack:
        group = Instances(
            stack, bootstrap, schedules, history, EXACTLY_ONCE=str(exactly_once).lower()
        )
        group.start()
        start_in_s = max(15.0, count / 5000)  # every schedule read before the due moment
        load = Load(bootstrap, schedules, target, count, 0, start_in_s, payload_bytes)
        load.produce()
        return load.tally(timeout=300)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.chaos.burst", description=__doc__)
    parser.add_argument("--schedules", type=int, default=20_000)
    args = parser.parse_args(argv)
    with KafkaBroker(jvm=JvmOptions(fast_start=False)) as broker:
        for exactly_once in (False, True):
            tally = burst(broker.bootstrap_servers, args.schedules, exactly_once)
            rate = tally.fired / max(tally.max_lateness_s, 1e-3)
            print(f"EXACTLY_ONCE={str(exactly_once).lower()}: {rate:,.0f} fires/s  {tally}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

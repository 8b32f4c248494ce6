"""``make bench``: measures, on one local broker and in one run, the ceiling (what a plain
producer writes per second, with the scheduler's record size) and the fire rate of a burst
of schedules due at the same moment, with and without exactly-once. Writes
``bench/results/latest.json`` and prints a table.

    python -m tools.bench [--schedules 200000] [--payload 1024] [--out PATH]

This is the first part of the benchmark: lateness under steady load, load rate, memory per
pending schedule and API rates are still to come.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from confluent_kafka import Producer

from tools.bench.burst import burst
from tools.kafka.broker import KafkaBroker
from tools.kafka.runtime import JvmOptions
from tools.kafka.topics import create_topic, unique_name

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results" / "latest.json"


def producer_ceiling(bootstrap: str, count: int, payload_bytes: int) -> float:
    """Records per second a plain producer (acks=all, like the scheduler) gets acknowledged."""
    topic = create_topic(bootstrap, unique_name("ceiling"), 3)
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5})
    value = b"p" * payload_bytes
    began = time.perf_counter()
    for n in range(count):
        while True:
            try:
                producer.produce(topic, value, str(n).encode())
                break
            except BufferError:
                producer.poll(0.05)
    if producer.flush(120):
        raise RuntimeError("the ceiling run was not acknowledged in 120 s")
    return count / (time.perf_counter() - began)


def run(schedules: int, payload_bytes: int) -> dict[str, Any]:
    with KafkaBroker(jvm=JvmOptions(fast_start=False)) as broker:
        bootstrap = broker.bootstrap_servers
        ceiling = producer_ceiling(bootstrap, schedules, payload_bytes)
        fires = {}
        for exactly_once in (False, True):
            tally = burst(bootstrap, schedules, exactly_once, payload_bytes)
            rate = tally.fired / max(tally.max_lateness_s, 1e-3)
            fires["exactly_once" if exactly_once else "at_least_once"] = {
                "fired": tally.fired,
                "lost": tally.lost,
                "duplicated": tally.duplicated,
                "drained_in_s": round(tally.max_lateness_s, 3),
                "fires_per_s": round(rate),
                "ratio_to_ceiling": round(rate / (ceiling / 3), 3),
            }
    return {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "schedules": schedules,
        "payload_bytes": payload_bytes,
        "ceiling_records_per_s": round(ceiling),
        "fire_burst": fires,
    }


def table(results: dict[str, Any]) -> str:
    ceiling = results["ceiling_records_per_s"]
    lines = [
        f"{results['schedules']:,} schedules of {results['payload_bytes']:,} B, "
        f"{results['machine']['cpus']} CPUs",
        f"ceiling (plain producer)      {ceiling:>10,} records/s  (/3 = {ceiling // 3:,})",
    ]
    for mode, fire in results["fire_burst"].items():
        lines.append(
            f"fire rate, {mode:<18} {fire['fires_per_s']:>10,} fires/s    "
            f"({fire['ratio_to_ceiling']:.0%} of ceiling/3; lost {fire['lost']}, "
            f"duplicated {fire['duplicated']})"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench", description=__doc__)
    parser.add_argument("--schedules", type=int, default=200_000)
    parser.add_argument("--payload", type=int, default=1024, help="payload bytes")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    results = run(args.schedules, args.payload)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

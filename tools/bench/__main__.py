"""``make bench``: the scheduler's figures, all measured in one run against one local broker
started for it (no figure comes from elsewhere). Writes ``bench/results/latest.json`` and,
beside it, ``latest.md`` (the table, also printed) and ``latest.png``.

The defaults are the issue's full scale (under 10 minutes on 2 cores); every part scales down
for a quick look or the smoke test:

    python -m tools.bench --burst 2000 --lateness-seconds 5 --pending 20000 \\
        --pending-large 5000 --api-seconds 3
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from tools.bench.api import api_rates
from tools.bench.burst import fire_rate
from tools.bench.ceiling import producer_ceiling
from tools.bench.lateness import AHEAD_S, lateness
from tools.bench.loadrate import load_and_memory
from tools.bench.report import plot, table
from tools.kafka.broker import KafkaBroker
from tools.kafka.runtime import JvmOptions, kafka_version

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results" / "latest.json"

log = logging.getLogger("bench")
T = TypeVar("T")


def _machine() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    meminfo = Path("/proc/meminfo").read_text().split()
    return {
        "cpus": os.cpu_count(),
        "cpu": next(
            (
                line.split(":", 1)[1].strip()
                for line in cpuinfo.splitlines()
                if "model name" in line
            ),
            platform.machine(),
        ),
        "memory_gb": round(int(meminfo[meminfo.index("MemTotal:") + 1]) / (1 << 20)),
        "python": platform.python_version(),
        "kafka": kafka_version(),
    }


def _rates(text: str) -> list[int]:
    return [int(rate) for rate in text.split(",") if rate.strip()]


class _Help(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """The module docstring as written, and every option's default."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.bench", description=__doc__, formatter_class=_Help
    )
    option = parser.add_argument
    option("--payload", type=int, default=1024, metavar="BYTES", help="payload of every part")
    option(
        "--burst",
        "--schedules",
        type=int,
        default=200_000,
        metavar="N",
        help="schedules due at the same moment, fired with and without exactly-once",
    )
    option(
        "--rates",
        type=_rates,
        default=[1000, 10_000],
        metavar="R,R",
        help="steady rates (schedules/s) whose lateness is measured with exactly-once",
    )
    option(
        "--at-least-once-rate",
        type=int,
        default=1000,
        metavar="R",
        help="also the lateness at this rate with EXACTLY_ONCE=false; 0 skips it",
    )
    option("--lateness-seconds", type=float, default=60.0, help="how long each rate lasts")
    option(
        "--ahead",
        type=float,
        default=AHEAD_S,
        metavar="SECONDS",
        help="each steady schedule is written this long before it is due",
    )
    option(
        "--pending",
        type=int,
        default=1_000_000,
        metavar="N",
        help="pending schedules of --payload bytes: load rate and memory; 0 skips them",
    )
    option("--large-payload", type=int, default=10_240, metavar="BYTES", help="of --pending-large")
    option(
        "--pending-large",
        type=int,
        default=1_000_000,
        metavar="N",
        help="pending schedules of --large-payload bytes: memory (disk store); 0 skips it",
    )
    option(
        "--memory-store",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also the memory of --pending with PAYLOAD_STORE=memory, for comparison",
    )
    option(
        "--rss-cap-mb",
        type=int,
        default=8192,
        help="a loading scheduler whose RSS passes this is stopped, and reported so "
        "(1,000,000 x 1 KB with PAYLOAD_STORE=memory takes about 3 GB)",
    )
    option("--api-seconds", type=float, default=10.0, help="per mode")
    option("--api-concurrency", type=int, default=32, help="requests in flight")
    option("--out", type=Path, default=RESULTS, help="the JSON; .md and .png go beside it")
    return parser


def run(args: argparse.Namespace) -> dict[str, Any]:
    began = time.monotonic()
    part_seconds: dict[str, float] = {}

    def part(name: str, measure: Callable[[], T]) -> T:
        log.info("%s ...", name)
        started = time.monotonic()
        figures = measure()
        part_seconds[name] = round(time.monotonic() - started, 1)
        log.info("%s done in %.0f s", name, part_seconds[name])
        return figures

    with KafkaBroker(jvm=JvmOptions(fast_start=False)) as broker:
        bootstrap = broker.bootstrap_servers
        ceiling = part("ceiling", lambda: producer_ceiling(bootstrap, args.burst, args.payload))
        burst = part("burst", lambda: fire_rate(bootstrap, args.burst, args.payload, ceiling))
        steady = [(rate, True) for rate in args.rates]
        if args.at_least_once_rate:
            steady.append((args.at_least_once_rate, False))
        late = [
            part(
                f"lateness {rate}/s exactly_once={eos}",
                partial(
                    lateness, bootstrap, rate, args.lateness_seconds, eos, args.payload, args.ahead
                ),
            )
            for rate, eos in steady
        ]
        loads = [
            (store, count, payload_bytes)
            for store, count, payload_bytes, wanted in (
                ("disk", args.pending, args.payload, True),
                ("memory", args.pending, args.payload, args.memory_store),
                ("disk", args.pending_large, args.large_payload, True),
            )
            if count and wanted
        ]
        startup = part(
            "load and memory", lambda: load_and_memory(bootstrap, loads, args.rss_cap_mb)
        )
        api = part(
            "api",
            lambda: api_rates(bootstrap, args.api_seconds, args.api_concurrency, args.payload),
        )
    return {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": _machine(),
        "run_seconds": round(time.monotonic() - began),
        "part_seconds": part_seconds,
        "payload_bytes": args.payload,
        "ceiling_records_per_s": round(ceiling),
        "fire_burst": {"schedules": args.burst, **burst},
        "lateness": late,
        "startup": startup,
        "api": {"concurrency": args.api_concurrency, "seconds": args.api_seconds, **api},
    }


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="bench %(asctime)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    results = run(args)
    out: Path = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    report = table(results)
    out.with_suffix(".md").write_text(report)
    plot(results, out.with_suffix(".png"))
    print(report)
    print(f"written to {out} and its .md and .png")
    return 0


if __name__ == "__main__":
    sys.exit(main())

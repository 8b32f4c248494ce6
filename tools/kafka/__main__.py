"""``python -m tools.kafka``: run a local Kafka for development, or fetch its jars.

``up`` prints ``BOOTSTRAP_SERVERS=host:port[,host:port...]`` on stdout once the broker(s)
answer, then runs until SIGINT/SIGTERM, stops the broker(s) and deletes their data.
Progress and errors go to stderr.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from types import FrameType

from tools.kafka.broker import KafkaBroker
from tools.kafka.cluster import KafkaCluster
from tools.kafka.runtime import JvmOptions, KafkaHarnessError, ensure_runtime

log = logging.getLogger("tools.kafka")


class _Interrupted(BaseException):
    """Raised by the signal handler to abandon a start-up (BaseException: not swallowed)."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.kafka", description="Local Apache Kafka for tests and development."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start a broker (or cluster) and run until SIGINT/SIGTERM")
    up.add_argument("--brokers", type=int, choices=(1, 3), default=1, help="number of nodes")
    up.add_argument("--heap", default="512m", help="JVM heap per node (default 512m)")
    up.add_argument(
        "--no-fast-start",
        action="store_true",
        help="full JIT (C2) instead of C1 only: slower start, better sustained throughput",
    )
    up.add_argument("--timeout", type=float, default=120.0, help="start-up timeout in seconds")
    up.add_argument(
        "--auto-create-topics",
        action="store_true",
        help="create a topic on first use (for trying things out; tests keep it off)",
    )
    sub.add_parser("fetch", help="resolve the Kafka jars (Maven) and print their directory")
    return parser


def _up(args: argparse.Namespace) -> int:
    stop = threading.Event()
    ready = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        first = not stop.is_set()
        stop.set()
        if first and not ready.is_set():
            raise _Interrupted(signal.Signals(signum).name)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    jvm = JvmOptions(heap=args.heap, fast_start=not args.no_fast_start)
    properties = {"auto.create.topics.enable": "true"} if args.auto_create_topics else {}
    kafka: KafkaBroker | KafkaCluster
    if args.brokers == 1:
        kafka = KafkaBroker(jvm=jvm, startup_timeout=args.timeout, properties=properties)
    else:
        kafka = KafkaCluster(
            args.brokers, jvm=jvm, startup_timeout=args.timeout, properties=properties
        )
    try:
        log.info("starting %d Kafka node(s) in %s", args.brokers, kafka.directory)
        kafka.start()
        ready.set()
        log.info("ready in %.1f s", kafka.last_start_seconds or 0.0)
        print(f"BOOTSTRAP_SERVERS={kafka.bootstrap_servers}", flush=True)
        while not stop.wait(1.0):
            pass
        log.info("stopping")
        return 0
    except _Interrupted as exc:
        log.info("interrupted by %s during start-up", exc)
        return 130
    except KafkaHarnessError as exc:
        log.error("%s", exc)
        return 1
    finally:
        ready.set()  # from here on a signal only sets `stop`
        kafka.close()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(name)s: %(message)s")
    if args.command == "fetch":
        try:
            print(ensure_runtime(), flush=True)
        except KafkaHarnessError as exc:
            log.error("%s", exc)
            return 1
        return 0
    return _up(args)


if __name__ == "__main__":
    sys.exit(main())

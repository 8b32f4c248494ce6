"""Command line: ``python -m app`` (or ``kafka-message-scheduler``) runs the scheduler."""

from __future__ import annotations

import argparse
import faulthandler
import signal
import sys
import threading
from typing import Protocol

import uvicorn
from fastapi import FastAPI
from prometheus_client import start_http_server

from app import __version__, cli, logs
from app.api import create_app
from app.config import ConfigError, Settings
from app.kafka.runner import KafkaScheduler
from app.mini.scheduler import MiniScheduler

ENVIRONMENT_HELP = """\
configuration (environment variables, defaults in brackets):
  BOOTSTRAP_SERVERS        Kafka bootstrap servers [localhost:9092]
  SCHEDULES_TOPICS         comma-separated schedules topics [schedules]
  HISTORY_TOPIC            copy of every fired schedule [history]
  GROUP_ID                 consumer group of the instances [scheduler-cg]
  SINCE_DELTA              days back (<= 0) a missed schedule still fires [0]
  SCHEDULE_GRACE_INTERVAL  seconds a live schedule may be late and still fire [0]
  SESSION_TIMEOUT          consumer session timeout, ms [6000]
  SERVER_ADDR              REST API address, ':PORT' or 'HOST:PORT' [:8000]
  METRICS_ADDR             Prometheus /metrics address (or METRICS_HTTP_ADDR) [:8001]
  DEAD_LETTER_TOPIC        where undeliverable and invalid schedules go [off]
  TIMEZONE                 zone of the day boundary for SINCE_DELTA [UTC]
  TARGET_TOPICS_ALLOWED    target topics allowed: globs, or re:REGEX [any]
  API_TOKENS               bearer tokens required by writing routes [none]
  API_TOKENS_FILE          the same, one per line in a file
  API_AUTH_READS           require a token for reading routes too [false]
  ADVERTISED_URL           this API as other instances reach it: cluster-wide reads
  EXACTLY_ONCE             fire in Kafka transactions, fencing zombies [true]
  TRANSACTIONAL_ID         stable transactional.id of this instance [random]
  CONFIGURATION_FILE       YAML with librdkafka properties under
                           kafka.{common,producer,consumer}.configuration
  LOG_LEVEL                debug, info, warning, error [info]
  LOG_FORMAT               text or json [text]
  PAYLOAD_STORE            where pending payloads wait: disk or memory [disk]
  PAYLOAD_DIR              directory of the payload files [a temporary one]
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kafka-message-scheduler",
        description="Sends Kafka records to their target topic at the time they name.",
        epilog=ENVIRONMENT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("run", help="the Kafka scheduler (the default)")
    commands.add_parser(
        "mini",
        help="an in-memory scheduler without Kafka, for integration tests",
        description="Same REST API, state in memory, plus a test clock "
        "(POST /v1/clock/advance) and what fired (GET /v1/topics/{topic}/records).",
    )
    cli.register(commands)
    return parser


class _Service(Protocol):
    failure: BaseException | None

    def start(self) -> None: ...
    def close(self) -> None: ...
    def is_running(self) -> bool: ...


def serve(service: _Service, app: FastAPI, settings: Settings) -> int:
    """Run a scheduler with its REST API until SIGTERM or SIGINT.

    The HTTP server runs in a thread of its own so that the signals are ours: a stop is
    graceful (writes finished, group left) and exits 0.
    """
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=settings.server_addr.host,
            port=settings.server_addr.port,
            log_level=settings.log_level,
            log_config=None,  # uvicorn's records go through main's handler, JSON included
        )
    )
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    service.start()
    http = threading.Thread(target=server.run, name="http", daemon=True)
    http.start()
    while not stop.wait(0.2):
        if not service.is_running() or not http.is_alive():
            break
    server.should_exit = True
    http.join(10)
    service.close()
    return 1 if service.failure is not None or not server.started else 0


def serve_kafka(settings: Settings) -> int:
    scheduler = KafkaScheduler(settings)
    metrics_server, _ = start_http_server(
        settings.metrics_addr.port, settings.metrics_addr.host, scheduler.metrics.registry
    )
    try:
        return serve(scheduler, create_app(scheduler), settings)
    finally:
        metrics_server.shutdown()


def serve_mini(settings: Settings) -> int:
    mini = MiniScheduler(settings)
    return serve(mini, create_app(mini, mini=True), settings)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = args.command or "run"
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        print(f"kafka-message-scheduler: configuration error: {error}", file=sys.stderr)
        return 2
    if hasattr(args, "handler"):
        return cli.run(args, settings)
    logs.configure(settings.log_level, settings.log_format)
    # `kill -USR1 PID` prints every thread's stack: what a stuck instance is waiting on.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    return serve_mini(settings) if command == "mini" else serve_kafka(settings)


if __name__ == "__main__":
    sys.exit(main())

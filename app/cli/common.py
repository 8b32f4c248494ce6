"""What every operator command shares: the Kafka connection the service would use, flags
that override it, help with examples, and the two kinds of failure."""

from __future__ import annotations

import argparse
import dataclasses
import logging
from collections.abc import Callable
from typing import TypeAlias

from app.config import Settings

Handler: TypeAlias = Callable[[argparse.Namespace, Settings], int]
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

LIBRDKAFKA = logging.getLogger("kafka-message-scheduler.librdkafka")
"""For the commands' Kafka clients: librdkafka's informational lines (a background queue
purged at exit) would read as errors on a terminal; warnings still reach stderr."""


class UsageError(Exception):
    """Bad input from the caller (exit code 2, like argparse): nothing was written."""


class Failed(Exception):
    """Kafka or the API refused (exit code 1)."""


def add_command(
    commands: Commands,
    name: str,
    summary: str,
    examples: str,
    handler: Handler | None = None,
    kafka: bool = True,
) -> argparse.ArgumentParser:
    """A subcommand whose ``--help`` ends with ``examples``; ``kafka`` adds the connection
    flags."""
    parser = commands.add_parser(
        name,
        help=summary,
        description=summary,
        epilog=f"examples:\n{examples}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    if kafka:
        parser.add_argument(
            "--bootstrap-servers",
            metavar="HOSTS",
            help="Kafka bootstrap servers (default: BOOTSTRAP_SERVERS, as the service)",
        )
    if handler is not None:
        parser.set_defaults(handler=handler)
    return parser


def connection(args: argparse.Namespace, settings: Settings) -> Settings:
    """The service's settings with this command's flags applied; CONFIGURATION_FILE (TLS,
    SASL) applies to the commands too."""
    servers = getattr(args, "bootstrap_servers", None)
    return dataclasses.replace(settings, bootstrap_servers=servers or settings.bootstrap_servers)


def schedules_topic(args: argparse.Namespace, settings: Settings) -> str:
    """``--topic``, or the first of SCHEDULES_TOPICS."""
    topic: str = args.topic or settings.schedules_topics[0]
    return topic

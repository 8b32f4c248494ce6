"""Operator commands beside the service (``kafka-message-scheduler topics init``, ...), one
module per command group, registered into the service's own parser so that one console
script does everything."""

from __future__ import annotations

import argparse
import sys

from confluent_kafka import KafkaException

from app.cli import delete, history, listing, schedule, topics
from app.cli.common import Commands, Failed, Handler, UsageError
from app.config import Settings


def register(commands: Commands) -> None:
    for group in (topics, schedule, delete, listing, history):
        group.register(commands)


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Exit codes: 0 done, 1 Kafka or the API refused, 2 bad input (nothing written)."""
    handler: Handler = args.handler
    name = " ".join(filter(None, [args.command, getattr(args, "action", None)]))
    try:
        return handler(args, settings)
    except UsageError as error:
        print(f"kafka-message-scheduler {name}: error: {error}", file=sys.stderr)
        return 2
    except Failed as error:
        print(f"kafka-message-scheduler {name}: {error}", file=sys.stderr)
        return 1
    except KafkaException as error:
        print(f"kafka-message-scheduler {name}: Kafka: {error.args[0].str()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"kafka-message-scheduler {name}: interrupted", file=sys.stderr)
        return 130

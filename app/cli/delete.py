"""``delete``: tombstones that cancel pending schedules, written through Kafka like the
schedules themselves, so no API instance needs to be up."""

from __future__ import annotations

import argparse

from app.cli.common import Commands, UsageError, add_command, connection, schedules_topic
from app.cli.produce import write
from app.client import delete_schedule
from app.config import Settings

EXAMPLES = """\
  kafka-message-scheduler delete vid1-online
  kafka-message-scheduler delete order-1 order-2 --topic schedules-eu

  The tombstone goes to the partition the murmur2 partitioner gives the id, where the
  API, Java clients and this command put schedules; deleting an id that is not pending
  does nothing.
"""


def register(commands: Commands) -> None:
    parser = add_command(commands, "delete", "cancel pending schedules", EXAMPLES, handler=run)
    parser.add_argument("ids", nargs="+", metavar="ID", help="schedule id (the record key)")
    parser.add_argument("--topic", help="schedules topic (default: the first of SCHEDULES_TOPICS)")


def run(args: argparse.Namespace, service: Settings) -> int:
    settings = connection(args, service)
    topic = schedules_topic(args, settings)
    try:
        records = [delete_schedule(schedule_id, topic=topic) for schedule_id in args.ids]
    except ValueError as error:
        raise UsageError(str(error)) from error
    for written in write(settings, records):
        key = (written.key() or b"").decode(errors="replace")
        print(f"deleted {key}: tombstone in {topic} partition {written.partition()}")
    return 0

"""``history tail``: what fired, read from the history topic, which holds a copy of every
fired record with the scheduler's headers (which schedule, from where, when)."""

from __future__ import annotations

import argparse
import time
import uuid
from datetime import UTC, datetime

from confluent_kafka import OFFSET_BEGINNING, OFFSET_END, Consumer, Message, TopicPartition

from app.cli.common import LIBRDKAFKA, Commands, Failed, UsageError, add_command, connection
from app.client.records import header_value
from app.config import Settings
from app.engine.schedule import OUT_KEY, TARGET_TOPIC

EXAMPLES = """\
  kafka-message-scheduler history tail                  # from now on, until Ctrl-C
  kafka-message-scheduler history tail --from-beginning --max 100
  kafka-message-scheduler history tail --timeout 60 --history-topic audit

  One line a fired schedule: when it fired, its id -> target topic[target key], value.
"""
VALUE_SHOWN = 80


def register(commands: Commands) -> None:
    group = add_command(commands, "history", "read what fired", EXAMPLES, kafka=False)
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True)
    tail = add_command(actions, "tail", "print fired schedules as they fire", EXAMPLES, run_tail)
    tail.add_argument("--history-topic", metavar="NAME", help="default: HISTORY_TOPIC")
    tail.add_argument("--from-beginning", action="store_true", help="the whole topic first")
    tail.add_argument("--max", type=int, metavar="N", help="stop after N records")
    tail.add_argument("--timeout", type=float, metavar="SECONDS", help="stop after this long")


def _text(raw: bytes | None, shown: int) -> str:
    if raw is None:
        return "null"
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        return f"({len(raw)} bytes, not UTF-8)"
    return repr(text if len(text) <= shown else text[: shown - 3] + "...")


def _line(message: Message) -> str:
    fired = datetime.fromtimestamp(message.timestamp()[1] / 1000, UTC)
    schedule_id = (header_value(message, OUT_KEY) or b"?").decode(errors="replace")
    target = (header_value(message, TARGET_TOPIC) or b"?").decode(errors="replace")
    key = message.key()
    if key is not None:
        target += f"[{key.decode(errors='replace')}]"
    when = fired.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return f"{when}  {schedule_id} -> {target}  {_text(message.value(), VALUE_SHOWN)}"


def run_tail(args: argparse.Namespace, service: Settings) -> int:
    if args.max is not None and args.max < 1:
        raise UsageError(f"--max must be 1 or more, got {args.max}")
    settings = connection(args, service)
    topic = args.history_topic or settings.history_topic
    consumer = Consumer(
        {
            **settings.consumer_config(),
            # A group of its own, never the scheduler's, and nothing committed: reading
            # must not move anyone's offsets.
            "group.id": f"kafka-message-scheduler-tail-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
        },
        logger=LIBRDKAFKA,
    )
    deadline = None if args.timeout is None else time.monotonic() + args.timeout
    printed = 0
    try:
        metadata = consumer.list_topics(topic, timeout=10).topics.get(topic)
        if metadata is None or metadata.error is not None:
            reason = "not found" if metadata is None else metadata.error.str()
            raise Failed(f"history topic {topic!r} cannot be read: {reason}")
        start = OFFSET_BEGINNING if args.from_beginning else OFFSET_END
        consumer.assign([TopicPartition(topic, p, start) for p in metadata.partitions])
        while printed != args.max and (deadline is None or time.monotonic() < deadline):
            for message in consumer.consume(100, 0.2):
                if message.error() is not None:
                    raise Failed(f"reading {topic}: {message.error()}")
                print(_line(message), flush=True)
                printed += 1
                if printed == args.max:
                    break
    except KeyboardInterrupt:
        pass
    finally:
        consumer.close()
    return 0

"""``schedule``: one schedule from the arguments, or many from a JSON lines file whose lines
are the bodies ``POST /v1/schedules`` takes (one format to learn, whichever way in).

A file is checked whole before anything is written: a bad line 90,000 does not leave
89,999 schedules behind to clean up.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError

from app.api.models import ScheduleIn
from app.cli.common import Commands, UsageError, add_command, connection, schedules_topic
from app.cli.produce import write
from app.client import ProduceArgs, schedule
from app.client.records import due_ms
from app.config import Settings
from app.engine import Rules
from app.engine.schedule import Header, parse_epoch_ms

EXAMPLES = """\
  kafka-message-scheduler schedule vid1-online --in 300 --target-topic online-videos \\
      --target-key vid1 --value 'video 1' --header customer-header=dummy
  kafka-message-scheduler schedule report-2030 --at 2030-01-01T08:00:00+01:00 \\
      --target-topic reports --value-file report.pdf
  kafka-message-scheduler schedule retry-42 --at 1893456000.250 --target-topic orders
  kafka-message-scheduler schedule --file schedules.jsonl
  some-generator | kafka-message-scheduler schedule --file -

  A line of a --file: the body of POST /v1/schedules, e.g.
  {"id": "vid1-online", "epoch": 1893456000, "target_topic": "online-videos",
   "target_key": "vid1", "value": "video 1", "headers": [{"name": "h", "value": "v"}]}
"""
MAX_ERRORS_SHOWN = 10


def register(commands: Commands) -> None:
    parser = add_command(
        commands,
        "schedule",
        "write schedules to a schedules topic: one from the arguments, or many from a file",
        EXAMPLES,
        handler=run,
    )
    parser.add_argument("id", nargs="?", help="schedule id (the record key)")
    due = parser.add_mutually_exclusive_group()
    due.add_argument(
        "--at", metavar="WHEN", help="due time: Unix seconds, or RFC 3339 with an offset"
    )
    due.add_argument("--in", dest="delay", type=float, metavar="SECONDS", help="due from now")
    parser.add_argument("--target-topic", metavar="TOPIC", help="where the value goes")
    parser.add_argument("--target-key", metavar="KEY", help="key of the target record")
    value = parser.add_mutually_exclusive_group()
    value.add_argument("--value", default="", help="payload text")
    value.add_argument("--value-file", type=Path, metavar="PATH", help="payload, byte-exact")
    parser.add_argument(
        "--header", action="append", default=[], metavar="NAME=VALUE", help="repeatable"
    )
    parser.add_argument(
        "--file", metavar="PATH", help="JSON lines, one schedule a line; - reads stdin"
    )
    parser.add_argument("--topic", help="schedules topic (default: the first of SCHEDULES_TOPICS)")


def run(args: argparse.Namespace, service: Settings) -> int:
    settings = connection(args, service)
    topic = schedules_topic(args, settings)
    rules = Rules(
        frozenset({*settings.schedules_topics, topic}),
        settings.history_topic,
        settings.target_topics_allowed,
    )
    if args.file is None:
        record = _from_arguments(args, topic, rules)
        [written] = write(settings, [record])
        print(
            f"scheduled {args.id} into {topic} partition {written.partition()} "
            f"offset {written.offset()}"
        )
        return 0
    single = [args.id, args.at, args.target_topic, args.target_key, args.value, args.value_file]
    if args.delay is not None or args.header or any(single):
        raise UsageError("with --file, every field of a schedule comes from its line")
    records = _from_file(args.file, topic, rules)
    write(settings, records)
    print(f"scheduled {len(records)} schedule(s) from {args.file}")
    return 0


def _build(
    rules: Rules,
    schedule_id: str,
    due: float,
    target_topic: str,
    value: str | bytes,
    target_key: str | None,
    headers: list[Header],
    topic: str,
) -> ProduceArgs:
    """The record, checked against the rules the service would apply (SCHEDULES_TOPICS,
    HISTORY_TOPIC, TARGET_TOPICS_ALLOWED): a schedule it would reject is not written."""
    refused = rules.target_topic_error(target_topic)
    if refused:
        raise UsageError(refused)
    try:
        return schedule(
            schedule_id,
            due,
            target_topic,
            value,
            target_key=target_key,
            headers=headers,
            topic=topic,
        )
    except ValueError as error:
        raise UsageError(str(error)) from error


def _due(args: argparse.Namespace) -> float:
    if args.delay is not None:
        return time.time() + float(args.delay)
    text: str = args.at
    if ":" in text:
        try:
            return due_ms(datetime.fromisoformat(text)) / 1000
        except ValueError as error:
            raise UsageError(f"--at {text!r}: {error}") from error
    ms = parse_epoch_ms(text.encode())
    if isinstance(ms, str):
        raise UsageError(f"--at: {ms}")
    return ms / 1000


def _from_arguments(args: argparse.Namespace, topic: str, rules: Rules) -> ProduceArgs:
    if not args.id or not args.target_topic or (args.at is None and args.delay is None):
        raise UsageError("give an ID, --target-topic and --at or --in (or --file)")
    headers: list[Header] = []
    for header in args.header:
        name, equals, value = header.partition("=")
        if not equals or not name:
            raise UsageError(f"--header {header!r}: expected NAME=VALUE")
        headers.append((name, value.encode()))
    try:
        value = args.value_file.read_bytes() if args.value_file else args.value
    except OSError as error:
        raise UsageError(f"--value-file: {error}") from error
    return _build(
        rules, args.id, _due(args), args.target_topic, value, args.target_key, headers, topic
    )


def _from_file(path: str, topic: str, rules: Rules) -> list[ProduceArgs]:
    try:
        lines = sys.stdin.readlines() if path == "-" else Path(path).read_text().splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read {path}: {error}") from error
    records: list[ProduceArgs] = []
    errors: list[str] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            records.append(_from_line(line, topic, rules))
        except UsageError as error:
            errors.append(f"{path}:{number}: {error}")
    if errors:
        more = len(errors) - MAX_ERRORS_SHOWN
        shown = errors[:MAX_ERRORS_SHOWN] + ([f"... and {more} more"] if more > 0 else [])
        raise UsageError("nothing written:\n  " + "\n  ".join(shown))
    if not records:
        raise UsageError(f"no schedules in {path}")
    return records


def _from_line(line: str, topic: str, rules: Rules) -> ProduceArgs:
    try:
        body = ScheduleIn.model_validate_json(line)
        value = body.payload()
    except ValidationError as error:
        raise UsageError(
            "; ".join(
                f"{'.'.join(str(part) for part in e['loc']) or 'line'}: {e['msg']}"
                for e in error.errors()
            )
        ) from error
    except ValueError as error:
        raise UsageError(str(error)) from error
    if body.id is None:
        raise UsageError("id: required")
    headers: list[Header] = [(h.name, h.value.encode()) for h in body.headers]
    return _build(
        rules,
        body.id,
        body.due_seconds,
        body.target_topic,
        value,
        body.target_key,
        headers,
        body.topic or topic,
    )

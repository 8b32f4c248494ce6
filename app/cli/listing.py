"""``list``: pending schedules as an instance's /v1 API answers for the whole cluster, by
due time; through the API because only the instances know what is still pending."""

from __future__ import annotations

import argparse
import sys

import httpx

from app.api.models import Encoding, ScheduleOut
from app.cli.common import Commands, Failed, UsageError, add_command
from app.client import ApiError, SchedulerClient
from app.config import Settings

EXAMPLES = """\
  kafka-message-scheduler list
  kafka-message-scheduler list --url http://scheduler:8000 --token "$TOKEN"
  kafka-message-scheduler list --id-prefix vid --target-topic online-videos --limit 1000
  kafka-message-scheduler list --due-to "$(date -d tomorrow +%s)" --json
"""
VALUE_SHOWN = 40


def register(commands: Commands) -> None:
    parser = add_command(
        commands, "list", "list pending schedules, by due time", EXAMPLES, run, kafka=False
    )
    parser.add_argument("--url", default="http://localhost:8000", help="a scheduler's API")
    parser.add_argument("--token", help="bearer token, when the API requires one")
    parser.add_argument("--id-prefix", metavar="PREFIX")
    parser.add_argument("--target-topic", metavar="TOPIC")
    parser.add_argument("--due-from", type=float, metavar="SECONDS", help="Unix seconds")
    parser.add_argument("--due-to", type=float, metavar="SECONDS", help="Unix seconds")
    parser.add_argument("--limit", type=int, default=100, help="at most this many (default 100)")
    parser.add_argument("--json", action="store_true", help="one JSON object a line")


def _columns(item: ScheduleOut) -> tuple[str, str, str, str]:
    value = repr(item.value) if item.value_encoding is Encoding.UTF8 else f"base64:{item.value}"
    if len(value) > VALUE_SHOWN:
        value = value[: VALUE_SHOWN - 3] + "..."
    target = item.target_topic + ("" if item.target_key is None else f"[{item.target_key}]")
    due = item.at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return due, item.id, target, value


def _table(items: list[ScheduleOut]) -> list[str]:
    rows = [("DUE (UTC)", "ID", "TARGET[KEY]", "VALUE"), *map(_columns, items)]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return [
        "  ".join([*(c.ljust(w) for c, w in zip(row, widths, strict=False)), row[3]])
        for row in rows
    ]


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.limit < 1:
        raise UsageError(f"--limit must be 1 or more, got {args.limit}")
    items: list[ScheduleOut] = []
    unreachable: set[str] = set()
    more = False
    try:
        with SchedulerClient(args.url, token=args.token) as client:
            pages = client.pages(
                id_prefix=args.id_prefix,
                target_topic=args.target_topic,
                due_from=args.due_from,
                due_to=args.due_to,
                page_size=min(args.limit, 1000),
            )
            for page in pages:
                items += page.items
                unreachable.update(page.unreachable)
                if len(items) >= args.limit:
                    more = len(items) > args.limit or page.next_cursor is not None
                    break
    except (ApiError, httpx.HTTPError) as error:
        raise Failed(f"{args.url}: {error}") from error
    shown = items[: args.limit]
    for text in [item.model_dump_json() for item in shown] if args.json else _table(shown):
        print(text)
    if more:
        print(f"more than {args.limit}: raise --limit to see them", file=sys.stderr)
    if unreachable:
        print(f"incomplete: no answer from {', '.join(sorted(unreachable))}", file=sys.stderr)
    return 0

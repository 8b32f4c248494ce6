"""``topics init``: the topics the scheduler needs, created once with the settings it
relies on, and checked every later time (an init job can run on every deployment).

A schedules topic that is not compacted with unlimited retention silently loses
schedules, so a mismatch there fails the command; a partition count other than asked
only limits how many instances share the work, so it is reported and accepted.
"""

from __future__ import annotations

import argparse

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient
from confluent_kafka.admin._config import ConfigResource

from app.cli.common import LIBRDKAFKA, Commands, Failed, UsageError, add_command, connection
from app.config import Settings
from app.kafka.admin import SCHEDULES_TOPIC_CONFIG, create_missing, scheduler_topics

TIMEOUT_S = 30.0
EXAMPLES = """\
  kafka-message-scheduler topics init
  kafka-message-scheduler topics init --partitions 12 --replication-factor 3
  SCHEDULES_TOPICS=videos,orders HISTORY_TOPIC=audit kafka-message-scheduler topics init
"""


def register(commands: Commands) -> None:
    group = add_command(
        commands, "topics", "create and check the scheduler's topics", EXAMPLES, kafka=False
    )
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True)
    init = add_command(
        actions,
        "init",
        "create the schedules topics (compacted, retention.ms=-1) and the history topic; "
        "idempotent: existing topics are checked, not changed",
        EXAMPLES,
        handler=run_init,
    )
    init.add_argument("--partitions", type=int, default=6, help="of new topics (default 6)")
    init.add_argument(
        "--replication-factor", type=int, default=-1, help="of new topics (default: the broker's)"
    )
    init.add_argument("--schedules-topics", metavar="A,B", help="default: SCHEDULES_TOPICS")
    init.add_argument("--history-topic", metavar="NAME", help="default: HISTORY_TOPIC")


def _mismatches(config: dict[str, str], history: bool) -> list[str]:
    if not history:
        return [
            f"{name}={config.get(name)}, expected {expected}"
            for name, expected in SCHEDULES_TOPIC_CONFIG.items()
            if config.get(name) != expected
        ]
    # The history copy keeps the target key, which may be null: a compacted topic refuses
    # null keys, and with them the whole fire.
    if "compact" in config.get("cleanup.policy", ""):
        return ["cleanup.policy includes compact, which refuses records without a key"]
    return []


def run_init(args: argparse.Namespace, service: Settings) -> int:
    settings = connection(args, service)
    if args.partitions < 1:
        raise UsageError(f"--partitions must be 1 or more, got {args.partitions}")
    topics = args.schedules_topics or ",".join(settings.schedules_topics)
    history = args.history_topic or settings.history_topic
    schedules = [name.strip() for name in topics.split(",") if name.strip()]
    if history in schedules:
        raise UsageError(f"the history topic {history!r} is also a schedules topic")
    wanted = scheduler_topics(schedules, history)
    admin = AdminClient(settings.admin_config(), logger=LIBRDKAFKA)
    created = _create(admin, wanted, args.partitions, args.replication_factor)
    problems = _check(admin, [n for n in wanted if n not in created], history, args.partitions)
    if problems:
        raise Failed(
            f"{problems} topic setting(s) differ from what the scheduler needs; topics init "
            "does not change existing topics: fix them with kafka-configs --alter"
        )
    return 0


def _existing(admin: AdminClient) -> dict[str, int]:
    """Partition counts by topic name."""
    try:
        topics = admin.list_topics(timeout=TIMEOUT_S).topics
    except KafkaException as error:
        raise Failed(f"cannot list the topics: {error.args[0].str()}") from error
    return {name: len(topic.partitions) for name, topic in topics.items()}


def _create(
    admin: AdminClient, wanted: dict[str, dict[str, str]], partitions: int, replication: int
) -> set[str]:
    try:
        created = create_missing(admin, wanted, partitions, replication)
    except KafkaException as error:
        raise Failed(f"cannot create the topics: {error.args[0].str()}") from error
    for name in sorted(created):
        settings = [f"{key}={value}" for key, value in wanted[name].items()]
        print(f"created {name}: " + ", ".join([f"{partitions} partitions", *settings]))
    return created


def _check(admin: AdminClient, names: list[str], history: str, asked: int) -> int:
    """Report each existing topic; return how many settings are wrong."""
    if not names:
        return 0
    counts = _existing(admin)
    problems = 0
    resources = [ConfigResource("topic", name) for name in names]
    for resource, future in admin.describe_configs(resources).items():
        entries = future.result(TIMEOUT_S)
        config = {key: str(entry.value) for key, entry in entries.items()}
        mismatches = _mismatches(config, history=resource.name == history)
        problems += len(mismatches)
        count = counts.get(resource.name, 0)
        size = f"{count} partitions"
        if count < asked:
            size += f" (not {asked}: at most {count} instances share the work)"
        print(f"exists {resource.name}: " + ", ".join([size, *(mismatches or ["ok"])]))
    return problems

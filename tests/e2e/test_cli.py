"""The console script against the real broker: topics, schedules written from arguments
and files, deletes, listing through a running scheduler's API, and the history."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient

from app.__main__ import main
from app.client import SchedulerClient
from tests.kafka_io import read_all, read_count, wait_for
from tests.scheduler_fixtures import Topics
from tools.chaos.instances import free_port, scheduler_process
from tools.kafka.broker import KafkaBroker
from tools.kafka.topics import topic_config, unique_name

SCRIPT = str(Path(sys.executable).with_name("kafka-message-scheduler"))


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The console script as users run it, with the service's variables."""
    return subprocess.run(
        [SCRIPT, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=60
    )


def service_env(topics: Topics) -> dict[str, str]:
    return {
        "BOOTSTRAP_SERVERS": topics.bootstrap,
        "SCHEDULES_TOPICS": topics.schedules,
        "HISTORY_TOPIC": topics.history,
    }


@pytest.fixture
def env(topics: Topics, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The variables, for subprocesses and for ``main(argv)`` in this process alike."""
    variables = service_env(topics)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return variables


def jsonl(path: Path, *lines: dict[str, object] | str) -> str:
    path.write_text("\n".join(v if isinstance(v, str) else json.dumps(v) for v in lines))
    return str(path)


def test_topics_init_creates_compacted_topics_and_is_idempotent(kafka_broker: KafkaBroker) -> None:
    bootstrap = kafka_broker.bootstrap_servers
    schedules = [unique_name("schedules"), unique_name("schedules")]
    history = unique_name("history")
    env = {
        "BOOTSTRAP_SERVERS": bootstrap,
        "SCHEDULES_TOPICS": ",".join(schedules),
        "HISTORY_TOPIC": history,
    }
    first = cli(env, "topics", "init", "--partitions", "4")
    assert first.returncode == 0, first.stderr
    for name in schedules:
        assert (
            f"created {name}: 4 partitions, cleanup.policy=compact, retention.ms=-1" in first.stdout
        )
        config = topic_config(bootstrap, name)
        assert (config["cleanup.policy"], config["retention.ms"]) == ("compact", "-1")
    assert f"created {history}: 4 partitions" in first.stdout
    assert topic_config(bootstrap, history)["cleanup.policy"] == "delete"
    metadata = AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10).topics
    assert {len(metadata[name].partitions) for name in [*schedules, history]} == {4}

    second = cli(env, "topics", "init", "--partitions", "4")
    assert second.returncode == 0, second.stderr
    assert sorted(second.stdout.splitlines()) == sorted(
        f"exists {name}: 4 partitions, ok" for name in [*schedules, history]
    )


def test_topics_init_reports_an_existing_topic_that_would_lose_schedules(
    env: dict[str, str], topic_factory: Callable[..., str], capsys: pytest.CaptureFixture[str]
) -> None:
    plain = topic_factory(partitions=2)
    assert main(["topics", "init", "--schedules-topics", plain]) == 1
    out, err = capsys.readouterr()
    assert f"exists {plain}: 2 partitions (not 6: at most 2 instances share the work)" in out
    assert "cleanup.policy=delete, expected compact" in out
    assert "retention.ms=604800000, expected -1" in out
    assert "2 topic setting(s) differ" in err and "kafka-configs --alter" in err
    assert topic_config(env["BOOTSTRAP_SERVERS"], plain)["cleanup.policy"] == "delete"


def test_schedule_list_delete_fire_and_history_through_a_running_scheduler(
    topics: Topics, env: dict[str, str], group_id: str, tmp_path: Path
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    due = time.time() + 8
    bulk = jsonl(
        tmp_path / "bulk.jsonl",
        *(
            {"id": f"bulk-{i}", "epoch": due, "target_topic": topics.target, "value": f"v{i}"}
            for i in range(3)
        ),
        "",
    )
    with (
        scheduler_process(topics.bootstrap, topics.schedules, topics.history, group_id, port),
        SchedulerClient(url) as api,
    ):
        args = ["--target-topic", topics.target, "--in", "7"]
        extras = ["--target-key", "k", "--value", "payload", "--header", "h=1"]
        one = cli(env, "schedule", "one", *args, *extras)
        assert one.returncode == 0, one.stderr
        assert one.stdout.startswith(f"scheduled one into {topics.schedules} partition ")
        doomed = cli(env, "schedule", "doomed", *args)
        assert doomed.returncode == 0, doomed.stderr
        loaded = cli(env, "schedule", "--file", bulk)
        assert loaded.returncode == 0 and "scheduled 3 schedule(s)" in loaded.stdout, loaded.stderr
        everything = {"one", "doomed", "bulk-0", "bulk-1", "bulk-2"}
        wait_for(lambda: {s.id for s in api.schedules()} == everything, 10, "all pending")

        listed = cli({}, "list", "--url", url)
        assert listed.returncode == 0, listed.stderr
        header, *rows = listed.stdout.splitlines()
        assert header.split() == ["DUE", "(UTC)", "ID", "TARGET[KEY]", "VALUE"]
        assert {row.split()[1] for row in rows} == everything
        assert next(r for r in rows if " one " in r).endswith(f"{topics.target}[k]  'payload'")

        deleted = cli(env, "delete", "doomed")
        assert deleted.returncode == 0, deleted.stderr
        wait_for(lambda: api.get("doomed") is None, 10, "the delete to be applied")

        fired = read_count(topics.bootstrap, topics.target, 4)
        assert sorted(m.value() or b"" for m in fired) == [b"payload", b"v0", b"v1", b"v2"]
        one_fired = next(m for m in fired if m.value() == b"payload")
        assert one_fired.key() == b"k" and ("h", b"1") in (one_fired.headers() or [])
        assert {m.key() for m in fired if m is not one_fired} == {None}
        assert not list(api.schedules())

    tail = cli(env, "history", "tail", "--from-beginning", "--max", "4", "--timeout", "20")
    assert tail.returncode == 0, tail.stderr
    lines = tail.stdout.splitlines()
    assert sorted(line.split()[1] for line in lines) == ["bulk-0", "bulk-1", "bulk-2", "one"]
    assert all(f"-> {topics.target}" in line for line in lines)


def test_a_bulk_load_shows_its_progress_and_writes_every_line(
    env: dict[str, str], topics: Topics, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    due = time.time() + 3600
    lines = (
        {"id": f"s{i:03d}", "epoch": due, "target_topic": topics.target, "target_key": "k"}
        for i in range(200)
    )
    assert main(["schedule", "--file", jsonl(tmp_path / "many.jsonl", *lines)]) == 0
    assert terminal.getvalue().endswith("\r[" + "#" * 30 + "] 200/200 acknowledged\n")
    written = read_count(topics.bootstrap, topics.schedules, 200)
    assert sorted(m.key() or b"" for m in written) == [f"s{i:03d}".encode() for i in range(200)]


@pytest.mark.parametrize(
    ("argv", "code", "words"),
    [
        (["schedule", "x", "--target-topic", "t"], 2, "give an ID, --target-topic and --at"),
        (["schedule", "x", "--at", "1893456000000", "--target-topic", "t"], 2, "milliseconds"),
        (["schedule", "x", "--at", "2030-01-01T08:00", "--target-topic", "t"], 2, "time zone"),
        (["schedule", "x", "--in", "-60", "--target-topic", "t"], 2, "before now"),
        (["schedule", "x", "--in", "60", "--target-topic", "t", "--header", "h"], 2, "NAME=VALUE"),
        (["schedule", "--file", "/nonexistent.jsonl"], 2, "cannot read /nonexistent.jsonl"),
        (["schedule", "--file", "-", "--target-topic", "t"], 2, "comes from its line"),
        (
            ["schedule", "x", "--in", "9", "--target-topic", "t", "--value-file", "/nonexistent"],
            2,
            "--value-file: [Errno 2]",
        ),
        (
            ["schedule", "x", "--in", "60", "--target-topic", "t", "--topic", "missing-topic"],
            1,
            "schedules topic 'missing-topic' cannot be written: Broker: Unknown topic",
        ),
        (["delete", " "], 2, "must not be blank"),
        (["topics", "init", "--partitions", "0"], 2, "--partitions must be 1 or more"),
        (["list", "--url", "http://127.0.0.1:{port}"], 1, "Connection refused"),
        (["history", "tail", "--history-topic", "missing-topic", "--max", "1"], 1, "Unknown topic"),
    ],
)
def test_bad_input_is_refused_with_a_reason(
    kafka_broker: KafkaBroker,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    code: int,
    words: str,
) -> None:
    monkeypatch.setenv("BOOTSTRAP_SERVERS", kafka_broker.bootstrap_servers)
    assert main([arg.format(port=free_port()) for arg in argv]) == code
    assert words in capsys.readouterr().err


def test_a_file_with_a_bad_line_writes_nothing_and_names_the_lines(
    env: dict[str, str], topics: Topics, tmp_path: Path
) -> None:
    good = {"id": "good", "epoch": time.time() + 60, "target_topic": topics.target}
    path = jsonl(
        tmp_path / "mixed.jsonl",
        good,
        {**good, "target_topic": topics.schedules},
        "{not json",
        {**good, "id": None},
        {**good, "value": "***", "value_encoding": "base64"},
    )
    result = cli(env, "schedule", "--file", path)
    assert result.returncode == 2
    assert result.stderr.splitlines()[1:] == [
        f"  {path}:2: target topic {topics.schedules!r} is a schedules topic",
        f"  {path}:3: line: Invalid JSON: key must be a string at line 1 column 2",
        f"  {path}:4: id: required",
        f"  {path}:5: value is not valid base64: Only base64 data is allowed",
    ]
    assert read_all(topics.bootstrap, topics.schedules) == []


@pytest.mark.parametrize(
    "command", [["topics", "init"], ["schedule"], ["delete"], ["list"], ["history", "tail"]]
)
def test_each_command_help_shows_examples(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help"])
    assert exit_.value.code == 0
    examples = capsys.readouterr().out.partition("\nexamples:\n")[2]
    assert f"  kafka-message-scheduler {' '.join(command)} " in examples

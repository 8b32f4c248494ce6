"""docker-compose.yml, read as Compose would (no engine here to run it): the pieces must
agree with each other and with the scheduler's own configuration, or the stack starts and
then fails in ways that only show at run time."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.config import Settings

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    services: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())["services"]
    return services


def kafka_topics_calls(script: str) -> list[dict[str, list[str]]]:
    """The options of each kafka-topics.sh line: ``{"--topic": [...], "--config": [...]}``;
    a flag without a value gets the next word, only its presence counts."""
    calls = []
    for line in script.splitlines():
        words = shlex.split(line)
        if not words or not words[0].endswith("/kafka-topics.sh"):
            continue
        options: dict[str, list[str]] = {}
        for flag, value in zip(words[1:], [*words[2:], ""], strict=True):
            if flag.startswith("--"):
                options.setdefault(flag, []).append(value)
        calls.append(options)
    return calls


def test_services_images_and_start_order(services: dict[str, Any]) -> None:
    assert set(services) == {"kafka", "topics", "scheduler", "mini"}
    assert services["kafka"]["image"].startswith("apache/kafka:4.")
    assert services["topics"]["image"] == services["kafka"]["image"]
    assert services["topics"]["depends_on"] == {"kafka": {"condition": "service_healthy"}}
    assert services["kafka"]["healthcheck"]["test"]
    assert services["scheduler"]["depends_on"] == {
        "topics": {"condition": "service_completed_successfully"}
    }
    assert services["scheduler"]["build"]["dockerfile"] == "Dockerfile"
    assert services["mini"]["build"]["dockerfile"] == "Dockerfile.mini"
    # The images' own entry point decides the mode: an override here would hide it.
    assert "command" not in services["scheduler"] and "command" not in services["mini"]


def test_kafka_is_a_single_kraft_node_able_to_run_transactions(services: dict[str, Any]) -> None:
    env = services["kafka"]["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{env['KAFKA_NODE_ID']}@kafka:9093"
    # With the default of three replicas on one node, the group and transaction
    # coordinators never become available and the scheduler cannot fire.
    for setting in (
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
    ):
        assert env[setting] == 1, setting
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "true"  # the README's target topic
    advertised = env["KAFKA_ADVERTISED_LISTENERS"].split(",")
    host_listener = next(a for a in advertised if "//localhost:" in a)
    assert f"{host_listener.rpartition(':')[2]}:" in " ".join(services["kafka"]["ports"])


def test_scheduler_reaches_the_broker_and_its_ports_are_its_addresses(
    services: dict[str, Any],
) -> None:
    env = {k: str(v) for k, v in services["scheduler"]["environment"].items()}
    settings = Settings.from_env(env)  # a bad value would raise, naming it
    advertised = services["kafka"]["environment"]["KAFKA_ADVERTISED_LISTENERS"]
    assert f"//{settings.bootstrap_servers}" in advertised
    container_ports = {int(p.rpartition(":")[2]) for p in services["scheduler"]["ports"]}
    assert container_ports == {settings.server_addr.port, settings.metrics_addr.port}
    mini_ports = {int(p.rpartition(":")[2]) for p in services["mini"]["ports"]}
    assert mini_ports == {Settings().server_addr.port}


def test_topics_service_creates_what_the_scheduler_reads(services: dict[str, Any]) -> None:
    settings = Settings.from_env(
        {k: str(v) for k, v in services["scheduler"]["environment"].items()}
    )
    [script] = services["topics"]["command"]
    assert script.splitlines()[0] == "set -e"  # a failed creation fails the service
    calls = {call["--topic"][0]: call for call in kafka_topics_calls(script)}
    assert set(calls) == {*settings.schedules_topics, settings.history_topic}
    for call in calls.values():
        assert call["--bootstrap-server"] == [settings.bootstrap_servers]
        assert "--create" in call and "--if-not-exists" in call  # reruns are harmless
    for topic in settings.schedules_topics:
        configs = set(calls[topic]["--config"])
        assert {"cleanup.policy=compact", "retention.ms=-1"} <= configs
        assert int(calls[topic]["--partitions"][0]) > 1  # room for more than one instance

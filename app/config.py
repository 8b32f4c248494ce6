"""Configuration from the environment, with the original scheduler's variable names.

A bad value stops start-up with a message that names the variable: a scheduler that starts
with a half-understood configuration fires at the wrong time or into the wrong topic.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from app.engine import EngineSettings, Rules
from app.engine.schedule import topic_patterns

KafkaProperties = dict[str, str | int | float | bool]

_LOG_LEVELS = ("debug", "info", "warning", "warn", "error", "critical")
_LOG_FORMATS = ("text", "json")
_PAYLOAD_STORES = ("disk", "memory")
_CLIENTS = ("common", "producer", "consumer")


class ConfigError(ValueError):
    """A setting that cannot be used; the message starts with the variable's name."""


@dataclass(frozen=True, slots=True)
class Address:
    host: str
    port: int

    @classmethod
    def parse(cls, value: str, variable: str) -> Address:
        """``:8000`` (all interfaces, the original's form) or ``host:port``."""
        host, sep, port = value.strip().rpartition(":")
        if not sep or not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f"{variable}: expected ':PORT' or 'HOST:PORT', got {value!r}")
        return cls(host.strip("[]") or "0.0.0.0", int(port))


@dataclass(frozen=True, slots=True)
class KafkaFileConfig:
    """librdkafka properties from ``CONFIGURATION_FILE``; specific sections win over common."""

    common: KafkaProperties = field(default_factory=dict)
    producer: KafkaProperties = field(default_factory=dict)
    consumer: KafkaProperties = field(default_factory=dict)

    @classmethod
    def load(cls, path: str) -> KafkaFileConfig:
        variable = "CONFIGURATION_FILE"
        try:
            document = yaml.safe_load(Path(path).read_text()) or {}
        except (OSError, yaml.YAMLError) as error:
            raise ConfigError(f"{variable}: cannot read {path!r}: {error}") from error
        if not isinstance(document, dict):
            raise ConfigError(f"{variable}: {path!r} must hold a mapping")
        _no_unknown(document, ("kafka",), variable, "")
        kafka = document.get("kafka") or {}
        if not isinstance(kafka, dict):
            raise ConfigError(f"{variable}: 'kafka' must be a mapping")
        _no_unknown(kafka, _CLIENTS, variable, "kafka.")
        sections: dict[str, KafkaProperties] = {}
        for client in _CLIENTS:
            section = kafka.get(client) or {}
            if not isinstance(section, dict):
                raise ConfigError(f"{variable}: 'kafka.{client}' must be a mapping")
            _no_unknown(section, ("configuration",), variable, f"kafka.{client}.")
            sections[client] = _properties(section.get("configuration"), f"kafka.{client}")
        return cls(**sections)


def _no_unknown(mapping: dict[Any, Any], known: tuple[str, ...], variable: str, at: str) -> None:
    unknown = sorted(str(key) for key in mapping if key not in known)
    if unknown:
        raise ConfigError(f"{variable}: unknown key(s) {', '.join(at + k for k in unknown)}")


def _properties(raw: object, where: str) -> KafkaProperties:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"CONFIGURATION_FILE: '{where}.configuration' must be a mapping")
    properties: KafkaProperties = {}
    for name, value in raw.items():
        if not isinstance(value, str | int | float | bool):
            raise ConfigError(f"CONFIGURATION_FILE: {where}.configuration.{name} must be a scalar")
        properties[str(name)] = value
    return properties


@dataclass(frozen=True, slots=True)
class Settings:
    bootstrap_servers: str = "localhost:9092"
    schedules_topics: tuple[str, ...] = ("schedules",)
    history_topic: str = "history"
    group_id: str = "scheduler-cg"
    since_delta: int = 0
    schedule_grace_interval: int = 0
    session_timeout_ms: int = 6000
    server_addr: Address = Address("0.0.0.0", 8000)
    server_addr_raw: str = ":8000"
    metrics_addr: Address = Address("0.0.0.0", 8001)
    log_level: str = "info"
    log_format: str = "text"
    dead_letter_topic: str = ""
    timezone: str = "UTC"
    exactly_once: bool = True
    target_topics_allowed: tuple[re.Pattern[str], ...] = ()
    api_tokens: frozenset[str] = frozenset()
    api_auth_reads: bool = False
    advertised_url: str = ""
    """This instance's API as the other instances reach it: lets reads answer for the whole
    cluster. Empty: reads answer for this instance's partitions only."""
    transactional_id: str = ""
    """Empty: one of this process's own (see ``app.kafka.writer``)."""
    payload_store: str = "disk"
    """Where pending schedules' payloads wait: ``disk`` (a cache file per partition, rebuilt
    from Kafka on every assignment) keeps memory independent of payload size; ``memory``."""
    payload_dir: str = ""
    """Directory of the payload files; empty: the system's temporary directory."""
    kafka_file: KafkaFileConfig = field(default_factory=KafkaFileConfig)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the environment; raise ``ConfigError`` naming the first bad variable."""
        env = os.environ if env is None else env

        def text(name: str, default: str) -> str:
            return env.get(name, default).strip()

        def required(name: str, default: str) -> str:
            value = text(name, default)
            if not value:
                raise ConfigError(f"{name}: must not be empty")
            return value

        topics = tuple(t.strip() for t in required("SCHEDULES_TOPICS", "schedules").split(","))
        if not all(topics):
            raise ConfigError(f"SCHEDULES_TOPICS: empty topic name in {env['SCHEDULES_TOPICS']!r}")
        history = required("HISTORY_TOPIC", "history")
        if history in topics:
            raise ConfigError("HISTORY_TOPIC: must differ from the schedules topics")
        since = _integer(env, "SINCE_DELTA", 0)
        if since > 0:
            raise ConfigError(f"SINCE_DELTA: must be 0 or negative (days back), got {since}")
        grace = _integer(env, "SCHEDULE_GRACE_INTERVAL", 0)
        if grace < 0:
            raise ConfigError(f"SCHEDULE_GRACE_INTERVAL: must be 0 or more seconds, got {grace}")
        session_timeout = _integer(env, "SESSION_TIMEOUT", 6000)
        if session_timeout <= 0:
            raise ConfigError(
                f"SESSION_TIMEOUT: must be a positive number of ms, got {session_timeout}"
            )
        metrics_name = "METRICS_ADDR" if "METRICS_ADDR" in env else "METRICS_HTTP_ADDR"
        log_level = text("LOG_LEVEL", "info").lower()
        if log_level not in _LOG_LEVELS:
            raise ConfigError(
                f"LOG_LEVEL: expected one of {', '.join(_LOG_LEVELS)}, got {log_level!r}"
            )
        log_format = _choice(env, "LOG_FORMAT", _LOG_FORMATS)
        timezone = required("TIMEZONE", "UTC")
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ConfigError(f"TIMEZONE: unknown time zone {timezone!r}") from error
        dead_letter = text("DEAD_LETTER_TOPIC", "")
        if dead_letter and (dead_letter in topics or dead_letter == history):
            raise ConfigError(
                "DEAD_LETTER_TOPIC: must differ from the schedules and history topics"
            )
        payload_dir = text("PAYLOAD_DIR", "")
        if payload_dir and not os.access(payload_dir, os.W_OK | os.X_OK):
            raise ConfigError(f"PAYLOAD_DIR: {payload_dir!r} is not a writable directory")
        config_file = text("CONFIGURATION_FILE", "")
        server_raw = text("SERVER_ADDR", ":8000")
        return cls(
            bootstrap_servers=required("BOOTSTRAP_SERVERS", "localhost:9092"),
            schedules_topics=topics,
            history_topic=history,
            group_id=required("GROUP_ID", "scheduler-cg"),
            since_delta=since,
            schedule_grace_interval=grace,
            session_timeout_ms=session_timeout,
            server_addr=Address.parse(server_raw, "SERVER_ADDR"),
            server_addr_raw=server_raw,
            metrics_addr=Address.parse(text(metrics_name, ":8001"), metrics_name),
            log_level="warning" if log_level == "warn" else log_level,
            log_format=log_format,
            dead_letter_topic=dead_letter,
            timezone=timezone,
            exactly_once=_boolean(env, "EXACTLY_ONCE", True),
            target_topics_allowed=_patterns(env, "TARGET_TOPICS_ALLOWED"),
            api_tokens=_tokens(env),
            api_auth_reads=_boolean(env, "API_AUTH_READS", False),
            advertised_url=_url(env, "ADVERTISED_URL"),
            transactional_id=text("TRANSACTIONAL_ID", ""),
            payload_store=_choice(env, "PAYLOAD_STORE", _PAYLOAD_STORES),
            payload_dir=payload_dir,
            kafka_file=KafkaFileConfig.load(config_file) if config_file else KafkaFileConfig(),
        )

    def engine_settings(self) -> EngineSettings:
        return EngineSettings(
            rules=Rules(
                frozenset(self.schedules_topics), self.history_topic, self.target_topics_allowed
            ),
            grace_seconds=self.schedule_grace_interval,
            since_delta_days=self.since_delta,
            timezone=self.timezone,
        )

    def producer_config(self) -> KafkaProperties:
        return {
            **self.kafka_file.common,
            **self.kafka_file.producer,
            "bootstrap.servers": self.bootstrap_servers,
        }

    def admin_config(self) -> KafkaProperties:
        return {**self.kafka_file.common, "bootstrap.servers": self.bootstrap_servers}

    def consumer_config(self) -> KafkaProperties:
        return {
            **self.kafka_file.common,
            **self.kafka_file.consumer,
            "bootstrap.servers": self.bootstrap_servers,
            "group.id": self.group_id,
        }


def _tokens(env: Mapping[str, str]) -> frozenset[str]:
    """API_TOKENS (comma-separated) and API_TOKENS_FILE (one per line), together."""
    tokens = [t.strip() for t in env.get("API_TOKENS", "").split(",")]
    path = env.get("API_TOKENS_FILE", "").strip()
    if path:
        try:
            tokens += [line.strip() for line in Path(path).read_text().splitlines()]
        except OSError as error:
            raise ConfigError(f"API_TOKENS_FILE: cannot read {path}: {error.strerror}") from None
    return frozenset(t for t in tokens if t)


def _url(env: Mapping[str, str], name: str) -> str:
    url = env.get(name, "").strip().rstrip("/")
    if url and not url.startswith(("http://", "https://")):
        raise ConfigError(f"{name}: expected http://HOST:PORT or https://..., got {url!r}")
    return url


def _patterns(env: Mapping[str, str], name: str) -> tuple[re.Pattern[str], ...]:
    try:
        return topic_patterns(env.get(name, ""))
    except re.error as error:
        raise ConfigError(f"{name}: bad regular expression: {error}") from None


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    """One of ``choices``, the first being the default."""
    raw = env.get(name, "").strip().lower() or choices[0]
    if raw not in choices:
        raise ConfigError(f"{name}: expected one of {', '.join(choices)}, got {raw!r}")
    return raw


_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})


def _boolean(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in _TRUE | _FALSE:
        return raw in _TRUE
    raise ConfigError(f"{name}: expected true or false, got {raw!r}")


def _integer(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name}: expected a whole number, got {raw!r}") from None

"""TARGET_TOPICS_ALLOWED: the same policy on the Kafka path (the parser) and the HTTP path
(the API's validation), so that the scheduler cannot be made to write anywhere."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from app.api import create_app
from app.config import ConfigError, Settings
from app.engine.schedule import Invalid, Schedule, classify
from app.mini.scheduler import MiniScheduler

from .helpers import NOON, record, schedule_headers

POLICY = {"TARGET_TOPICS_ALLOWED": "orders-*, re:videos-(on|off)line"}


@pytest.mark.parametrize(
    ("target", "allowed"),
    [
        ("orders-eu", True),
        ("videos-online", True),
        ("videos-offline", True),
        ("videos-x", False),
        ("payments", False),
        ("orders", False),
    ],
)
def test_the_parser_refuses_targets_outside_the_policy(target: str, allowed: bool) -> None:
    rules = Settings.from_env(POLICY).engine_settings().rules
    parsed = classify(record(b"id", headers=schedule_headers(NOON, target)), rules)
    if allowed:
        assert isinstance(parsed, Schedule)
    else:
        assert isinstance(parsed, Invalid)
        assert "TARGET_TOPICS_ALLOWED" in parsed.reason


def test_the_api_refuses_them_with_a_422_naming_the_field() -> None:
    with (
        MiniScheduler(Settings.from_env(POLICY)) as mini,
        TestClient(create_app(mini, mini=True)) as client,
    ):
        body = {"id": "a", "epoch": time.time() + 60, "target_topic": "payments"}
        refused = client.post("/v1/schedules", json=body)
        accepted = client.post("/v1/schedules", json={**body, "target_topic": "orders-1"})
    assert refused.status_code == 422
    [error] = refused.json()["detail"]
    assert error["loc"] == ["body", "target_topic"]
    assert "TARGET_TOPICS_ALLOWED" in error["msg"]
    assert accepted.status_code == 201


def test_a_bad_regular_expression_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="TARGET_TOPICS_ALLOWED"):
        Settings.from_env({"TARGET_TOPICS_ALLOWED": "re:("})


def test_without_the_policy_any_regular_topic_is_allowed() -> None:
    rules = Settings.from_env({}).engine_settings().rules
    assert rules.target_topic_error("payments") is None
    assert rules.target_topic_error("__consumer_offsets") is not None

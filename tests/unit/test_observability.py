"""The Grafana dashboard and the Prometheus alerts query only what the scheduler exposes: a
renamed metric or a mistyped event label gives an empty panel or an alert that can never
fire, and nothing else would say so. The names come from a running mini app's /metrics."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from app.api import create_app
from app.config import Settings
from app.engine import Event
from app.mini.scheduler import MiniScheduler

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
DASHBOARD = DEPLOY / "grafana" / "kafka-message-scheduler.json"
ALERTS = DEPLOY / "prometheus" / "alerts.yml"
# What Grafana puts in place of its variables before the query reaches Prometheus.
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$job": ".*"}
# Labels that Prometheus adds to every scraped series.
TARGET_LABELS = {"job", "instance"}


@pytest.fixture(scope="module")
def exposed() -> dict[str, set[str]]:
    """Sample name -> its label names, scraped after a schedule fired and a request was
    served, so that the labelled series exist too."""
    with (
        MiniScheduler(Settings.from_env({})) as mini,
        TestClient(create_app(mini, mini=True)) as client,
    ):
        body = {"id": "a", "epoch": time.time() + 60, "target_topic": "t", "value": "v"}
        assert client.post("/v1/schedules", json=body).status_code == 201
        assert client.post("/v1/clock/advance", json={"seconds": 120}).status_code == 200
        text = client.get("/metrics").text
    names: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            names.setdefault(sample.name, set()).update(sample.labels)
    return names


def dashboard_queries() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]


def alert_rules() -> list[dict[str, Any]]:
    return [r for g in yaml.safe_load(ALERTS.read_text())["groups"] for r in g["rules"]]


def selectors(query: str) -> Iterator[promql_parser.VectorSelector]:
    for variable, value in GRAFANA_VARIABLES.items():
        query = query.replace(variable, value)
    found: list[promql_parser.VectorSelector] = []
    promql_parser.walk(
        promql_parser.parse(query),
        lambda node: found.append(node) if isinstance(node, promql_parser.VectorSelector) else None,
    )
    return iter(found)


ALL_QUERIES = dashboard_queries() + [str(rule["expr"]) for rule in alert_rules()]


@pytest.mark.parametrize("query", ALL_QUERIES)
def test_query_parses_and_selects_only_exposed_series(
    query: str, exposed: dict[str, set[str]]
) -> None:
    events = {event.value for event in Event}
    chosen = list(selectors(query))
    assert chosen, "selects nothing"
    for selector in chosen:
        assert selector.name in exposed, selector.name
        for matcher in selector.matchers.matchers:
            assert matcher.name in exposed[selector.name] | TARGET_LABELS, matcher.name
            if matcher.name == "type":
                assert matcher.value in events


def used(queries: list[str]) -> tuple[set[str], set[str]]:
    """Metric names and event types that ``queries`` select."""
    names, types = set(), set()
    for query in queries:
        for selector in selectors(query):
            names.add(selector.name)
            types |= {m.value for m in selector.matchers.matchers if m.name == "type"}
    return names, types


def test_dashboard_panels_each_query_and_cover_what_operators_watch() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    assert all(p["targets"] and all(t["expr"] for t in p["targets"]) for p in panels)
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    assert all(p["datasource"]["uid"] == "${datasource}" for p in panels)
    assert {"datasource", "job"} <= variables
    names, types = used(dashboard_queries())
    assert {
        "kafka_scheduler_event_total",
        "kafka_scheduler_trigger_lateness_seconds_bucket",
        "kafka_scheduler_pending_schedules",
        "kafka_scheduler_loading_partitions",
        "http_requests_total",
        "http_request_duration_seconds_bucket",
    } <= names
    assert {
        Event.TRIGGERED.value,
        Event.MISSED.value,
        Event.FAILED.value,
        Event.INVALID.value,
        Event.DEAD_LETTERED.value,
    } <= types


def test_alerts_are_complete_rules_covering_the_failure_modes() -> None:
    rules = alert_rules()
    assert len({r["alert"] for r in rules}) == len(rules)
    for rule in rules:
        assert {"alert", "expr", "labels", "annotations"} <= set(rule), rule.get("alert")
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}
        assert rule["annotations"]["summary"]
    names, types = used([str(r["expr"]) for r in rules])
    assert {
        "kafka_scheduler_trigger_lateness_seconds_bucket",
        "kafka_scheduler_loading_partitions",
        "kafka_scheduler_pending_schedules",
    } <= names
    assert Event.FAILED.value in types
    assert any(str(r["expr"]).startswith("absent(") for r in rules)  # no instance up

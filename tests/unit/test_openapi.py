"""The committed OpenAPI document is the one the code serves, and it is documented enough
to read in /docs and to generate a client with readable names."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from app.api import create_app
from app.config import Settings
from app.mini.scheduler import MiniScheduler
from tools import openapi


def test_committed_document_matches_the_code() -> None:
    committed = openapi.DOCUMENT.read_text()
    assert committed == openapi.text(), "openapi/openapi.json is stale: run `make openapi`"


def test_mini_server_serves_the_committed_document_and_the_docs_page() -> None:
    with TestClient(create_app(MiniScheduler(Settings.from_env({})), mini=True)) as client:
        assert client.get("/openapi.json").json() == json.loads(openapi.DOCUMENT.read_text())
        docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger-ui" in docs.text


def test_every_operation_has_a_summary_a_readable_id_and_a_tag() -> None:
    operations = [
        (path, operation)
        for path, methods in openapi.document()["paths"].items()
        for operation in methods.values()
    ]
    assert len(operations) == 13
    for path, operation in operations:
        assert operation["summary"], path
        assert operation["operationId"].isidentifier() and "_v1_" not in operation["operationId"]
        assert len(operation["tags"]) == 1, path
    mini_only = {path for path, op in operations if op["tags"] == ["mini mode"]}
    assert mini_only == {"/v1/clock", "/v1/clock/advance", "/v1/topics/{topic}/records"}


def test_request_and_resource_models_carry_examples() -> None:
    schemas = openapi.document()["components"]["schemas"]
    for name in ("ScheduleIn", "ScheduleOut", "Advance", "ClockOut", "Problem"):
        assert schemas[name]["examples"], name
    assert schemas["HeldSchedule"]["required"] == [
        "id",
        "epoch",
        "timestamp",
        "topic",
        "target-topic",
        "target-key",
        "value",
    ]


def test_kafka_mode_has_no_mini_routes() -> None:
    paths = create_app(MiniScheduler(Settings.from_env({}))).openapi()["paths"]
    assert "/v1/clock" not in paths and "/v1/schedules" in paths

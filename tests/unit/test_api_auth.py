"""Optional bearer tokens: writes need one when API_TOKENS is set, reads only with
API_AUTH_READS; probes and metrics never do."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.api import create_app
from app.config import ConfigError, Settings
from app.mini.scheduler import MiniScheduler

BODY = {"id": "a", "epoch": time.time() + 3600, "target_topic": "t", "value": "v"}


def client_for(env: dict[str, str]) -> Iterator[TestClient]:
    with MiniScheduler(Settings.from_env(env)) as mini, TestClient(create_app(mini, True)) as c:
        yield c


@pytest.fixture
def writes_guarded() -> Iterator[TestClient]:
    yield from client_for({"API_TOKENS": "s3cret, other"})


@pytest.fixture
def all_guarded(tmp_path: Path) -> Iterator[TestClient]:
    tokens = tmp_path / "tokens"
    tokens.write_text("from-file\n\n")
    yield from client_for({"API_TOKENS_FILE": str(tokens), "API_AUTH_READS": "true"})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_writes_need_one_of_the_tokens(writes_guarded: TestClient) -> None:
    c = writes_guarded
    assert c.post("/v1/schedules", json=BODY).status_code == 401
    wrong = c.post("/v1/schedules", json=BODY, headers=bearer("s3cre"))
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    assert c.post("/v1/schedules", json=BODY, headers=bearer("other")).status_code == 201
    assert c.put("/v1/schedules/a", json=BODY).status_code == 401
    assert c.delete("/v1/schedules/a").status_code == 401
    advance = c.post("/v1/clock/advance", json={"seconds": 1})
    assert advance.status_code == 401
    assert c.delete("/v1/schedules/a", headers=bearer("s3cret")).status_code == 204


def test_reads_stay_open_unless_asked(writes_guarded: TestClient) -> None:
    for path in ("/v1/schedules", "/schedules", "/info", "/v1/clock", "/v1/topics/t/records"):
        assert writes_guarded.get(path).status_code == 200, path


def test_reads_too_with_api_auth_reads(all_guarded: TestClient) -> None:
    c = all_guarded
    for path in ("/v1/schedules", "/v1/schedules/x", "/schedules", "/info", "/v1/clock"):
        assert c.get(path).status_code == 401, path
    assert c.get("/v1/schedules", headers=bearer("from-file")).status_code == 200
    for path in ("/health/live", "/health/ready", "/liveness", "/metrics"):
        assert c.get(path).status_code == 200, path


def test_an_unreadable_tokens_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="API_TOKENS_FILE"):
        Settings.from_env({"API_TOKENS_FILE": str(tmp_path / "missing")})

"""A client generated from the committed OpenAPI document (openapi-python-client) drives a
mini scheduler running in its own process: what users of our document will do."""

from __future__ import annotations

import base64
import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tools.chaos.instances import free_port, service_process
from tools.openapi import DOCUMENT


@pytest.fixture(scope="module")
def kms_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    out = tmp_path_factory.mktemp("generated")
    # The generator formats its output with ruff, which is installed beside this Python.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    generated = subprocess.run(
        [
            *(sys.executable, "-m", "openapi_python_client", "generate", "--meta", "none"),
            *("--path", str(DOCUMENT), "--output-path", str(out / "kms_client")),
        ],
        env={**os.environ, "PATH": path},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert "Warning" not in generated.stdout, generated.stdout
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module("kms_client")
    finally:
        sys.path.remove(str(out))
        for name in [n for n in sys.modules if n.split(".")[0] == "kms_client"]:
            del sys.modules[name]


@pytest.fixture
def client(kms_client: ModuleType) -> Iterator[Any]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with service_process(["mini"], {"SERVER_ADDR": f"127.0.0.1:{port}"}, url):
        yield kms_client.Client(base_url=url, raise_on_unexpected_status=True)


class Operations:
    """The generated operation modules of one tag, as attributes."""

    def __init__(self, package: str) -> None:
        self.package = package

    def __getattr__(self, name: str) -> Any:
        return importlib.import_module(f"{self.package}.{name}")


def test_create_get_list_delete_and_see_what_fired(client: Any) -> None:
    api = Operations("kms_client.api.schedules")
    mini = Operations("kms_client.api.mini_mode")
    models = importlib.import_module("kms_client.models")
    clock = mini.get_clock.sync(client=client)
    due = clock.now + 3600

    created = api.create_schedule.sync_detailed(
        client=client,
        body=models.ScheduleIn(
            id="vid1-online",
            epoch=due,
            target_topic="online-videos",
            target_key="vid1",
            value=base64.b64encode(b"\x00\x01\xff").decode(),
            value_encoding=models.Encoding.BASE64,
            headers=[models.RecordHeader(name="customer-header", value="dummy")],
        ),
    )
    assert created.status_code == 201 and created.parsed.offset == 0
    for n in range(2):
        body = models.ScheduleIn(epoch=due + 60, target_topic="online-videos", value=f"extra {n}")
        replaced = api.replace_schedule.sync_detailed(f"extra-{n}", client=client, body=body)
        assert replaced.status_code == 201

    got = api.get_schedule.sync("vid1-online", client=client)
    assert isinstance(got, models.ScheduleOut)
    assert (got.epoch, got.target_key, got.value_encoding) == (due, "vid1", models.Encoding.BASE64)
    assert base64.b64decode(got.value) == b"\x00\x01\xff"

    first = api.list_schedules.sync(client=client, limit=2)
    second = api.list_schedules.sync(client=client, limit=2, cursor=first.next_cursor)
    assert [s.id for s in first.items + second.items] == ["vid1-online", "extra-0", "extra-1"]
    assert second.next_cursor is None

    assert api.delete_schedule.sync_detailed("extra-1", client=client).status_code == 204
    missing = api.get_schedule.sync_detailed("extra-1", client=client)
    assert missing.status_code == 404 and "extra-1" in missing.parsed.detail

    invalid = api.create_schedule.sync_detailed(
        client=client, body=models.ScheduleIn(id="late", epoch=1.0, target_topic="t")
    )
    assert invalid.status_code == 422
    assert [list(e.loc) for e in invalid.parsed.detail] == [["body", "epoch"]]

    mini.advance_clock.sync(client=client, body=models.Advance(seconds=7200))
    fired = mini.list_records.sync("online-videos", client=client)
    assert [(r.key, r.value) for r in fired] == [
        ("vid1", base64.b64encode(b"\x00\x01\xff").decode()),
        (None, "extra 0"),
    ]
    assert ("customer-header", "dummy") in [(h.name, h.value) for h in fired[0].headers]
    history = mini.list_records.sync("history", client=client)
    assert len(history) == 2
    assert api.list_schedules.sync(client=client).items == []

"""What the images run, run here: no Docker engine exists on our machines, so each
Dockerfile's final stage is read (ENV, ENTRYPOINT + CMD, HEALTHCHECK) and that very command
is started with that very environment from the installed package. The image's virtualenv
(/opt/venv, copied from the build stage) stands for this one."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.scheduler_fixtures import Topics
from tools.chaos.instances import answering_process, free_port

ROOT = Path(__file__).resolve().parents[2]
IMAGE_VENV = "/opt/venv"


@dataclass(frozen=True)
class Stage:
    """The final stage of a Dockerfile, as the image it builds would run."""

    env: dict[str, str]
    command: list[str]
    healthcheck: list[str]
    healthcheck_timeout: float
    user: str
    exposed: set[int]
    copies: list[list[str]]


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined and comment lines dropped."""
    joined: list[str] = []
    pending = ""
    for line in dockerfile.read_text().splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        joined.append(pending + line)
        pending = ""
    assert not pending, f"{dockerfile.name} ends inside a continued line"
    return [(words[0].upper(), words[1].strip()) for words in (j.split(None, 1) for j in joined)]


def _expand(value: str, env: dict[str, str]) -> str:
    return re.sub(r"\$\{?(\w+)\}?", lambda m: env.get(m.group(1), ""), value)


def final_stage(dockerfile: Path, base_env: dict[str, str]) -> Stage:
    steps = instructions(dockerfile)
    last_from = max(i for i, (name, _) in enumerate(steps) if name == "FROM")
    env = dict(base_env)
    entrypoint: list[str] = []
    cmd: list[str] = []
    healthcheck: list[str] = []
    timeout = 30.0  # Docker's default
    user = "root"
    exposed: set[int] = set()
    copies: list[list[str]] = []
    for name, args in steps[last_from + 1 :]:
        if name == "ENV":
            for pair in shlex.split(args):
                key, _, value = pair.partition("=")
                env[key] = _expand(value, env)
        elif name == "ENTRYPOINT":
            entrypoint = json.loads(args)
        elif name == "CMD":
            cmd = json.loads(args)
        elif name == "USER":
            user = args
        elif name == "EXPOSE":
            exposed |= {int(port) for port in args.split()}
        elif name == "COPY":
            copies.append(args.split())
        elif name == "HEALTHCHECK":
            options, _, probe = args.partition(" CMD ")
            healthcheck = json.loads(probe)
            if found := re.search(r"--timeout=(\d+)s", options):
                timeout = float(found.group(1))
    return Stage(env, entrypoint + cmd, healthcheck, timeout, user, exposed, copies)


def port_of(address: str) -> int:
    return int(address.rpartition(":")[2])


def here(stage: Stage, overrides: dict[str, str]) -> dict[str, str]:
    """The image's environment with its virtualenv mapped onto this one, and ``overrides``:
    what ``docker run -e`` would add."""
    mapped = {k: v.replace(IMAGE_VENV, sys.prefix) for k, v in stage.env.items()}
    return {**mapped, **overrides}


def stage_of(name: str) -> Stage:
    # The base image's PATH, for the ENV that extends it, is this machine's.
    return final_stage(ROOT / name, {"PATH": os.environ["PATH"]})


@pytest.mark.parametrize("name", ["Dockerfile", "Dockerfile.mini"])
def test_final_stage_is_non_root_runs_the_console_script_and_exposes_its_addresses(
    name: str,
) -> None:
    stage = stage_of(name)
    assert stage.user not in ("", "root", "0")
    assert ["--from=build", IMAGE_VENV, IMAGE_VENV] in stage.copies
    assert stage.command[0] == "kafka-message-scheduler"
    assert Path(sys.prefix, "bin", stage.command[0]).exists()
    addresses = [stage.env["SERVER_ADDR"]]
    if stage.command[1:] == ["run"]:
        addresses.append(stage.env["METRICS_ADDR"])
    assert stage.exposed == {port_of(address) for address in addresses}


def test_build_context_admits_every_file_the_build_copies() -> None:
    """.dockerignore drops everything, then admits by name: a COPY of a file it does not
    admit fails the build."""
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert patterns[0] == "*"
    admitted = {p[1:].rstrip("/") for p in patterns if p.startswith("!")}
    for name in ("Dockerfile", "Dockerfile.mini"):
        sources = [
            source.rstrip("/")
            for step, args in instructions(ROOT / name)
            if step == "COPY" and not args.startswith("--from")
            for source in args.split()[:-1]
        ]
        assert sources and set(sources) <= admitted, name


def run_as_the_image_would(
    stage: Stage, overrides: dict[str, str], probe: str, also: Callable[[], None] = lambda: None
) -> None:
    """Start the image's command; once ``probe`` answers, check ``also`` and the
    HEALTHCHECK, then that SIGTERM stops it cleanly and the HEALTHCHECK fails after that."""
    env = here(stage, overrides)
    api = f"http://127.0.0.1:{port_of(env['SERVER_ADDR'])}"
    with answering_process(stage.command, env, f"{api}{probe}") as process:
        also()
        healthy = subprocess.run(stage.healthcheck, env=env, timeout=stage.healthcheck_timeout)
        assert healthy.returncode == 0
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
    unhealthy = subprocess.run(
        stage.healthcheck, env=env, capture_output=True, timeout=stage.healthcheck_timeout
    )
    assert unhealthy.returncode != 0


def test_kafka_image_command_loads_from_a_real_broker_and_passes_its_healthcheck(
    topics: Topics, group_id: str, tmp_path: Path
) -> None:
    stage = stage_of("Dockerfile")
    assert "PAYLOAD_DIR" in stage.env  # the image's own directory does not exist here
    metrics = f"127.0.0.1:{free_port()}"

    def metrics_answer() -> None:
        scraped = httpx.get(f"http://{metrics}/metrics", timeout=5).text
        assert "kafka_scheduler_loading_partitions 0.0" in scraped

    # Ready: every partition of the broker's schedules topic has been loaded.
    run_as_the_image_would(
        stage,
        {
            "BOOTSTRAP_SERVERS": topics.bootstrap,
            "SCHEDULES_TOPICS": topics.schedules,
            "HISTORY_TOPIC": topics.history,
            "GROUP_ID": group_id,
            "SERVER_ADDR": f"127.0.0.1:{free_port()}",
            "METRICS_ADDR": metrics,
            "PAYLOAD_DIR": str(tmp_path),
        },
        "/health/ready",
        metrics_answer,
    )


def test_mini_image_command_answers_and_passes_its_healthcheck() -> None:
    stage = stage_of("Dockerfile.mini")
    run_as_the_image_would(stage, {"SERVER_ADDR": f"127.0.0.1:{free_port()}"}, "/health/live")

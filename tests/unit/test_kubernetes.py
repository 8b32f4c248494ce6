"""deploy/kubernetes, checked against the application rather than against itself: the probe
routes are real and open, every variable is one the scheduler reads, the ports are its
addresses. No cluster runs here, so these are the fields whose mistakes a cluster would only
show as pods that never become ready, or as settings silently ignored."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from app.api import create_app
from app.config import KafkaFileConfig, Settings
from app.mini.scheduler import MiniScheduler

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "kubernetes"
POD_IP = "10.1.2.3"
POD_NAME = "kafka-message-scheduler-7d9f8-abcde"


class ReadRecorder(Mapping[str, str]):
    """An empty environment that notes every variable asked of it."""

    def __init__(self) -> None:
        self.read: set[str] = set()

    def __getitem__(self, name: str) -> str:
        self.read.add(name)
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def settings_variables() -> set[str]:
    recorder = ReadRecorder()
    Settings.from_env(recorder)
    return recorder.read


@pytest.fixture(scope="module")
def manifests() -> dict[str, dict[str, Any]]:
    """Every document of every manifest, by kind (one of each here)."""
    by_kind: dict[str, dict[str, Any]] = {}
    for path in sorted(DEPLOY.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            assert document["kind"] not in by_kind, f"a second {document['kind']} in {path}"
            by_kind[document["kind"]] = document
    return by_kind


def container(manifests: dict[str, dict[str, Any]]) -> dict[str, Any]:
    [scheduler] = manifests["Deployment"]["spec"]["template"]["spec"]["containers"]
    return scheduler


def pod_environment(manifests: dict[str, dict[str, Any]], payload_dir: Path) -> dict[str, str]:
    """What the container's environment would be on a pod, with the downward API's values
    filled in and ``$(NAME)`` references expanded as the kubelet does."""
    values = {"status.podIP": POD_IP, "metadata.name": POD_NAME}
    env = dict(manifests["ConfigMap"]["data"])
    for variable in container(manifests)["env"]:
        if "valueFrom" in variable:
            env[variable["name"]] = values[variable["valueFrom"]["fieldRef"]["fieldPath"]]
        else:
            env[variable["name"]] = re.sub(
                r"\$\((\w+)\)", lambda m: env[m.group(1)], variable["value"]
            )
    env["PAYLOAD_DIR"] = str(payload_dir)  # the pod's emptyDir; this machine has none there
    return env


def test_kustomization_lists_every_manifest_but_the_optional_secret() -> None:
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())
    on_disk = {p.name for p in DEPLOY.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == on_disk - {"secret.yaml"}


def test_selectors_match_the_pods(manifests: dict[str, dict[str, Any]]) -> None:
    deployment = manifests["Deployment"]["spec"]
    labels = deployment["template"]["metadata"]["labels"]
    selector = deployment["selector"]["matchLabels"]
    assert selector.items() <= labels.items()
    assert manifests["Service"]["spec"]["selector"] == selector
    assert manifests["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"] == selector


def test_every_variable_is_a_setting_the_scheduler_reads(
    manifests: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    known = settings_variables()
    assert {"BOOTSTRAP_SERVERS", "ADVERTISED_URL", "TRANSACTIONAL_ID"} <= known
    env = container(manifests)["env"]
    # Helpers for the downward API are fine as long as another variable uses them.
    referenced = {m for v in env for m in re.findall(r"\$\((\w+)\)", v.get("value", ""))}
    names = set(manifests["ConfigMap"]["data"]) | {v["name"] for v in env}
    assert names - referenced <= known, names - referenced - known
    Settings.from_env(pod_environment(manifests, tmp_path))  # raises naming a bad value


def test_ports_probes_and_advertised_url_are_the_apps(
    manifests: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    settings = Settings.from_env(pod_environment(manifests, tmp_path))
    scheduler = container(manifests)
    ports = {p["name"]: p["containerPort"] for p in scheduler["ports"]}
    assert ports == {"http": settings.server_addr.port, "metrics": settings.metrics_addr.port}
    assert {p["targetPort"] for p in manifests["Service"]["spec"]["ports"]} == set(ports)
    assert settings.advertised_url == f"http://{POD_IP}:{settings.server_addr.port}"
    for probe, path in (("livenessProbe", "/health/live"), ("readinessProbe", "/health/ready")):
        assert scheduler[probe]["httpGet"] == {"path": path, "port": "http"}
    annotations = manifests["Deployment"]["spec"]["template"]["metadata"]["annotations"]
    assert int(annotations["prometheus.io/port"]) == settings.metrics_addr.port


def test_probe_routes_answer_without_a_token_when_tokens_are_required(
    manifests: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    env = {**pod_environment(manifests, tmp_path), "API_TOKENS": "t0k3n", "API_AUTH_READS": "1"}
    scheduler = container(manifests)
    with (
        MiniScheduler(Settings.from_env(env)) as mini,
        TestClient(create_app(mini, mini=True)) as client,
    ):
        assert client.get("/v1/schedules").status_code == 401  # tokens are on
        for probe in ("livenessProbe", "readinessProbe"):
            assert client.get(scheduler[probe]["httpGet"]["path"]).status_code == 200


def test_transactional_id_is_unique_per_live_pod(manifests: dict[str, dict[str, Any]]) -> None:
    """A Deployment's pods are interchangeable: any fixed value would be shared by all of
    them and fence each other's transactions; the pod's own name cannot be."""
    [variable] = [v for v in container(manifests)["env"] if v["name"] == "TRANSACTIONAL_ID"]
    assert variable["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    assert "TRANSACTIONAL_ID" not in manifests["ConfigMap"]["data"]


def test_runs_as_non_root_with_a_read_only_root_and_writable_payload_dir(
    manifests: dict[str, dict[str, Any]],
) -> None:
    pod = manifests["Deployment"]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    scheduler = container(manifests)
    security = scheduler["securityContext"]
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    assert security["readOnlyRootFilesystem"] is True
    # With a read-only root, the one directory the scheduler writes must be a volume.
    volumes = {v["name"]: v for v in pod["volumes"]}
    [payloads] = [
        m
        for m in scheduler["volumeMounts"]
        if m["mountPath"] == manifests["ConfigMap"]["data"]["PAYLOAD_DIR"]
    ]
    assert "emptyDir" in volumes[payloads["name"]] and not payloads.get("readOnly")


def test_replicas_leave_room_for_a_disruption(manifests: dict[str, dict[str, Any]]) -> None:
    spec = manifests["Deployment"]["spec"]
    budget = manifests["PodDisruptionBudget"]["spec"]["maxUnavailable"]
    assert 0 < budget < spec["replicas"]  # 0 would block every drain; replicas, allow all
    assert spec["strategy"]["rollingUpdate"] == {"maxSurge": 0, "maxUnavailable": budget}


def test_optional_secret_is_a_valid_configuration_file_where_the_guide_says(
    manifests: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    secret = manifests["Secret"]
    pod = manifests["Deployment"]["spec"]["template"]["spec"]
    [volume] = [v for v in pod["volumes"] if "secret" in v]
    assert volume["secret"] == {"secretName": secret["metadata"]["name"], "optional": True}
    [mount] = [m for m in container(manifests)["volumeMounts"] if m["name"] == volume["name"]]
    [(key, content)] = secret["stringData"].items()
    path = f"{mount['mountPath']}/{key}"
    for guide in (DEPLOY / "README.md", DEPLOY / "configmap.yaml"):
        assert f"CONFIGURATION_FILE: {path}" in guide.read_text(), guide.name
    (tmp_path / key).write_text(content)
    loaded = KafkaFileConfig.load(str(tmp_path / key))
    assert loaded.common["security.protocol"] == "SASL_SSL"

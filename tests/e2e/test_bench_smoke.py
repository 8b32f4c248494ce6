"""The benchmark's code on a tiny run of every part (its figures mean nothing at this size):
every schedule fires exactly once, every figure is there and plausible, and the table and
the plot are written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tools.bench.__main__ import main
from tools.bench.loadrate import load_and_memory
from tools.bench.report import plot, table
from tools.kafka.broker import KafkaBroker

TINY = [
    "--payload", "1024",
    "--burst", "300",
    "--rates", "500",
    "--at-least-once-rate", "300",
    "--lateness-seconds", "2",
    "--ahead", "2",
    "--pending", "2000",
    "--pending-large", "300",
    "--api-seconds", "1",
    "--api-concurrency", "8",
]  # fmt: skip


def _assert_tiny_run(results: dict[str, Any]) -> None:
    assert results["ceiling_records_per_s"] > 0
    burst = results["fire_burst"]
    for mode in ("at_least_once", "exactly_once"):
        assert (burst[mode]["fired"], burst[mode]["lost"], burst[mode]["duplicated"]) == (300, 0, 0)
        assert burst[mode]["fires_per_s"] > 0
    runs = {(run["rate_per_s"], run["mode"]): run for run in results["lateness"]}
    assert set(runs) == {(500, "exactly_once"), (300, "at_least_once")}
    for (rate, _), run in runs.items():
        assert run["scheduled"] == run["fired"] == rate * 2
        assert (run["lost"], run["duplicated"], run["early"]) == (0, 0, 0)
        assert run["cdf_ms"] == sorted(run["cdf_ms"])
        assert len(run["cdf_ms"]) == 201
        assert run["cdf_ms"][0] <= run["p50_ms"] <= run["p99_ms"] <= run["max_ms"]
        assert run["cdf_ms"][-1] == run["max_ms"]
    loads = {(load["store"], load["payload_bytes"]): load for load in results["startup"]["loads"]}
    assert set(loads) == {("disk", 1024), ("memory", 1024), ("disk", 10_240)}
    for load in loads.values():
        assert load["schedules_per_s"] > 0
        assert load["rss_mb"] > results["startup"]["idle"][load["store"]]["rss_mb"] / 2
        assert isinstance(load["bytes_per_schedule"], float)
    for mode in ("kafka", "mini"):
        assert results["api"][mode]["failed"] == 0
        assert results["api"][mode]["requests_per_s"] > 0


def test_bench_runs_small_and_writes_its_results(tmp_path: Path, kafka_broker: KafkaBroker) -> None:
    out = tmp_path / "latest.json"
    assert main([*TINY, "--out", str(out)]) == 0
    results = json.loads(out.read_text())
    _assert_tiny_run(results)
    report = out.with_suffix(".md").read_text()
    for figure in ("fire rate", "lateness, 500/s", "load rate", "memory", "API POST"):
        assert figure in report
    assert out.with_suffix(".png").read_bytes().startswith(b"\x89PNG")

    # A load stopped at the RSS cap is reported as such, not as figures.
    capped = load_and_memory(kafka_broker.bootstrap_servers, [("disk", 100, 1024)], rss_cap_mb=1)
    assert capped["loads"][0]["stopped_at_rss_cap_mb"] == 1
    assert "bytes_per_schedule" not in capped["loads"][0]
    assert "stopped: RSS passed 1 MB" in table({**results, "startup": capped})
    plot({**results, "startup": capped}, tmp_path / "capped.png")

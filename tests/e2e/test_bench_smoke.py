"""The benchmark's code on a tiny run (its figures mean nothing at this size): it writes
its results, and every schedule of both bursts fires exactly once."""

from __future__ import annotations

import json
from pathlib import Path

from tools.bench.__main__ import main


def test_bench_runs_small_and_writes_its_results(tmp_path: Path, kafka_runtime: Path) -> None:
    out = tmp_path / "latest.json"
    assert main(["--schedules", "300", "--payload", "1024", "--out", str(out)]) == 0
    results = json.loads(out.read_text())
    assert results["ceiling_records_per_s"] > 0
    for fire in results["fire_burst"].values():
        assert (fire["fired"], fire["lost"], fire["duplicated"]) == (300, 0, 0)
        assert fire["fires_per_s"] > 0

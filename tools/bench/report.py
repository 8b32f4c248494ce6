"""The results as people read them: a markdown table of every figure beside the issue's
target, and one PNG (lateness distributions, fire rate against the ceiling, memory per
pending schedule)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

FIRE_RATE_TARGET = 0.8
"""Of ceiling / 3."""
LATENESS_P99_TARGET_MS = {1000: 10.0, 10_000: 100.0}
LOAD_RATE_TARGET = 200_000
BYTES_PER_SCHEDULE_TARGET = 100

LATENESS_FLOOR_MS = 0.1
"""Where a lateness of 0 is drawn on the logarithmic axis."""

Row = tuple[str, str, str, bool | None]


def _fire_rows(results: dict[str, Any]) -> list[Row]:
    ceiling = results["ceiling_records_per_s"]
    burst = results["fire_burst"]
    rows: list[Row] = [
        (
            f"producer ceiling, {results['payload_bytes']:,} B records",
            f"{ceiling:,} records/s (/3 = {ceiling // 3:,})",
            "",
            None,
        )
    ]
    for mode in ("at_least_once", "exactly_once"):
        fire = burst[mode]
        rows.append(
            (
                f"fire rate, burst of {burst['schedules']:,}, {mode.replace('_', '-')}",
                f"{fire['fires_per_s']:,}/s = {fire['ratio_to_ceiling']:.0%} of ceiling/3 "
                f"(drained in {fire['drained_in_s']} s; lost {fire['lost']}, "
                f"duplicated {fire['duplicated']})",
                f">= {FIRE_RATE_TARGET:.0%} of ceiling/3",
                fire["ratio_to_ceiling"] >= FIRE_RATE_TARGET,
            )
        )
    return rows


def _lateness_rows(results: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for run in results["lateness"]:
        target = LATENESS_P99_TARGET_MS.get(run["rate_per_s"])
        rows.append(
            (
                f"lateness, {run['rate_per_s']:,}/s for {run['seconds']:g} s, "
                f"{run['mode'].replace('_', '-')}",
                f"p50 {run['p50_ms']} ms, p99 {run['p99_ms']} ms, max {run['max_ms']} ms "
                f"(fired {run['fired']:,} of {run['scheduled']:,}; lost {run['lost']}, "
                f"duplicated {run['duplicated']}, early {run['early']})",
                "" if target is None else f"p99 <= {target:g} ms",
                None if target is None else run["p99_ms"] <= target and run["lost"] == 0,
            )
        )
    return rows


def _startup_rows(results: dict[str, Any]) -> list[Row]:
    idle = results["startup"]["idle"]
    rows: list[Row] = []
    for load in results["startup"]["loads"]:
        what = f"{load['count']:,} x {load['payload_bytes']:,} B, PAYLOAD_STORE={load['store']}"
        targeted = load["store"] == "disk"
        if "stopped_at_rss_cap_mb" in load:
            stopped = f"stopped: RSS passed {load['stopped_at_rss_cap_mb']:,} MB while loading"
            rows.append((f"load and memory, {what}", stopped, "", False if targeted else None))
            continue
        rows.append(
            (
                f"load rate, {what}",
                f"{load['schedules_per_s']:,}/s (ready in {load['ready_s']} s; "
                f"idle start {idle[load['store']]['ready_s']} s)",
                f">= {LOAD_RATE_TARGET:,}/s" if targeted else "",
                load["schedules_per_s"] >= LOAD_RATE_TARGET if targeted else None,
            )
        )
        rows.append(
            (
                f"memory, {what}",
                f"{load['bytes_per_schedule']:,} B/schedule (RSS {load['rss_mb']:,} MB, idle "
                f"{idle[load['store']]['rss_mb']} MB; anonymous "
                f"{load['anon_bytes_per_schedule']:,} B/schedule)",
                f"<= {BYTES_PER_SCHEDULE_TARGET} B" if targeted else "(comparison)",
                load["bytes_per_schedule"] <= BYTES_PER_SCHEDULE_TARGET if targeted else None,
            )
        )
    return rows


def _api_rows(results: dict[str, Any]) -> list[Row]:
    api = results["api"]
    rows: list[Row] = []
    for mode in ("kafka", "mini"):
        run = api[mode]
        failures = f": {run['failures']}" if run["failed"] else ""
        rows.append(
            (
                f"API POST /v1/schedules, {mode} mode, {api['concurrency']} concurrent",
                f"{run['requests_per_s']:,} requests/s, p50 {run['p50_ms']} ms, p99 "
                f"{run['p99_ms']} ms ({run['requests']:,} requests, {run['failed']} failed"
                f"{failures})",
                "all 201",
                run["failed"] == 0,
            )
        )
    return rows


def table(results: dict[str, Any]) -> str:
    rows = (
        _fire_rows(results) + _lateness_rows(results) + _startup_rows(results) + _api_rows(results)
    )
    machine = results["machine"]
    lines = [
        f"# make bench, {results['when']}",
        "",
        f"{machine['cpus']} x {machine['cpu']}, {machine['memory_gb']} GB, Python "
        f"{machine['python']}, one local Kafka {machine['kafka']} broker; the run took "
        f"{results['run_seconds']:,.0f} s.",
        "",
        "| figure | measured | target | met |",
        "|---|---|---|---|",
    ]
    met = {True: "yes", False: "**no**", None: ""}
    lines += [
        f"| {figure} | {measured} | {target} | {met[ok]} |" for figure, measured, target, ok in rows
    ]
    return "\n".join(lines) + "\n"


def plot(results: dict[str, Any], path: Path) -> None:
    figure = Figure(figsize=(16, 4.8), layout="constrained")
    lateness, fire, memory = figure.subplots(1, 3)
    for run in results["lateness"]:
        steps = len(run["cdf_ms"]) - 1
        lateness.plot(
            [max(ms, LATENESS_FLOOR_MS) for ms in run["cdf_ms"]],
            [step / steps for step in range(steps + 1)],
            drawstyle="steps-post",
            label=f"{run['rate_per_s']:,}/s, {run['mode'].replace('_', '-')}",
        )
    for rate, target in LATENESS_P99_TARGET_MS.items():
        lateness.axvline(target, linestyle=":", color="grey")
        lateness.annotate(f" p99 target at {rate:,}/s", (target, 0.3), rotation=90, fontsize=8)
    lateness.set(
        xscale="log",
        xlabel=f"lateness = target appended - due, ms (0 drawn at {LATENESS_FLOOR_MS})",
        ylabel="fraction of schedules fired by then",
    )
    lateness.set_title("Lateness under steady load")
    lateness.legend(loc="upper left", fontsize=8)

    third = results["ceiling_records_per_s"] / 3
    burst = results["fire_burst"]
    bars = fire.bar(
        ["ceiling / 3", "at-least-once", "exactly-once"],
        [third, burst["at_least_once"]["fires_per_s"], burst["exactly_once"]["fires_per_s"]],
        color=["grey", "tab:blue", "tab:orange"],
    )
    fire.bar_label(bars, fmt="{:,.0f}")
    fire.axhline(
        third * FIRE_RATE_TARGET,
        linestyle="--",
        color="red",
        label=f"target: {FIRE_RATE_TARGET:.0%} of ceiling / 3",
    )
    fire.set(ylabel="schedules fired per second")
    fire.set_title(f"Fire rate, burst of {burst['schedules']:,} x {results['payload_bytes']:,} B")
    fire.legend()

    measured = [run for run in results["startup"]["loads"] if "bytes_per_schedule" in run]
    bars = memory.bar(
        [f"{run['store']}\n{run['count']:,} x {run['payload_bytes']:,} B" for run in measured],
        [run["bytes_per_schedule"] for run in measured],
        color=["tab:green" if run["store"] == "disk" else "grey" for run in measured],
    )
    memory.bar_label(bars, fmt="{:,.0f}")
    memory.axhline(BYTES_PER_SCHEDULE_TARGET, linestyle="--", color="red", label="target")
    memory.set(ylabel="resident bytes per pending schedule")
    memory.set_title("Memory per pending schedule, by PAYLOAD_STORE")
    memory.legend()
    figure.savefig(path, dpi=100)

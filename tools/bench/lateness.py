"""Lateness under a steady load: ``rate`` schedules per second, due evenly (each its own
millisecond epoch, ``1800000000.123``) for ``seconds``, each written ``ahead_s`` before it
is due to one running instance.

Lateness of a schedule = the broker's append time of its target record (``LogAppendTime``,
see ``tools.bench.firing``) - its due time, both in milliseconds. The distribution is kept
as 201 quantiles (every half percent) for the plot.
"""

from __future__ import annotations

from typing import Any

from tools.bench.firing import fire

AHEAD_S = 5.0
CDF_STEPS = 200


def lateness(
    bootstrap: str,
    rate: int,
    seconds: float,
    exactly_once: bool,
    payload_bytes: int,
    ahead_s: float = AHEAD_S,
) -> dict[str, Any]:
    count = max(1, round(rate * seconds))
    tally = fire(bootstrap, count, (count - 1) / rate, ahead_s, exactly_once, payload_bytes)

    def ms(q: float) -> float:
        return round(tally.quantile(q) * 1000, 1)

    return {
        "rate_per_s": rate,
        "seconds": seconds,
        "mode": "exactly_once" if exactly_once else "at_least_once",
        "scheduled": tally.scheduled,
        "fired": tally.fired,
        "lost": tally.lost,
        "duplicated": tally.duplicated,
        "early": tally.early,
        "p50_ms": ms(0.5),
        "p99_ms": ms(0.99),
        "max_ms": ms(1.0),
        "cdf_ms": [ms(step / CDF_STEPS) for step in range(CDF_STEPS + 1)],
    }

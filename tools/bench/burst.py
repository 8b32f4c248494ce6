"""The fire rate: schedules that all fall due at the same moment, drained by one instance.
The rate is their count over the time from that moment to the last target record appended
(its history copy and tombstone are written with it, in the same transaction or batch)."""

from __future__ import annotations

from typing import Any

from tools.bench.firing import fire

LEAD_S = 3.0
READ_PER_S = 5000
"""A conservative rate at which the instance reads schedules written all at once: the lead
before the due moment lets it read every one first, so that the burst measures firing."""


def fire_rate(
    bootstrap: str, count: int, payload_bytes: int, ceiling: float
) -> dict[str, dict[str, Any]]:
    """The burst with exactly-once off and on, each against ``ceiling`` / 3."""
    rates = {}
    for exactly_once in (False, True):
        tally = fire(bootstrap, count, 0, LEAD_S + count / READ_PER_S, exactly_once, payload_bytes)
        rate = tally.fired / max(tally.max_lateness_s, 1e-3)
        rates["exactly_once" if exactly_once else "at_least_once"] = {
            "fired": tally.fired,
            "lost": tally.lost,
            "duplicated": tally.duplicated,
            "drained_in_s": round(tally.max_lateness_s, 3),
            "fires_per_s": round(rate),
            "ratio_to_ceiling": round(rate / (ceiling / 3), 3),
        }
    return rates

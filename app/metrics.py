"""Prometheus metrics, under the original scheduler's metric name and label values."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
)

from app.engine import Event

LATENESS_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class Metrics:
    """One registry per scheduler, so that several can run in one process (tests, library
    use) without mixing their counts."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        if registry is None:
            registry = CollectorRegistry()
            for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
                registry.register(collector)
        self.registry = registry
        self.events = Counter(
            "kafka_scheduler_event",
            "The number of event triggered by type",
            ["type"],
            registry=registry,
        )
        self.lateness = Histogram(
            "kafka_scheduler_trigger_lateness_seconds",
            "Time from a schedule's due time to the acknowledgement of its target record",
            buckets=LATENESS_BUCKETS,
            registry=registry,
        )
        self.pending = Gauge(
            "kafka_scheduler_pending_schedules",
            "Schedules held by this instance and not yet fired",
            registry=registry,
        )
        self.failed_batches = Counter(
            "kafka_scheduler_failed_batches",
            "Batches of writes refused as a whole (a transaction fenced, aborted or timed "
            "out), written again after a back-off",
            registry=registry,
        )
        self.loading = Gauge(
            "kafka_scheduler_loading_partitions",
            "Assigned schedules partitions whose load has not finished",
            registry=registry,
        )

    def count(self, event: Event, n: int = 1) -> None:
        self.events.labels(type=event.value).inc(n)

    def track(self, pending: Callable[[], int], loading: Callable[[], int]) -> None:
        """Read the gauges from the engine at scrape time rather than on every change."""
        self.pending.set_function(pending)
        self.loading.set_function(loading)

    def value(self, event: Event) -> float:
        sample = self.registry.get_sample_value(
            "kafka_scheduler_event_total", {"type": event.value}
        )
        return sample or 0.0

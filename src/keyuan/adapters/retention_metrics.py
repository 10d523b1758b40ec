"""The purge scheduler in /metrics (C18): runs, failures and the last success, read from the
scheduler when scraped. Numbers only; the error is not a label (it is on the dashboard)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from keyuan.services.compliance.retention import RetentionScheduler


class RetentionCollector(Collector):
    def __init__(self, scheduler: RetentionScheduler) -> None:
        self._scheduler = scheduler

    def collect(self) -> Iterator[Metric]:
        scheduler = self._scheduler
        state = scheduler.state
        yield CounterMetricFamily("keyuan_retention_runs", "Purge runs by the scheduler",
                                  value=state.runs)
        yield CounterMetricFamily("keyuan_retention_failures", "Purge runs that failed",
                                  value=state.failures)
        yield GaugeMetricFamily("keyuan_retention_consecutive_failures",
                                "Failed purge runs since the last success",
                                value=state.consecutive_failures)
        yield GaugeMetricFamily(
            "keyuan_retention_last_success_timestamp_seconds",
            "When the last purge succeeded (0: never)",
            value=state.last_success_at.timestamp() if state.last_success_at else 0.0)
        yield GaugeMetricFamily("keyuan_retention_scheduler_running",
                                "1 while the purge scheduler runs in this process",
                                value=1.0 if scheduler.running else 0.0)

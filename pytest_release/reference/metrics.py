"""Prometheus metrics of one app instance (its own registry, so tests can run several)."""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)

# Buckets around the budgets that matter: pages < 50 ms, runs < 250 ms, slow > 1 s.
ERROR_KINDS = ("unhandled", "run_api", "database")
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """Request counts and latency, executions, errors, process memory/CPU."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)  # process_resident_memory_bytes, cpu seconds
        PlatformCollector(registry=self.registry)
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests by method, route template and status code.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency by route template.",
            ["method", "route"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "http_requests_in_flight", "Requests being served now.", registry=self.registry
        )
        self.executions = Counter(
            "code_executions_total",
            "Code executions by language and outcome (ok, error, timeout).",
            ["language", "outcome"],
            registry=self.registry,
        )
        self.execution_seconds = Histogram(
            "code_execution_duration_seconds",
            "Wall time of code executions in the sandbox.",
            ["language"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "app_errors_total",
            "Server-side errors by kind (unhandled, run_api, database, ...).",
            ["kind"],
            registry=self.registry,
        )
        # Zero-valued series exist from the start, so "errors went up" alerts have a baseline.
        for kind in ERROR_KINDS:
            self.errors.labels(kind=kind)
        self.rate_limited = Counter(
            "rate_limited_total", "Requests refused by the rate limiter.", registry=self.registry
        )
        self.maintenance = Gauge(
            "maintenance_mode", "1 while maintenance mode is on.", registry=self.registry
        )
        self.info = Gauge(
            "app_info",
            "Release information (value is always 1).",
            ["version", "commit"],
            registry=self.registry,
        )

    def exposition(self) -> bytes:
        """The Prometheus text format of everything above."""
        return generate_latest(self.registry)

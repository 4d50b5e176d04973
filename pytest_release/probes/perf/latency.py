"""API latency: timed requests to one endpoint, one at a time (no load: this is the floor).

``EndpointSampler.once`` is what pytest-benchmark times (``benchmark.pedantic``); the sampler
keeps its own record of every request, so the p95 comes from real samples whether or not
pytest-benchmark is active (it is disabled under xdist).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pytest_release.probes.perf.stats import percentile

if TYPE_CHECKING:
    import httpx

# A rate-limited answer is the deployment doing its job, not a latency sample: wait for the
# advertised Retry-After (bounded) and ask again.
MAX_RETRY_AFTER_S = 5.0
RATE_LIMIT_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class Sample:
    """One request: when it started (s since the first), how long it took, its status."""

    at_s: float
    ms: float
    status: int | None  # None: no answer (connection error, timeout)

    @property
    def error(self) -> bool:
        return self.status is None or self.status >= 500 or self.status in (404, 405)


@dataclass(slots=True)
class EndpointSampler:
    """Times requests to ``"METHOD /path"`` on a client; keeps every sample."""

    client: httpx.Client
    endpoint: str
    body: Mapping[str, Any] | None = None
    samples: list[Sample] = field(default_factory=list)
    rate_limited: int = 0
    _start: float = field(default_factory=time.perf_counter)

    def once(self) -> int | None:
        """One timed request; returns its status (None if it got no answer).

        A 429 is retried after its Retry-After (bounded, twice at most); a request still
        refused then is counted in ``rate_limited`` and is not a latency sample.
        """
        import httpx

        if self.rate_limited >= RATE_LIMIT_ATTEMPTS:
            return 429  # refused again and again: stop asking (bounded time, no hammering)
        method, _, path = self.endpoint.partition(" ")
        for attempt in range(RATE_LIMIT_ATTEMPTS):
            began = time.perf_counter()
            try:
                response = self.client.request(method, path, json=self.body)
                status: int | None = response.status_code
                retry_after = response.headers.get("retry-after")
            except httpx.HTTPError:
                status, retry_after = None, None
            elapsed_ms = (time.perf_counter() - began) * 1000.0
            if status == 429:
                if attempt + 1 < RATE_LIMIT_ATTEMPTS:
                    time.sleep(_seconds(retry_after))
                continue
            self.samples.append(Sample(began - self._start, elapsed_ms, status))
            return status
        self.rate_limited += 1
        return 429

    def run(self, count: int) -> None:
        for _ in range(count):
            self.once()

    def result(self) -> LatencyResult:
        return LatencyResult(self.endpoint, tuple(self.samples), self.rate_limited)


def _seconds(retry_after: str | None) -> float:
    try:
        return min(max(float(retry_after or 1.0), 0.0), MAX_RETRY_AFTER_S)
    except ValueError:
        return 1.0


@dataclass(frozen=True, slots=True)
class LatencyResult:
    """Every sample of one endpoint, and the figures the budgets judge."""

    endpoint: str
    samples: tuple[Sample, ...]
    rate_limited: int = 0

    @property
    def answered_ms(self) -> list[float]:
        """Latencies of requests that got an answer (errors included: slow errors count)."""
        return [s.ms for s in self.samples if s.status is not None]

    def budget_samples(self) -> dict[str, list[float]]:
        """Samples per budget key (``p95_ms``, ``error_rate``, ...)."""
        latencies = self.answered_ms
        errors = [1.0 if s.error else 0.0 for s in self.samples]
        return {
            "p50_ms": latencies,
            "p95_ms": latencies,
            "p99_ms": latencies,
            "error_rate": errors,
        }

    def summary(self) -> dict[str, Any]:
        latencies = self.answered_ms
        return {
            "endpoint": self.endpoint,
            "samples": len(self.samples),
            "answered": len(latencies),
            "errors": sum(1 for s in self.samples if s.error),
            "rate_limited": self.rate_limited,
            "p50_ms": percentile(latencies, 50.0),
            "p95_ms": percentile(latencies, 95.0),
            "max_ms": max(latencies) if latencies else None,
            "statuses": sorted({s.status for s in self.samples if s.status is not None}),
        }

"""Memory leaks: RSS after repeated batches of identical work, judged by a fitted slope.

A single before/after delta mistakes warm-up (caches, pools, lazily imported modules) for a
leak and misses a slow one behind noise. Instead: one warm-up batch (discarded), then RSS
after each of ``batches`` batches of ``batch_size`` identical requests; an ordinary
least-squares line through (requests done, RSS) gives the growth per request and its 95%
confidence interval. The budget judges the interval's lower bound: "grows by at least X
per request, with 95% confidence".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_release.probes.perf.resources import MIB, Sampler

# Two-sided 97.5% quantiles of Student's t for 1..30 degrees of freedom (then normal).
_T975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


def t975(dof: int) -> float:
    """Student's t quantile for a two-sided 95% interval."""
    if dof < 1:
        return math.inf
    return _T975[dof - 1] if dof <= len(_T975) else 1.96


@dataclass(frozen=True, slots=True)
class SlopeFit:
    """y = intercept + slope * x, with the slope's 95% confidence interval."""

    slope: float
    intercept: float
    stderr: float
    lower: float
    upper: float
    points: int


def fit_slope(xs: Sequence[float], ys: Sequence[float]) -> SlopeFit | None:
    """Least squares through the points; None with fewer than 3 points or no spread in x."""
    n = len(xs)
    if n != len(ys) or n < 3:
        return None
    mean_x = sum(xs) / n
    mean_y = sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if sxx == 0:
        return None
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx
    intercept = mean_y - slope * mean_x
    residual = sum((y - intercept - slope * x) ** 2 for x, y in zip(xs, ys, strict=True))
    stderr = math.sqrt(residual / (n - 2) / sxx)
    margin = t975(n - 2) * stderr
    return SlopeFit(slope, intercept, stderr, slope - margin, slope + margin, n)


@dataclass(frozen=True, slots=True)
class LeakResult:
    """RSS after each batch, and the fitted growth per request."""

    source: str
    batch_size: int
    points: tuple[tuple[int, float], ...]  # (requests done, RSS bytes)
    failed_requests: int

    @property
    def fit(self) -> SlopeFit | None:
        return fit_slope([p[0] for p in self.points], [p[1] for p in self.points])

    def budget_samples(self) -> dict[str, list[float]]:
        """``leak_kb_per_request``: the slope's lower bound (never below 0), if it was fitted."""
        fit = self.fit
        if fit is None:
            return {"leak_kb_per_request": []}
        return {"leak_kb_per_request": [max(fit.lower, 0.0) / 1024]}

    def describe(self) -> str:
        fit = self.fit
        if fit is None:
            return f"RSS could be read after {len(self.points)} batches only: no slope"
        return (
            f"RSS grows {fit.slope / 1024:.1f} KiB per request (95% CI "
            f"{fit.lower / 1024:.1f} to {fit.upper / 1024:.1f}) over {self.points[-1][0]} "
            f"requests in {len(self.points)} batches of {self.batch_size}; "
            f"RSS {self.points[0][1] / MIB:.1f} -> {self.points[-1][1] / MIB:.1f} MiB"
        )

    def summary(self) -> dict[str, Any]:
        fit = self.fit
        return {
            "source": self.source,
            "batch_size": self.batch_size,
            "failed_requests": self.failed_requests,
            "points": [{"requests": r, "rss_mb": round(b / MIB, 3)} for r, b in self.points],
            "slope_kb_per_request": None if fit is None else fit.slope / 1024,
            "ci95_kb_per_request": None if fit is None else [fit.lower / 1024, fit.upper / 1024],
            "finding": self.describe(),
        }


def measure_leak(
    sampler: Sampler, request: Callable[[], bool], batches: int, batch_size: int
) -> LeakResult:
    """Warm up with one batch, then RSS after each of ``batches`` batches of ``request()``.

    ``request`` returns whether the request was answered; failures are counted, not retried.
    """
    failed = 0

    def batch() -> None:
        nonlocal failed
        for _ in range(batch_size):
            if not request():
                failed += 1

    batch()  # warm-up: caches and pools fill here, not in the fit
    points: list[tuple[int, float]] = []
    first = sampler.snapshot()
    if first is not None and first.rss_bytes is not None:
        points.append((0, first.rss_bytes))
    for index in range(1, batches + 1):
        batch()
        snap = sampler.snapshot()
        if snap is not None and snap.rss_bytes is not None:
            points.append((index * batch_size, snap.rss_bytes))
    return LeakResult(sampler.source, batch_size, tuple(points), failed)

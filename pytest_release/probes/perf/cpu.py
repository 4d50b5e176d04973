"""CPU spikes: the target's CPU use sampled over a window, spikes as sustained stretches.

A spike is CPU above ``threshold`` percent of one core for consecutive samples; its length
is the wall time those samples cover. The budget judges the longest spike, so a single
busy sample (a GC pause, one slow request) does not count, while a burn that lasts
longer than the allowed stretch does. CPU is measured as CPU *time* used by the process,
so a busy machine slows the target's work down but does not inflate its share.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_release.probes.perf.resources import Sampler, Snapshot, cpu_percentages


@dataclass(frozen=True, slots=True)
class Spike:
    start_s: float
    end_s: float
    peak_percent: float

    @property
    def seconds(self) -> float:
        return self.end_s - self.start_s


def find_spikes(
    series: Sequence[tuple[float, float]], threshold: float, origin: float = 0.0
) -> list[Spike]:
    """Stretches of consecutive (interval end, percent) samples at or above ``threshold``.

    Each sample covers the interval since the previous one; the first sample's interval
    starts at ``origin``.
    """
    spikes: list[Spike] = []
    start: float | None = None
    peak = 0.0
    previous_end = origin
    last_end = origin
    for end, percent in series:
        if percent >= threshold:
            if start is None:
                start, peak = previous_end, percent
            peak = max(peak, percent)
            last_end = end
        elif start is not None:
            spikes.append(Spike(start, last_end, peak))
            start = None
        previous_end = end
    if start is not None:
        spikes.append(Spike(start, last_end, peak))
    return spikes


@dataclass(frozen=True, slots=True)
class CpuObservation:
    """CPU samples over the observed window and the spikes found in them."""

    source: str
    threshold: float
    snapshots: tuple[Snapshot, ...]

    def series(self) -> list[tuple[float, float]]:
        """(seconds since the first snapshot, CPU % of one core)."""
        if not self.snapshots:
            return []
        t0 = self.snapshots[0].at_s
        return [(end - t0, percent) for end, percent in cpu_percentages(self.snapshots)]

    def spikes(self) -> list[Spike]:
        return find_spikes(self.series(), self.threshold)

    def budget_samples(self) -> dict[str, list[float]]:
        """``spike_seconds``: the longest spike (0 when there is none, if CPU was sampled)."""
        if not self.series():
            return {"spike_seconds": []}
        return {"spike_seconds": [max((s.seconds for s in self.spikes()), default=0.0)]}

    def describe(self) -> str:
        series = self.series()
        if not series:
            return "no CPU samples (the target's CPU time could not be read)"
        spikes = self.spikes()
        peak = max(p for _, p in series)
        if not spikes:
            return f"no stretch above {self.threshold:.0f}% of a core (peak sample {peak:.0f}%)"
        worst = max(spikes, key=lambda s: s.seconds)
        return (
            f"{len(spikes)} stretch(es) above {self.threshold:.0f}% of a core; the longest "
            f"lasted {worst.seconds:.2f} s (peak {worst.peak_percent:.0f}%) at "
            f"t={worst.start_s:.1f} s of a {series[-1][0]:.1f} s window"
        )

    def summary(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "threshold_percent": self.threshold,
            "series": [{"t_s": round(t, 3), "cpu_percent": round(p, 1)} for t, p in self.series()],
            "spikes": [
                {"start_s": s.start_s, "seconds": s.seconds, "peak_percent": s.peak_percent}
                for s in self.spikes()
            ],
            "finding": self.describe(),
        }


def observe_cpu(
    sampler: Sampler,
    seconds: float,
    threshold: float,
    interval_s: float = 0.25,
    tick: Callable[[], object] | None = None,
) -> CpuObservation:
    """Sample the target's CPU time every ``interval_s`` for ``seconds``.

    ``tick`` (e.g. a light request) runs between samples, so the target is observed doing
    ordinary work rather than idling.
    """
    snapshots: list[Snapshot] = []
    deadline = time.monotonic() + seconds
    next_at = time.monotonic()
    while True:
        snap = sampler.snapshot()
        if snap is not None:
            snapshots.append(snap)
        if time.monotonic() >= deadline:
            break
        if tick is not None:
            tick()
        next_at += interval_s
        time.sleep(max(0.0, next_at - time.monotonic()))
    return CpuObservation(sampler.source, threshold, tuple(snapshots))

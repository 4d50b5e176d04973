"""Resource usage of the target: RSS, CPU seconds and open fds, from two sources.

- ``/metrics`` (Prometheus text, parsed with prometheus_client's parser): works for any
  target that publishes the standard ``process_*`` metrics.
- The process itself (psutil), when the target listens on this machine's loopback: finer
  grained and independent of the target's cooperation.

``sampler_for`` prefers the local process and falls back to ``/metrics``.
"""

from __future__ import annotations

import contextlib
import getpass
import ipaddress
import itertools
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import httpx

RSS = "process_resident_memory_bytes"
CPU = "process_cpu_seconds_total"
FDS = "process_open_fds"
MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The process at one moment; a figure is None when the source does not have it."""

    at_s: float  # monotonic clock
    rss_bytes: float | None
    cpu_seconds: float | None
    open_fds: float | None

    def as_json(self) -> dict[str, Any]:
        return {
            "at_s": round(self.at_s, 3),
            "rss_mb": None if self.rss_bytes is None else round(self.rss_bytes / MIB, 2),
            "cpu_seconds": self.cpu_seconds,
            "open_fds": self.open_fds,
        }


class Sampler(Protocol):
    """Anything that can take a Snapshot of the target process (None: unavailable)."""

    source: str

    def snapshot(self) -> Snapshot | None: ...


def parse_exposition(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Prometheus text -> sample name -> [(labels, value)]; raises ValueError if malformed."""
    from prometheus_client.parser import text_string_to_metric_families

    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((dict(sample.labels), float(sample.value)))
    return found


def _single(samples: Mapping[str, list[tuple[dict[str, str], float]]], name: str) -> float | None:
    values = samples.get(name)
    return values[0][1] if values else None


class MetricsSampler:
    """Snapshots from the target's ``/metrics`` (None when it is missing or malformed)."""

    source = "metrics"

    def __init__(self, client: httpx.Client, path: str = "/metrics") -> None:
        self._client = client
        self._path = path
        self.problem: str | None = None

    def snapshot(self) -> Snapshot | None:
        import httpx

        try:
            response = self._client.get(self._path)
        except httpx.HTTPError as exc:
            self.problem = f"GET {self._path} failed: {type(exc).__name__}"
            return None
        if response.status_code != 200:
            self.problem = f"GET {self._path} answered {response.status_code}"
            return None
        try:
            samples = parse_exposition(response.text)
        except ValueError as exc:
            self.problem = f"{self._path} is not Prometheus text: {exc}"
            return None
        return Snapshot(
            time.monotonic(), _single(samples, RSS), _single(samples, CPU), _single(samples, FDS)
        )


class ProcessSampler:
    """Snapshots of a local process (psutil); None once it is gone."""

    source = "process"

    def __init__(self, pid: int) -> None:
        import psutil

        self.pid = pid
        self._process = psutil.Process(pid)

    def snapshot(self) -> Snapshot | None:
        import psutil

        try:
            with self._process.oneshot():
                times = self._process.cpu_times()
                return Snapshot(
                    time.monotonic(),
                    float(self._process.memory_info().rss),
                    times.user + times.system,
                    float(self._process.num_fds()),
                )
        except psutil.Error:
            return None


def sampler_problem(sampler: Sampler) -> str:
    """Where the figures came from, and why they are missing if the source said why."""
    problem = getattr(sampler, "problem", None)
    return (
        f"measured via {sampler.source}: {problem}" if problem else f"measured via {sampler.source}"
    )


def local_pid(url: str) -> int | None:
    """The pid of this user's process listening on the URL's loopback port, if any."""
    import psutil

    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        return None
    port = parts.port or (443 if parts.scheme == "https" else 80)
    user = getpass.getuser()
    for process in psutil.process_iter(["username"]):
        if process.info.get("username") != user:
            continue
        with contextlib.suppress(psutil.Error):
            for conn in process.net_connections(kind="tcp"):
                if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port:
                    return process.pid
    return None


def sampler_for(url: str, client: httpx.Client, metrics_path: str = "/metrics") -> Sampler:
    """The local process when the target runs here, else its ``/metrics``."""
    pid = local_pid(url)
    if pid is not None:
        return ProcessSampler(pid)
    return MetricsSampler(client, metrics_path)


class BackgroundSampling:
    """Take a snapshot every ``interval_s`` on a thread while a block runs::

    with BackgroundSampling(sampler, 0.25) as sampling:
        run_load()
    sampling.snapshots
    """

    def __init__(self, sampler: Sampler, interval_s: float) -> None:
        self._sampler = sampler
        self._interval = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="resource-sampling", daemon=True)
        self.snapshots: list[Snapshot] = []

    def _loop(self) -> None:
        while True:
            snap = self._sampler.snapshot()
            if snap is not None:
                self.snapshots.append(snap)
            if self._stop.wait(self._interval):
                return

    def __enter__(self) -> BackgroundSampling:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10.0)


@dataclass(frozen=True, slots=True)
class ResourceUsage:
    """Before, during and after a stretch of work (load)."""

    source: str
    before: tuple[Snapshot, ...]
    during: tuple[Snapshot, ...]
    after: tuple[Snapshot, ...]

    @property
    def all(self) -> tuple[Snapshot, ...]:
        return self.before + self.during + self.after

    def budget_samples(self) -> dict[str, list[float]]:
        """Per budget key: RSS in MiB, fds, and CPU % of one core between consecutive samples."""
        every = self.all
        return {
            "rss_mb": [s.rss_bytes / MIB for s in every if s.rss_bytes is not None],
            "open_fds": [s.open_fds for s in every if s.open_fds is not None],
            "cpu_percent": [p for _, p in cpu_percentages(self.during)],
        }

    def summary(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "before": [s.as_json() for s in self.before],
            "during": [s.as_json() for s in self.during],
            "after": [s.as_json() for s in self.after],
        }


def cpu_percentages(snapshots: tuple[Snapshot, ...] | list[Snapshot]) -> list[tuple[float, float]]:
    """(interval end, CPU % of one core) between consecutive snapshots that have CPU time."""
    with_cpu = [s for s in snapshots if s.cpu_seconds is not None]
    series: list[tuple[float, float]] = []
    for a, b in itertools.pairwise(with_cpu):
        wall = b.at_s - a.at_s
        if wall <= 0 or a.cpu_seconds is None or b.cpu_seconds is None:
            continue
        series.append((b.at_s, 100.0 * (b.cpu_seconds - a.cpu_seconds) / wall))
    return series


def measure_around(
    sampler: Sampler, work: Callable[[], None], interval_s: float = 0.5, settle_s: float = 1.0
) -> ResourceUsage:
    """Snapshots before ``work``, every ``interval_s`` during it, and ``settle_s`` after."""
    before = _take(sampler, 2, interval_s)
    with BackgroundSampling(sampler, interval_s) as sampling:
        work()
    time.sleep(settle_s)
    after = _take(sampler, 2, interval_s)
    return ResourceUsage(sampler.source, before, tuple(sampling.snapshots), after)


def _take(sampler: Sampler, count: int, interval_s: float) -> tuple[Snapshot, ...]:
    found: list[Snapshot] = []
    for index in range(count):
        if index:
            time.sleep(interval_s)
        snap = sampler.snapshot()
        if snap is not None:
            found.append(snap)
    return tuple(found)

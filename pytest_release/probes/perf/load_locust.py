"""Load: Locust as a subprocess (headless, bounded), its JSON and CSV parsed after it ends.

Locust is never imported here: it monkey-patches with gevent, which must not happen inside
pytest. The bundled ``locustfile.py`` mirrors real use (open a page and its assets, run
code now and then). With ``workers > 0`` the same run is distributed: one master and that
many worker processes on loopback, exactly as a team would spread them over machines.
Thresholds are judged like k6's: p95 latency, error ratio, minimum throughput.
"""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pytest_release.probes.perf.resources import ResourceUsage
from pytest_release.probes.perf.stats import percentile

STOP_GRACE_S = 30.0
ENV_PREFIX = "PYTEST_RELEASE_LOAD_"


@dataclass(frozen=True, slots=True)
class LoadPlan:
    """How much load, for how long, from how many processes (all bounded)."""

    users: int = 6
    spawn_rate: float = 3.0
    duration_s: float = 10.0
    workers: int = 0
    pages: tuple[str, ...] = ("/",)
    run_path: str = "/api/run"
    run_code: str = "print('hello')"
    run_language: str = "python"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One request name's figures from Locust's JSON."""

    name: str
    method: str
    requests: int
    failures: int
    response_times: Mapping[int, int]  # rounded ms -> count
    per_second: Mapping[int, int]


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What Locust measured; ``problem`` says why there is nothing, if there is nothing."""

    plan: LoadPlan
    endpoints: tuple[Endpoint, ...]
    history: tuple[Mapping[str, str], ...] = ()
    wall_s: float = 0.0
    returncode: int | None = None
    problem: str | None = None
    output_tail: str = field(default="", repr=False)

    @property
    def requests(self) -> int:
        return sum(e.requests for e in self.endpoints)

    @property
    def failures(self) -> int:
        return sum(e.failures for e in self.endpoints)

    def latencies_ms(self) -> list[float]:
        """Every response time (Locust rounds them into buckets), all endpoints together."""
        values: list[float] = []
        for endpoint in self.endpoints:
            for ms, count in endpoint.response_times.items():
                values.extend([float(ms)] * count)
        return values

    def throughput(self) -> float | None:
        """Requests per second over the seconds that saw requests."""
        seconds: set[int] = set()
        for endpoint in self.endpoints:
            seconds.update(endpoint.per_second)
        if not seconds or not self.requests:
            return None
        return self.requests / max(max(seconds) - min(seconds) + 1, 1)

    def budget_samples(self) -> dict[str, list[float]]:
        latencies = self.latencies_ms()
        rps = self.throughput()
        errors = [1.0] * self.failures + [0.0] * (self.requests - self.failures)
        return {
            "p50_ms": latencies,
            "p95_ms": latencies,
            "p99_ms": latencies,
            "error_rate": errors,
            "min_rps": [] if rps is None else [rps],
        }

    def over_time(self) -> list[tuple[float, float, float | None]]:
        """(seconds since start, requests/s, p95 ms) from Locust's aggregated history."""
        rows = [r for r in self.history if r.get("Name") == "Aggregated"]
        if not rows:
            return []
        t0 = float(rows[0]["Timestamp"])
        points: list[tuple[float, float, float | None]] = []
        for row in rows:
            p95 = row.get("95%", "N/A")
            points.append(
                (
                    float(row["Timestamp"]) - t0,
                    float(row.get("Requests/s") or 0.0),
                    None if p95 in ("N/A", "", None) else float(p95),
                )
            )
        return points

    def summary(self) -> dict[str, Any]:
        latencies = self.latencies_ms()
        return {
            "plan": {
                "users": self.plan.users,
                "spawn_rate": self.plan.spawn_rate,
                "duration_s": self.plan.duration_s,
                "workers": self.plan.workers,
            },
            "requests": self.requests,
            "failures": self.failures,
            "p50_ms": percentile(latencies, 50.0),
            "p95_ms": percentile(latencies, 95.0),
            "throughput_rps": self.throughput(),
            "wall_s": round(self.wall_s, 2),
            "returncode": self.returncode,
            "problem": self.problem,
            "endpoints": [
                {
                    "name": e.name,
                    "method": e.method,
                    "requests": e.requests,
                    "failures": e.failures,
                    "p95_ms": percentile(
                        [float(ms) for ms, n in e.response_times.items() for _ in range(n)], 95.0
                    ),
                }
                for e in self.endpoints
            ],
        }


@dataclass(frozen=True, slots=True)
class LoadRun:
    """A load run and the target's resources sampled around it."""

    load: LoadResult
    resources: ResourceUsage


def locustfile() -> Path:
    """The bundled locustfile (package data)."""
    return Path(str(resources.files("pytest_release.probes.perf").joinpath("locustfile.py")))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _env(plan: LoadPlan) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            f"{ENV_PREFIX}PAGES": ",".join(plan.pages),
            f"{ENV_PREFIX}RUN_PATH": plan.run_path,
            f"{ENV_PREFIX}RUN_CODE": plan.run_code,
            f"{ENV_PREFIX}RUN_LANGUAGE": plan.run_language,
        }
    )
    return env


def commands(
    url: str, plan: LoadPlan, workdir: Path, port: int | None = None
) -> tuple[list[str], list[list[str]]]:
    """The master (or single) command line and the worker command lines."""
    base = [sys.executable, "-m", "locust", "-f", str(locustfile())]
    master = [
        *base,
        "--headless",
        "--users", str(plan.users),
        "--spawn-rate", str(plan.spawn_rate),
        "--run-time", f"{max(round(plan.duration_s), 1)}s",
        "--host", url,
        "--json-file", str(workdir / "locust"),
        "--csv", str(workdir / "locust"),
        "--only-summary",
        "--skip-log",
        "--exit-code-on-error", "0",
        "--stop-timeout", "5",
    ]  # fmt: skip
    workers: list[list[str]] = []
    if plan.workers > 0:
        assert port is not None
        master += [
            "--master",
            "--master-bind-host", "127.0.0.1",
            "--master-bind-port", str(port),
            "--expect-workers", str(plan.workers),
            "--expect-workers-max-wait", "60",
        ]  # fmt: skip
        worker = [
            *base,
            "--worker",
            "--master-host", "127.0.0.1",
            "--master-port", str(port),
            "--skip-log",
        ]  # fmt: skip
        workers = [worker] * plan.workers
    return master, workers


def run_load(url: str, plan: LoadPlan, workdir: Path) -> LoadResult:
    """Run Locust against ``url`` and parse what it wrote; never raises for a failed run."""
    bounded(plan)
    workdir.mkdir(parents=True, exist_ok=True)
    port = _free_port() if plan.workers > 0 else None
    master_cmd, worker_cmds = commands(url, plan, workdir, port)
    env = _env(plan)
    began = time.monotonic()
    worker_procs = [
        subprocess.Popen(
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=workdir
        )
        for cmd in worker_cmds
    ]
    limit = plan.duration_s + STOP_GRACE_S + (60.0 if worker_cmds else 0.0)
    try:
        done = subprocess.run(
            master_cmd,
            env=env,
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=limit,
            check=False,
        )
        returncode: int | None = done.returncode
        tail = (done.stdout + done.stderr)[-3000:]
    except subprocess.TimeoutExpired as exc:
        returncode, tail = None, f"Locust did not finish within {limit:.0f} s: {exc}"
    finally:
        for proc in worker_procs:
            try:
                proc.wait(timeout=10.0)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10.0)
            if proc.stderr is not None:
                proc.stderr.close()
    wall = time.monotonic() - began
    return parse_output(plan, workdir, wall, returncode, tail)


def parse_output(
    plan: LoadPlan, workdir: Path, wall_s: float, returncode: int | None, tail: str
) -> LoadResult:
    """Read ``locust.json`` and ``locust_stats_history.csv`` from ``workdir``."""
    json_path = workdir / "locust.json"
    try:
        raw = json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return LoadResult(
            plan,
            (),
            wall_s=wall_s,
            returncode=returncode,
            problem=f"Locust wrote no usable {json_path.name} ({exc}); "
            f"its output ends: {tail[-500:]}",
            output_tail=tail,
        )
    return LoadResult(
        plan,
        parse_stats(raw),
        _history(workdir / "locust_stats_history.csv"),
        wall_s,
        returncode,
        None,
        tail,
    )


def parse_stats(raw: Any) -> tuple[Endpoint, ...]:
    """Locust's ``--json`` list of stats entries."""
    if not isinstance(raw, list):
        return ()
    found: list[Endpoint] = []
    for entry in raw:
        if not isinstance(entry, Mapping):
            continue
        found.append(
            Endpoint(
                name=str(entry.get("name", "")),
                method=str(entry.get("method", "")),
                requests=int(entry.get("num_requests", 0)),
                failures=int(entry.get("num_failures", 0)),
                response_times=_int_map(entry.get("response_times")),
                per_second=_int_map(entry.get("num_reqs_per_sec")),
            )
        )
    return tuple(found)


def _int_map(value: Any) -> dict[int, int]:
    if not isinstance(value, Mapping):
        return {}
    found: dict[int, int] = {}
    for key, count in value.items():
        try:
            found[int(float(key))] = found.get(int(float(key)), 0) + int(count)
        except (TypeError, ValueError):
            continue
    return found


def _history(path: Path) -> tuple[Mapping[str, str], ...]:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return tuple(csv.DictReader(handle))
    except OSError:
        return ()


def bounded(plan: LoadPlan, max_users: int = 200, max_duration_s: float = 600.0) -> LoadPlan:
    """Refuse load that is not bounded (a typo must not become a denial of service)."""
    problems: Sequence[str] = [
        text
        for ok, text in (
            (1 <= plan.users <= max_users, f"users must be 1..{max_users}"),
            (0 < plan.spawn_rate <= max_users, f"spawn_rate must be in (0, {max_users}]"),
            (0 < plan.duration_s <= max_duration_s, f"duration_s must be in (0, {max_duration_s}]"),
            (0 <= plan.workers <= 16, "workers must be 0..16"),
        )
        if not ok
    ]
    if problems:
        raise ValueError("; ".join(problems))
    return plan

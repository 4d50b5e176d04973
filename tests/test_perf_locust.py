"""Locust as a subprocess against a live reference deployment: single and distributed.

Distributed mode is one master and two worker processes on loopback, exactly the setup a
team spreads over several machines. Load is small and bounded (a few users, seconds).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_release.probes.perf.load_locust import LoadPlan, bounded, commands, run_load
from pytest_release.reference.launcher import ReferenceServer, start_reference_server


@pytest.fixture(scope="module")
def server() -> Iterator[ReferenceServer]:
    with start_reference_server() as running:
        yield running


@pytest.mark.parametrize("workers", [0, 2], ids=["single", "distributed-2-workers"])
def test_locust_run_is_parsed(server: ReferenceServer, tmp_path: Path, workers: int) -> None:
    plan = LoadPlan(users=4, spawn_rate=4.0, duration_s=5.0, workers=workers)
    result = run_load(server.url, plan, tmp_path)
    assert result.problem is None, result.output_tail
    assert result.returncode == 0, result.output_tail
    assert result.requests > 0 and result.failures == 0, result.summary()
    names = {e.name for e in result.endpoints}
    assert "page /" in names, names
    samples = result.budget_samples()
    assert samples["p95_ms"] and samples["min_rps"], samples
    assert result.over_time(), "no history rows from --csv"


def test_distributed_commands_stay_on_loopback(tmp_path: Path) -> None:
    master, workers = commands("http://127.0.0.1:1", LoadPlan(workers=2), tmp_path, 5557)
    assert "--master" in master and master[master.index("--master-bind-host") + 1] == "127.0.0.1"
    assert len(workers) == 2
    assert all(w[w.index("--master-host") + 1] == "127.0.0.1" for w in workers)


def test_unbounded_load_is_refused() -> None:
    with pytest.raises(ValueError, match="users must be"):
        bounded(LoadPlan(users=100000))
    assert bounded(LoadPlan()) == LoadPlan()

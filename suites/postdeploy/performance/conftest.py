"""Performance suite: shared measurements (one Locust run, one resource sampler per session).

How much is measured comes from ``[tool.pytest_release.load]`` and ``--perf-profile``; what
is acceptable from ``[tool.pytest_release.budgets]`` (both validated at start-up).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from pytest_release.contract import SiteContract
from pytest_release.keys import SETTINGS_KEY
from pytest_release.perf_settings import PerfSettings
from pytest_release.performance import PERF_KEY
from pytest_release.probes.perf.load_locust import LoadPlan, LoadResult, LoadRun, run_load
from pytest_release.probes.perf.resources import Sampler, measure_around, sampler_for
from pytest_release.target import Target, make_client


@pytest.fixture(scope="session")
def perf(pytestconfig: pytest.Config) -> PerfSettings:
    """Budgets and load settings, validated at start-up."""
    return pytestconfig.stash[PERF_KEY]


@pytest.fixture(scope="session")
def perf_client(target: Target) -> Iterator[httpx.Client]:
    """A session-long client for the samplers (the ``http`` fixture is per test)."""
    with make_client(target.url) as client:
        yield client


@pytest.fixture(scope="session")
def perf_sampler(target: Target, perf_client: httpx.Client) -> Sampler:
    """The target process (psutil) when it runs here, else its /metrics."""
    return sampler_for(target.url, perf_client)


@pytest.fixture(scope="session")
def perf_load(
    target: Target,
    perf: PerfSettings,
    perf_sampler: Sampler,
    release_contract: SiteContract,
    pytestconfig: pytest.Config,
) -> LoadRun:
    """One bounded Locust run, with the target's resources sampled before, during, after."""
    settings = pytestconfig.stash[SETTINGS_KEY]
    load = perf.load
    plan = LoadPlan(
        users=load.users,
        spawn_rate=load.spawn_rate,
        duration_s=load.duration_s,
        workers=load.workers,
        pages=release_contract.pages.paths,
        run_path=release_contract.api.run_path,
        run_code=load.run_code,
        run_language=load.run_language,
    )
    results: list[LoadResult] = []
    workdir = settings.report_dir / "locust"
    usage = measure_around(
        perf_sampler, lambda: results.append(run_load(target.url, plan, workdir))
    )
    return LoadRun(results[0], usage)

"""API response times are acceptable: pytest-benchmark on each endpoint, then under load."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pytest_release.contract import SiteContract
from pytest_release.evidence import EvidenceRecorder
from pytest_release.perf_settings import PerfSettings
from pytest_release.performance import PERF_KEY, benchmark_json_path, judge_budgets
from pytest_release.probes.perf.budgets import check_all
from pytest_release.probes.perf.charts import histogram_svg, timeline_svg
from pytest_release.probes.perf.latency import EndpointSampler
from pytest_release.probes.perf.load_locust import LoadRun


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "endpoint" in metafunc.fixturenames:
        perf = metafunc.config.stash.get(PERF_KEY, None)
        names = sorted(perf.budgets.endpoints) if perf is not None else []
        metafunc.parametrize("endpoint", names, ids=names)


@pytest.mark.checklist("post.performance.api-response")
def test_endpoint_latency_within_budgets(
    request: pytest.FixtureRequest,
    benchmark: Any,
    endpoint: str,
    http: httpx.Client,
    perf: PerfSettings,
    release_contract: SiteContract,
    evidence: EvidenceRecorder,
) -> None:
    method = endpoint.partition(" ")[0]
    body: dict[str, str] | None = None
    count = perf.load.api_samples
    if method == "POST":
        body = {"code": perf.load.run_code, "language": perf.load.run_language}
        count = perf.load.run_samples
    sampler = EndpointSampler(http, endpoint, body)
    benchmark_json_path(request.config)
    benchmark.pedantic(sampler.once, rounds=count, iterations=1)
    if len(sampler.samples) < count:  # pytest-benchmark disabled (xdist, --benchmark-disable)
        sampler.run(count - len(sampler.samples))
    result = sampler.result()
    checks = check_all(perf.budgets.endpoints[endpoint], result.budget_samples())
    evidence.attach(f"latency {endpoint}", result.summary(), "json")
    limit = {c.budget.key: c.budget.limit for c in checks}.get("p95_ms")
    evidence.attach(
        f"latency {endpoint} distribution",
        histogram_svg(f"{endpoint}: latency of {count} requests", result.answered_ms, "ms", limit),
        "svg",
    )
    evidence.attach(
        f"latency {endpoint} over time",
        timeline_svg(
            f"{endpoint}: latency per request",
            [(s.at_s, s.ms) for s in result.samples if s.status is not None],
            "ms",
            limit,
        ),
        "svg",
    )
    refused = (
        f"{result.rate_limited} request(s) stayed rate limited (429) and are not samples"
        if result.rate_limited
        else ""
    )
    judge_budgets(request.node, evidence, checks, f"latency {endpoint}", refused)


@pytest.mark.checklist("post.performance.api-response")
def test_load_thresholds(
    request: pytest.FixtureRequest,
    perf_load: LoadRun,
    perf: PerfSettings,
    evidence: EvidenceRecorder,
) -> None:
    load = perf_load.load
    evidence.attach("locust summary", load.summary(), "json")
    if load.problem:
        evidence.attach("locust output", load.output_tail, "text")
    checks = check_all(perf.budgets.load, load.budget_samples())
    limit = {c.budget.key: c.budget.limit for c in checks}.get("p95_ms")
    over_time = load.over_time()
    evidence.attach(
        "load p95 over time",
        timeline_svg(
            "Locust: p95 latency over time",
            [(t, p95) for t, _, p95 in over_time if p95 is not None],
            "ms",
            limit,
        ),
        "svg",
    )
    evidence.attach(
        "load throughput over time",
        timeline_svg("Locust: requests per second", [(t, rps) for t, rps, _ in over_time], "req/s"),
        "svg",
    )
    evidence.attach(
        "load latency distribution",
        histogram_svg("Locust: latency of every request", load.latencies_ms(), "ms", limit),
        "svg",
    )
    judge_budgets(request.node, evidence, checks, "load", load.problem or "")

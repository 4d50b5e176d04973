"""No memory leaks are detected: RSS over repeated identical batches, judged by its slope."""

from __future__ import annotations

import httpx
import pytest

from pytest_release.evidence import EvidenceRecorder
from pytest_release.perf_settings import PerfSettings
from pytest_release.performance import judge_budgets
from pytest_release.probes.perf.budgets import check_all
from pytest_release.probes.perf.charts import timeline_svg
from pytest_release.probes.perf.leak import measure_leak
from pytest_release.probes.perf.resources import MIB, Sampler, sampler_problem


@pytest.mark.checklist("post.performance.memory-leaks")
def test_no_memory_growth_per_request(
    request: pytest.FixtureRequest,
    perf_sampler: Sampler,
    perf_client: httpx.Client,
    perf: PerfSettings,
    evidence: EvidenceRecorder,
) -> None:
    def one_request() -> bool:
        try:
            return perf_client.get("/").status_code < 500
        except httpx.HTTPError:
            return False

    result = measure_leak(
        perf_sampler, one_request, perf.load.leak_batches, perf.load.leak_batch_size
    )
    evidence.attach("memory leak", result.summary(), "json")
    evidence.attach(
        "rss per batch",
        timeline_svg(
            "RSS after each batch of identical requests",
            [(float(n), rss / MIB) for n, rss in result.points],
            "MiB",
            x_unit="requests",
        ),
        "svg",
    )
    checks = check_all(perf.budgets.memory, result.budget_samples())
    judge_budgets(
        request.node,
        evidence,
        checks,
        "memory leak",
        f"{result.describe()}; {sampler_problem(perf_sampler)}",
    )

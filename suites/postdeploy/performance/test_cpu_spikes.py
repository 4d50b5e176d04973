"""No CPU spikes are observed: CPU above the threshold for longer than the allowed stretch."""

from __future__ import annotations

import contextlib

import httpx
import pytest

from pytest_release.evidence import EvidenceRecorder
from pytest_release.perf_settings import PerfSettings
from pytest_release.performance import judge_budgets
from pytest_release.probes.perf.budgets import check_all
from pytest_release.probes.perf.charts import timeline_svg
from pytest_release.probes.perf.cpu import observe_cpu
from pytest_release.probes.perf.resources import Sampler, sampler_problem


@pytest.mark.checklist("post.performance.cpu-spikes")
def test_no_sustained_cpu_spike(
    request: pytest.FixtureRequest,
    perf_sampler: Sampler,
    perf_client: httpx.Client,
    perf: PerfSettings,
    evidence: EvidenceRecorder,
) -> None:
    def light_request() -> None:
        with contextlib.suppress(httpx.HTTPError):
            perf_client.get("/healthz")

    seconds = perf.load.cpu_observe_s or perf.budgets.cpu_observe_s
    observed = observe_cpu(perf_sampler, seconds, perf.budgets.spike_percent, tick=light_request)
    evidence.attach("cpu", observed.summary(), "json")
    evidence.attach(
        "cpu over time",
        timeline_svg(
            f"CPU % of one core ({observed.source})",
            observed.series(),
            "% CPU",
            perf.budgets.spike_percent,
        ),
        "svg",
    )
    checks = check_all(perf.budgets.cpu, observed.budget_samples())
    judge_budgets(
        request.node,
        evidence,
        checks,
        "cpu spikes",
        f"{observed.describe()}; {sampler_problem(perf_sampler)}",
    )

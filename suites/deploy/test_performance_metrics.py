"""Check performance metrics: the deployment publishes them, and they are within budget.

Right after the deployment step: ``/metrics`` answers Prometheus text with request latency
histograms and process figures (what dashboards and alerts read), and a short sequential
sample of each budgeted GET endpoint is within its latency budget.
"""

from __future__ import annotations

import httpx
import pytest

from pytest_release.evidence import EvidenceRecorder
from pytest_release.performance import PERF_KEY, judge_budgets
from pytest_release.probes.perf.budgets import check_all
from pytest_release.probes.perf.latency import EndpointSampler
from pytest_release.probes.perf.resources import CPU, RSS, parse_exposition

METRICS_PATH = "/metrics"
SAMPLES = 10


@pytest.mark.checklist("deploy.verification.performance-metrics")
def test_performance_metrics_published_and_within_budget(
    request: pytest.FixtureRequest, http: httpx.Client, evidence: EvidenceRecorder
) -> None:
    perf = request.config.stash[PERF_KEY]
    response = http.get(METRICS_PATH)
    assert response.status_code == 200, (
        f"GET {METRICS_PATH} answered {response.status_code}: publish Prometheus metrics "
        "(request latency histograms, process memory and CPU) so performance can be watched"
    )
    try:
        samples = parse_exposition(response.text)
    except ValueError as exc:
        pytest.fail(f"{METRICS_PATH} is not Prometheus text format ({exc}); fix the exporter")
    histograms = sorted(n[: -len("_bucket")] for n in samples if n.endswith("_seconds_bucket"))
    missing = [n for n in (RSS, CPU) if n not in samples]
    evidence.attach(
        "metrics found",
        {"latency_histograms": histograms, "missing_process_metrics": missing},
        "json",
    )
    assert histograms, (
        f"{METRICS_PATH} has no latency histogram (*_seconds_bucket): export request "
        "durations, e.g. http_request_duration_seconds"
    )
    assert not missing, (
        f"{METRICS_PATH} lacks {', '.join(missing)}: enable the process collector "
        "(prometheus_client does by default)"
    )
    checks = []
    for endpoint, budgets in sorted(perf.budgets.endpoints.items()):
        if not endpoint.startswith("GET "):
            continue  # the run API is sampled post-deployment (it is rate limited)
        sampler = EndpointSampler(http, endpoint)
        sampler.run(SAMPLES)
        checks += check_all(budgets, sampler.result().budget_samples())
    judge_budgets(request.node, evidence, checks, "performance metrics")

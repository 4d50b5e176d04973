"""Resource usage is within limits: RSS, open fds (and CPU if budgeted) around the load."""

from __future__ import annotations

import pytest

from pytest_release.evidence import EvidenceRecorder
from pytest_release.perf_settings import PerfSettings
from pytest_release.performance import judge_budgets
from pytest_release.probes.perf.budgets import check_all
from pytest_release.probes.perf.charts import timeline_svg
from pytest_release.probes.perf.load_locust import LoadRun
from pytest_release.probes.perf.resources import MIB, Sampler, sampler_problem


@pytest.mark.checklist("post.performance.resource-usage")
def test_resources_within_budgets(
    request: pytest.FixtureRequest,
    perf_load: LoadRun,
    perf_sampler: Sampler,
    perf: PerfSettings,
    evidence: EvidenceRecorder,
) -> None:
    usage = perf_load.resources
    evidence.attach("resources around load", usage.summary(), "json")
    checks = check_all(perf.budgets.resources, usage.budget_samples())
    snaps = usage.all
    if snaps:
        t0 = snaps[0].at_s
        limit = {c.budget.key: c.budget.limit for c in checks}.get("rss_mb")
        evidence.attach(
            "rss over time",
            timeline_svg(
                f"RSS before, during and after load ({usage.source})",
                [(s.at_s - t0, s.rss_bytes / MIB) for s in snaps if s.rss_bytes is not None],
                "MiB",
                limit,
            ),
            "svg",
        )
    problem = sampler_problem(perf_sampler)
    judge_budgets(request.node, evidence, checks, "resource usage", problem)

"""Page load times are acceptable: cold loads in real Chromium, medians against budgets."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from pytest_release.contract import SiteContract
from pytest_release.evidence import EvidenceRecorder
from pytest_release.perf_settings import PerfSettings
from pytest_release.performance import judge_budgets
from pytest_release.probes.perf.budgets import BudgetCheck, check_all
from pytest_release.probes.perf.charts import timeline_svg
from pytest_release.probes.perf.pageload import measure_pages
from pytest_release.target import Target


@pytest.mark.checklist("post.performance.page-load")
def test_page_load_within_budgets(
    request: pytest.FixtureRequest,
    release_browser: Browser,
    release_contract: SiteContract,
    target: Target,
    perf: PerfSettings,
    evidence: EvidenceRecorder,
) -> None:
    budgets = perf.budgets
    paths = list(dict.fromkeys([*release_contract.pages.paths, *budgets.pages]))
    paths = [p for p in paths if p != "*"]
    results = measure_pages(
        release_browser, release_contract, target.url, paths, perf.load.page_loads
    )
    checks: list[BudgetCheck] = []
    for result in results:
        page_checks = check_all(budgets.for_page(result.path), result.budget_samples())
        checks += page_checks
        evidence.attach(f"page-load {result.path}", result.summary(), "json")
        limits = {c.budget.key: c.budget.limit for c in page_checks}
        for metric in ("load_ms", "monaco_ready_ms"):
            points = [
                (float(i + 1), float(v))
                for i, load in enumerate(result.loads)
                if (v := load.metrics.get(metric)) is not None
            ]
            evidence.attach(
                f"page-load {result.path} {metric}",
                timeline_svg(
                    f"{result.path}: {metric} per cold load",
                    points,
                    "ms",
                    limits.get(metric),
                    x_unit="load #",
                ),
                "svg",
            )
    judge_budgets(request.node, evidence, checks, "page load")

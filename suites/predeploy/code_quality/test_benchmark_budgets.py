"""Performance benchmarks meet targets: pytest-benchmark JSON against budgets.

``[tool.pytest_release.predeploy.benchmarks]``: ``reports`` (globs; the newest is read) or
a ``command`` writing ``--benchmark-json={report}``, and ``budgets`` keyed by a name glob
(``mean_ms``, ``median_ms``, ``max_ms``, ``min_ops``).
"""

from __future__ import annotations

import pytest

from pytest_release.evidence import EvidenceRecorder
from pytest_release.keys import SETTINGS_KEY
from pytest_release.outcomes import inconclusive
from pytest_release.predeploy_settings import area_config
from pytest_release.probes.benchmarks import benchmarks_config, check_benchmarks
from pytest_release.probes.git_review import commit_time


@pytest.mark.checklist("pre.code-quality.performance-benchmarks")
def test_benchmarks_within_budgets(
    request: pytest.FixtureRequest, evidence: EvidenceRecorder
) -> None:
    config = area_config(request.config, "benchmarks", benchmarks_config)
    root = request.config.stash[SETTINGS_KEY].rootpath
    result = check_benchmarks(config, root, commit_time(root))
    evidence.attach("benchmarks", result.evidence(), "json")
    if result.problems:
        pytest.fail("\n".join(result.problems), pytrace=False)
    if not result.measured:
        inconclusive(
            f"no pytest-benchmark results match {', '.join(config.reports)}: run the benchmarks "
            "with --benchmark-json=reports/benchmarks/latest.json on this commit"
        )
    if not config.budgets:
        inconclusive(
            f"{len(result.measured)} benchmarks measured but no budgets are set: add "
            '[tool.pytest_release.predeploy.benchmarks.budgets] (e.g. "test_*" = {mean_ms = 50})'
        )

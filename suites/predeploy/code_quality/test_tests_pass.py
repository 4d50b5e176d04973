"""All unit / integration / end-to-end tests pass: from JUnit XML reports or a configured command.

Per kind, ``[tool.pytest_release.predeploy.tests.<kind>]`` names report globs (default
``reports/junit/<kind>*.xml``) or a ``command`` that writes one to ``{report}``. Fails on
any failing or erroring test, on zero tests, and on a report older than the commit under
test; no report at all is INCONCLUSIVE (nothing says the tests ran).
"""

from __future__ import annotations

import pytest

from pytest_release.config_table import Table
from pytest_release.evidence import EvidenceRecorder
from pytest_release.keys import SETTINGS_KEY
from pytest_release.outcomes import inconclusive
from pytest_release.predeploy_settings import area_config
from pytest_release.probes.git_review import commit_time
from pytest_release.probes.junit_reports import TestsConfig, check_tests
from pytest_release.probes.junit_reports import tests_config as read_tests_config  # not a test


def _check(request: pytest.FixtureRequest, evidence: EvidenceRecorder, kind: str) -> None:
    def parse(table: Table) -> TestsConfig:
        sub = table.sub(kind)
        for other in ("unit", "integration", "e2e"):
            table.has(other)
        value = read_tests_config(kind, sub)
        sub.done()
        return value

    config = area_config(request.config, "tests", parse)
    root = request.config.stash[SETTINGS_KEY].rootpath
    result = check_tests(config, root, commit_time(root))
    evidence.attach(f"{kind}-tests", result.evidence(), "json")
    if result.problems:
        pytest.fail("\n".join(result.problems), pytrace=False)
    if not result.reports:
        inconclusive(
            f"no {kind} test report matches {', '.join(config.reports)}: run the {kind} tests "
            f"with --junitxml=reports/junit/{kind}.xml on this commit, or set command in "
            f"[tool.pytest_release.predeploy.tests.{kind}]"
        )


@pytest.mark.checklist("pre.code-quality.unit-tests")
def test_unit_tests_pass(request: pytest.FixtureRequest, evidence: EvidenceRecorder) -> None:
    _check(request, evidence, "unit")


@pytest.mark.checklist("pre.code-quality.integration-tests")
def test_integration_tests_pass(request: pytest.FixtureRequest, evidence: EvidenceRecorder) -> None:
    _check(request, evidence, "integration")


@pytest.mark.checklist("pre.code-quality.e2e-tests")
def test_e2e_tests_pass(request: pytest.FixtureRequest, evidence: EvidenceRecorder) -> None:
    _check(request, evidence, "e2e")

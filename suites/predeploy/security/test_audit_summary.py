"""Security audit has been completed: one summary of every security check, no untriaged highs.

Components: bandit (pre.code-quality.security-standards), the dependency scan
(pre.security.vulnerability-scan) and the staging-target checks pre.security.csp, .cors,
.rate-limiting, .input-validation and .output-sanitization, read from this run's results
(``conftest.py`` runs this test last). A component that failed, or a finding above the
thresholds nobody triaged, fails the audit; a component that was not checked in this run
leaves it INCONCLUSIVE.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_release.evidence import EvidenceRecorder
from pytest_release.outcomes import inconclusive
from pytest_release.predeploy_settings import bandit_result, dependency_audit
from pytest_release.probes.audit_summary import Component, summarize
from pytest_release.status import FAILING, PASSING

TARGET_ITEMS = (
    "pre.security.csp",
    "pre.security.cors",
    "pre.security.rate-limiting",
    "pre.security.input-validation",
    "pre.security.output-sanitization",
)


def _run_status(config: pytest.Config, item: str) -> Component:
    """What this run's tests linked to ``item`` concluded so far."""
    session: Any = config.pluginmanager.get_plugin("release-session")
    states = [s for s in getattr(session, "tests", {}).values() if item in s.checklist]
    if not states:
        return Component(
            item, "not-checked", "no test of this item ran in this run (select it too)"
        )
    outcomes = [(s, *s.final()) for s in states]
    failed = [(s, m) for s, o, m in outcomes if o in FAILING]
    if failed:
        return Component(item, "fail", (failed[0][1] or "failed").splitlines()[0][:300])
    unsure = [s for s, o, _ in outcomes if s.inconclusive or o not in PASSING]
    if unsure:
        why = unsure[0].inconclusive[1] if unsure[0].inconclusive else "skipped"
        return Component(item, "not-checked", why[:300])
    return Component(item, "pass", f"{len(states)} test(s) passed")


@pytest.mark.checklist("pre.security.audit")
def test_security_audit_complete(
    request: pytest.FixtureRequest, evidence: EvidenceRecorder
) -> None:
    config = request.config
    summary = summarize(
        bandit_result(config),
        dependency_audit(config),
        [_run_status(config, item) for item in TARGET_ITEMS],
    )
    evidence.attach("security-audit", summary.evidence(), "json")
    evidence.attach("security-audit-summary", summary.text(), "text")
    if summary.untriaged_high or summary.failed:
        pytest.fail(summary.failure_message(), pytrace=False)
    if summary.unchecked:
        inconclusive(summary.inconclusive_message())

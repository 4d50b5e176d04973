"""Code meets security standards: bandit finds nothing over the thresholds that is not reviewed.

``[tool.pytest_release.predeploy.bandit]``: ``paths``, ``exclude``, ``severity`` and
``confidence`` thresholds (default medium/medium) and a reviewed ``baseline`` (TOML, each
accepted finding with its reason). Every finding is listed in the evidence.
"""

from __future__ import annotations

import pytest

from pytest_release.evidence import EvidenceRecorder
from pytest_release.outcomes import inconclusive
from pytest_release.predeploy_settings import area_config, bandit_result
from pytest_release.probes.bandit_scan import BanditError, bandit_config


@pytest.mark.checklist("pre.code-quality.security-standards")
def test_bandit_findings_reviewed(
    request: pytest.FixtureRequest, evidence: EvidenceRecorder
) -> None:
    config = area_config(request.config, "bandit", bandit_config)
    result = bandit_result(request.config)
    if isinstance(result, BanditError):
        inconclusive(f"could not run bandit: {result}")
    evidence.attach("bandit", result.evidence(), "json")
    if result.blocking:
        lines = [f.describe() for f in result.blocking]
        pytest.fail(
            f"bandit: {len(lines)} finding(s) at or above severity {config.severity} / confidence "
            f"{config.confidence}: fix them, or review each and add it with a reason to the "
            f"baseline ({config.baseline or 'set baseline = ...'})\n" + "\n".join(lines[:30]),
            pytrace=False,
        )
    if result.errors:
        pytest.fail("bandit could not scan: " + "; ".join(result.errors[:5]), pytrace=False)

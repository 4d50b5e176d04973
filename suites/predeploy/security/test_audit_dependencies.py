"""Vulnerability scanning has been performed: pip-audit (and npm audit where a lock file exists).

``[tool.pytest_release.predeploy.audit]``: ``requirements`` (pinned files; default: the
environment this runs in), ``service`` (pypi or osv), ``accepted`` (id -> reason, the
triaged findings), and, for machines without access to a vulnerability service,
``osv_database`` (an offline OSV export) or ``report`` (a pip-audit JSON report at most
``max_report_age_hours`` old). A scan that could not consult its database is
INCONCLUSIVE "could not audit: <reason>", never a pass.
"""

from __future__ import annotations

import pytest

from pytest_release.evidence import EvidenceRecorder
from pytest_release.outcomes import inconclusive
from pytest_release.predeploy_settings import dependency_audit
from pytest_release.probes.audit import AuditUnavailable


@pytest.mark.checklist("pre.security.vulnerability-scan")
def test_dependencies_have_no_known_vulnerabilities(
    request: pytest.FixtureRequest, evidence: EvidenceRecorder
) -> None:
    result = dependency_audit(request.config)
    if isinstance(result, AuditUnavailable):
        evidence.attach("dependency-audit", {"could_not_audit": str(result)}, "json")
        inconclusive(
            f"could not audit: {result}; configure osv_database (an offline OSV export) or "
            "report (a recent pip-audit JSON) in [tool.pytest_release.predeploy.audit]"
        )
    evidence.attach("dependency-audit", result.evidence(), "json")
    if result.untriaged:
        lines = [f.describe() for f in result.untriaged]
        pytest.fail(
            f"{len(lines)} known vulnerabilit{'y' if len(lines) == 1 else 'ies'} in dependencies: "
            "upgrade to a fixed version, or triage each in [tool.pytest_release.predeploy.audit."
            "accepted] with a reason\n" + "\n".join(lines[:30]),
            pytrace=False,
        )
    if result.unaudited:
        inconclusive(
            f"could not audit {len(result.unaudited)} of {result.audited + len(result.unaudited)} "
            f"packages (e.g. {result.unaudited[0]}): the scan is incomplete"
        )

"""No unauthorized access is possible: protected paths refuse, however the request looks.

Paths come from ``[tool.pytest_release.security] protected_paths`` (default ``/admin``);
``pytest_release.probes.access`` lists the variants tried. Only GET and HEAD are sent.
"""

from __future__ import annotations

import ssl

import pytest

from pytest_release.evidence import EvidenceRecorder
from pytest_release.outcomes import inconclusive
from pytest_release.probes.access import AccessReport, probe_access
from pytest_release.probes.rawhttp import RawClient
from pytest_release.security_settings import settings_for
from pytest_release.target import DEFAULT_TIMEOUT, USER_AGENT, Target

ITEM = "post.security.unauthorized-access"


@pytest.fixture(scope="module")
def access(request: pytest.FixtureRequest, target: Target) -> AccessReport:
    security = settings_for(request.config)
    context = ssl.create_default_context(cafile=str(security.ca_file) if security.ca_file else None)
    client = RawClient.for_url(
        target.url, timeout=DEFAULT_TIMEOUT[0], user_agent=USER_AGENT, ssl_context=context
    )
    return probe_access(client, security.protected_paths)


def _usable(report: AccessReport) -> None:
    if report.answered == 0:
        inconclusive("the target answered none of the access probe's requests")
    if not any(p.exists for p in report.paths):
        paths = ", ".join(p.path for p in report.paths)
        inconclusive(
            f"every protected path answers 404 ({paths}), so nothing was checked: list the "
            "real ones in [tool.pytest_release.security] protected_paths"
        )


@pytest.mark.checklist(ITEM)
def test_protected_paths_refuse_without_valid_credentials(
    access: AccessReport, evidence: EvidenceRecorder
) -> None:
    _usable(access)
    evidence.attach("unauthorized-access", access.evidence(), "json")
    open_paths = [
        f"{p.path} answers {a.status} to a request with {a.variant}"
        for p in access.paths
        for a in p.attempts[:3]  # no credentials, wrong Basic, made-up Bearer
        if a.granted
    ]
    if open_paths:
        pytest.fail(
            f"{open_paths[0]}: put it behind authentication (401/403 to anyone not logged in)\n"
            + "\n".join(open_paths[1:]),
            pytrace=False,
        )


@pytest.mark.checklist(ITEM)
def test_no_authorization_bypass(access: AccessReport, evidence: EvidenceRecorder) -> None:
    _usable(access)
    evidence.attach("bypass-variants", access.evidence(), "json")
    problems = access.problems()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)

"""CORS settings are appropriate: no untrusted origin is granted, least of all with credentials.

Trusted origins: the target's own and ``[tool.pytest_release.security]
cors_allowed_origins``; endpoints: ``cors_endpoints`` (default ``/`` and ``/api/run``).
"""

from __future__ import annotations

import httpx
import pytest

from pytest_release.evidence import EvidenceRecorder
from pytest_release.outcomes import inconclusive
from pytest_release.probes.cors import probe_cors
from pytest_release.security_settings import settings_for
from pytest_release.target import Target


@pytest.mark.checklist("pre.security.cors")
def test_cors_grants_no_untrusted_origin(
    request: pytest.FixtureRequest, target: Target, http: httpx.Client, evidence: EvidenceRecorder
) -> None:
    security = settings_for(request.config)
    report = probe_cors(http, target.url, security.cors_endpoints, security.cors_allowed_origins)
    evidence.attach("cors", report.evidence(), "json")
    if report.answered == 0:
        inconclusive("the target answered none of the CORS probe's requests")
    lines = report.failure_lines()
    if lines:
        pytest.fail(
            f"{len(lines)} untrusted origin(s) granted, e.g. {lines[0]}: allow only an exact "
            "list of trusted origins (compare whole origins, never prefixes, suffixes or "
            "regexes)\n" + "\n".join(lines[1:]),
            pytrace=False,
        )

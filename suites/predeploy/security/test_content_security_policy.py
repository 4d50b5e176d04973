"""Content Security Policy is configured: checks beyond the grade on every page.

Scripts without 'unsafe-inline'/'unsafe-eval', object-src 'none', frame-ancestors,
base-uri, no wildcard or plain-http sources; a missing report-to/report-uri is a
warning in the evidence, not a failure.
"""

from __future__ import annotations

import httpx
import pytest

from pytest_release.evidence import EvidenceRecorder
from pytest_release.outcomes import inconclusive
from pytest_release.probes.csp import CspReview, review_policy
from pytest_release.probes.fetch import fetch
from pytest_release.security_settings import settings_for
from pytest_release.target import Target


@pytest.mark.checklist("pre.security.csp")
def test_content_security_policy(
    request: pytest.FixtureRequest, target: Target, http: httpx.Client, evidence: EvidenceRecorder
) -> None:
    security = settings_for(request.config)
    reviews: dict[str, CspReview] = {}
    for page in security.pages:
        answer = fetch(http, "GET", target.join(page), limit=2 * 1024 * 1024)
        if answer.status is None:
            inconclusive(f"cannot fetch {target.join(page)}: {answer.error}")
        reviews[page] = review_policy(target.join(page), answer.headers, answer.text())
    evidence.attach(
        "content-security-policy", {page: r.evidence() for page, r in reviews.items()}, "json"
    )
    problems = [f"{page}: {c.message}" for page, r in reviews.items() for c in r.failures()]
    if problems:
        pytest.fail("CSP on " + "\nCSP on ".join(problems), pytrace=False)

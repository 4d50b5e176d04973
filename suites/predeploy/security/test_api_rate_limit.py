"""Rate limiting is configured: the run API has a limit, and it is the one expected.

The expected limit is ``[tool.pytest_release.sandbox.rate_limit] per_minute`` (else the
target's own X-RateLimit-Limit); the observed limit is what a bounded burst got through.
"""

from __future__ import annotations

import pytest

from pytest_release.api_hardening import fail_lines, rate_limit_reports
from pytest_release.evidence import EvidenceRecorder
from pytest_release.outcomes import inconclusive
from pytest_release.probes.ratelimit import Problem
from pytest_release.target import Target


@pytest.mark.checklist("pre.security.rate-limiting")
def test_rate_limit_is_configured(
    request: pytest.FixtureRequest, target: Target, evidence: EvidenceRecorder
) -> None:
    reports = rate_limit_reports(request.config, target)
    evidence.attach(
        "rate-limit-configured",
        [
            {
                "endpoint": r.endpoint,
                "observed_limit": r.observed_limit,
                "expected_per_minute": r.expected_per_minute,
                "advertised_limit": r.advertised_limit,
                "burst_s": round(r.burst_s, 2),
                "notes": list(r.notes),
            }
            for r in reports
        ],
        "json",
    )
    lines = [
        f"{r.endpoint}: {m}"
        for r in reports
        for m in r.messages(Problem.NO_LIMIT, Problem.OVER_LIMIT)
    ]
    if lines:
        fail_lines(
            "rate limiting is not configured as expected",
            lines,
            "configure a per-client limit on the run API (and set "
            "[tool.pytest_release.sandbox.rate_limit] per_minute to it)",
        )
    if any(not r.limited for r in reports):
        inconclusive("; ".join(u for r in reports for u in r.unchecked) or "no 429 observed")

"""Rate limiting is effective on the run API: measured by a bounded burst, not assumed.

Above the limit the burst must meet 429 with Retry-After, the limit must lift after the
wait it names, and nothing under the limit may be refused. The burst is shared with the
pre-deployment item "Rate limiting is configured" and runs once per session.
"""

from __future__ import annotations

import pytest

from pytest_release.api_hardening import fail_lines, rate_limit_reports
from pytest_release.evidence import EvidenceRecorder
from pytest_release.outcomes import inconclusive
from pytest_release.probes.ratelimit import Problem
from pytest_release.target import Target


@pytest.mark.checklist("post.security.rate-limiting")
def test_rate_limit_is_effective(
    request: pytest.FixtureRequest, target: Target, evidence: EvidenceRecorder
) -> None:
    reports = rate_limit_reports(request.config, target)
    evidence.attach("rate-limit-burst", [r.evidence() for r in reports], "json")
    lines = [
        f"{r.endpoint}: {m}"
        for r in reports
        for m in r.messages(
            Problem.NO_LIMIT, Problem.UNDER_LIMIT, Problem.RETRY_AFTER, Problem.RECOVERY
        )
    ]
    if lines:
        fail_lines(
            "rate limiting is not effective",
            lines,
            "limit runs per client (e.g. a token bucket per address) and answer 429 with "
            "Retry-After once the budget is spent",
        )
    unchecked = [f"{r.endpoint}: {u}" for r in reports for u in r.unchecked]
    if unchecked:
        inconclusive("; ".join(unchecked))

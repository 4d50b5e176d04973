"""Security headers are present: every configured page grades well on the MDN Observatory.

The item fails on any Observatory test scored -20 or worse and on a grade below
``[tool.pytest_release.security] minimum_grade`` (default B). Plain HTTP on a loopback
address is a local deployment: HSTS and the http->https redirection are not applicable
there (see ``pytest_release.probes.header_gate``); everywhere else they count.
"""

from __future__ import annotations

import httpx
import pytest

from pytest_release.evidence import EvidenceRecorder
from pytest_release.outcomes import inconclusive
from pytest_release.probes.header_gate import HeaderGate, grade_page, summary
from pytest_release.probes.headers import ScanError
from pytest_release.security_settings import settings_for
from pytest_release.target import Target


@pytest.mark.checklist("post.security.headers")
def test_security_headers_grade(
    request: pytest.FixtureRequest, target: Target, http: httpx.Client, evidence: EvidenceRecorder
) -> None:
    security = settings_for(request.config)
    gates: dict[str, HeaderGate] = {}
    for page in security.pages:
        try:
            gates[page] = grade_page(http, target.join(page), security.minimum_grade)
        except (ScanError, httpx.HTTPError) as exc:
            inconclusive(f"cannot grade {target.join(page)}: {exc}")
    evidence.attach("observatory-grade", summary(gates), "json")
    problems = [f"{page}: {line}" for page, gate in gates.items() for line in gate.problems()]
    grades = ", ".join(f"{page} {gate.report.grade}" for page, gate in gates.items())
    if problems:
        # The first line is what the checklist shows: make it the worst problem itself.
        pytest.fail(f"{problems[0]} [grade {grades}]\n" + "\n".join(problems[1:]), pytrace=False)

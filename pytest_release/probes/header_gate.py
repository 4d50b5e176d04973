"""The gate of "Security headers are present": grade a page and decide whether it passes.

The grade is the MDN HTTP Observatory's (``probes.headers``). The item fails on any test
the Observatory scores -20 or worse, and on a grade below the configured minimum.

Plain HTTP on a loopback address is a local deployment (the bundled reference, a
developer's machine, a CI service container): there is no network path to protect, so
Strict-Transport-Security and the http->https redirection are *not applicable* there.
Their tests are kept in the report, marked not applicable, scored 0, and the grade is
computed without them. Every other http:// target is graded as the Observatory grades
it, so a production site on plain HTTP fails as it should.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

import httpx

from pytest_release.probes.headers import (
    OBSERVATORY_ORIGIN,
    CheckResult,
    Report,
    ScanContext,
    ScanError,
    TestName,
    analyze,
    grade_at_least,
    scan,
    status_is_gradeable,
)
from pytest_release.probes.headers.grading import grade_results

# Observatory tests scored at or below this fail the item outright.
FAILING_MODIFIER = -20
TRANSPORT_TESTS = (TestName.STRICT_TRANSPORT_SECURITY.value, TestName.REDIRECTION.value)
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
MAX_BODY_BYTES = 2 * 1024 * 1024
ACCEPT_HTML = {"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"}


def is_loopback_host(host: str | None) -> bool:
    """True for localhost names and loopback addresses (127.0.0.0/8, ::1)."""
    if not host:
        return False
    name = host.strip("[]").lower().rstrip(".")
    if name in LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def is_local_plain_http(url: str) -> bool:
    """True when `url` is http:// on a loopback host (HSTS and redirection do not apply)."""
    parts = urlsplit(url)
    return parts.scheme.lower() == "http" and is_loopback_host(parts.hostname)


@dataclass(frozen=True, slots=True)
class HeaderGate:
    """The grade, the tests that sink the item, and whether the grade is high enough."""

    report: Report
    minimum_grade: str
    failing: tuple[CheckResult, ...]
    not_applicable: tuple[str, ...] = ()

    @property
    def grade_ok(self) -> bool:
        return grade_at_least(self.report.grade, self.minimum_grade)

    @property
    def passed(self) -> bool:
        return self.grade_ok and not self.failing

    def problems(self) -> list[str]:
        """One line per reason the item fails, each saying how to fix it."""
        lines = [
            f"{t.name.value} scores {t.score_modifier} ({t.result.value}): {t.explanation}"
            for t in self.failing
        ]
        if not self.grade_ok:
            worst = ", ".join(
                f"{t.name.value} {t.score_modifier:+d}"
                for t in self.report.failures()
                if t.score_modifier < 0
            )
            lines.append(
                f"grade {self.report.grade} (score {self.report.score}) is below the required "
                f"{self.minimum_grade}; the penalties are: {worst or 'none'}"
            )
        return lines

    def evidence(self) -> dict[str, Any]:
        """Grade and per-test results, as plain data for the report."""
        return {
            "url": self.report.url,
            "status": self.report.status,
            "score": self.report.score,
            "grade": self.report.grade,
            "minimum_grade": self.minimum_grade,
            "passed": self.passed,
            "not_applicable": list(self.not_applicable),
            "tests": {
                name: {
                    "result": t.result.value,
                    "passed": t.passed,
                    "score_modifier": t.score_modifier,
                    "explanation": t.explanation,
                    "data": t.data,
                }
                for name, t in self.report.tests.items()
            },
        }


def without_tests(report: Report, names: tuple[str, ...], why: str) -> Report:
    """The report with `names` marked not applicable (passed, scored 0) and re-graded."""
    tests = dict(report.tests)
    for name in names:
        test = tests.get(name)
        if test is not None:
            tests[name] = replace(
                test,
                passed=True,
                score_modifier=0,
                explanation=f"Not applicable ({why}); the Observatory would say: "
                f"{test.explanation}",
            )
    score, grade = grade_results(tests.values())
    passed = sum(t.passed for t in tests.values())
    return replace(
        report,
        score=score,
        grade=grade,
        tests=tests,
        tests_passed=passed,
        tests_failed=len(tests) - passed,
    )


def judge(report: Report, minimum_grade: str, not_applicable: tuple[str, ...] = ()) -> HeaderGate:
    """Apply the item's rule to a report (see the module docstring)."""
    failing = tuple(
        t for t in report.failures() if t.score_modifier <= FAILING_MODIFIER and not t.passed
    )
    return HeaderGate(report, minimum_grade, failing, not_applicable)


def _preflight(client: httpx.Client, url: str) -> httpx.Headers | None:
    headers = {"Origin": OBSERVATORY_ORIGIN, "Access-Control-Request-Method": "GET"}
    try:
        return client.request("OPTIONS", url, headers=headers).headers
    except httpx.HTTPError:
        return None


def grade_local(client: httpx.Client, url: str) -> Report:
    """Grade one page from its real response, without the http->https fetches of scan().

    Sends the same CORS preflight as the Observatory. Raises httpx.HTTPError when the page
    cannot be fetched and ScanError when its status is not gradeable.
    """
    # Like the Observatory, grade where the redirects end (a login page, a trailing slash).
    with client.stream("GET", url, headers=ACCEPT_HTML, follow_redirects=True) as response:
        body = bytearray()
        for chunk in response.iter_bytes():
            body.extend(chunk)
            if len(body) >= MAX_BODY_BYTES:
                break
        html = bytes(body[:MAX_BODY_BYTES]).decode(response.encoding or "utf-8", "replace")
        final, status, headers = str(response.url), response.status_code, response.headers
    if not status_is_gradeable(status):
        raise ScanError(
            final,
            f"the page answers HTTP {status}; security headers are graded on 2xx, 3xx, 401 "
            "and 403 answers only: fix the page or list working ones in pages",
        )
    return analyze(
        final,
        status,
        headers,
        html,
        redirects=None,
        cors_headers=_preflight(client, final),
        context=ScanContext(),
    )


def grade_page(client: httpx.Client, url: str, minimum_grade: str) -> HeaderGate:
    """Grade `url` and judge it; loopback plain HTTP skips the transport tests.

    Raises ScanError (from scan) or httpx.HTTPError when the page cannot be graded.
    """
    if is_local_plain_http(url):
        report = without_tests(
            grade_local(client, url),
            TRANSPORT_TESTS,
            "plain HTTP on a loopback address is a local deployment",
        )
        return judge(report, minimum_grade, TRANSPORT_TESTS)
    return judge(scan(url, client), minimum_grade)


def summary(gates: Mapping[str, HeaderGate]) -> dict[str, Any]:
    """Evidence for several pages: grade per page plus each page's details."""
    return {
        "pages": {path: gate.evidence() for path, gate in gates.items()},
        "grades": {path: gate.report.grade for path, gate in gates.items()},
        "passed": all(gate.passed for gate in gates.values()),
    }

"""Is monitoring working? Metrics scrape, counters and histograms that advance, dashboards.

Works on the Prometheus text exposition (``GET /metrics``) as any scraper sees it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families

from pytest_release.probes.findings import CheckResult, Finding, FindingStatus

OK, PROBLEM, UNCHECKED = FindingStatus.OK, FindingStatus.PROBLEM, FindingStatus.NOT_CHECKED


@dataclass(frozen=True, slots=True)
class Scrape:
    """One scrape: samples by name (labels folded in), and the metric families' types."""

    samples: Mapping[str, float]
    types: Mapping[str, str]

    def total(self, name: str) -> float:
        """The sum of every sample called exactly ``name`` (any labels)."""
        return sum(v for k, v in self.samples.items() if k.split("{", 1)[0] == name)


class ScrapeError(Exception):
    """/metrics could not be read; the message says why and what to do."""


def scrape(client: httpx.Client, path: str = "/metrics") -> Scrape:
    try:
        response = client.get(path)
    except httpx.HTTPError as exc:
        raise ScrapeError(f"{path} did not answer ({type(exc).__name__})") from exc
    if response.status_code != 200:
        raise ScrapeError(
            f"{path} answers {response.status_code}: expose Prometheus metrics there "
            "(prometheus_client's generate_latest)"
        )
    samples: dict[str, float] = {}
    types: dict[str, str] = {}
    try:
        for family in text_string_to_metric_families(response.text):
            types[family.name] = family.type
            for sample in family.samples:
                labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
                samples[f"{sample.name}{{{labels}}}"] = float(sample.value)
    except ValueError as exc:
        raise ScrapeError(f"{path} is not Prometheus text exposition: {exc}") from exc
    return Scrape(samples, types)


def check_scrape(
    client: httpx.Client, required: tuple[str, ...], path: str = "/metrics"
) -> CheckResult:
    """/metrics answers, parses, and carries the required metric families."""
    try:
        result = scrape(client, path)
    except ScrapeError as exc:
        return CheckResult("metrics scrape", path, (Finding(path, PROBLEM, str(exc)),))
    findings = [Finding(path, OK, f"{len(result.samples)} samples in {len(result.types)} families")]
    for name in required:
        if name in result.types:
            findings.append(Finding(name, OK, result.types[name]))
        else:
            findings.append(Finding(name, PROBLEM, f"metric family {name} missing from {path}"))
    return CheckResult("metrics scrape", path, tuple(findings))


def histogram_count(result: Scrape, family: str) -> float:
    """Observations so far in a histogram family (the sum of its _count samples)."""
    return result.total(f"{family}_count")


def check_advances(what: str, metric: str, before: float, after: float, action: str) -> CheckResult:
    """A counter or histogram count went up after ``action``."""
    if after > before:
        finding = Finding(metric, OK, f"{before:g} -> {after:g} after {action}")
    else:
        finding = Finding(
            metric,
            PROBLEM,
            f"stayed at {before:g} -> {after:g} after {action}: {what} is not recorded; "
            "check the instrumentation",
        )
    return CheckResult(what, metric, (finding,))


def check_health_url(url: str, what: str, timeout: float = 5.0) -> Finding:
    """An external monitoring component (Prometheus /-/healthy, Grafana /api/health) answers 200."""
    try:
        response = httpx.get(url, timeout=timeout)
    except httpx.HTTPError as exc:
        return Finding(what, PROBLEM, f"{url} did not answer ({type(exc).__name__})")
    if response.status_code != 200:
        return Finding(what, PROBLEM, f"{url} answers {response.status_code}")
    return Finding(what, OK, f"{url} answers 200")


def check_dashboard(client: httpx.Client, path: str, marks: tuple[str, ...] = ()) -> CheckResult:
    """The dashboard page answers 200 with HTML (and shows the expected panels)."""
    try:
        response = client.get(path)
    except httpx.HTTPError as exc:
        finding = Finding(path, PROBLEM, f"did not answer ({type(exc).__name__})")
        return CheckResult("dashboard", path, (finding,))
    if response.status_code != 200:
        finding = Finding(
            path,
            PROBLEM,
            f"answers {response.status_code}: the dashboard is not reachable; "
            "set [tool.pytest_release.monitoring] dashboard_path or fix it",
        )
        return CheckResult("dashboard", path, (finding,))
    findings = [Finding(path, OK, f"200, {len(response.content)} bytes")]
    text = response.text
    for mark in marks:
        status = OK if mark in text else PROBLEM
        findings.append(Finding(mark, status, "shown" if status is OK else "panel missing"))
    return CheckResult("dashboard", path, tuple(findings))

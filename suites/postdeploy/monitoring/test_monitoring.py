"""Post-deployment / Monitoring: errors logged, latency and activity recorded, alerts, dashboard."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import httpx
import pytest

from pytest_release.check_outcome import record
from pytest_release.evidence import EvidenceRecorder
from pytest_release.ops_fixtures import REFERENCE_RULES
from pytest_release.ops_settings import OpsSettings
from pytest_release.outcomes import inconclusive
from pytest_release.probes import logs
from pytest_release.probes.alerts import check_alert_rules, expand
from pytest_release.probes.findings import CheckResult, Finding, FindingStatus
from pytest_release.probes.monitoring import (
    Scrape,
    ScrapeError,
    check_advances,
    check_dashboard,
    scrape,
)
from pytest_release.target import Target

LATENCY_FAMILY = "http_request_duration_seconds"
ACTIVITY_COUNTER = "code_executions_total"
DASHBOARD_PANELS = ('data-panel="requests"', 'data-panel="server-errors"')


def _scrape(client: httpx.Client) -> Scrape:
    try:
        return scrape(client)
    except ScrapeError as exc:
        pytest.fail(f"monitoring cannot be checked: {exc}", pytrace=False)


def _observations_outside_metrics(result: Scrape) -> float:
    # Scraping /metrics is itself a request; only other routes show that traffic is measured.
    return sum(
        value
        for key, value in result.samples.items()
        if key.startswith(f"{LATENCY_FAMILY}_count{{") and "route=/metrics" not in key
    )


@pytest.mark.checklist("post.monitoring.error-logging")
def test_errors_are_logged(
    ops_http: httpx.Client,
    ops_settings: OpsSettings,
    log_source: Path | None,
    evidence: EvidenceRecorder,
) -> None:
    if log_source is None or not log_source.exists():
        inconclusive("no log to search: set [tool.pytest_release.deploy] log_file")
    request_id = uuid.uuid4().hex
    path = ops_settings.monitoring.error_path
    response = ops_http.get(path, headers={"X-Request-Id": request_id})
    deadline = time.monotonic() + ops_settings.monitoring.log_wait_s
    found = None
    while found is None and time.monotonic() < deadline:
        found = logs.find_request(logs.parse(logs.read_lines(log_source)), request_id)
        if found is None:
            time.sleep(0.2)
    status = FindingStatus.OK if found is not None else FindingStatus.PROBLEM
    detail = (
        found.text[:300]
        if found is not None
        else f"GET {path} answered {response.status_code} but no log line with request id "
        f"{request_id} appeared in {log_source} within {ops_settings.monitoring.log_wait_s:g} s: "
        "errors are not logged (check the log level and the error handler)"
    )
    result = record(
        CheckResult("error logging", str(log_source), (Finding(request_id, status, detail),)),
        evidence,
    )
    assert not result.failed, result.failure_message()


@pytest.mark.checklist("post.monitoring.performance-monitoring")
def test_latency_is_measured(ops_http: httpx.Client, evidence: EvidenceRecorder) -> None:
    before = _observations_outside_metrics(_scrape(ops_http))
    ops_http.get("/healthz")
    after = _observations_outside_metrics(_scrape(ops_http))
    result = record(
        check_advances(
            "performance monitoring", f"{LATENCY_FAMILY}_count", before, after, "GET /healthz"
        ),
        evidence,
    )
    assert not result.failed, result.failure_message()


def _activity(client: httpx.Client, data_dir: Path | None) -> float | None:
    """Runs recorded in the usage statistics (/admin/stats.json), when credentials are known."""
    password_file = data_dir / "admin-password" if data_dir else None
    if password_file is None or not password_file.is_file():
        return None
    password = password_file.read_text(encoding="utf-8").strip()
    response = client.get("/admin/stats.json", auth=("admin", password))
    if response.status_code != 200:
        return None
    return float(response.json().get("runs_total", 0))


@pytest.mark.checklist("post.monitoring.user-activity")
def test_user_activity_is_tracked(
    ops_http: httpx.Client, target: Target, data_dir: Path | None, evidence: EvidenceRecorder
) -> None:
    counter_before = _scrape(ops_http).total(ACTIVITY_COUNTER)
    stats_before = _activity(ops_http, data_dir)
    run = ops_http.post("/api/run", json={"code": "print('activity')", "language": "python"})
    if run.status_code != 200:
        inconclusive(f"POST /api/run answered {run.status_code}: no activity could be made")
    counter = check_advances(
        "user activity",
        ACTIVITY_COUNTER,
        counter_before,
        _scrape(ops_http).total(ACTIVITY_COUNTER),
        "one run",
    )
    findings = counter.findings
    if stats_before is not None:
        stats_after = _activity(ops_http, data_dir) or 0.0
        findings += check_advances(
            "user activity", "usage statistics runs_total", stats_before, stats_after, "one run"
        ).findings
    result = record(CheckResult("user activity", target.url, findings), evidence)
    assert not result.failed, result.failure_message()


@pytest.mark.checklist("post.monitoring.alerts")
def test_alerts_are_configured(
    ops_settings: OpsSettings,
    target: Target,
    request: pytest.FixtureRequest,
    evidence: EvidenceRecorder,
) -> None:
    patterns = ops_settings.monitoring.rule_files
    if patterns:
        files = expand(patterns, request.config.rootpath)
        described = ", ".join(patterns)
    elif target.data_dir is not None:
        files, described = [REFERENCE_RULES], str(REFERENCE_RULES)
    else:
        files, described = [], "(none configured: [tool.pytest_release.monitoring] rule_files)"
    result = record(check_alert_rules(files, described), evidence)
    assert not result.failed, result.failure_message()


@pytest.mark.checklist("post.monitoring.dashboard")
def test_dashboard_is_accessible(
    ops_http: httpx.Client, ops_settings: OpsSettings, evidence: EvidenceRecorder
) -> None:
    path = ops_settings.monitoring.dashboard_path
    marks = DASHBOARD_PANELS if path == "/dashboard" else ()
    result = record(check_dashboard(ops_http, path, marks), evidence)
    assert not result.failed, result.failure_message()

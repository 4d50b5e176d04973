"""Deployment steps / 4. Verification: no errors in the logs, monitoring works."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import httpx
import pytest

from pytest_release.check_outcome import record
from pytest_release.evidence import EvidenceRecorder
from pytest_release.ops_settings import OpsSettings
from pytest_release.outcomes import inconclusive
from pytest_release.probes import logs
from pytest_release.probes.findings import CheckResult
from pytest_release.probes.monitoring import check_health_url, check_scrape

REQUIRED_FAMILIES = ("http_requests", "http_request_duration_seconds")


@pytest.mark.checklist("deploy.verification.logs")
def test_no_errors_in_logs(
    log_source: Path | None, deploy_started: datetime | None, evidence: EvidenceRecorder
) -> None:
    if log_source is None or not log_source.exists():
        inconclusive(
            f"no log to read ({log_source or 'none configured'}): set "
            "[tool.pytest_release.deploy] log_file to the application's log file or directory"
        )
    entries = logs.parse(logs.read_lines(log_source))
    result = record(logs.check_no_errors(entries, deploy_started, str(log_source)), evidence)
    assert not result.failed, result.failure_message()


@pytest.mark.checklist("deploy.verification.monitoring")
def test_monitoring_is_working(
    ops_http: httpx.Client, ops_settings: OpsSettings, evidence: EvidenceRecorder
) -> None:
    result = check_scrape(ops_http, REQUIRED_FAMILIES)
    extra = []
    monitoring = ops_settings.monitoring
    if monitoring.prometheus_url:
        extra.append(
            check_health_url(monitoring.prometheus_url.rstrip("/") + "/-/healthy", "Prometheus")
        )
    if monitoring.grafana_url:
        extra.append(
            check_health_url(monitoring.grafana_url.rstrip("/") + "/api/health", "Grafana")
        )
    result = record(
        CheckResult(result.check, result.subject, result.findings + tuple(extra)), evidence
    )
    assert not result.failed, result.failure_message()

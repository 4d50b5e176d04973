"""Monitoring system is configured: the target serves its metrics, alert rules exist and fit them.

``[tool.pytest_release.predeploy.monitoring]``: ``metrics_path`` (default ``/metrics``),
``required_metrics``, ``alert_rules`` (Prometheus rule files; every metric an alert uses
must be exposed by the target).
"""

from __future__ import annotations

import httpx
import pytest

from pytest_release.evidence import EvidenceRecorder
from pytest_release.predeploy_settings import area_config
from pytest_release.probes.monitoring_setup import check_monitoring, monitoring_config


@pytest.mark.checklist("pre.environment.monitoring")
def test_monitoring_configured(
    request: pytest.FixtureRequest, http: httpx.Client, evidence: EvidenceRecorder
) -> None:
    config = area_config(request.config, "monitoring", monitoring_config)
    status: int | None = None
    text, error = "", None
    try:
        response = http.get(config.metrics_path)
        status, text = response.status_code, response.text
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"
    result = check_monitoring(config, status, text, error)
    evidence.attach("monitoring", result.evidence(), "json")
    if result.problems:
        pytest.fail("\n".join(result.problems), pytrace=False)

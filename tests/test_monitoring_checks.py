"""Monitoring checks: logs, metrics, alert rules, dashboard; the suite against real servers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from pytest_release.ops_fixtures import REFERENCE_RULES
from pytest_release.probes import logs
from pytest_release.probes.alerts import check_alert_rules
from pytest_release.probes.monitoring import check_dashboard, check_scrape, histogram_count, scrape
from pytest_release.reference.inprocess import serve_reference
from pytest_release.reference.launcher import ReferenceServer, start_reference_server
from pytest_release.reference.settings import build_settings
from tests.ops_suite_run import run_suite

MONITORING = "suites/postdeploy/monitoring"


def test_log_errors_since_the_deploy_start() -> None:
    lines = [
        '{"timestamp": "2025-07-25T20:00:00+00:00", "level": "error", "event": "old",'
        ' "request_id": "a"}',
        '{"timestamp": "2025-07-25T21:00:00+00:00", "level": "info", "event": "request",'
        ' "request_id": "b"}',
        '{"timestamp": "2025-07-25T21:05:00+00:00", "level": "error", "event": "unhandled-error",'
        ' "path": "/api/run", "request_id": "c"}',
        "Traceback (most recent call last):",
    ]
    entries = logs.parse(lines)
    since = datetime(2025, 7, 25, 20, 30, tzinfo=UTC)
    result = logs.check_no_errors(entries, since, "app.log")
    assert result.failed
    message = result.failure_message()
    assert "2 error line(s) since 2025-07-25 20:30:00" in message
    assert "request_id=c" in message and "old" not in message
    assert logs.check_no_errors(entries[:2], since, "app.log").passed
    found = logs.find_request(entries, "b")
    assert found is not None and found.data is not None and found.data["event"] == "request"


def test_alert_rules(tmp_path: Path) -> None:
    assert check_alert_rules([REFERENCE_RULES], "reference").passed
    none = check_alert_rules([], "monitoring/*.yml")
    assert none.failed and "no Prometheus rule files" in none.failure_message()
    partial = tmp_path / "rules.yml"
    partial.write_text(
        "groups:\n- name: x\n  rules:\n  - alert: Down\n    expr: up == 0\n", encoding="utf-8"
    )
    result = check_alert_rules([partial], str(partial))
    assert result.failed
    assert "no error-rate alert" in result.failure_message()
    assert "no latency alert" in result.failure_message()
    broken = tmp_path / "broken.yml"
    broken.write_text("groups: [", encoding="utf-8")
    assert "not readable YAML" in check_alert_rules([broken], "x").failure_message()


def test_metrics_and_dashboard(tmp_path: Path) -> None:
    settings = build_settings(data_dir=tmp_path, environ={})
    with serve_reference(settings) as url, httpx.Client(base_url=url) as client:
        assert check_scrape(client, ("http_requests", "http_request_duration_seconds")).passed
        before = histogram_count(scrape(client), "http_request_duration_seconds")
        client.get("/healthz")
        assert histogram_count(scrape(client), "http_request_duration_seconds") > before
        board = check_dashboard(client, "/dashboard", ('data-panel="requests"',))
        assert board.passed, board.failure_message()
        assert check_dashboard(client, "/no-dashboard").failed
    settings = build_settings(
        data_dir=tmp_path / "m", faults=frozenset({"metrics-missing"}), environ={}
    )
    with serve_reference(settings) as url, httpx.Client(base_url=url) as client:
        missing = check_scrape(client, ())
    assert missing.failed and "/metrics answers 404" in missing.failure_message()


@pytest.fixture(scope="module")
def faulty() -> Iterator[ReferenceServer]:
    """A reference deployment that neither logs errors nor records runs."""
    with start_reference_server(faults=["no-error-log", "no-tracking"]) as server:
        yield server


def test_monitoring_suite_on_a_healthy_reference(tmp_path: Path) -> None:
    run = run_suite(tmp_path, MONITORING)
    assert run.returncode == 0, run.output[-3000:]
    for item in ("error-logging", "performance-monitoring", "user-activity", "alerts", "dashboard"):
        assert run.status(f"post.monitoring.{item}") == "pass", run.output[-3000:]


def test_monitoring_suite_finds_missing_logs_and_tracking(
    faulty: ReferenceServer, tmp_path: Path
) -> None:
    started = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    env = {
        "PYTEST_RELEASE_DATA_DIR": str(faulty.data_dir),
        "PYTEST_RELEASE_DEPLOY_STARTED": started,
    }
    run = run_suite(tmp_path, MONITORING, "--target-url", faulty.url, env=env)
    assert run.status("post.monitoring.error-logging") == "fail"
    assert "errors are not logged" in run.note("post.monitoring.error-logging")
    assert run.status("post.monitoring.user-activity") == "warn"  # a low-severity failure
    assert "usage statistics runs_total" in run.note("post.monitoring.user-activity")
    assert run.status("post.monitoring.performance-monitoring") == "pass"

"""Deployment steps / 5. Go live: maintenance off, watched for issues, ready to roll back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from pytest_release.check_outcome import record
from pytest_release.evidence import EvidenceRecorder
from pytest_release.ops_settings import OpsSettings
from pytest_release.outcomes import inconclusive
from pytest_release.probes.backup_check import check_restores, latest_backup
from pytest_release.probes.deploy_state import check_command, check_version, read_json
from pytest_release.probes.findings import CheckResult, Finding, FindingStatus
from pytest_release.probes.maintenance_check import check_disabled, in_maintenance
from pytest_release.probes.schedule import Position, Window
from pytest_release.probes.watch import judge, watch
from pytest_release.target import Target


@pytest.mark.checklist("deploy.go-live.disable-maintenance")
def test_maintenance_mode_is_disabled(
    ops_http: httpx.Client,
    ops_settings: OpsSettings,
    scheduled_window: Window | None,
    schedule_position: Position | None,
    now: datetime,
    evidence: EvidenceRecorder,
) -> None:
    expect = ops_settings.maintenance.expect
    due_on = expect == "on" or (
        expect == "auto" and scheduled_window is not None and scheduled_window.contains(now)
    )
    if in_maintenance(ops_http) and due_on:
        where = schedule_position.describe() if schedule_position else "maintenance.expect = on"
        pytest.skip(f"the maintenance window is still under way ({where}): go live comes after it")
    result = record(check_disabled(ops_http, ops_settings.maintenance.pages), evidence)
    assert not result.failed, result.failure_message()


def _healthy(client: httpx.Client) -> CheckResult:
    data = read_json(client, "/healthz")
    ok = not isinstance(data, str) and data.get("status") == "ok"
    detail = "ok" if ok else (data if isinstance(data, str) else f"status {data.get('status')!r}")
    status = FindingStatus.OK if ok else FindingStatus.PROBLEM
    return CheckResult("health", "/healthz", (Finding("/healthz", status, detail),))


@pytest.mark.checklist("deploy.go-live.monitor")
def test_monitor_for_issues(
    request: pytest.FixtureRequest,
    ops_http: httpx.Client,
    ops_settings: OpsSettings,
    target: Target,
    evidence: EvidenceRecorder,
) -> None:
    duration = request.config.getoption("release_watch", None) or 0.0
    every = request.config.getoption("release_every", None) or 60.0
    pages = ops_settings.maintenance.pages
    checks: list[Callable[[], CheckResult]] = [
        lambda: _healthy(ops_http),
        lambda: check_disabled(ops_http, pages),
    ]
    if target.expected_version:
        checks.append(lambda: check_version(ops_http, target.expected_version))
    timeline = watch(checks, duration, every)
    evidence.attach("timeline", [tick.to_json() for tick in timeline], "json")
    result = record(judge(timeline, duration), evidence)
    assert not result.failed, result.failure_message()


@pytest.mark.checklist("deploy.go-live.rollback-ready")
def test_ready_to_roll_back(
    ops_settings: OpsSettings,
    backup_dir: Path | None,
    database_url: str | None,
    evidence: EvidenceRecorder,
) -> None:
    deploy = ops_settings.deploy
    findings: list[Finding] = []
    if deploy.previous_release is None:
        inconclusive(
            "no previous release artifact configured: set [tool.pytest_release.deploy] "
            "previous_release (the package or directory you would redeploy)"
        )
    artifact_ok = deploy.previous_release.exists() and (
        deploy.previous_release.is_file() or any(deploy.previous_release.iterdir())
    )
    findings.append(
        Finding(
            "previous release",
            FindingStatus.OK if artifact_ok else FindingStatus.PROBLEM,
            str(deploy.previous_release)
            if artifact_ok
            else f"{deploy.previous_release} is missing or empty: keep the previous release's "
            "artifact until the new one is signed off",
        )
    )
    backup = latest_backup(backup_dir) if backup_dir is not None else None
    if backup is None:
        findings.append(
            Finding("backup", FindingStatus.PROBLEM, f"no backup to restore in {backup_dir}")
        )
    else:
        # The live schema has moved on since the backup (that is what a deploy does).
        restores = check_restores(backup, database_url, compare=False)
        findings += restores.findings
    if deploy.rollback_command:
        findings += check_command(deploy.rollback_command, "rollback dry run").findings
    else:
        findings.append(
            Finding(
                "rollback command",
                FindingStatus.NOT_CHECKED,
                "no rollback command to dry-run: set [tool.pytest_release.deploy] "
                "rollback_command (with its dry-run flag)",
            )
        )
    result = record(CheckResult("ready to roll back", "rollback", tuple(findings)), evidence)
    assert not result.failed, result.failure_message()

"""Deployment steps / 5. Go live: maintenance mode off, the status page operational."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest

from pytest_release.check_outcome import record
from pytest_release.evidence import EvidenceRecorder
from pytest_release.ops_settings import OpsSettings
from pytest_release.probes.maintenance_check import check_disabled, in_maintenance
from pytest_release.probes.schedule import Position, Window


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

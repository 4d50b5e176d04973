"""Deployment steps / 2. Maintenance mode: scheduled, announced, enabled and behaving."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest

from pytest_release.check_outcome import record
from pytest_release.evidence import EvidenceRecorder
from pytest_release.ops_settings import OpsSettings
from pytest_release.probes.maintenance_check import (
    check_enabled,
    check_notified,
    in_maintenance,
    read_status,
)
from pytest_release.probes.schedule import Position, Window


def expected_on(ops_settings: OpsSettings, window: Window | None, now: datetime) -> bool | None:
    """Whether maintenance should be on now: configured, or from the schedule (None: unknown)."""
    expect = ops_settings.maintenance.expect
    if expect != "auto":
        return expect == "on"
    return window.contains(now) if window is not None else None


@pytest.mark.checklist("deploy.maintenance.schedule")
def test_maintenance_window_is_scheduled(
    ops_http: httpx.Client,
    scheduled_window: Window | None,
    schedule_position: Position | None,
    evidence: EvidenceRecorder,
) -> None:
    announced = (read_status(ops_http) or {}).get("window")
    evidence.attach(
        "schedule",
        {
            "window": None
            if scheduled_window is None
            else [scheduled_window.start.isoformat(), scheduled_window.end.isoformat()],
            "now": schedule_position.describe() if schedule_position else None,
            "announced_on_status_page": announced,
        },
        "json",
    )
    assert scheduled_window is not None or announced, (
        "no maintenance window is scheduled: set [tool.pytest_release.maintenance] schedule to "
        "the schedule Markdown (its timeline needs 'Enable/Disable maintenance mode' rows), "
        "or announce the window with `pytest-release maintenance announce --start ... --end ...`"
    )


@pytest.mark.checklist("deploy.maintenance.notify-users")
def test_users_are_notified(
    ops_http: httpx.Client,
    scheduled_window: Window | None,
    now: datetime,
    evidence: EvidenceRecorder,
) -> None:
    if scheduled_window is not None and now >= scheduled_window.end:
        pytest.skip(
            f"the scheduled window ended at {scheduled_window.end:%Y-%m-%d %H:%M %Z}: the "
            "announcement can only be checked before or during it"
        )
    result = record(check_notified(ops_http, scheduled_window, now), evidence)
    assert not result.failed, result.failure_message()


@pytest.mark.checklist("deploy.maintenance.enable")
def test_maintenance_mode_is_enabled(
    ops_http: httpx.Client,
    ops_settings: OpsSettings,
    scheduled_window: Window | None,
    schedule_position: Position | None,
    now: datetime,
    evidence: EvidenceRecorder,
) -> None:
    live = in_maintenance(ops_http)
    should = expected_on(ops_settings, scheduled_window, now)
    if schedule_position is not None:
        where = schedule_position.describe()
    elif scheduled_window is not None:
        where = f"window {scheduled_window.start:%Y-%m-%d %H:%M %Z} to {scheduled_window.end:%H:%M}"
    else:
        where = "no schedule configured"
    if not live:
        if should:
            pytest.fail(
                f"maintenance mode is off, but the window is under way ({where}): switch it on "
                "(`pytest-release maintenance on`) before deploying",
                pytrace=False,
            )
        pytest.skip(
            f"maintenance mode is off and not due now ({where}); run this step in the window"
        )
    result = record(check_enabled(ops_http, ops_settings.maintenance.pages), evidence)
    assert not result.failed, result.failure_message()

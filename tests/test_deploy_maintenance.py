"""Schedule timeline and maintenance-mode checks against a live reference deployment."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from pytest_release.probes.maintenance_check import check_disabled, check_enabled, check_notified
from pytest_release.probes.schedule import (
    ScheduleError,
    Window,
    maintenance_window,
    parse_timeline,
    position,
)
from pytest_release.reference.inprocess import serve_reference
from pytest_release.reference.maintenance import announce_window, set_maintenance
from pytest_release.reference.settings import MaintenanceWindow, build_settings

SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "deployment-schedule.md"
EASTERN = "America/New_York"


def at(text: str) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(EASTERN))


def test_seed_timeline_and_window() -> None:
    timeline = parse_timeline(SEED.read_text(encoding="utf-8"), EASTERN)
    assert len(timeline) == 16
    assert timeline[0].activity == "Final pre-deployment review"
    midnight = next(s for s in timeline if s.activity == "Post-deployment verification")
    assert midnight.end - midnight.start == timedelta(minutes=30)  # 23:30 - 00:00 ends next day
    window = maintenance_window(timeline)
    assert window == Window(at("2025-07-25T20:00"), at("2025-07-25T23:30"))


def test_now_is_a_step_of_the_timeline() -> None:
    timeline = parse_timeline(SEED.read_text(encoding="utf-8"), EASTERN)
    during = position(timeline, at("2025-07-25T21:45"))
    assert during.current is not None and during.current.activity == "Run database migrations"
    assert "Run database migrations" in during.describe()
    between = position(timeline, at("2025-07-25T12:00"))
    assert between.current is None
    assert (
        between.previous is not None
        and between.previous.activity == "Send maintenance notification"
    )
    assert "after the schedule" in position(timeline, at("2026-01-01T00:00")).describe()


def test_a_schedule_without_timeline_says_what_to_add() -> None:
    with pytest.raises(ScheduleError, match=r"\| Date \| Time \| Activity \|"):
        parse_timeline("# Schedule\n\nnothing here\n")
    with pytest.raises(ScheduleError, match="line 3: time"):
        parse_timeline("| Date | Time | Activity |\n|--|--|--|\n| July 1, 2025 | soon | x |\n")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, Path]]:
    data_dir = tmp_path_factory.mktemp("maint")
    with serve_reference(build_settings(data_dir=data_dir, environ={})) as url:
        with httpx.Client(base_url=url) as client:
            yield client, data_dir
        set_maintenance(data_dir, False)


def test_enabled_maintenance_behaves(live: tuple[httpx.Client, Path]) -> None:
    client, data_dir = live
    set_maintenance(data_dir, True, message="Deploying 2.0 - back at 23:30")
    try:
        result = check_enabled(client, ["/", "/python"])
        assert result.passed, result.failure_message()
        off = check_disabled(client, ["/"])
        assert off.failed
        assert "maintenance mode is still on" in off.failure_message()
    finally:
        set_maintenance(data_dir, False)
    result = check_enabled(client, ["/"])
    assert result.failed
    assert "/: answers 200, not 503" in result.failure_message()
    assert check_disabled(client, ["/", "/python"]).passed


def test_notification_needs_the_banner_to_cover_the_window(live: tuple[httpx.Client, Path]) -> None:
    client, data_dir = live
    now = datetime.now(UTC)
    window = Window(now + timedelta(hours=2), now + timedelta(hours=5))
    missing = check_notified(client, window, now)
    assert missing.failed and "no .site-banner" in missing.failure_message()
    announce_window(data_dir, MaintenanceWindow(window.start, window.end))
    try:
        assert check_notified(client, window, now).passed
        later = Window(window.start, window.end + timedelta(hours=1))
        short = check_notified(client, later, now)
        assert short.failed and "does not cover the scheduled window" in short.failure_message()
    finally:
        announce_window(data_dir, None)


def test_maintenance_stuck_fails_go_live(tmp_path: Path) -> None:
    settings = build_settings(
        data_dir=tmp_path, faults=frozenset({"maintenance-stuck"}), environ={}
    )
    with serve_reference(settings) as url, httpx.Client(base_url=url) as client:
        result = check_disabled(client, ["/"])
    assert result.failed
    assert "pytest-release maintenance off" in result.failure_message()

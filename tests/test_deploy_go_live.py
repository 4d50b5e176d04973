"""Go live: the watch window (timeline, any failure fails it) and rollback readiness."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pytest_release.probes.findings import CheckResult, Finding, FindingStatus
from pytest_release.probes.watch import judge, parse_duration, watch
from pytest_release.reference.backup import create_backup
from pytest_release.reference.launcher import start_reference_server
from tests.ops_suite_run import run_suite

CLI = Path(sys.executable).parent / "pytest-release"


def test_durations() -> None:
    assert parse_duration("90s") == 90 and parse_duration("30m") == 1800
    assert parse_duration("1.5h") == 5400 and parse_duration("250ms") == 0.25
    assert parse_duration("12") == 12
    with pytest.raises(ValueError, match=r"write e\.g\. 30s"):
        parse_duration("soon")


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_watch_keeps_a_timeline_and_fails_on_a_flap() -> None:
    clock = FakeClock()
    calls = {"n": 0}

    def flapping() -> CheckResult:
        calls["n"] += 1
        status = FindingStatus.PROBLEM if calls["n"] == 3 else FindingStatus.OK
        return CheckResult("health", "/healthz", (Finding("/healthz", status, "status 'fail'"),))

    timeline = watch([flapping], duration_s=300, every_s=60, sleep=clock.sleep, clock=clock)
    assert [t.round for t in timeline] == [1, 2, 3, 4, 5]
    assert [t.ok for t in timeline] == [True, True, False, True, True]
    result = judge(timeline, 300)
    assert result.failed and "round 3 health" in result.failure_message()
    steady = watch([lambda: CheckResult("h", "/", ())], 0, 60, sleep=clock.sleep, clock=clock)
    assert len(steady) == 1 and judge(steady, 0).passed


def test_go_live_suite_ready_to_roll_back(tmp_path: Path) -> None:
    data_dir = tmp_path / "prod"
    with start_reference_server(data_dir=data_dir) as server:
        backup = create_backup(data_dir, data_dir / "backups" / "b1")
        previous = tmp_path / "releases" / "1.0.0"
        previous.mkdir(parents=True)
        (previous / "app.tar").write_bytes(b"previous release")
        config = tmp_path / "ops.toml"
        config.write_text(
            f'[deploy]\ndata_dir = "{data_dir}"\nprevious_release = "{previous}"\n'
            f'rollback_command = ["{CLI}", "backup", "verify", "{backup}"]\n',
            encoding="utf-8",
        )
        env = {"PYTEST_RELEASE_OPS_CONFIG": str(config)}
        args = ("suites/deploy/test_go_live.py", "--target-url", server.url)
        ready = run_suite(tmp_path, *args, "--watch", "2s", "--every", "1s", env=env)
        assert ready.status("deploy.go-live.rollback-ready") == "pass", ready.output[-2000:]
        assert ready.status("deploy.go-live.monitor") == "pass", ready.output[-2000:]
        assert ready.status("deploy.go-live.disable-maintenance") == "pass"
        (previous / "app.tar").unlink()
        (backup / "database" / "reference.db").write_bytes(b"not a database")
        broken = run_suite(tmp_path, *args, env=env, name="broken")
    assert broken.status("deploy.go-live.rollback-ready") == "fail"
    assert "missing or empty" in broken.note("deploy.go-live.rollback-ready")
    assert "database/reference.db: checksum does not match" in broken.output

"""Fixtures shared by the operations suites (deploy, postdeploy/monitoring, rollback).

Each suite's conftest.py imports them all (``from pytest_release.ops_fixtures import *``,
which takes ``__all__``: the fixtures, nothing else). They resolve, once per session, where
the deployment keeps what the checks read: its state directory, log, database, backups,
the schedule, and when the deployment started.
"""

from __future__ import annotations

import os
import subprocess
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from pytest_release.keys import SETTINGS_KEY
from pytest_release.ops_settings import OpsSettings, build_ops_settings
from pytest_release.probes import logs
from pytest_release.probes.schedule import (
    Position,
    ScheduleError,
    Step,
    Window,
    maintenance_window,
    parse_timeline,
    position,
)
from pytest_release.settings import ConfigError
from pytest_release.target import Target, make_client

__all__ = [
    "backup_dir",
    "data_dir",
    "database_url",
    "deploy_started",
    "log_source",
    "migrations_dir",
    "now",
    "ops_http",
    "ops_settings",
    "schedule_position",
    "schedule_steps",
    "scheduled_window",
]

OPS_CONFIG_ENV = "PYTEST_RELEASE_OPS_CONFIG"
REFERENCE_MIGRATIONS = Path(__file__).resolve().parent / "reference" / "migrations"
REFERENCE_RULES = Path(__file__).resolve().parent / "reference" / "monitoring" / "alert-rules.yml"


def _overlay() -> dict[str, dict[str, Any]]:
    """Tables from the TOML file named by PYTEST_RELEASE_OPS_CONFIG (a rehearsal writes one)."""
    path = os.environ.get(OPS_CONFIG_ENV)
    if not path:
        return {}
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise pytest.UsageError(f"{OPS_CONFIG_ENV}={path}: cannot read it as TOML: {exc}") from None
    return {k: v for k, v in data.items() if isinstance(v, dict)}


@pytest.fixture(scope="session")
def ops_settings(request: pytest.FixtureRequest) -> OpsSettings:
    """[tool.pytest_release.deploy|backup|maintenance|monitoring], validated."""
    settings = request.config.stash[SETTINGS_KEY]
    overlay = _overlay()
    sections = {
        name: {**settings.section(name), **overlay.get(name, {})}
        for name in ("deploy", "backup", "maintenance", "monitoring")
    }
    try:
        return build_ops_settings(sections, settings.rootpath)
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None


@pytest.fixture(scope="session")
def ops_http(target: Target) -> Iterator[httpx.Client]:
    """One HTTP client on the target for the operations checks."""
    with make_client(target.url) as client:
        yield client


@pytest.fixture(scope="session")
def data_dir(target: Target, ops_settings: OpsSettings) -> Path | None:
    """The deployment's state directory, when this machine can see it."""
    return ops_settings.deploy.data_dir or target.data_dir


@pytest.fixture(scope="session")
def log_source(ops_settings: OpsSettings, data_dir: Path | None) -> Path | None:
    """The log file (or directory) of the deployment."""
    if ops_settings.deploy.log_file is not None:
        return ops_settings.deploy.log_file
    return data_dir / "server.log" if data_dir is not None else None


@pytest.fixture(scope="session")
def database_url(ops_settings: OpsSettings, data_dir: Path | None) -> str | None:
    """The live database (SQLAlchemy URL)."""
    if ops_settings.deploy.database_url:
        return ops_settings.deploy.database_url
    if data_dir is not None and (data_dir / "reference.db").is_file():
        return f"sqlite:///{data_dir / 'reference.db'}"
    return None


@pytest.fixture(scope="session")
def migrations_dir(ops_settings: OpsSettings, data_dir: Path | None) -> Path | None:
    """The Alembic script directory (the reference deployment's own when it is the target)."""
    if ops_settings.deploy.migrations_dir is not None:
        return ops_settings.deploy.migrations_dir
    return REFERENCE_MIGRATIONS if data_dir is not None else None


@pytest.fixture(scope="session")
def backup_dir(ops_settings: OpsSettings, data_dir: Path | None) -> Path | None:
    """Where backups are kept."""
    if ops_settings.backup.dir is not None:
        return ops_settings.backup.dir
    return data_dir / "backups" if data_dir is not None else None


@pytest.fixture(scope="session")
def deploy_started(ops_settings: OpsSettings, log_source: Path | None) -> datetime | None:
    """When the deployment began: configured, else the first line of the reference's log."""
    if ops_settings.deploy.started_at is not None:
        return ops_settings.deploy.started_at
    if ops_settings.deploy.log_file is None and log_source is not None and log_source.is_file():
        entries = logs.parse(
            log_source.read_text(encoding="utf-8", errors="replace").splitlines()[:20]
        )
        return next((e.when for e in entries if e.when is not None), None)
    return None


@pytest.fixture(scope="session")
def schedule_steps(ops_settings: OpsSettings) -> tuple[Step, ...]:
    """The schedule's timeline (empty when no schedule is configured)."""
    path = ops_settings.maintenance.schedule
    if path is None:
        return ()
    try:
        return parse_timeline(path.read_text(encoding="utf-8"), ops_settings.maintenance.timezone)
    except OSError as exc:
        raise pytest.UsageError(
            f"[tool.pytest_release.maintenance] schedule = {str(path)!r}: "
            f"cannot read it ({exc.strerror})"
        ) from None
    except ScheduleError as exc:
        raise pytest.UsageError(f"{path}: {exc}") from None


@pytest.fixture(scope="session")
def now(ops_settings: OpsSettings) -> datetime:
    """The moment the schedule is read at (PYTEST_RELEASE_NOW / maintenance.now, else the clock)."""
    return ops_settings.maintenance.now or datetime.now(UTC)


@pytest.fixture(scope="session")
def schedule_position(schedule_steps: tuple[Step, ...], now: datetime) -> Position | None:
    """Which step of the timeline "now" is."""
    return position(schedule_steps, now) if schedule_steps else None


@pytest.fixture(scope="session")
def scheduled_window(ops_settings: OpsSettings, schedule_steps: tuple[Step, ...]) -> Window | None:
    """The configured window (window_start/window_end), else the one the timeline implies."""
    maintenance = ops_settings.maintenance
    if maintenance.window_start is not None and maintenance.window_end is not None:
        return Window(maintenance.window_start, maintenance.window_end)
    return maintenance_window(schedule_steps) if schedule_steps else None


def run_action(command: tuple[str, ...], what: str) -> str:
    """Run a configured action (e.g. the backup command); on failure, fail with its output."""
    try:
        done = subprocess.run(
            list(command), capture_output=True, text=True, timeout=600, check=False
        )
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.fail(
            f"the configured {what} command {list(command)} could not run: {exc}", pytrace=False
        )
    output = (done.stdout + done.stderr).strip()
    if done.returncode != 0:
        pytest.fail(
            f"the configured {what} command {list(command)} exited {done.returncode}: "
            f"{output[-500:]}",
            pytrace=False,
        )
    return output

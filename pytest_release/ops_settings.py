"""Settings of the operations suites: ``[tool.pytest_release.<deploy|backup|maintenance|...>]``.

Validated once per session; an unknown key or a bad value is a ``ConfigError`` naming the
table, the key and what is allowed. Paths are relative to the project root. A few values
can come from the environment, so a rehearsal (or a CI job) can pass what only it knows:
``PYTEST_RELEASE_DATA_DIR`` (the reference deployment's state directory),
``PYTEST_RELEASE_DEPLOY_STARTED`` (when the deployment began), ``PYTEST_RELEASE_NOW`` (the
moment the schedule is read at), ``PYTEST_RELEASE_PREVIOUS_VERSION``,
``PYTEST_RELEASE_ROLLBACK_STARTED`` and ``PYTEST_RELEASE_INCIDENT_RESULTS`` (the results.json
of the run that failed).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pytest_release.config_number import is_number
from pytest_release.settings import ConfigError

DATA_DIR_ENV = "PYTEST_RELEASE_DATA_DIR"
DEPLOY_STARTED_ENV = "PYTEST_RELEASE_DEPLOY_STARTED"
NOW_ENV = "PYTEST_RELEASE_NOW"
PREVIOUS_VERSION_ENV = "PYTEST_RELEASE_PREVIOUS_VERSION"
ROLLBACK_STARTED_ENV = "PYTEST_RELEASE_ROLLBACK_STARTED"
INCIDENT_RESULTS_ENV = "PYTEST_RELEASE_INCIDENT_RESULTS"


@dataclass(frozen=True, slots=True)
class BackupSettings:
    dir: Path | None = None
    max_age_hours: float = 24.0
    command: tuple[str, ...] = ()
    run_command: bool = False


@dataclass(frozen=True, slots=True)
class MaintenanceSettings:
    schedule: Path | None = None
    timezone: str = "UTC"
    now: datetime | None = None
    expect: str = "auto"  # auto (from the schedule), on, off
    window_start: datetime | None = None  # a machine-readable window instead of the timeline's
    window_end: datetime | None = None
    pages: tuple[str, ...] = ("/",)


@dataclass(frozen=True, slots=True)
class DeploySettings:
    data_dir: Path | None = None
    log_file: Path | None = None
    started_at: datetime | None = None
    database_url: str | None = None
    migrations_dir: Path | None = None
    migrations_command: tuple[str, ...] = ()
    lock_file: Path | None = None
    python: str | None = None
    config_file: Path | None = None
    required_keys: tuple[str, ...] = ()
    config_sha256: str | None = None
    asset_manifest: Path | None = None
    previous_release: Path | None = None
    previous_version: str | None = None
    rollback_command: tuple[str, ...] = ()
    rollback_started_at: datetime | None = None
    incident_results: Path | None = None


@dataclass(frozen=True, slots=True)
class MonitoringSettings:
    error_path: str = "/__pytest-release/provoked-error"
    log_wait_s: float = 5.0
    rule_files: tuple[str, ...] = ()
    dashboard_path: str = "/dashboard"
    prometheus_url: str | None = None
    grafana_url: str | None = None


@dataclass(frozen=True, slots=True)
class OpsSettings:
    """All four tables, validated."""

    backup: BackupSettings
    maintenance: MaintenanceSettings
    deploy: DeploySettings
    monitoring: MonitoringSettings


class _Reader:
    """One table: typed getters that remember which keys were asked for."""

    def __init__(self, name: str, data: Mapping[str, Any], root: Path) -> None:
        if not isinstance(data, Mapping):
            raise ConfigError(f"[tool.pytest_release.{name}] must be a table, got {data!r}")
        self.name, self.data, self.root = name, data, root
        self.known: set[str] = set()

    def _raw(self, key: str) -> Any:
        self.known.add(key)
        return self.data.get(key)

    def _bad(self, key: str, value: Any, wanted: str) -> ConfigError:
        return ConfigError(f"[tool.pytest_release.{self.name}] {key} = {value!r}: {wanted}")

    def text(self, key: str) -> str | None:
        value = self._raw(key)
        if value is not None and not isinstance(value, str):
            raise self._bad(key, value, "write a string")
        return value

    def path(self, key: str) -> Path | None:
        value = self.text(key)
        if value is None:
            return None
        path = Path(value).expanduser()
        return path if path.is_absolute() else self.root / path

    def number(self, key: str, default: float) -> float:
        value = self._raw(key)
        if value is None:
            return default
        if not is_number(value) or value <= 0:
            raise self._bad(key, value, "write a positive number")
        return float(value)

    def flag(self, key: str) -> bool:
        value = self._raw(key)
        if value is not None and not isinstance(value, bool):
            raise self._bad(key, value, "write true or false")
        return bool(value)

    def strings(self, key: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        value = self._raw(key)
        if value is None:
            return default
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._bad(key, value, 'write a list of strings, e.g. ["a", "b"]')
        return tuple(value)

    def when(self, key: str, env: str | None = None) -> datetime | None:
        value = self._raw(key)
        if env and os.environ.get(env):
            value = os.environ[env]
        if value is None:
            return None
        if isinstance(value, datetime):
            moment = value
        else:
            try:
                moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            except ValueError:
                raise self._bad(
                    key, value, "write an ISO 8601 time such as 2025-07-25T20:30:00-04:00"
                ) from None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    def done(self) -> None:
        for key in self.data:
            if key not in self.known:
                close = difflib.get_close_matches(key, sorted(self.known), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ConfigError(
                    f"[tool.pytest_release.{self.name}] has an unknown key {key!r}{hint} "
                    f"(known: {', '.join(sorted(self.known))})"
                )


def _backup(r: _Reader) -> BackupSettings:
    return BackupSettings(
        dir=r.path("dir"),
        max_age_hours=r.number("max_age_hours", 24.0),
        command=r.strings("command"),
        run_command=r.flag("run_command"),
    )


def _maintenance(r: _Reader) -> MaintenanceSettings:
    expect = r.text("expect") or "auto"
    if expect not in ("auto", "on", "off"):
        raise r._bad("expect", expect, "use auto (read the schedule), on or off")
    timezone = r.text("timezone") or "UTC"
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(timezone)
    except (KeyError, ValueError):
        raise r._bad("timezone", timezone, "use an IANA name such as America/New_York") from None
    start, end = r.when("window_start"), r.when("window_end")
    if (start is None) != (end is None) or (start and end and end <= start):
        raise r._bad(
            "window_start/window_end",
            (start, end),
            "give both, the end after the start (ISO 8601 times)",
        )
    return MaintenanceSettings(
        window_start=start,
        window_end=end,
        schedule=r.path("schedule"),
        timezone=timezone,
        now=r.when("now", NOW_ENV),
        expect=expect,
        pages=r.strings("pages", ("/",)),
    )


def _deploy(r: _Reader) -> DeploySettings:
    data_dir = r.path("data_dir")
    if data_dir is None and os.environ.get(DATA_DIR_ENV):
        data_dir = Path(os.environ[DATA_DIR_ENV])
    previous = r.text("previous_version") or os.environ.get(PREVIOUS_VERSION_ENV) or None
    return DeploySettings(
        data_dir=data_dir,
        log_file=r.path("log_file"),
        started_at=r.when("started_at", DEPLOY_STARTED_ENV),
        database_url=r.text("database_url"),
        migrations_dir=r.path("migrations_dir"),
        migrations_command=r.strings("migrations_command"),
        lock_file=r.path("lock_file"),
        python=r.text("python"),
        config_file=r.path("config_file"),
        required_keys=r.strings("required_keys"),
        config_sha256=r.text("config_sha256"),
        asset_manifest=r.path("asset_manifest"),
        previous_release=r.path("previous_release"),
        previous_version=previous,
        rollback_command=r.strings("rollback_command"),
        rollback_started_at=r.when("rollback_started_at", ROLLBACK_STARTED_ENV),
        incident_results=r.path("incident_results")
        or (
            Path(os.environ[INCIDENT_RESULTS_ENV]) if os.environ.get(INCIDENT_RESULTS_ENV) else None
        ),
    )


def _monitoring(r: _Reader) -> MonitoringSettings:
    return MonitoringSettings(
        error_path=r.text("error_path") or "/__pytest-release/provoked-error",
        log_wait_s=r.number("log_wait_s", 5.0),
        rule_files=r.strings("rule_files"),
        dashboard_path=r.text("dashboard_path") or "/dashboard",
        prometheus_url=r.text("prometheus_url"),
        grafana_url=r.text("grafana_url"),
    )


def build_ops_settings(sections: Mapping[str, Mapping[str, Any]], root: Path) -> OpsSettings:
    """Validate the four tables (each may be absent)."""
    readers = {name: _Reader(name, sections.get(name, {}), root) for name in _TABLES}
    built = OpsSettings(
        backup=_backup(readers["backup"]),
        maintenance=_maintenance(readers["maintenance"]),
        deploy=_deploy(readers["deploy"]),
        monitoring=_monitoring(readers["monitoring"]),
    )
    for reader in readers.values():
        reader.done()
    return built


_TABLES = ("backup", "maintenance", "deploy", "monitoring")

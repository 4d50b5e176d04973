"""Deployment steps / 3. Deployment: the new release is live, migrated, restarted, complete."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from pytest_release.check_outcome import record
from pytest_release.evidence import EvidenceRecorder
from pytest_release.ops_settings import OpsSettings
from pytest_release.probes.deploy_state import (
    check_assets,
    check_caches,
    check_command,
    check_configuration,
    check_dependencies,
    check_migrations_alembic,
    check_migrations_health,
    check_restarted,
    check_version,
    installed_versions,
    read_lock,
)
from pytest_release.target import Target


@pytest.mark.checklist("deploy.deployment.code")
def test_release_version_is_live(
    ops_http: httpx.Client, target: Target, evidence: EvidenceRecorder
) -> None:
    result = record(check_version(ops_http, target.expected_version), evidence)
    assert not result.failed, result.failure_message()


@pytest.mark.checklist("deploy.deployment.dependencies")
def test_dependencies_match_lock_file(
    ops_settings: OpsSettings, evidence: EvidenceRecorder
) -> None:
    lock_file = ops_settings.deploy.lock_file
    if lock_file is None:
        pytest.skip("no lock file configured: set [tool.pytest_release.deploy] lock_file")
    if not lock_file.is_file():
        pytest.fail(f"lock file {lock_file} does not exist: fix deploy.lock_file", pytrace=False)
    installed = installed_versions(ops_settings.deploy.python)
    result = record(check_dependencies(read_lock(lock_file), installed, lock_file.name), evidence)
    assert not result.failed, result.failure_message()


@pytest.mark.checklist("deploy.deployment.frontend-assets")
def test_frontend_assets_are_built(
    ops_http: httpx.Client, ops_settings: OpsSettings, evidence: EvidenceRecorder
) -> None:
    manifest_path = ops_settings.deploy.asset_manifest
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path else None
    pages = ops_settings.maintenance.pages
    result = record(check_assets(ops_http, pages, manifest), evidence)
    assert not result.failed, result.failure_message()


@pytest.mark.checklist("deploy.deployment.migrations")
def test_migrations_at_head(
    ops_http: httpx.Client,
    ops_settings: OpsSettings,
    database_url: str | None,
    migrations_dir: Path | None,
    evidence: EvidenceRecorder,
) -> None:
    if ops_settings.deploy.migrations_command:
        result = check_command(ops_settings.deploy.migrations_command, "migrations at head")
    elif database_url and migrations_dir:
        result = check_migrations_alembic(database_url, migrations_dir)
    else:
        result = check_migrations_health(ops_http)
    record(result, evidence)
    assert not result.failed, result.failure_message()


@pytest.mark.checklist("deploy.deployment.caches")
def test_caches_rebuilt(
    ops_http: httpx.Client, deploy_started: datetime | None, evidence: EvidenceRecorder
) -> None:
    result = record(check_caches(ops_http, deploy_started), evidence)
    assert not result.failed, result.failure_message()


@pytest.mark.checklist("deploy.deployment.configuration")
def test_configuration_is_as_expected(
    ops_settings: OpsSettings, evidence: EvidenceRecorder
) -> None:
    deploy = ops_settings.deploy
    if deploy.config_file is None:
        pytest.skip(
            "no configuration file configured: set [tool.pytest_release.deploy] config_file"
        )
    result = record(
        check_configuration(deploy.config_file, deploy.required_keys, deploy.config_sha256),
        evidence,
    )
    assert not result.failed, result.failure_message()


@pytest.mark.checklist("deploy.deployment.restart-services")
def test_services_restarted(
    ops_http: httpx.Client, deploy_started: datetime | None, evidence: EvidenceRecorder
) -> None:
    result = record(check_restarted(ops_http, deploy_started), evidence)
    assert not result.failed, result.failure_message()

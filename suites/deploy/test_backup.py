"""Deployment steps / 1. Backup: a fresh database and files backup that verifies and restores."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_release.check_outcome import record
from pytest_release.evidence import EvidenceRecorder
from pytest_release.ops_fixtures import run_action
from pytest_release.ops_settings import OpsSettings
from pytest_release.outcomes import inconclusive
from pytest_release.probes.backup_check import check_fresh, check_restores, latest_backup


@pytest.fixture(scope="session")
def backups(ops_settings: OpsSettings, backup_dir: Path | None) -> Path:
    """The backup directory; runs the configured backup command first when asked to."""
    if ops_settings.backup.run_command:
        if not ops_settings.backup.command:
            raise pytest.UsageError(
                "[tool.pytest_release.backup] run_command = true but no command is configured"
            )
        run_action(ops_settings.backup.command, "backup")
    if backup_dir is None:
        inconclusive(
            "no backup directory to check: set [tool.pytest_release.backup] dir "
            "(where the backup job writes its backups)"
        )
    return backup_dir


@pytest.mark.checklist("deploy.backup.database")
def test_database_backup_is_fresh(
    backups: Path, ops_settings: OpsSettings, evidence: EvidenceRecorder
) -> None:
    result = record(check_fresh(backups, "database", ops_settings.backup.max_age_hours), evidence)
    assert not result.failed, result.failure_message()


@pytest.mark.checklist("deploy.backup.files")
def test_files_backup_is_fresh(
    backups: Path, ops_settings: OpsSettings, evidence: EvidenceRecorder
) -> None:
    result = record(check_fresh(backups, "files", ops_settings.backup.max_age_hours), evidence)
    assert not result.failed, result.failure_message()


@pytest.mark.checklist("deploy.backup.integrity")
def test_backup_verifies_and_restores(
    backups: Path, database_url: str | None, evidence: EvidenceRecorder
) -> None:
    backup = latest_backup(backups)
    if backup is None:
        pytest.fail(f"no backup in {backups} to verify: create one first", pytrace=False)
    result = record(check_restores(backup, database_url), evidence)
    assert not result.failed, result.failure_message()

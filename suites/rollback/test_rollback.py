"""Rollback plan: assess from the failed run, then verify the rollback on the live target.

`pytest -m rollback --target-url URL` after rolling back. The failed run's results.json
(``[tool.pytest_release.deploy] incident_results``, or --baseline) is the input of the
assessment; the incident record lands next to the reports as ``incident.md``.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from pytest_release.check_outcome import record
from pytest_release.evidence import EvidenceRecorder
from pytest_release.incident import assess, render_incident
from pytest_release.keys import SETTINGS_KEY
from pytest_release.ops_settings import OpsSettings
from pytest_release.outcomes import inconclusive
from pytest_release.probes import logs
from pytest_release.probes.backup_check import latest_backup
from pytest_release.probes.maintenance_check import check_disabled
from pytest_release.probes.rollback_check import (
    check_database_restored,
    check_maintenance_during,
    check_rolled_back,
    check_users_notified,
)


@pytest.fixture(scope="session")
def failed_run(
    request: pytest.FixtureRequest, ops_settings: OpsSettings
) -> tuple[Path, dict[str, Any]]:
    """The results.json of the run that led to the rollback."""
    path = ops_settings.deploy.incident_results or request.config.stash[SETTINGS_KEY].baseline
    if path is None:
        inconclusive(
            "no failed run to assess: set [tool.pytest_release.deploy] incident_results (or "
            "--baseline) to the results.json of the run that failed"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        inconclusive(f"cannot read the failed run {path}: {exc}")
    return path, data


@pytest.fixture(scope="session")
def rollback_started(
    ops_settings: OpsSettings, failed_run: tuple[Path, dict[str, Any]]
) -> datetime | None:
    """When the rollback began: configured, else when the failed run finished."""
    if ops_settings.deploy.rollback_started_at is not None:
        return ops_settings.deploy.rollback_started_at
    finished = failed_run[1].get("finished")
    return datetime.fromisoformat(str(finished).replace("Z", "+00:00")) if finished else None


@pytest.fixture(scope="session")
def log_entries(log_source: Path | None) -> list[logs.LogEntry]:
    if log_source is None or not log_source.exists():
        inconclusive("no application log to read: set [tool.pytest_release.deploy] log_file")
    return logs.parse(logs.read_lines(log_source))


@pytest.mark.checklist("rollback.assess.severity")
def test_severity_and_impact(
    failed_run: tuple[Path, dict[str, Any]], evidence: EvidenceRecorder
) -> None:
    found = assess(failed_run[1])
    evidence.attach(
        "assessment",
        {"verdict": found.verdict, "severity": found.severity, "reasons": list(found.reasons)},
        "json",
    )
    assert found.verdict != "INCONCLUSIVE", (
        f"the run {failed_run[0]} was INCONCLUSIVE: its evidence is incomplete, so the impact "
        "cannot be judged; rerun it"
    )


@pytest.mark.checklist("rollback.assess.decide")
def test_rollback_decision(
    failed_run: tuple[Path, dict[str, Any]], evidence: EvidenceRecorder
) -> None:
    found = assess(failed_run[1])
    evidence.attach("decision", found.decision(), "text")
    assert found.verdict != "INCONCLUSIVE", f"no decision possible: {failed_run[0]} is INCONCLUSIVE"


@pytest.mark.checklist("rollback.assess.document")
def test_incident_is_documented(
    request: pytest.FixtureRequest,
    failed_run: tuple[Path, dict[str, Any]],
    evidence: EvidenceRecorder,
) -> None:
    text = render_incident(failed_run[1], str(failed_run[0]))
    report_dir = request.config.stash[SETTINGS_KEY].report_dir
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / "incident.md").write_text(text, encoding="utf-8")
    evidence.attach("incident", text, "text")
    assert "## Failing checklist items" in text


@pytest.mark.checklist("rollback.initiate.maintenance")
def test_maintenance_was_on_during_rollback(
    log_entries: list[logs.LogEntry], rollback_started: datetime | None, evidence: EvidenceRecorder
) -> None:
    result = record(check_maintenance_during(log_entries, rollback_started), evidence)
    assert not result.failed, result.failure_message()


@pytest.mark.checklist("rollback.initiate.restore-code")
def test_previous_release_is_live(
    ops_http: httpx.Client, ops_settings: OpsSettings, evidence: EvidenceRecorder
) -> None:
    result = record(check_rolled_back(ops_http, ops_settings.deploy.previous_version, ()), evidence)
    assert not result.failed, result.failure_message()


@pytest.mark.checklist("rollback.initiate.restore-database")
def test_database_is_restored(
    backup_dir: Path | None, database_url: str | None, evidence: EvidenceRecorder
) -> None:
    backup = latest_backup(backup_dir) if backup_dir is not None else None
    if backup is None:
        inconclusive(f"no backup to compare the restored database with (looked in {backup_dir})")
    result = record(check_database_restored(backup, database_url), evidence)
    assert not result.failed, result.failure_message()


@pytest.mark.checklist("rollback.initiate.verify")
def test_rollback_verified(
    ops_http: httpx.Client, ops_settings: OpsSettings, evidence: EvidenceRecorder
) -> None:
    result = record(
        check_rolled_back(
            ops_http, ops_settings.deploy.previous_version, ops_settings.maintenance.pages
        ),
        evidence,
    )
    assert not result.failed, result.failure_message()


@pytest.mark.checklist("rollback.post.disable-maintenance")
def test_maintenance_is_off_again(
    ops_http: httpx.Client, ops_settings: OpsSettings, evidence: EvidenceRecorder
) -> None:
    result = record(check_disabled(ops_http, ops_settings.maintenance.pages), evidence)
    assert not result.failed, result.failure_message()


@pytest.mark.checklist("rollback.post.notify-users")
def test_users_were_notified(
    ops_http: httpx.Client,
    log_entries: list[logs.LogEntry],
    rollback_started: datetime | None,
    evidence: EvidenceRecorder,
) -> None:
    result = record(check_users_notified(ops_http, log_entries, rollback_started), evidence)
    assert not result.failed, result.failure_message()

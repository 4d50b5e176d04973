"""Rollback: a real deploy of 2.0.0 (with a migration) rolled back to 1.0.0, then verified."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from pytest_release.incident import assess, render_incident
from pytest_release.probes import logs
from pytest_release.probes.backup_check import latest_backup
from pytest_release.probes.rollback_check import (
    check_database_restored,
    check_maintenance_during,
    check_rolled_back,
)
from pytest_release.reference.backup import create_backup, restore_backup
from pytest_release.reference.launcher import start_reference_server
from pytest_release.reference.maintenance import set_maintenance
from tests.ops_suite_run import run_suite

FAILED_RUN: dict[str, Any] = {
    "phase": "postdeploy",
    "started": "2025-07-25T23:30:00Z",
    "finished": "2025-07-25T23:40:00Z",
    "release": {"version": "2.0.0"},
    "target": {"url": "https://prod.example.org", "version_seen": "2.0.0"},
    "verdict": "ROLLBACK",
    "verdict_reasons": [
        {
            "rule": "critical-functionality-broken",
            "kind": "blocking",
            "detail": "post.functionality.code-execution failed",
            "checklist": ["post.functionality.code-execution"],
        }
    ],
    "checklist": [
        {
            "id": "post.functionality.code-execution",
            "text": "Code execution works",
            "severity": "critical",
            "status": "fail",
            "note": "POST /api/run answers 500",
            "evidence": ["evidence/run/api.json"],
        },
        {"id": "post.security.headers", "severity": "critical", "status": "pass"},
    ],
}


def test_incident_record_from_a_failed_run() -> None:
    found = assess(FAILED_RUN)
    assert (found.verdict, found.severity, found.rollback) == ("ROLLBACK", "critical", True)
    assert "critical-functionality-broken" in found.decision()
    text = render_incident(FAILED_RUN, "reports/post/results.json")
    assert "# Incident: release 2.0.0 on https://prod.example.org" in text
    assert "| `post.functionality.code-execution` | critical | Code execution works |" in text
    assert "post.security.headers" not in text
    assert "Root cause (`rollback.post.root-cause`): _open_" in text
    calm = assess({**FAILED_RUN, "verdict": "GO", "checklist": [], "verdict_reasons": []})
    assert not calm.rollback and calm.decision().startswith("no rollback")


def add_column(db: Path) -> None:
    """The 2.0.0 release's migration."""
    with contextlib.closing(sqlite3.connect(db)) as connection:
        connection.execute("ALTER TABLE runs ADD COLUMN country TEXT")
        connection.commit()


def run_code(url: str) -> None:
    with httpx.Client(base_url=url, timeout=30) as client:
        assert client.post("/api/run", json={"code": "print(1)", "language": "python"}).is_success


def test_rollback_is_verified_and_a_missing_one_is_caught(tmp_path: Path) -> None:
    data_dir = tmp_path / "prod"
    with start_reference_server(data_dir=data_dir, extra_args=["--version-string", "1.0.0"]) as v1:
        run_code(v1.url)
        create_backup(data_dir, data_dir / "backups" / "before-2.0.0")
    with start_reference_server(data_dir=data_dir, extra_args=["--version-string", "2.0.0"]) as v2:
        add_column(data_dir / "reference.db")
        rollback_started = datetime.now(UTC) - timedelta(seconds=1)
        entries = logs.parse(logs.read_lines(data_dir / "server.log"))
        backup = latest_backup(data_dir / "backups")
        assert backup is not None
        with httpx.Client(base_url=v2.url) as client:
            not_back = check_rolled_back(client, "1.0.0", ["/"])
        assert not_back.failed and "not the previous release '1.0.0'" in not_back.failure_message()
        db = check_database_restored(backup, f"sqlite:///{data_dir / 'reference.db'}")
        assert db.failed and "columns differ" in db.failure_message()
        no_maintenance = check_maintenance_during(entries, rollback_started)
        assert (
            no_maintenance.failed
            and "switch maintenance mode on" in no_maintenance.failure_message()
        )
        set_maintenance(data_dir, True, message="Release 2.0.0 is being rolled back")
    restore_backup(backup.path, data_dir)
    failed = tmp_path / "post-results.json"
    failed.write_text(json.dumps(FAILED_RUN), encoding="utf-8")
    with start_reference_server(data_dir=data_dir, extra_args=["--version-string", "1.0.0"]) as v1:
        httpx.get(v1.url + "/status")  # the first request notices maintenance and logs it
        set_maintenance(data_dir, False)
        env = {
            "PYTEST_RELEASE_DATA_DIR": str(data_dir),
            "PYTEST_RELEASE_PREVIOUS_VERSION": "1.0.0",
            "PYTEST_RELEASE_INCIDENT_RESULTS": str(failed),
            "PYTEST_RELEASE_ROLLBACK_STARTED": rollback_started.isoformat(),
        }
        run = run_suite(tmp_path, "-m", "rollback", "--target-url", v1.url, env=env)
    rollback_items = [i for i in run.results["checklist"] if i["id"].startswith("rollback.")]
    statuses = {i["id"]: i["status"] for i in rollback_items}
    assert statuses == {
        **{i["id"]: "pass" for i in rollback_items},
        "rollback.post.root-cause": "uncovered",
        "rollback.post.develop-fix": "uncovered",
    }, run.output[-3000:]
    incident = (tmp_path / "reports" / "incident.md").read_text(encoding="utf-8")
    assert "ROLLBACK" in incident and "post.functionality.code-execution" in incident

"""What the rehearsal gives the pre-deployment checks: real inputs, explicit entries for the rest.

The entries and the config are read back the way a run reads them (the attestations loader
against the real checklist, the predeploy overlay), and the checks they feed run as a user
runs them (pytest in the project root) against a live redis-server where one is installed.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tomllib
from pathlib import Path

import pytest

from pytest_release.attestations import load_attestations
from pytest_release.checklist.parse import parse_file
from pytest_release.predeploy_settings import OVERLAY_ENV, merge_tables
from pytest_release.rehearsal.local_redis import POLICY, find_redis_server, start_local_redis
from pytest_release.rehearsal.predeploy_inputs import (
    BY,
    PredeployInputs,
    predeploy_entries,
    write_backup_schedule,
    write_predeploy_config,
)
from pytest_release.rehearsal.run import Options, Rehearsal, rollback_entries
from pytest_release.rehearsal.staging import BENCHMARK_BUDGETS
from tests.ops_suite_run import ROOT, run_suite

CHECKLIST = parse_file(ROOT / "suites" / "checklist.md")
NOW = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC)
REDIS_TEST = "suites/predeploy/environment/test_redis_cache.py"


def _inputs(tmp_path: Path, redis_url: str | None) -> PredeployInputs:
    return PredeployInputs(
        e2e_report=tmp_path / "junit" / "e2e.xml",
        benchmark_reports=tmp_path / "benchmarks",
        budgets=BENCHMARK_BUDGETS,
        database_url=f"sqlite:///{tmp_path / 'staging' / 'reference.db'}",
        backup_dir=tmp_path / "data" / "backups",
        backup_schedule=tmp_path / "cron",
        firewall_host="127.0.0.1",
        allowed_ports=(8765,),
        redis_url=redis_url,
    )


def test_predeploy_config_merges_over_the_projects_table(tmp_path: Path) -> None:
    path = write_predeploy_config(tmp_path / "predeploy.toml", _inputs(tmp_path, None))
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Written by `pytest-release rehearse`")
    overlay = tomllib.loads(text)
    assert "redis" not in overlay  # no Redis: no URL is invented
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    merged = merge_tables(project["tool"]["pytest_release"]["predeploy"], overlay)
    assert merged["tests"]["unit"]["command"][0] == "{python}"  # the project's own stays
    assert merged["tests"]["e2e"]["reports"] == [str(tmp_path / "junit" / "e2e.xml")]
    assert merged["benchmarks"]["budgets"]["test_python_run"] == {"median_ms": 250.0}
    assert merged["firewall"] == {"host": "127.0.0.1", "allowed": [8765]}
    assert merged["bandit"]["paths"] == ["pytest_release"]
    command = write_backup_schedule(tmp_path / "cron", "/usr/bin/python3", tmp_path / "data")
    assert " ".join(command) in (tmp_path / "cron").read_text(encoding="utf-8")
    assert overlay["backup"]["schedule_contains"] in " ".join(command)


def test_entries_are_explicit_labelled_and_never_passes(tmp_path: Path) -> None:
    path = tmp_path / "attestations.toml"
    path.write_text(
        predeploy_entries(NOW, "redis-server is not installed on this machine")
        + rollback_entries(NOW, ("run-500",)),
        encoding="utf-8",
    )
    loaded = load_attestations(path, CHECKLIST, NOW.date())
    assert sorted(w.item for w in loaded.waivers) == [
        "pre.code-quality.code-reviewed",
        "pre.code-quality.no-critical-bugs",
        "pre.security.audit",
        "pre.security.vulnerability-scan",
    ]
    for waiver in loaded.waivers:
        # Only "could not check"; the day after the rehearsal it no longer counts.
        assert (waiver.by, waiver.covers) == (BY, "inconclusive")
        assert waiver.expires == dt.date(2026, 3, 2)
        assert waiver.reason.startswith("rehearsal only: ")
    scan = next(w for w in loaded.waivers if w.item == "pre.security.vulnerability-scan")
    assert "'No known vulnerabilities found', which is NOT a pass" in scan.reason
    (na,) = loaded.not_applicable
    assert (na.item, na.by) == ("pre.environment.redis", BY)
    assert "not installed" in na.reason
    assert [a.item for a in loaded.attestations] == [
        "rollback.post.root-cause",
        "rollback.post.develop-fix",
    ]
    assert "run-500" in str(loaded.attestations[0].note)
    assert load_attestations(path, CHECKLIST, dt.date(2026, 3, 3)).waivers == ()


def test_without_redis_server_the_redis_item_is_not_applicable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    rehearsal = Rehearsal(Options(work=tmp_path / "work"), say=lambda line: None)
    rehearsal.start_redis()
    assert rehearsal.redis is None
    assert rehearsal.redis_missing is not None
    assert "redis-server is not installed" in rehearsal.redis_missing
    monkeypatch.undo()
    path = tmp_path / "attestations.toml"
    path.write_text(predeploy_entries(dt.datetime.now(dt.UTC), rehearsal.redis_missing))
    run = run_suite(tmp_path, REDIS_TEST, f"--attestations={path}")
    assert run.status("pre.environment.redis") == "na", run.output[-2000:]
    assert "redis-server is not installed" in run.note("pre.environment.redis")
    assert run.results["verdict"] == "GO", run.output[-2000:]


def test_a_check_that_cannot_be_made_is_waived_not_passed(tmp_path: Path) -> None:
    bugs = "suites/predeploy/code_quality/test_critical_bugs.py"
    plain = run_suite(tmp_path, bugs, name="plain")
    assert plain.status("pre.code-quality.no-critical-bugs") == "skip"
    assert plain.results["verdict"] == "INCONCLUSIVE"
    path = tmp_path / "attestations.toml"
    path.write_text(predeploy_entries(dt.datetime.now(dt.UTC), None))
    run = run_suite(tmp_path, bugs, f"--attestations={path}", name="waived")
    assert run.status("pre.code-quality.no-critical-bugs") == "waived", run.output[-2000:]
    note = run.note("pre.code-quality.no-critical-bugs")
    assert note.startswith("not checked, waived until ") and f"by {BY}" in note
    assert "no bug source is configured" in note  # what the check itself said
    assert run.results["verdict"] == "GO"
    assert any(w["by"] == BY for w in run.results["waivers"])


def test_the_rehearsals_redis_is_checked_for_real(tmp_path: Path) -> None:
    binary = find_redis_server()
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    redis = start_local_redis(binary, tmp_path / "redis")
    try:
        config = write_predeploy_config(tmp_path / "p.toml", _inputs(tmp_path, redis.url()))
        env = {OVERLAY_ENV: str(config)}
        run = run_suite(tmp_path, REDIS_TEST, env=env, name="up")
        assert run.status("pre.environment.redis") == "pass", run.output[-2000:]
        evidence = next(tmp_path.glob("up/evidence/*/redis.json")).read_text()
        assert POLICY in evidence and "127.0.0.1" in evidence
    finally:
        redis.stop()
    down = run_suite(tmp_path, REDIS_TEST, env=env, name="down")
    assert down.status("pre.environment.redis") == "fail"
    assert "Redis is not usable" in down.note("pre.environment.redis")
    assert not (tmp_path / "redis" / "dump.rdb").exists()  # a cache: nothing persisted
    assert shutil.which("redis-server") == binary


def test_the_predeploy_phase_ends_go_on_the_inputs_the_rehearsal_produced(tmp_path: Path) -> None:
    """The rehearsal up to its pre-deployment phase (about two minutes: staging's e2e run)."""
    rehearsal = Rehearsal(Options(work=tmp_path / "work", root=ROOT), say=lambda line: None)
    try:
        rehearsal.prepare()
        rehearsal.prepare_predeploy()
        run = rehearsal.check(
            "predeploy", "pre-deployment testing", "predeploy", ["-m", "predeploy"]
        )
    finally:
        rehearsal.stop()
        if rehearsal.redis is not None:
            rehearsal.redis.stop()
    (staging,) = rehearsal.runs[:1]
    assert staging.on_staging and staging.verdict == "GO", staging.results["verdict_reasons"]
    assert run.verdict == "GO", (run.report_dir, run.results["verdict_reasons"])
    items = {i["id"]: i for i in run.results["checklist"] if i["id"].startswith("pre.")}
    assert len(items) == 26
    for item_id in (
        "pre.code-quality.e2e-tests",
        "pre.code-quality.performance-benchmarks",
        "pre.environment.database",
        "pre.environment.backup-system",
        "pre.environment.firewall",
    ):
        assert items[item_id]["status"] == "pass", (item_id, items[item_id])
    e2e = (run.report_dir / items["pre.code-quality.e2e-tests"]["evidence"][0]).read_text()
    assert '"failures": 0' in e2e and str(tmp_path / "work" / "junit" / "e2e.xml") in e2e
    redis = items["pre.environment.redis"]
    assert redis["status"] == ("pass" if find_redis_server() else "na"), redis
    others = {i: item for i, item in items.items() if item["status"] not in ("pass", "na")}
    # What the rehearsal cannot judge is waived, by it and labelled; the rest passed for real
    # (online, the dependency scan and the audit may pass instead of being waived).
    assert "pre.code-quality.code-reviewed" in others, items["pre.code-quality.code-reviewed"]
    assert set(others) <= {
        "pre.code-quality.code-reviewed",
        "pre.code-quality.no-critical-bugs",
        "pre.security.vulnerability-scan",
        "pre.security.audit",
    }, others
    assert all(item["status"] == "waived" for item in others.values()), others
    assert all(f"by {BY}" in str(item["note"]) for item in others.values())
    if rehearsal.redis is not None:
        assert rehearsal.redis.process.poll() is not None  # stopped with the rehearsal

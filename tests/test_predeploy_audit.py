"""Dependency audit: real pip-audit runs (never a pass when it cannot look anything up),
an offline OSV database the test writes, and the security audit summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_release.probes.audit import (
    AuditConfig,
    AuditResult,
    AuditUnavailable,
    VulnFinding,
    audit_dependencies,
    parse_pip_audit,
    read_report,
)
from pytest_release.probes.audit_summary import Component, summarize
from pytest_release.probes.bandit_scan import BanditConfig, BanditError, judge

OSV_ENTRY = {
    "id": "PYSEC-0000-1",
    "aliases": ["CVE-0000-0001"],
    "summary": "Template injection in demo-lib",
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "Demo_Lib"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0.1"}]}],
        }
    ],
}


def _project(tmp_path: Path, pins: str) -> Path:
    project = tmp_path / "project"
    project.mkdir(parents=True, exist_ok=True)
    (project / "requirements.txt").write_text(pins, encoding="utf-8")
    return project


def test_real_pip_audit_never_passes_a_known_vulnerable_pin(tmp_path: Path) -> None:
    project = _project(tmp_path, "jinja2==2.10\n")
    config = AuditConfig(root=project, requirements=(project / "requirements.txt",), timeout_s=300)
    try:
        result = audit_dependencies(config)
    except AuditUnavailable as exc:  # no vulnerability service from this machine
        reason = str(exc)
        assert reason, "an unavailable audit must say why"
        return
    assert result.unaudited or any(f.package.lower() == "jinja2" for f in result.untriaged)


def test_offline_osv_database_finds_the_vulnerable_pin_only(tmp_path: Path) -> None:
    database = tmp_path / "osv"
    database.mkdir()
    (database / "PYSEC-0000-1.json").write_text(json.dumps(OSV_ENTRY), encoding="utf-8")
    bad = _project(tmp_path / "bad", "demo-lib==2.0.0  # pinned\n")
    result = audit_dependencies(
        AuditConfig(root=bad, requirements=(bad / "requirements.txt",), osv_database=database)
    )
    assert [f.describe() for f in result.untriaged] == [
        "demo-lib 2.0.0: PYSEC-0000-1 (high, fixed in 2.0.1)"
    ]
    good = _project(tmp_path / "good", "demo-lib==2.0.1\n")
    clean = audit_dependencies(
        AuditConfig(root=good, requirements=(good / "requirements.txt",), osv_database=database)
    )
    assert clean.findings == () and clean.audited == 1
    triaged = audit_dependencies(
        AuditConfig(
            root=bad,
            requirements=(bad / "requirements.txt",),
            osv_database=database,
            accepted={"CVE-0000-0001": "templates are never user-supplied"},
        )
    )
    assert triaged.untriaged == () and triaged.findings[0].accepted


def test_pip_audit_report_with_every_package_skipped_is_not_clean(tmp_path: Path) -> None:
    report = tmp_path / "audit.json"
    skipped = {
        "dependencies": [{"name": "httpx", "skip_reason": "Dependency not found on PyPI"}],
        "fixes": [],
    }
    report.write_text(json.dumps(skipped), encoding="utf-8")
    result = read_report(AuditConfig(root=tmp_path, report=report))
    assert result.audited == 0 and result.unaudited == ("httpx: Dependency not found on PyPI",)
    found = parse_pip_audit(
        {
            "dependencies": [
                {"name": "a", "version": "1", "vulns": [{"id": "GHSA-x", "fix_versions": ["2"]}]}
            ]
        },
        "r",
    )
    assert found.untriaged[0].describe() == "a 1: GHSA-x (high, fixed in 2)"


def test_audit_summary_fails_on_untriaged_and_is_incomplete_without_data(tmp_path: Path) -> None:
    clean_bandit = judge(BanditConfig(root=tmp_path), {"results": []})
    vulnerable = AuditResult("osv", 3, (VulnFinding("PyPI", "a", "1", "GHSA-x"),))
    passed = [Component("pre.security.csp", "pass", "1 test(s) passed")]
    summary = summarize(clean_bandit, vulnerable, passed)
    assert summary.untriaged_high == ("dependency a 1: GHSA-x (high, no fix yet)",)
    assert "untriaged finding(s) at or above the thresholds" in summary.failure_message()
    offline = summarize(BanditError("bandit missing"), AuditUnavailable("no network"), passed)
    assert not offline.failed and {c.name for c in offline.unchecked} == {"bandit", "dependencies"}
    assert "could not audit: no network" in offline.inconclusive_message()
    good = summarize(clean_bandit, AuditResult("osv", 3, ()), passed)
    assert not (good.failed or good.unchecked or good.untriaged_high)
    assert "PASS" in good.text()


@pytest.mark.parametrize("lock", ["package-lock.json"])
def test_npm_audit_only_when_a_lock_file_exists(tmp_path: Path, lock: str) -> None:
    database = tmp_path / "osv"
    database.mkdir()
    (database / "e.json").write_text(json.dumps(OSV_ENTRY), encoding="utf-8")
    project = _project(tmp_path, "demo-lib==3.0\n")
    config = AuditConfig(
        root=project,
        requirements=(project / "requirements.txt",),
        osv_database=database,
        npm_lockfiles=(project / lock,),
    )
    assert audit_dependencies(config).notes == (f"offline OSV database {database}",)

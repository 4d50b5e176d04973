"""Dependency vulnerability scan: pip-audit (and npm audit where a lock file exists).

The one rule that matters: a scan that could not consult its vulnerability database is
not a clean scan. pip-audit reports packages it could not look up as "skipped" and still
says "No known vulnerabilities found"; here every skipped package makes the audit
incomplete, and a scan where nothing could be looked up is ``AuditUnavailable``.
Instead of a live scan, an offline OSV database or a recent pip-audit JSON report can be
configured. Findings whose id or alias is in ``accepted`` (with a reason) are triaged.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from pytest_release.config_table import Table
from pytest_release.probes.osv_offline import load_index, normalize, vulnerabilities

NPM_SEVERITIES = ("info", "low", "moderate", "high", "critical")


@dataclass(frozen=True, slots=True)
class AuditConfig:
    """``[tool.pytest_release.predeploy.audit]``."""

    root: Path
    requirements: tuple[Path, ...] = ()  # empty: the environment this runs in
    service: str = "pypi"
    timeout_s: float = 600.0
    accepted: Mapping[str, str] = field(default_factory=dict)  # vulnerability id -> reason
    osv_database: Path | None = None
    report: Path | None = None
    max_report_age_hours: float = 24.0
    npm_lockfiles: tuple[Path, ...] = ()
    npm_severity: str = "high"


def audit_config(table: Table) -> AuditConfig:
    def paths(key: str, default: tuple[str, ...]) -> tuple[Path, ...]:
        return tuple(
            p if p.is_absolute() else table.rootpath / p
            for p in (Path(s).expanduser() for s in table.texts(key, default))
        )

    accepted = {str(k): str(v) for k, v in table.mapping("accepted").items()}
    return AuditConfig(
        root=table.rootpath,
        requirements=paths("requirements", ()),
        service=table.choice("service", "pypi", ("pypi", "osv")),
        timeout_s=table.number("timeout_s", 600.0, minimum=1.0),
        accepted=accepted,
        osv_database=table.path("osv_database"),
        report=table.path("report"),
        max_report_age_hours=table.number("max_report_age_hours", 24.0),
        npm_lockfiles=paths("npm_lockfiles", ("package-lock.json",)),
        npm_severity=table.choice("npm_severity", "high", NPM_SEVERITIES),
    )


class AuditUnavailable(RuntimeError):
    """No vulnerability data could be consulted; the message is the reason."""


@dataclass(frozen=True, slots=True)
class VulnFinding:
    ecosystem: str
    package: str
    version: str
    id: str
    aliases: tuple[str, ...] = ()
    fix: tuple[str, ...] = ()
    severity: str = "high"  # pip-audit gives none: unknown counts as high until triaged
    accepted: str | None = None

    def describe(self) -> str:
        fix = f", fixed in {', '.join(self.fix)}" if self.fix else ", no fix yet"
        return f"{self.package} {self.version}: {self.id} ({self.severity}{fix})"


@dataclass(frozen=True, slots=True)
class AuditResult:
    source: str
    audited: int
    findings: tuple[VulnFinding, ...]
    unaudited: tuple[str, ...] = ()  # "name version: why"
    notes: tuple[str, ...] = ()

    @property
    def untriaged(self) -> tuple[VulnFinding, ...]:
        return tuple(f for f in self.findings if f.accepted is None)

    def evidence(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "packages_audited": self.audited,
            "untriaged": [f.describe() for f in self.untriaged],
            "accepted": [
                {"finding": f.describe(), "reason": f.accepted} for f in self.findings if f.accepted
            ],
            "unaudited": list(self.unaudited),
            "notes": list(self.notes),
        }


def triage(findings: Sequence[VulnFinding], accepted: Mapping[str, str]) -> tuple[VulnFinding, ...]:
    out = []
    for f in findings:
        reason = next((accepted[i] for i in (f.id, *f.aliases) if i in accepted), None)
        out.append(
            VulnFinding(
                f.ecosystem, f.package, f.version, f.id, f.aliases, f.fix, f.severity, reason
            )
        )
    return tuple(out)


def parse_pip_audit(data: Mapping[str, Any], source: str) -> AuditResult:
    """pip-audit's JSON (``-f json``) as findings plus the packages it could not look up."""
    deps = data.get("dependencies", [])
    if not isinstance(deps, list):
        raise ValueError("not a pip-audit JSON report (no 'dependencies' list)")
    findings, unaudited = [], []
    for dep in deps:
        name, version = str(dep.get("name")), str(dep.get("version", ""))
        if dep.get("skip_reason"):
            unaudited.append(f"{name}: {dep['skip_reason']}")
        for vuln in dep.get("vulns", []):
            findings.append(
                VulnFinding(
                    "PyPI",
                    name,
                    version,
                    str(vuln.get("id")),
                    tuple(vuln.get("aliases", [])),
                    tuple(vuln.get("fix_versions", [])),
                )
            )
    audited = len(deps) - len(unaudited)
    return AuditResult(source, audited, tuple(findings), tuple(unaudited))


def run_pip_audit(config: AuditConfig) -> AuditResult:
    """Run pip-audit on the requirements files, or on this environment."""
    argv = [
        sys.executable,
        "-m",
        "pip_audit",
        "-f",
        "json",
        "--progress-spinner",
        "off",
        "-s",
        config.service,
    ]
    if config.requirements:
        for path in config.requirements:
            argv += ["-r", str(path)]
        argv += ["--no-deps", "--disable-pip"]  # pinned files: no resolver, no throwaway venv
        what = ", ".join(p.name for p in config.requirements)
    else:
        argv += ["-l", "--skip-editable"]
        what = f"the environment of {sys.executable}"
    try:
        done = subprocess.run(  # nosec B603 - our interpreter running pip-audit
            argv,
            cwd=config.root,
            capture_output=True,
            text=True,
            timeout=config.timeout_s,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise AuditUnavailable(f"pip-audit took longer than {config.timeout_s:g} s") from None
    try:
        data = json.loads(done.stdout)
    except ValueError:
        lines = [ln for ln in done.stderr.strip().splitlines() if ln.strip()]
        reason = lines[-1] if lines else f"pip-audit exited {done.returncode} without a report"
        raise AuditUnavailable(reason[:400]) from None
    result = parse_pip_audit(data, f"pip-audit ({config.service}) on {what}")
    if result.audited == 0 and result.unaudited:
        raise AuditUnavailable(
            f"the vulnerability service answered for none of {len(result.unaudited)} packages "
            f"(e.g. {result.unaudited[0]})"
        )
    return result


def read_report(config: AuditConfig, now: float | None = None) -> AuditResult:
    """A pip-audit JSON report written recently by another job."""
    assert config.report is not None  # nosec B101 - callers check
    if not config.report.is_file():
        raise AuditUnavailable(f"the audit report {config.report} does not exist")
    age = ((now or time.time()) - config.report.stat().st_mtime) / 3600
    if age > config.max_report_age_hours:
        raise AuditUnavailable(
            f"the audit report {config.report} is {age:.0f} h old "
            f"(limit {config.max_report_age_hours:g} h): run pip-audit again"
        )
    try:
        return parse_pip_audit(
            json.loads(config.report.read_text(encoding="utf-8")), f"report {config.report}"
        )
    except ValueError as exc:
        raise AuditUnavailable(f"the audit report {config.report} is unreadable: {exc}") from exc


def _pinned(requirements: Sequence[Path]) -> list[tuple[str, str]]:
    pins = []
    for path in requirements:
        for line in path.read_text(encoding="utf-8").splitlines():
            spec = line.split("#", 1)[0].strip()
            if "==" in spec and not spec.startswith("-"):
                name, version = spec.split("==", 1)
                pins.append((name.split("[")[0].strip(), version.split(";")[0].strip()))
    return pins


def offline_audit(config: AuditConfig) -> AuditResult:
    """Match pinned requirements (or installed distributions) against an offline OSV database."""
    assert config.osv_database is not None  # nosec B101 - callers check
    if not config.osv_database.exists():
        raise AuditUnavailable(f"the offline OSV database {config.osv_database} does not exist")
    try:
        index = load_index(config.osv_database)
    except (OSError, ValueError) as exc:
        raise AuditUnavailable(f"the offline OSV database is unreadable: {exc}") from exc
    if not index:
        raise AuditUnavailable(
            f"the offline OSV database {config.osv_database} holds no PyPI entries"
        )
    if config.requirements:
        packages = _pinned(config.requirements)
    else:
        packages = [
            (d.metadata["Name"], d.version) for d in metadata.distributions() if d.metadata["Name"]
        ]
    findings = [
        VulnFinding("PyPI", name, version, v.id, v.aliases, v.fixed)
        for name, version in dict.fromkeys((normalize(n), v) for n, v in packages)
        for v in vulnerabilities(index, name, version)
    ]
    return AuditResult(
        f"offline OSV database {config.osv_database}", len(packages), tuple(findings)
    )


def npm_audit(lockfile: Path, threshold: str, timeout_s: float) -> AuditResult:
    """``npm audit`` of one lock file (no install, no node_modules needed)."""
    try:
        done = subprocess.run(  # nosec B603 B607 - npm with fixed arguments
            ["npm", "audit", "--json", "--package-lock-only"],
            cwd=lockfile.parent,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        raise AuditUnavailable(f"{lockfile} exists but npm is not installed") from None
    except subprocess.TimeoutExpired:
        raise AuditUnavailable(f"npm audit took longer than {timeout_s:g} s") from None
    try:
        data = json.loads(done.stdout)
    except ValueError:
        raise AuditUnavailable(f"npm audit gave no JSON: {done.stderr.strip()[-300:]}") from None
    if "error" in data:
        error = data["error"]
        raise AuditUnavailable(
            f"npm audit failed: {error.get('summary') if isinstance(error, Mapping) else error}"
        )
    findings = []
    floor = NPM_SEVERITIES.index(threshold)
    for name, vuln in data.get("vulnerabilities", {}).items():
        severity = str(vuln.get("severity", "high"))
        if severity in NPM_SEVERITIES and NPM_SEVERITIES.index(severity) < floor:
            continue
        ids = [
            str(v.get("url") or v.get("source"))
            for v in vuln.get("via", [])
            if isinstance(v, Mapping)
        ]
        findings.append(
            VulnFinding(
                "npm",
                name,
                str(vuln.get("range", "?")),
                ids[0] if ids else name,
                tuple(ids[1:]),
                (),
                severity,
            )
        )
    total = data.get("metadata", {}).get("dependencies", {})
    audited = int(total.get("total", 0)) if isinstance(total, Mapping) else 0
    return AuditResult(f"npm audit of {lockfile}", audited, tuple(findings))


def audit_dependencies(config: AuditConfig) -> AuditResult:
    """The configured source for Python packages, plus npm audit of existing lock files."""
    if config.report is not None:
        result = read_report(config)
    elif config.osv_database is not None:
        result = offline_audit(config)
    else:
        result = run_pip_audit(config)
    findings, unaudited, notes = list(result.findings), list(result.unaudited), [result.source]
    audited = result.audited
    for lockfile in config.npm_lockfiles:
        if lockfile.is_file():
            npm = npm_audit(lockfile, config.npm_severity, config.timeout_s)
            findings.extend(npm.findings)
            audited += npm.audited
            notes.append(npm.source)
    return AuditResult(
        " + ".join(notes),
        audited,
        triage(findings, config.accepted),
        tuple(unaudited),
        tuple(notes),
    )

"""Bandit on the code base, judged by severity/confidence thresholds and a reviewed baseline.

The baseline is a TOML file of findings someone looked at, each with the reason it is
acceptable. An entry matches a finding by test id, file and (optionally) a piece of the
flagged code, so it keeps matching when the line moves and stops matching when the code
changes::

    [[finding]]
    test_id = "B501"
    file = "pkg/probe.py"
    code = "verify=False"
    reason = "grades headers of sites with self-signed certificates; never sends secrets"
    reviewed_by = "Dana, 2025-07-20"
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pytest_release.config_table import Table
from pytest_release.settings import ConfigError

LEVELS = ("low", "medium", "high")
DEFAULT_EXCLUDE = (".venv", "venv", "node_modules", ".git", "build", "dist", "tests")


@dataclass(frozen=True, slots=True)
class BanditConfig:
    """``[tool.pytest_release.predeploy.bandit]``."""

    root: Path
    paths: tuple[str, ...] = (".",)
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    severity: str = "medium"  # findings at or above both thresholds count
    confidence: str = "medium"
    baseline: Path | None = None
    timeout_s: float = 600.0


def bandit_config(table: Table) -> BanditConfig:
    return BanditConfig(
        root=table.rootpath,
        paths=table.texts("paths", (".",)) or (".",),
        exclude=table.texts("exclude", DEFAULT_EXCLUDE),
        severity=table.choice("severity", "medium", LEVELS),
        confidence=table.choice("confidence", "medium", LEVELS),
        baseline=table.path("baseline"),
        timeout_s=table.number("timeout_s", 600.0, minimum=1.0),
    )


@dataclass(frozen=True, slots=True)
class Accepted:
    """One reviewed baseline entry."""

    test_id: str
    file: str
    code: str
    reason: str
    reviewed_by: str


@dataclass(frozen=True, slots=True)
class Finding:
    test_id: str
    test_name: str
    severity: str
    confidence: str
    file: str
    line: int
    text: str
    code: str
    accepted: Accepted | None = None

    def describe(self) -> str:
        return (
            f"{self.file}:{self.line} {self.test_id} {self.test_name} "
            f"(severity {self.severity}, confidence {self.confidence}): {self.text}"
        )


class BanditError(RuntimeError):
    """Bandit did not run or its output was unusable."""


@dataclass(frozen=True, slots=True)
class BanditResult:
    """All findings, the ones over the thresholds, and baseline entries that match nothing."""

    config: BanditConfig
    findings: tuple[Finding, ...]
    files_scanned: int
    errors: tuple[str, ...] = ()
    stale_baseline: tuple[Accepted, ...] = ()

    def _over(self, finding: Finding) -> bool:
        rank = LEVELS.index
        return rank(finding.severity) >= rank(self.config.severity) and rank(
            finding.confidence
        ) >= rank(self.config.confidence)

    @property
    def blocking(self) -> tuple[Finding, ...]:
        """Findings over both thresholds that no baseline entry accepts."""
        return tuple(f for f in self.findings if self._over(f) and f.accepted is None)

    @property
    def accepted(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if self._over(f) and f.accepted is not None)

    def evidence(self) -> dict[str, Any]:
        return {
            "paths": list(self.config.paths),
            "thresholds": {"severity": self.config.severity, "confidence": self.config.confidence},
            "baseline": str(self.config.baseline) if self.config.baseline else None,
            "files_scanned": self.files_scanned,
            "findings_total": len(self.findings),
            "blocking": [f.describe() for f in self.blocking],
            "accepted": [
                {
                    "finding": f.describe(),
                    "reason": f.accepted.reason,
                    "reviewed_by": f.accepted.reviewed_by,
                }
                for f in self.accepted
                if f.accepted is not None
            ],
            "below_thresholds": [f.describe() for f in self.findings if not self._over(f)][:200],
            "stale_baseline_entries": [
                f"{a.test_id} {a.file} {a.code!r}" for a in self.stale_baseline
            ],
            "errors": list(self.errors),
        }


def load_baseline(path: Path) -> tuple[Accepted, ...]:
    """Read the reviewed baseline; every entry needs test_id, file and a reason."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"the bandit baseline {path} does not exist: create it or remove the setting"
        ) from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"the bandit baseline {path} is not readable TOML: {exc}") from exc
    entries = []
    for number, entry in enumerate(data.get("finding", []), start=1):
        missing = [k for k in ("test_id", "file", "reason") if not str(entry.get(k, "")).strip()]
        if missing:
            raise ConfigError(
                f"{path}: [[finding]] #{number} lacks {', '.join(missing)}: every accepted finding "
                "names its test id, its file and why it is acceptable"
            )
        entries.append(
            Accepted(
                str(entry["test_id"]),
                str(entry["file"]),
                str(entry.get("code", "")),
                str(entry["reason"]),
                str(entry.get("reviewed_by", "")),
            )
        )
    return tuple(entries)


def _relative(filename: str, root: Path) -> str:
    path = Path(filename)
    if not path.is_absolute():
        path = root / path
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def run_bandit(config: BanditConfig) -> Mapping[str, Any]:
    """Bandit's JSON report for the configured paths (every level: thresholds apply later)."""
    excludes = ",".join(str((config.root / e).resolve()) for e in config.exclude)
    argv = [sys.executable, "-m", "bandit", "-r", *config.paths, "-f", "json", "-q"]
    if excludes:
        argv += ["-x", excludes]
    try:
        done = subprocess.run(  # nosec B603 - our own interpreter running bandit on configured paths
            argv,
            cwd=config.root,
            capture_output=True,
            text=True,
            timeout=config.timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise BanditError(
            f"bandit took longer than {config.timeout_s:g} s; raise timeout_s or narrow paths"
        ) from exc
    try:
        data = json.loads(done.stdout)
    except ValueError:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise BanditError(
            f"bandit exited {done.returncode} without a JSON report: {' | '.join(tail)}"
        ) from None
    if not isinstance(data, Mapping):
        raise BanditError("bandit's JSON report is not an object")
    return data


def judge(
    config: BanditConfig, report: Mapping[str, Any], baseline: Sequence[Accepted] = ()
) -> BanditResult:
    """Match findings against the baseline; list errors and stale entries."""
    used: set[Accepted] = set()
    findings = []
    for raw in report.get("results", []):
        finding = Finding(
            test_id=str(raw.get("test_id", "")),
            test_name=str(raw.get("test_name", "")),
            severity=str(raw.get("issue_severity", "LOW")).lower(),
            confidence=str(raw.get("issue_confidence", "LOW")).lower(),
            file=_relative(str(raw.get("filename", "")), config.root),
            line=int(raw.get("line_number", 0) or 0),
            text=str(raw.get("issue_text", "")),
            code=str(raw.get("code", "")),
        )
        entry = next(
            (
                a
                for a in baseline
                if a.test_id == finding.test_id
                and a.file == finding.file
                and a.code in finding.code
            ),
            None,
        )
        if entry is not None:
            used.add(entry)
            finding = replace(finding, accepted=entry)
        findings.append(finding)
    errors = tuple(
        f"{_relative(str(e.get('filename', '?')), config.root)}: {e.get('reason', '')}"
        for e in report.get("errors", [])
    )
    files = len(report.get("metrics", {})) - (1 if "_totals" in report.get("metrics", {}) else 0)
    return BanditResult(
        config, tuple(findings), max(files, 0), errors, tuple(a for a in baseline if a not in used)
    )


def scan(config: BanditConfig) -> BanditResult:
    """Run bandit and judge its findings."""
    baseline = load_baseline(config.baseline) if config.baseline is not None else ()
    return judge(config, run_bandit(config), baseline)

"""Are alerts configured? Prometheus rule files parsed and checked for the rules that matter.

A deployment needs at least an error-rate, a latency and an availability alert. Rules are
recognised by what their expression measures (and their name). ``promtool check rules``
validates the files too when it is installed.
"""

from __future__ import annotations

import glob
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml  # type: ignore[import-untyped,unused-ignore]

from pytest_release.probes.findings import CheckResult, Finding, FindingStatus

OK, PROBLEM, UNCHECKED = FindingStatus.OK, FindingStatus.PROBLEM, FindingStatus.NOT_CHECKED
KINDS: dict[str, re.Pattern[str]] = {
    "error-rate": re.compile(r"(?i)error|status=~?\"5|code=~?\"5|5\.\.|exception|fail"),
    "latency": re.compile(r"(?i)latency|duration|histogram_quantile|response_time|slow"),
    "availability": re.compile(r"(?i)\bup\b|absent\(|availab|probe_success|healthz|down"),
}


@dataclass(frozen=True, slots=True)
class AlertRule:
    name: str
    expr: str
    file: str


class RuleFileError(ValueError):
    """A rule file that cannot be read; the message names the file and the problem."""


def expand(patterns: Sequence[str], root: Path) -> list[Path]:
    """Files matching the glob patterns (relative to ``root``)."""
    found: list[Path] = []
    for pattern in patterns:
        full = pattern if Path(pattern).is_absolute() else str(root / pattern)
        found += [Path(p) for p in sorted(glob.glob(full, recursive=True)) if Path(p).is_file()]
    return found


def load_rules(path: Path) -> list[AlertRule]:
    """The alerting rules (not recording rules) of one Prometheus rule file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RuleFileError(f"{path}: not readable YAML: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("groups"), list):
        raise RuleFileError(f"{path}: no 'groups:' list; not a Prometheus rule file")
    rules: list[AlertRule] = []
    for group in data["groups"]:
        for rule in (group or {}).get("rules") or []:
            if isinstance(rule, dict) and "alert" in rule:
                if not rule.get("expr"):
                    raise RuleFileError(f"{path}: alert {rule['alert']!r} has no expr")
                rules.append(AlertRule(str(rule["alert"]), str(rule["expr"]), str(path)))
    return rules


def kinds_of(rule: AlertRule) -> set[str]:
    text = f"{rule.name} {rule.expr}"
    return {kind for kind, pattern in KINDS.items() if pattern.search(text)}


def promtool(files: Sequence[Path]) -> Finding | None:
    """``promtool check rules`` on the files, when promtool is installed."""
    tool = shutil.which("promtool")
    if tool is None or not files:
        return None
    done = subprocess.run(
        [tool, "check", "rules", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    tail = (done.stdout + done.stderr).strip()[-400:]
    return Finding("promtool check rules", OK if done.returncode == 0 else PROBLEM, tail)


def check_alert_rules(files: Sequence[Path], described: str) -> CheckResult:
    """Rule files exist, parse, and hold error-rate, latency and availability alerts."""
    if not files:
        finding = Finding(
            "rule files",
            PROBLEM,
            f"no Prometheus rule files at {described}: write alert rules for error rate, "
            "latency and availability, and list them in "
            "[tool.pytest_release.monitoring] rule_files",
        )
        return CheckResult("alerts configured", described, (finding,))
    findings: list[Finding] = []
    rules: list[AlertRule] = []
    for path in files:
        try:
            loaded = load_rules(path)
        except RuleFileError as exc:
            findings.append(Finding(path.name, PROBLEM, str(exc)))
            continue
        rules += loaded
        findings.append(Finding(path.name, OK, f"{len(loaded)} alert rule(s)"))
    for kind in KINDS:
        matching = [r.name for r in rules if kind in kinds_of(r)]
        if matching:
            findings.append(Finding(f"{kind} alert", OK, ", ".join(matching)))
        else:
            findings.append(
                Finding(
                    f"{kind} alert",
                    PROBLEM,
                    f"no {kind} alert among {[r.name for r in rules] or 'no rules'}: add one",
                )
            )
    checked = promtool(files)
    if checked is not None:
        findings.append(checked)
    return CheckResult("alerts configured", described, tuple(findings))

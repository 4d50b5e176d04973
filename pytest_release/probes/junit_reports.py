"""Test reports (JUnit XML) of one kind of test: found by globs or written by a command.

Judged like a release manager would: every report must parse, together they must hold at
least one test, none may fail or error, and none may be older than the commit under test
(a report from before the last change says nothing about the change).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import tempfile

# Reports are files this project's own runs wrote, and the expat bundled with Python >= 3.7.1
# refuses entity-expansion bombs, so the standard parser is enough here.
import xml.etree.ElementTree as ET  # nosec B405
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_release.config_table import Table

KINDS = ("unit", "integration", "e2e")
REPORT_PLACEHOLDER = "{report}"
PYTHON_PLACEHOLDER = "{python}"


@dataclass(frozen=True, slots=True)
class TestsConfig:
    """Where one kind's reports are, or the command that produces one."""

    __test__ = False

    kind: str
    reports: tuple[str, ...]
    command: tuple[str, ...] = ()
    timeout_s: float = 900.0


def tests_config(kind: str, table: Table) -> TestsConfig:
    """``[tool.pytest_release.predeploy.tests.<kind>]``."""
    return TestsConfig(
        kind=kind,
        reports=table.texts("reports", (f"reports/junit/{kind}*.xml",)),
        command=table.command("command"),
        timeout_s=table.number("timeout_s", 900.0, minimum=1.0),
    )


@dataclass(frozen=True, slots=True)
class FailedCase:
    """One failing or erroring test case."""

    name: str
    kind: str  # "failure" or "error"
    message: str


@dataclass(frozen=True, slots=True)
class JunitReport:
    """What one report file says."""

    path: str
    tests: int
    failures: int
    errors: int
    skipped: int
    written: dt.datetime
    failed: tuple[FailedCase, ...] = ()


@dataclass(frozen=True, slots=True)
class TestsResult:
    """All reports of one kind, plus the problems found (empty: the item passes)."""

    __test__ = False

    kind: str
    reports: tuple[JunitReport, ...]
    problems: tuple[str, ...]
    unreadable: tuple[str, ...] = ()
    command: tuple[str, ...] = ()
    command_output: str = ""

    @property
    def tests(self) -> int:
        return sum(r.tests for r in self.reports)

    def evidence(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "command": list(self.command),
            "tests": self.tests,
            "reports": [
                {
                    "path": r.path,
                    "tests": r.tests,
                    "failures": r.failures,
                    "errors": r.errors,
                    "skipped": r.skipped,
                    "written": r.written.isoformat(timespec="seconds"),
                    "failed": [
                        {"name": c.name, "kind": c.kind, "message": c.message} for c in r.failed
                    ],
                }
                for r in self.reports
            ],
            "unreadable": list(self.unreadable),
            "problems": list(self.problems),
            "command_output_tail": self.command_output[-4000:],
        }


def find_reports(root: Path, globs: Sequence[str]) -> list[Path]:
    """Report files matching the globs (relative to root unless absolute), oldest first."""
    found: dict[Path, None] = {}
    for pattern in globs:
        base, rel = (
            (Path("/"), pattern.lstrip("/")) if Path(pattern).is_absolute() else (root, pattern)
        )
        for path in sorted(base.glob(rel)):
            if path.is_file():
                found[path] = None
    return sorted(found, key=lambda p: p.stat().st_mtime)


def _int(element: ET.Element, name: str) -> int:
    try:
        return int(float(element.get(name, "0") or 0))
    except ValueError:
        return 0


def _written(element: ET.Element, path: Path) -> dt.datetime:
    """The suite's own timestamp when it has one, else the file's modification time."""
    stamp = element.get("timestamp")
    if stamp:
        try:
            when = dt.datetime.fromisoformat(stamp)
            return when if when.tzinfo else when.astimezone()  # naive: the writer's local time
        except ValueError:
            pass
    return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)


def parse_report(path: Path) -> JunitReport:
    """Read one JUnit XML file (``<testsuites>`` or a single ``<testsuite>``)."""
    root = ET.parse(path).getroot()  # nosec B314 - see the import
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    if root.tag not in ("testsuite", "testsuites"):
        raise ValueError(f"the root element is <{root.tag}>, not <testsuites> or <testsuite>")
    failed: list[FailedCase] = []
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    written: list[dt.datetime] = []
    for suite in suites:
        written.append(_written(suite, path))
        cases = suite.findall(".//testcase")
        totals["tests"] += _int(suite, "tests") if suite.get("tests") else len(cases)
        totals["failures"] += _int(suite, "failures")
        totals["errors"] += _int(suite, "errors")
        totals["skipped"] += _int(suite, "skipped") or _int(suite, "skips")
        for case in cases:
            for kind in ("failure", "error"):
                problem = case.find(kind)
                if problem is not None:
                    name = ".".join(x for x in (case.get("classname"), case.get("name")) if x)
                    message = (problem.get("message") or problem.text or "").strip()
                    failed.append(
                        FailedCase(
                            name or "?", kind, message.splitlines()[0][:300] if message else ""
                        )
                    )
    # Counters can be missing or wrong in hand-made reports; the cases themselves are facts.
    case_failures = sum(c.kind == "failure" for c in failed)
    case_errors = sum(c.kind == "error" for c in failed)
    return JunitReport(
        path=str(path),
        tests=totals["tests"],
        failures=max(totals["failures"], case_failures),
        errors=max(totals["errors"], case_errors),
        skipped=totals["skipped"],
        written=min(written)
        if written
        else dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC),
        failed=tuple(failed),
    )


def run_command(config: TestsConfig, root: Path, report: Path) -> tuple[int | None, str]:
    """Run the configured command in root; ``{report}`` and ``{python}`` are filled in."""
    argv = [
        a.replace(REPORT_PLACEHOLDER, str(report)).replace(PYTHON_PLACEHOLDER, sys.executable)
        for a in config.command
    ]
    try:
        done = subprocess.run(  # nosec B603 - an argument list from the project's own config
            argv,
            cwd=root,
            capture_output=True,
            text=True,
            timeout=config.timeout_s,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        return None, f"command not found: {argv[0]}"
    except subprocess.TimeoutExpired as exc:
        output = (
            (exc.stdout or b"").decode(errors="replace")
            if isinstance(exc.stdout, bytes)
            else exc.stdout or ""
        )
        return None, f"{output}\n(timed out after {config.timeout_s:g} s)"
    return done.returncode, done.stdout + done.stderr


def check_tests(config: TestsConfig, root: Path, commit_time: dt.datetime | None) -> TestsResult:
    """Run the command (if any), read the reports, and list what is wrong."""
    problems: list[str] = []
    output = ""
    with tempfile.TemporaryDirectory(prefix=f"pytest-release-{config.kind}-") as scratch:
        paths: list[Path] = []
        if config.command:
            written = Path(scratch) / f"{config.kind}.xml"
            code, output = run_command(config, root, written)
            if code is None:
                problems.append(
                    f"{config.kind} test command did not run: {output.strip().splitlines()[-1]}"
                )
            if written.is_file():
                paths.append(written)
            elif not any(REPORT_PLACEHOLDER in a for a in config.command):
                paths.extend(find_reports(root, config.reports))
            elif code is not None:
                problems.append(
                    f"the {config.kind} test command exited {code} without writing a report "
                    f"to {{report}}; last output: {_last_line(output)}"
                )
        else:
            paths.extend(find_reports(root, config.reports))
        reports: list[JunitReport] = []
        unreadable: list[str] = []
        for path in paths:
            try:
                reports.append(parse_report(path))
            except (ET.ParseError, ValueError, OSError) as exc:
                unreadable.append(f"{path}: {exc}")
    problems.extend(
        f"unreadable report {u}: re-run the tests to write it again" for u in unreadable
    )
    problems.extend(judge(config.kind, reports, commit_time))
    return TestsResult(
        config.kind, tuple(reports), tuple(problems), tuple(unreadable), config.command, output
    )


def judge(kind: str, reports: Sequence[JunitReport], commit_time: dt.datetime | None) -> list[str]:
    """Failures, zero tests and stale reports, each as one actionable line."""
    problems: list[str] = []
    if reports and sum(r.tests for r in reports) == 0:
        problems.append(
            f"the {kind} test reports hold 0 tests: the run collected nothing (wrong path or "
            "marker?); fix the selection so the tests actually run"
        )
    for report in reports:
        if report.failures or report.errors:
            names = ", ".join(f"{c.name} ({c.message or c.kind})" for c in report.failed[:5])
            more = f" and {len(report.failed) - 5} more" if len(report.failed) > 5 else ""
            problems.append(
                f"{report.failures} failed and {report.errors} errored of {report.tests} {kind} "
                f"tests in {report.path}: {names}{more}; fix them (or the tests) and re-run"
            )
        if commit_time is not None and report.written < commit_time:
            problems.append(
                f"{report.path} was written {report.written.isoformat(timespec='seconds')}, before "
                f"the commit under test ({commit_time.isoformat(timespec='seconds')}): re-run the "
                f"{kind} tests on this commit"
            )
    return problems


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "(no output)"

"""Pre-deployment code quality probes on real fixtures: JUnit reports, git repos, bandit, bugs."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pytest_release.probes.bandit_scan import BanditConfig, load_baseline, scan
from pytest_release.probes.benchmarks import BenchmarksConfig, check_benchmarks
from pytest_release.probes.bugs import BugsConfig, BugSourceError, check_bugs
from pytest_release.probes.git_review import ReviewConfig, check_review, commit_time
from pytest_release.probes.junit_reports import TestsConfig, check_tests

PASSING = """<?xml version="1.0"?><testsuites><testsuite name="s" tests="2" failures="0" errors="0"
 skipped="0" timestamp="{ts}"><testcase classname="t" name="a"/><testcase classname="t" name="b"/>
</testsuite></testsuites>"""
FAILING = """<?xml version="1.0"?><testsuite name="s" tests="2" failures="1" errors="0"
 timestamp="{ts}"><testcase classname="tests.test_cart" name="test_total"><failure
 message="assert 3 == 4">trace</failure></testcase><testcase classname="t" name="b"/></testsuite>"""


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def _write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_junit_failing_report_names_the_failed_test(tmp_path: Path) -> None:
    _write(tmp_path, "reports/junit/unit.xml", FAILING.format(ts=_now()))
    result = check_tests(TestsConfig("unit", ("reports/junit/unit*.xml",)), tmp_path, None)
    assert len(result.problems) == 1
    assert "1 failed and 0 errored of 2 unit tests" in result.problems[0]
    assert "tests.test_cart.test_total (assert 3 == 4)" in result.problems[0]


def test_junit_zero_tests_and_stale_report_fail(tmp_path: Path) -> None:
    empty = '<testsuite name="s" tests="0" timestamp="2020-01-01T00:00:00+00:00"></testsuite>'
    _write(tmp_path, "reports/junit/e2e.xml", empty)
    commit = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    result = check_tests(TestsConfig("e2e", ("reports/junit/e2e*.xml",)), tmp_path, commit)
    assert any("hold 0 tests" in p for p in result.problems)
    assert any("before the commit under test" in p and "re-run" in p for p in result.problems)


def test_junit_passing_report_and_missing_report(tmp_path: Path) -> None:
    config = TestsConfig("integration", ("reports/junit/integration*.xml",))
    assert check_tests(config, tmp_path, None).reports == ()
    _write(tmp_path, "reports/junit/integration.xml", PASSING.format(ts=_now()))
    result = check_tests(config, tmp_path, dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    assert result.problems == () and result.tests == 2


def test_junit_command_runs_real_pytest(tmp_path: Path) -> None:
    _write(tmp_path, "test_tiny.py", "def test_ok():\n    assert 1 + 1 == 2\n")
    command = ("{python}", "-m", "pytest", "-q", "-p", "no:release", "-p", "no:cacheprovider",
               "test_tiny.py", "--junitxml={report}")  # fmt: skip
    result = check_tests(TestsConfig("unit", (), command), tmp_path, None)
    assert result.problems == () and result.tests == 1, result.command_output


def _git(repo: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.org",
           "GIT_COMMITTER_NAME": "Dev", "GIT_COMMITTER_EMAIL": "dev@example.org"}  # fmt: skip
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


def _commit(repo: Path, name: str, message: str) -> None:
    (repo / name).write_text(name, encoding="utf-8")
    _git(repo, "add", name)
    _git(repo, "commit", "-q", "-m", message)


def test_git_review_merges_trailers_and_a_direct_commit(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    _commit(repo, "a", "initial")
    _git(repo, "tag", "v1.0.0")
    _git(repo, "checkout", "-q", "-b", "feature")
    _commit(repo, "b", "feature work")
    _git(repo, "checkout", "-q", "main")
    _git(repo, "merge", "-q", "--no-ff", "feature", "-m", "Merge pull request #7 from dev/feature")
    _commit(repo, "c", "Fix typo\n\nReviewed-by: Dana <dana@example.org>")
    config = ReviewConfig(repository=repo)
    result = check_review(config)
    assert result.since == "v1.0.0"
    assert [c.subject for c in result.commits if c.evidence] == ["Fix typo", "feature work"]
    assert result.unreviewed == ()
    _commit(repo, "d", "hotfix straight to main")
    result = check_review(config)
    assert [c.subject for c in result.unreviewed] == ["hotfix straight to main"]
    assert commit_time(repo) is not None


def test_open_critical_bugs_from_json_and_csv(tmp_path: Path) -> None:
    export = _write(tmp_path, "bugs.json", json.dumps({"issues": [
        {"number": 1, "title": "Run button dead on Safari", "state": "open",
         "labels": [{"name": "bug"}, {"name": "Critical"}]},
        {"number": 2, "title": "Typo", "state": "open", "labels": ["minor"]},
        {"number": 3, "title": "Crash on save", "state": "closed", "labels": ["critical"]},
    ]}))  # fmt: skip
    result = check_bugs(BugsConfig(source=export))
    assert [b.key for b in result.open_critical] == ["1"]
    assert result.why["1"] == "label 'Critical'"
    csv_export = _write(
        tmp_path,
        "bugs.csv",
        "Key,Summary,state,severity\nEX-4,Sandbox escape,In Progress,Blocker\n",
    )
    assert [b.key for b in check_bugs(BugsConfig(source=csv_export)).open_critical] == ["EX-4"]
    os.utime(export, (0, 0))
    with pytest.raises(BugSourceError, match="h old"):
        check_bugs(BugsConfig(source=export))


VULNERABLE = """import subprocess


def run(cmd):
    return subprocess.call(cmd, shell=True)
"""
CLEAN = """def add(a, b):
    return a + b
"""


def test_bandit_high_finding_fails_and_baseline_accepts_it(tmp_path: Path) -> None:
    _write(tmp_path, "bad/app/run.py", VULNERABLE)
    _write(tmp_path, "good/app/calc.py", CLEAN)
    bad = scan(BanditConfig(root=tmp_path / "bad", paths=("app",)))
    assert [f.test_id for f in bad.blocking] == ["B602"]
    assert "app/run.py:5 B602" in bad.blocking[0].describe()
    assert bad.blocking[0].severity == "high"
    assert scan(BanditConfig(root=tmp_path / "good", paths=("app",))).blocking == ()
    baseline = _write(tmp_path, "baseline.toml", textwrap.dedent("""
        [[finding]]
        test_id = "B602"
        file = "app/run.py"
        code = "shell=True"
        reason = "cmd is a constant from our own config"
        """))  # fmt: skip
    assert len(load_baseline(baseline)) == 1
    accepted = scan(BanditConfig(root=tmp_path / "bad", paths=("app",), baseline=baseline))
    assert accepted.blocking == () and len(accepted.accepted) == 1


def test_benchmarks_over_budget_and_unmatched_budget(tmp_path: Path) -> None:
    stats = {"min": 0.001, "max": 0.02, "mean": 0.008, "median": 0.007, "ops": 125.0}
    report = {"datetime": _now(), "benchmarks": [{"name": "test_parse", "stats": stats}]}
    _write(tmp_path, "reports/benchmarks/run.json", json.dumps(report))
    budgets = {"test_parse": {"mean_ms": 5.0}, "test_render*": {"max_ms": 10.0}}
    result = check_benchmarks(BenchmarksConfig(budgets=budgets), tmp_path, None)
    assert any("test_parse: mean 8.000 ms (budget 5 ms)" in p for p in result.problems)
    assert any("no benchmark matches the budget 'test_render*'" in p for p in result.problems)
    ok = check_benchmarks(
        BenchmarksConfig(budgets={"test_parse": {"mean_ms": 10.0}}), tmp_path, None
    )
    assert ok.problems == ()


def test_bandit_runs_with_this_interpreter() -> None:
    assert (
        subprocess.run(
            [sys.executable, "-m", "bandit", "--version"], capture_output=True
        ).returncode
        == 0
    )

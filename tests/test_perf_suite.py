"""The performance suites run as a user runs them (a pytest subprocess) against the reference.

Healthy: every performance item passes. Each performance fault (unmistakable: +1.5 s, 256 KiB
per request, a full CPU-second burn) fails its item with the measured figure and the budget.
A budget with no samples and a malformed budget fail loudly; an artificially fast
``--baseline`` makes the verdict "performance significantly degraded".
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pytest_release.suite_process import OWN_SETTINGS_AND_XDIST
from tests.suite_runner import run_and_read

ROOT = Path(__file__).resolve().parents[1]
PERF = ROOT / "suites" / "postdeploy" / "performance"
ITEMS = frozenset(
    {
        "post.performance.page-load",
        "post.performance.api-response",
        "post.performance.resource-usage",
        "post.performance.memory-leaks",
        "post.performance.cpu-spikes",
    }
)


@dataclass(frozen=True)
class Run:
    returncode: int
    output: str
    results: dict[str, Any]

    def statuses(self) -> dict[str, str]:
        return {i["id"]: i["status"] for i in self.results["checklist"] if i["id"] in ITEMS}

    def messages(self) -> str:
        return "\n".join(t.get("message") or "" for t in self.results["tests"])


def run_suite(
    tmp_path: Path, *args: str, files: tuple[str, ...] = (str(PERF),), pyproject: str | None = None
) -> Run:
    report_dir = tmp_path / "reports"
    extra: list[str] = []
    if pyproject is not None:
        project = tmp_path / "project"
        project.mkdir()
        (project / "pyproject.toml").write_text(
            f'[tool.pytest_release]\nchecklist = "{ROOT / "suites" / "checklist.md"}"\n'
            + pyproject,
            encoding="utf-8",
        )
        extra = ["-c", str(project / "pyproject.toml"), "--rootdir", str(project)]
    # Not PYTEST_XDIST_*: when this test itself runs on an xdist worker, pytest-benchmark in
    # the child would see PYTEST_XDIST_WORKER and switch itself off.
    return Run(
        *run_and_read(
            (*files, *extra),
            report_dir,
            extra_args=args,
            drop=OWN_SETTINGS_AND_XDIST,
            timeout=600,
        )
    )


def test_healthy_reference_passes_every_performance_item(tmp_path: Path) -> None:
    saved = tmp_path / "baseline.json"
    run = run_suite(tmp_path, "--perf-save-baseline", str(saved))
    assert run.statuses() == dict.fromkeys(ITEMS, "pass"), run.output[-4000:]
    assert run.results["verdict"] == "GO"
    names = {f["name"] for f in run.results["performance"]}
    assert {"page / monaco_ready_ms", "POST /api/run p95_ms", "load p95_ms"} <= names
    assert json.loads(saved.read_text())["performance"], "the baseline was not saved"
    assert (tmp_path / "reports" / "benchmarks" / "performance.json").is_file()
    assert list((tmp_path / "reports" / "evidence").glob("*/*.svg")), "no charts"


FAULTS = {
    # fault: (suite file, -k, item, words the message must carry)
    "slow-api": ("test_api_latency.py", "POST", "post.performance.api-response", "POST /api/run"),
    "slow-pages": ("test_page_load_budgets.py", "", "post.performance.page-load", "ttfb_ms"),
    "memory-leak": ("test_memory_leaks.py", "", "post.performance.memory-leaks", "KiB/request"),
    "cpu-spike": ("test_cpu_spikes.py", "", "post.performance.cpu-spikes", "spike"),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_each_fault_fails_its_item_with_figure_and_budget(tmp_path: Path, fault: str) -> None:
    suite, keyword, item, words = FAULTS[fault]
    args = ["--release-fault", fault] + (["-k", keyword] if keyword else [])
    run = run_suite(tmp_path, *args, files=(str(PERF / suite),))
    assert run.statuses()[item] == "fail", run.output[-4000:]
    message = run.messages()
    assert words in message and "over the budget <=" in message, message
    assert "error" not in {t["outcome"] for t in run.results["tests"]}


def test_budget_with_no_samples_fails(tmp_path: Path) -> None:
    pyproject = (
        '[tool.pytest_release.budgets.pages."/no-such-page"]\nttfb_ms = 1000\n'
        "[tool.pytest_release.load]\npage_loads = 1\n"
        '[tool.pytest_release.pages]\npaths = ["/no-such-page"]\n'
    )
    run = run_suite(tmp_path, files=(str(PERF / "test_page_load_budgets.py"),), pyproject=pyproject)
    assert run.statuses()["post.performance.page-load"] == "fail", run.output[-4000:]
    assert "no samples collected" in run.messages()


def test_malformed_budget_stops_the_run(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        f'[tool.pytest_release]\nchecklist = "{ROOT / "suites" / "checklist.md"}"\n'
        '[tool.pytest_release.budgets.endpoints."GET /"]\np95ms = 100\n',
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(project / "pyproject.toml"), str(PERF)],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == pytest.ExitCode.USAGE_ERROR, done.stdout + done.stderr
    assert "unknown key 'p95ms'; did you mean 'p95_ms'?" in done.stderr


def test_fast_baseline_means_significantly_degraded(tmp_path: Path) -> None:
    baseline = tmp_path / "fast-baseline.json"
    baseline.write_text(
        json.dumps(
            {
                "performance": [
                    {"name": "POST /api/run p50_ms", "value": 2.0, "unit": "ms"},
                    {"name": "POST /api/run p95_ms", "value": 3.0, "unit": "ms"},
                ]
            }
        ),
        encoding="utf-8",
    )
    run = run_suite(
        tmp_path,
        "--baseline",
        str(baseline),
        "-k",
        "POST",
        files=(str(PERF / "test_api_latency.py"),),
    )
    assert run.statuses()["post.performance.api-response"] == "pass", run.output[-4000:]
    rules = {r["rule"] for r in run.results["verdict_reasons"]}
    assert "performance-significantly-degraded" in rules, run.results["verdict_reasons"]
    assert run.results["verdict"] in ("ROLLBACK", "NO-GO")
    levels = {c["name"]: c["level"] for c in run.results["performance_baseline"]["changes"]}
    assert levels["POST /api/run p50_ms"] == "fail"


def test_previous_release_in_history_is_the_default_baseline(tmp_path: Path) -> None:
    history = tmp_path / "history"
    api = (str(PERF / "test_api_latency.py"),)
    common = ("-k", "POST", "-m", "postdeploy", "--history", str(history))
    first = run_suite(tmp_path / "one", *common, "--release-version", "1.0", files=api)
    assert "archived to" in first.output, first.output[-3000:]
    [archived] = [p for p in history.rglob("*.json") if "postdeploy" in p.name]
    data = json.loads(archived.read_text(encoding="utf-8"))
    for figure in data["performance"]:  # make release 1.0 look ten times faster
        figure["value"] = figure["value"] / 10
    archived.write_text(json.dumps(data), encoding="utf-8")
    # +1.5 s per run in release 1.1: far above every noise floor even on an idle machine,
    # where the run API's own p50 (~30 ms) is close to the 25 ms floor.
    second = run_suite(
        tmp_path / "two",
        *common,
        "--release-version",
        "1.1",
        "--release-fault",
        "slow-api",
        files=api,
    )
    assert second.results["performance_baseline"]["path"] == str(archived)
    rules = {r["rule"] for r in second.results["verdict_reasons"]}
    assert "performance-significantly-degraded" in rules, second.output[-3000:]

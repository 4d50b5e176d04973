"""Run the operations suites as a user does (pytest in the project root) and read results.json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class SuiteRun:
    returncode: int
    output: str
    results: dict[str, Any]

    def status(self, item: str) -> str:
        return str(next(i["status"] for i in self.results["checklist"] if i["id"] == item))

    def note(self, item: str) -> str:
        notes = [str(i.get("note") or "") for i in self.results["checklist"] if i["id"] == item]
        return notes[0]


def run_suite(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None, name: str = "reports"
) -> SuiteRun:
    report_dir = tmp_path / name
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_RELEASE_")}
    environ.update(env or {})
    command = [sys.executable, "-m", "pytest", *args, f"--report-dir={report_dir}"]
    done = subprocess.run(
        [*command, "-p", "no:cacheprovider", "-q"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = done.stdout + done.stderr
    results_file = report_dir / "results.json"
    assert results_file.is_file(), f"no results.json; pytest said:\n{output[-3000:]}"
    return SuiteRun(done.returncode, output, json.loads(results_file.read_text(encoding="utf-8")))

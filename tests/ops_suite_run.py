"""Run the operations suites as a user does (pytest in the project root) and read results.json."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.suite_runner import run_and_read

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
    return SuiteRun(*run_and_read(args, tmp_path / name, env=env, timeout=300))

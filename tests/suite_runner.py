"""Run suites in a pytest subprocess from the project root and insist on a results.json."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from pytest_release.suite_process import OWN_SETTINGS, read_results, run_pytest

ROOT = Path(__file__).resolve().parents[1]


class Finished(NamedTuple):
    returncode: int
    output: str
    results: dict[str, Any]


def run_and_read(
    args: Sequence[str],
    report_dir: Path,
    *,
    timeout: float,
    extra_args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    drop: tuple[str, ...] = OWN_SETTINGS,
) -> Finished:
    """Run pytest on ``args`` (see ``run_pytest``); fail with its output if it wrote no results."""
    done = run_pytest(
        args, report_dir, cwd=ROOT, timeout=timeout, extra_args=extra_args, env=env, drop=drop
    )
    output = done.stdout + done.stderr
    results_file = report_dir / "results.json"
    assert results_file.is_file(), f"no results.json; pytest said:\n{output[-3000:]}"
    return Finished(done.returncode, output, read_results(report_dir))

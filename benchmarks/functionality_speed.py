"""Wall time of the functionality suite and of `pytest -m smoke` against the reference deployment.

Runs the commands a person types, from the repository root (the plugin starts the reference
deployment, the fixtures launch Chromium), after one warm-up run of each (bytecode, Monaco,
page cache). Targets: functionality suite <= 20 s, smoke <= 10 s. Besides wall time it
prints the CPU seconds of the whole process tree (pytest, Chromium, the reference server),
sampled, because on a shared two-core machine the wall time mostly says how busy the
neighbours are: wall >= CPU / cores. ``--isolation storage`` runs the suite from a copy of
the suites with ``[tool.pytest_release.browser] isolation = "storage"``.

    .venv/bin/python benchmarks/functionality_speed.py [--rounds 3] [--workers 2]
        [--isolation context|storage]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
SUITE_TARGET_S = 20.0
SMOKE_TARGET_S = 10.0


def _tree_cpu(process: subprocess.Popen[bytes], seen: dict[int, float]) -> None:
    """Sample the CPU time of every process under ``process`` until it exits."""
    root = psutil.Process(process.pid)
    while process.poll() is None:
        try:
            members = [root, *root.children(recursive=True)]
        except psutil.Error:
            return
        for member in members:
            try:
                times = member.cpu_times()
            except psutil.Error:
                continue
            seen[member.pid] = times.user + times.system
        time.sleep(0.1)


def run(args: list[str], cwd: Path, report_dir: Path) -> tuple[float, float, str]:
    """One pytest run: wall seconds, CPU seconds of the process tree, the verdict."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", *args]
    # "--report-dir=X", not "--report-dir X": pytest picks the rootdir from the arguments
    # before plugins register their options, and would take X for a path to test.
    command += [f"--report-dir={report_dir}"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # warm = cached
    seen: dict[int, float] = {}
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    sampler = threading.Thread(target=_tree_cpu, args=(process, seen), daemon=True)
    sampler.start()
    code = process.wait()
    elapsed = time.perf_counter() - start
    sampler.join()
    try:
        verdict = json.loads((report_dir / "results.json").read_text())["verdict"]
    except (OSError, ValueError, KeyError):
        verdict = f"no results (exit {code})"
    return elapsed, sum(seen.values()), verdict


def measure(name: str, args: list[str], cwd: Path, rounds: int, target: float) -> bool:
    report_dir = Path(tempfile.mkdtemp(prefix="bench-functionality-"))
    try:
        run(args, cwd, report_dir)  # warm-up
        samples = [run(args, cwd, report_dir) for _ in range(rounds)]
    finally:
        shutil.rmtree(report_dir, ignore_errors=True)
    wall = statistics.median(s[0] for s in samples)
    cpu = statistics.median(s[1] for s in samples)
    verdicts = ", ".join(sorted({s[2] for s in samples}))
    met = wall <= target
    print(
        f"{name:<44} wall median {wall:6.2f} s (runs {', '.join(f'{s[0]:.1f}' for s in samples)})"
        f"  CPU {cpu:6.1f} s  target <= {target:.0f} s: {'met' if met else 'NOT met'}"
        f"  verdict {verdicts}"
    )
    return met


def _suite_copy(isolation: str) -> Path:
    """A project with the seed checklist, the two suites and the chosen isolation."""
    project = Path(tempfile.mkdtemp(prefix="bench-functionality-project-"))
    shutil.copy(ROOT / "suites" / "checklist.md", project / "checklist.md")
    for suite in ("postdeploy/functionality", "smoke"):
        destination = project / suite.replace("/", "_")
        destination.mkdir()
        for path in (ROOT / "suites" / suite).glob("*.py"):
            shutil.copy(path, destination / path.name)
    (project / "pyproject.toml").write_text(
        '[tool.pytest_release]\nchecklist = "checklist.md"\n'
        f'[tool.pytest_release.browser]\nisolation = "{isolation}"\n'
    )
    return project


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="xdist workers for the suite")
    parser.add_argument("--isolation", choices=["context", "storage"], default="context")
    options = parser.parse_args()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average before: {load} on {os.cpu_count()} CPUs")
    cwd = ROOT if options.isolation == "context" else _suite_copy(options.isolation)
    suite = ["-m", "postdeploy and functionality"]
    if options.workers > 1:
        suite += ["-n", str(options.workers)]
    try:
        ok = measure(
            f"functionality (-n {options.workers}, isolation {options.isolation})",
            suite,
            cwd,
            options.rounds,
            SUITE_TARGET_S,
        )
        ok &= measure("pytest -m smoke", ["-m", "smoke"], cwd, options.rounds, SMOKE_TARGET_S)
    finally:
        if cwd != ROOT:
            shutil.rmtree(cwd, ignore_errors=True)
    print(f"load average after:  {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

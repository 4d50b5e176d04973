"""Wall time of the functionality suite and of `pytest -m smoke` against the reference deployment.

Runs from the repository root the way a person would (the reference deployment is started
by the plugin, Chromium launched by the fixtures), after one warm-up run of each command
(bytecode, Monaco, page cache). Targets: the whole functionality suite <= 20 s, the smoke
subset <= 10 s. The machine's load average is printed because the runs are CPU-bound
(Monaco is parsed afresh in every new browser context) and other people's work shows.

    .venv/bin/python benchmarks/functionality_speed.py [--rounds 3] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUITE_TARGET_S = 20.0
SMOKE_TARGET_S = 10.0


def run(args: list[str], report_dir: Path) -> tuple[float, str]:
    """One pytest run; returns wall seconds and the verdict it wrote."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", *args]
    command += ["--report-dir", str(report_dir)]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # warm = cached
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - start
    try:
        verdict = json.loads((report_dir / "results.json").read_text())["verdict"]
    except (OSError, ValueError, KeyError):
        verdict = f"no results (exit {done.returncode}): {done.stdout[-800:]}{done.stderr[-800:]}"
    return elapsed, verdict


def measure(name: str, args: list[str], rounds: int, target: float, report_dir: Path) -> bool:
    run(args, report_dir)  # warm-up
    times: list[float] = []
    verdicts: set[str] = set()
    for _ in range(rounds):
        elapsed, verdict = run(args, report_dir)
        times.append(elapsed)
        verdicts.add(verdict)
    median = statistics.median(times)
    met = median <= target
    print(
        f"{name:<40} median {median:6.2f} s  (runs: {', '.join(f'{t:.2f}' for t in times)}) "
        f"target <= {target:.0f} s: {'met' if met else 'NOT met'}; verdict {', '.join(verdicts)}"
    )
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="xdist workers for the suite")
    options = parser.parse_args()
    report_dir = ROOT / "reports" / "bench-functionality"
    print(
        f"load average before: {', '.join(f'{x:.2f}' for x in os.getloadavg())}, "
        f"{os.cpu_count()} CPUs"
    )
    suite = ["-m", "postdeploy and functionality"]
    if options.workers > 1:
        suite += ["-n", str(options.workers)]
    ok = measure(
        f"functionality suite (-n {options.workers})",
        suite,
        options.rounds,
        SUITE_TARGET_S,
        report_dir,
    )
    ok &= measure("pytest -m smoke", ["-m", "smoke"], options.rounds, SMOKE_TARGET_S, report_dir)
    print(f"load average after:  {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

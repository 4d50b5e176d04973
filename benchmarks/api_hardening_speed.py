"""Wall-clock time of the code-execution API hardening pack against the reference (<= 45 s).

Runs the five hardening suite files (sandbox isolation, rate limiting twice, input
validation, output sanitization in Chromium) the way a user does, the reference deployment
auto-started on loopback, and prints the wall time of each run, the slowest tests, the
verdict, and the machine's load average (two shared cores stretch everything).

    .venv/bin/python benchmarks/api_hardening_speed.py [runs]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from pytest_release.suite_process import read_results, run_pytest

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 45.0
SUITES = (
    "suites/postdeploy/security/test_sandbox_isolation.py",
    "suites/postdeploy/security/test_sandbox_rate_limit.py",
    "suites/predeploy/security/test_api_rate_limit.py",
    "suites/predeploy/security/test_api_input_validation.py",
    "suites/predeploy/security/test_api_output_sanitization.py",
)


def one_run(report_dir: Path) -> tuple[float, list[tuple[float, str]], str]:
    """(wall seconds, the three slowest tests, verdict)."""
    start = time.perf_counter()
    done = run_pytest(SUITES, report_dir, cwd=ROOT, timeout=300)
    wall = time.perf_counter() - start
    results = read_results(report_dir)
    if done.returncode != 0:
        print(done.stdout[-2000:], file=sys.stderr)
    slowest = sorted(((t["duration_s"], t["nodeid"]) for t in results["tests"]), reverse=True)
    return wall, slowest[:3], str(results["verdict"])


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    walls: list[float] = []
    with tempfile.TemporaryDirectory(prefix="api-hardening-speed-") as tmp:
        for n in range(runs):
            wall, slowest, verdict = one_run(Path(tmp) / f"run{n}")
            walls.append(wall)
            print(f"run {n + 1}: {wall:5.2f} s wall, verdict {verdict}")
            for seconds, nodeid in slowest:
                print(f"    {seconds:5.2f} s  {nodeid.split('/')[-1]}")
    median = statistics.median(walls)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"median {median:.2f} s, best {min(walls):.2f} s over {runs} runs "
        f"(target <= {TARGET_S:.0f} s; load average {load:.1f} on {os.cpu_count()} CPUs)"
    )
    return 0 if median <= TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())

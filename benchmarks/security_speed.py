"""Wall-clock time of the whole HTTP security suite against the reference (target <= 10 s).

Runs the six security suite files the way a user does (``python -m pytest <files>`` in the
project root, the reference deployment auto-started on loopback) several times and prints
the wall time of each run (interpreter start, reference start-up, probes, reports), the
time pytest recorded for the tests themselves, and the median. Also prints the machine's
load average: a loaded machine stretches the reference start-up most.

    .venv/bin/python benchmarks/security_speed.py [runs]
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
TARGET_S = 10.0
SUITES = (
    "suites/postdeploy/security/test_security_headers.py",
    "suites/postdeploy/security/test_sensitive_information.py",
    "suites/postdeploy/security/test_unauthorized_access.py",
    "suites/predeploy/security/test_content_security_policy.py",
    "suites/predeploy/security/test_cors.py",
    "suites/predeploy/environment/test_tls_certificates.py",
)


def one_run(report_dir: Path) -> tuple[float, float, str]:
    """(wall seconds, seconds pytest recorded for the tests incl. set-up, verdict)."""
    start = time.perf_counter()
    done = run_pytest(SUITES, report_dir, cwd=ROOT, timeout=300)
    wall = time.perf_counter() - start
    results = read_results(report_dir)
    if done.returncode != 0:
        print(done.stdout[-2000:], file=sys.stderr)
    tests = sum(t["duration_s"] for t in results["tests"])
    return wall, tests, str(results["verdict"])


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    walls: list[float] = []
    with tempfile.TemporaryDirectory(prefix="security-speed-") as tmp:
        for n in range(runs):
            wall, tests, verdict = one_run(Path(tmp) / f"run{n}")
            walls.append(wall)
            print(f"run {n + 1}: {wall:5.2f} s wall, {tests:5.2f} s in tests, verdict {verdict}")
    median = statistics.median(walls)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"median {median:.2f} s, best {min(walls):.2f} s over {runs} runs "
        f"(target <= {TARGET_S:.0f} s; load average {load:.1f} on {os.cpu_count()} CPUs)"
    )
    return 0 if median <= TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())

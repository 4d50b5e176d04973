"""Wall time of the performance suites in the default profile (target <= 60 s).

Runs ``pytest -m "postdeploy and performance"`` plus the deploy performance-metrics check
against the auto-started reference deployment, prints the wall time, each test's share and
the machine's load average (on a shared machine the figure means little without it).
Timing targets live here, not in timed unit tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 60.0
FILES = ("suites/postdeploy/performance", "suites/deploy/test_performance_metrics.py")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="perf-speed-") as folder:
        load_before = os.getloadavg()
        began = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "pytest", *FILES, "--report-dir", folder, "-q",
             "-p", "no:cacheprovider", *sys.argv[1:]],
            cwd=ROOT, capture_output=True, text=True, check=False,
        )  # fmt: skip
        wall = time.monotonic() - began
        results = json.loads((Path(folder) / "results.json").read_text(encoding="utf-8"))
    print(f"load average before: {load_before[0]:.1f} (cpus: {os.cpu_count()})")
    for test in sorted(results["tests"], key=lambda t: -float(t.get("duration_s") or 0)):
        print(
            f"  {float(test.get('duration_s') or 0):6.1f} s  {test['outcome']:7}  {test['nodeid']}"
        )
    verdict = results["verdict"]
    print(
        f"wall {wall:.1f} s (target <= {TARGET_S:.0f} s), verdict {verdict}, exit {done.returncode}"
    )
    return 0 if wall <= TARGET_S and done.returncode == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())

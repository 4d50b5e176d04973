"""Wall-time overhead of the plugin: 2,000 trivial tests linked to a 500-item checklist.

Runs pytest with the plugin active and with ``-p no:release`` (pytest-html on in both),
several rounds, each round both variants back to back (the order alternates from round to
round, so neither variant always runs second). The ratio is the median of the per-round
wall-time ratios (target <= 1.10): on this kind of machine the speed of the whole VM drifts
by 10-20 % over tens of seconds, which a ratio of two medians picks up and a ratio of
neighbouring runs mostly cancels. Also printed: the medians, their ratio, the CPU times and
the load average. ``ROUNDS=N`` in the environment changes the number of rounds (default 9).
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ITEMS = 500
TESTS = 2000
ROUNDS = int(os.environ.get("ROUNDS", "9"))
TARGET = 1.10


def make_project(root: Path) -> None:
    lines = ["# Bench", "## Post-Deployment Checks"]
    for section in range(10):
        lines.append(f"### Area {section}")
        lines += [
            f"- [ ] Item {section}-{n} <!-- id: i{section}.{n}; severity: high -->"
            for n in range(ITEMS // 10)
        ]
    (root / "checklist.md").write_text("\n".join(lines) + "\n")
    ids = [f"i{s}.{n}" for s in range(10) for n in range(ITEMS // 10)]
    for module in range(20):
        body = ["import pytest", ""]
        for n in range(TESTS // 20):
            item = ids[(module * 100 + n) % len(ids)]
            body += [f'@pytest.mark.checklist("{item}")', f"def test_{n}():", "    pass", ""]
        (root / f"test_m{module}.py").write_text("\n".join(body))
    (root / "pyproject.toml").write_text('[tool.pytest_release]\nchecklist = "checklist.md"\n')


def run(root: Path, plugin: bool) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the pytest process)."""
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]
    args += ["--html", str(root / "out" / "report.html"), "--self-contained-html"]
    if not plugin:
        args += ["-p", "no:release"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(args, cwd=root, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(
            f"pytest failed (plugin={plugin}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
        )
    return elapsed, cpu


def _runs(times: list[float]) -> str:
    return ", ".join(f"{t:.2f}" for t in times)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_project(root)
        run(root, True)  # warm caches (bytecode, imports)
        load_before = os.getloadavg()[0]
        with_plugin: list[tuple[float, float]] = []
        without: list[tuple[float, float]] = []
        for round_number in range(ROUNDS):
            if round_number % 2:
                with_plugin.append(run(root, True))
                without.append(run(root, False))
            else:
                without.append(run(root, False))
                with_plugin.append(run(root, True))
        load_after = os.getloadavg()[0]
    on, off = statistics.median(w for w, _ in with_plugin), statistics.median(w for w, _ in without)
    on_cpu = statistics.median(c for _, c in with_plugin)
    off_cpu = statistics.median(c for _, c in without)
    paired = [w_on / w_off for (w_on, _), (w_off, _) in zip(with_plugin, without, strict=True)]
    ratio = statistics.median(paired)
    print(f"{TESTS} tests linked to a {ITEMS}-item checklist, pytest-html on, {ROUNDS} rounds")
    print(f"  load average (1 min) {load_before:.2f} before, {load_after:.2f} after")
    print(f"  without plugin: median {off:.2f} s  (runs: {_runs([w for w, _ in without])})")
    print(f"  with plugin:    median {on:.2f} s  (runs: {_runs([w for w, _ in with_plugin])})")
    print(f"  ratio of the medians {on / off:.3f}")
    print(
        f"  CPU time: median {off_cpu:.2f} s without, {on_cpu:.2f} s with: {on_cpu / off_cpu:.3f}"
    )
    print(f"  per-round ratios: {', '.join(f'{r:.3f}' for r in paired)}")
    print(
        f"  ratio {ratio:.3f} (median of the per-round ratios, range "
        f"{min(paired):.2f}-{max(paired):.2f}; target <= {TARGET}: "
        f"{'met' if ratio <= TARGET else 'NOT met'})"
    )
    if max(load_before, load_after) > 1.5:
        print("  the machine was busy: wall times are unreliable, repeat on a quiet machine")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())

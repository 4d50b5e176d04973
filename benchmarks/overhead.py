"""Wall-time overhead of the plugin: 2,000 trivial tests linked to a 500-item checklist.

Runs pytest with the plugin active and with ``-p no:release`` (pytest-html on in both),
alternating, several rounds; prints medians and the ratio (target <= 1.10).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ITEMS = 500
TESTS = 2000
ROUNDS = 5
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


def run(root: Path, plugin: bool) -> float:
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]
    args += ["--html", str(root / "out" / "report.html"), "--self-contained-html"]
    if not plugin:
        args += ["-p", "no:release"]
    start = time.perf_counter()
    done = subprocess.run(args, cwd=root, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(
            f"pytest failed (plugin={plugin}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
        )
    return elapsed


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_project(root)
        run(root, True)  # warm caches (bytecode, imports)
        with_plugin: list[float] = []
        without: list[float] = []
        for _ in range(ROUNDS):
            without.append(run(root, False))
            with_plugin.append(run(root, True))
    on, off = statistics.median(with_plugin), statistics.median(without)
    ratio = on / off
    print(f"{TESTS} tests linked to a {ITEMS}-item checklist, pytest-html on, {ROUNDS} rounds")
    print(f"  without plugin: median {off:.2f} s  (runs: {', '.join(f'{t:.2f}' for t in without)})")
    print(
        f"  with plugin:    median {on:.2f} s  (runs: {', '.join(f'{t:.2f}' for t in with_plugin)})"
    )
    print(f"  ratio {ratio:.3f} (target <= {TARGET}: {'met' if ratio <= TARGET else 'NOT met'})")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())

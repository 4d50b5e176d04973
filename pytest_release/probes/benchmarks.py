"""pytest-benchmark results (``--benchmark-json``) against the team's budgets.

Budgets are keyed by a glob over benchmark names (``"test_parse_*" = {mean_ms = 5}``);
limits: ``mean_ms``, ``median_ms``, ``max_ms``, ``min_ops``. A budget that matches no
benchmark is a problem too: a renamed benchmark must not silently escape its budget.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_release.config_table import Table
from pytest_release.probes.junit_reports import (
    REPORT_PLACEHOLDER,
    TestsConfig,
    find_reports,
    run_command,
)
from pytest_release.settings import ConfigError

LIMITS = {"mean_ms": "mean", "median_ms": "median", "max_ms": "max", "min_ops": "ops"}


@dataclass(frozen=True, slots=True)
class BenchmarksConfig:
    """``[tool.pytest_release.predeploy.benchmarks]``."""

    reports: tuple[str, ...] = ("reports/benchmarks/*.json",)
    command: tuple[str, ...] = ()
    budgets: Mapping[str, Mapping[str, float]] | None = None
    timeout_s: float = 1800.0


def benchmarks_config(table: Table) -> BenchmarksConfig:
    budgets: dict[str, dict[str, float]] = {}
    for pattern, limits in table.mapping("budgets").items():
        if not isinstance(limits, Mapping) or not limits:
            raise ConfigError(
                f"{table.name} budgets.{pattern!r} must be a table like {{mean_ms = 5}}"
            )
        for key, value in limits.items():
            if (
                key not in LIMITS
                or isinstance(value, bool)
                or not isinstance(value, int | float)
                or value <= 0
            ):
                raise ConfigError(
                    f"{table.name} budgets.{pattern!r}.{key} = {value!r}: use {', '.join(LIMITS)} "
                    "with a positive number"
                )
        budgets[pattern] = {k: float(v) for k, v in limits.items()}
    return BenchmarksConfig(
        reports=table.texts("reports", ("reports/benchmarks/*.json",)),
        command=table.command("command"),
        budgets=budgets,
        timeout_s=table.number("timeout_s", 1800.0, minimum=1.0),
    )


@dataclass(frozen=True, slots=True)
class Measured:
    name: str
    stats: Mapping[str, float]  # seconds (ops: per second)
    report: str


@dataclass(frozen=True, slots=True)
class BenchmarksResult:
    reports: tuple[str, ...]
    measured: tuple[Measured, ...]
    problems: tuple[str, ...]
    checked: tuple[str, ...]

    def evidence(self) -> dict[str, Any]:
        return {
            "reports": list(self.reports),
            "benchmarks": {
                m.name: {
                    k: round(v * 1000, 4) if k != "ops" else round(v, 2) for k, v in m.stats.items()
                }
                for m in self.measured
            },
            "units": "milliseconds (ops: operations per second)",
            "checked": list(self.checked),
            "problems": list(self.problems),
        }


def read_benchmarks(path: Path) -> tuple[list[Measured], dt.datetime | None]:
    """The benchmarks and the run time of one pytest-benchmark JSON file."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, Mapping) or not isinstance(data.get("benchmarks"), list):
        raise ValueError("not a pytest-benchmark JSON file (no 'benchmarks' list)")
    when = None
    if isinstance(data.get("datetime"), str):
        try:
            when = dt.datetime.fromisoformat(data["datetime"])
            when = (
                when if when.tzinfo else when.replace(tzinfo=dt.UTC)
            )  # pytest-benchmark writes UTC
        except ValueError:
            when = None
    measured = []
    for bench in data["benchmarks"]:
        stats = bench.get("stats", {})
        measured.append(
            Measured(
                str(bench.get("name") or bench.get("fullname")),
                {k: float(stats[k]) for k in ("min", "max", "mean", "median", "ops") if k in stats},
                str(path),
            )
        )
    return measured, when


def judge(
    measured: Sequence[Measured], budgets: Mapping[str, Mapping[str, float]]
) -> tuple[list[str], list[str]]:
    """(problems, checked lines) of the measurements against the budgets."""
    problems: list[str] = []
    checked: list[str] = []
    for pattern, limits in budgets.items():
        matching = [m for m in measured if fnmatch.fnmatchcase(m.name, pattern)]
        if not matching:
            problems.append(
                f"no benchmark matches the budget {pattern!r}: was it renamed or not run? "
                "(fix the pattern or run it)"
            )
        for bench in matching:
            for key, limit in limits.items():
                stat = LIMITS[key]
                if stat not in bench.stats:
                    problems.append(f"{bench.name}: the report has no {stat} to compare with {key}")
                    continue
                value = bench.stats[stat]
                if key == "min_ops":
                    ok = value >= limit
                    line = f"{bench.name}: {value:.1f} ops/s (budget >= {limit:g})"
                else:
                    ok = value * 1000 <= limit
                    line = f"{bench.name}: {stat} {value * 1000:.3f} ms (budget {limit:g} ms)"
                checked.append(("ok " if ok else "OVER ") + line)
                if not ok:
                    problems.append(
                        f"{line}: over budget; profile it or adjust the budget with a reason"
                    )
    return problems, checked


def check_benchmarks(
    config: BenchmarksConfig, root: Path, commit_time: dt.datetime | None
) -> BenchmarksResult:
    """Run the command (if configured), read the newest reports and compare."""
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="pytest-release-bench-") as scratch:
        paths: list[Path] = []
        if config.command:
            written = Path(scratch) / "benchmarks.json"
            code, output = run_command(
                TestsConfig("benchmarks", (), config.command, config.timeout_s), root, written
            )
            if written.is_file():
                paths.append(written)
            elif any(REPORT_PLACEHOLDER in a for a in config.command):
                problems.append(
                    f"the benchmark command exited {code} without writing {{report}}: "
                    f"{output.strip()[-300:]}"
                )
        if not paths:
            found = find_reports(root, config.reports)
            paths = found[-1:]  # the newest report is the one that speaks for this commit
        measured: list[Measured] = []
        for path in paths:
            try:
                rows, when = read_benchmarks(path)
            except (OSError, ValueError) as exc:
                problems.append(f"unreadable benchmark report {path}: {exc}")
                continue
            measured.extend(rows)
            if commit_time is not None and when is not None and when < commit_time:
                problems.append(
                    f"{path} was written {when.isoformat(timespec='seconds')}, before the commit "
                    "under test: run the benchmarks on this commit"
                )
    more, checked = judge(measured, config.budgets or {})
    return BenchmarksResult(
        tuple(str(p) for p in paths), tuple(measured), tuple(problems + more), tuple(checked)
    )

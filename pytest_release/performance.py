"""The performance suite's plugin: budgets validated at start-up, figures into results.json,
and ``--baseline`` regressions into the verdict.

Loaded by the release plugin (``pytest_plugins`` in plugin.py). Suites record figures with
``record_figures(request.node, figures)``; they travel as ``user_properties`` (so they
survive xdist) and end up in results.json ``performance``. With ``--baseline`` a figure
worse than the baseline by ``fail_ratio`` makes the verdict rule
``performance-significantly-degraded`` fire (NO-GO / ROLLBACK); by ``warn_ratio``, a warning.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_release.checklist.model import CRITERION_WORDS, Criterion
from pytest_release.keys import SETTINGS_KEY
from pytest_release.perf_settings import PerfSettings, Profile, perf_settings
from pytest_release.probes.perf.baseline import (
    BaselineError,
    Change,
    Figure,
    Level,
    compare,
    read_baseline,
    write_baseline,
)
from pytest_release.settings import ConfigError, Settings
from pytest_release.verdict import Reason, ReasonKind

if TYPE_CHECKING:
    from pytest_release.evidence import EvidenceRecorder
    from pytest_release.probes.perf.budgets import BudgetCheck
    from pytest_release.results import RunRecord
    from pytest_release.verdict import VerdictContext

PERF_KEY = pytest.StashKey[PerfSettings]()
PROP_PERFORMANCE = "performance"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("release")
    group.addoption(
        "--perf-profile",
        dest="release_perf_profile",
        choices=[p.value for p in Profile],
        default=Profile.DEFAULT.value,
        help="how much the performance suite measures: default (<= 60 s on the reference "
        "deployment) or full (longer load and soaks; [tool.pytest_release.load.full])",
    )
    group.addoption(
        "--perf-save-baseline",
        dest="release_perf_save_baseline",
        metavar="PATH",
        help="save this run's performance figures to PATH, for a later --baseline PATH",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Validate [tool.pytest_release.budgets] and [...load] once; bad ones stop the run."""
    settings = config.stash.get(SETTINGS_KEY, None)
    if settings is None or not settings.enabled:
        return
    try:
        perf = perf_settings(
            settings.section("budgets") if "budgets" in settings.raw else {},
            settings.section("load") if "load" in settings.raw else {},
            str(config.getoption("release_perf_profile", None) or Profile.DEFAULT.value),
        )
    except ConfigError as exc:
        raise pytest.UsageError(f"pytest-release: {exc}") from None
    for name in ("budgets", "load"):
        if name in settings.raw and not isinstance(settings.raw[name], dict):
            raise pytest.UsageError(f"pytest-release: [tool.pytest_release.{name}] must be a table")
    config.stash[PERF_KEY] = perf
    if hasattr(config, "workerinput"):
        return
    baseline: dict[str, Figure] | None = None
    path = settings.baseline
    if path is not None:
        try:
            baseline = read_baseline(path)
        except BaselineError as exc:
            raise pytest.UsageError(f"pytest-release: --baseline: {exc}") from None
    else:
        path = _history_baseline(config, settings)
        try:
            baseline = read_baseline(path) if path is not None else None
        except BaselineError:
            path = None  # the previous release ran without the performance suites
    config.pluginmanager.register(
        PerformanceFigures(config, perf, path, baseline), "release-performance"
    )


def _history_baseline(config: pytest.Config, settings: Settings) -> Path | None:
    """Without --baseline: the previous release's run of this phase from the --history dir."""
    option = config.getoption("release_history", None)
    if not option and "history" not in settings.raw:
        return None  # no history: skip importing the dossier package (it is not small)
    from pytest_release.dossier.history import baseline_for, history_settings
    from pytest_release.dossier.runs import DossierError
    from pytest_release.verdict import run_phase

    try:
        table = history_settings(settings.section("history"), settings.rootpath)
    except DossierError:
        return None  # the history plugin reports the bad table
    directory = settings.rootpath / Path(option).expanduser() if option else table.dir
    if directory is None or not directory.is_dir() or not settings.release_version:
        return None
    phase = run_phase(str(config.getoption("markexpr", "") or ""), settings.phase)
    return baseline_for(directory, phase, settings.release_version)


def record_figures(node: pytest.Item, figures: Sequence[Figure]) -> None:
    """Attach figures to a test; they reach results.json ``performance`` (xdist-safe)."""
    for figure in figures:
        node.user_properties.append((PROP_PERFORMANCE, json.dumps(figure.as_json())))


def benchmark_json_path(config: pytest.Config) -> Path | None:
    """Make pytest-benchmark save its JSON under the report dir (unless told elsewhere).

    Called by the suite just before it benchmarks, so runs without benchmarks write nothing.
    """
    session = getattr(config, "_benchmarksession", None)
    settings = config.stash.get(SETTINGS_KEY, None)
    if session is None or settings is None or hasattr(config, "workerinput"):
        return None
    if getattr(session, "json", None) is None:
        path = settings.report_dir / "benchmarks" / "performance.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        session.json = path
    found: Path | None = session.json
    return found


class PerformanceFigures:
    """Figures reported by the tests (controller side), compared with the baseline."""

    def __init__(
        self,
        config: pytest.Config,
        perf: PerfSettings,
        baseline_path: Path | None,
        baseline: dict[str, Figure] | None,
    ) -> None:
        self.config = config
        self.perf = perf
        self.baseline_path = baseline_path
        self.baseline = baseline
        self.figures: dict[str, Figure] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # The teardown report carries every property the test recorded (they accumulate on
        # the item), so the other phases are skipped: this runs for every test of every run.
        if report.when != "teardown":
            return
        for name, _ in report.user_properties:
            if name == PROP_PERFORMANCE:
                break
        else:
            return
        ids = tuple(
            i
            for name, value in report.user_properties
            if name == "checklist"
            for i in str(value).split(",")
            if i
        )
        for name, value in report.user_properties:
            if name != PROP_PERFORMANCE:
                continue
            try:
                data = json.loads(str(value))
                figure = Figure(
                    str(data["name"]),
                    float(data["value"]),
                    str(data.get("unit", "")),
                    "higher" if data.get("better") == "higher" else "lower",
                    tuple(data.get("checklist") or ids),
                )
            except (ValueError, KeyError, TypeError):
                continue
            self.figures[figure.name] = figure

    def changes(self) -> list[Change]:
        if self.baseline is None:
            return []
        budgets = self.perf.budgets
        return compare(self.figures.values(), self.baseline, budgets.warn_ratio, budgets.fail_ratio)

    def pytest_release_verdict_reasons(self, context: VerdictContext) -> list[Reason]:
        changes = self.changes()
        worse = [c for c in changes if c.level is Level.FAIL]
        warn = [c for c in changes if c.level is Level.WARN]
        reasons: list[Reason] = []
        ratio = self.perf.budgets
        if worse:
            reasons.append(
                Reason(
                    Criterion.PERFORMANCE_DEGRADED.value,
                    f"{CRITERION_WORDS[Criterion.PERFORMANCE_DEGRADED]} against the baseline "
                    f"{self.baseline_path} (>= {ratio.fail_ratio:g}x worse): "
                    + "; ".join(c.describe() for c in worse[:8]),
                    _ids(worse),
                )
            )
        if warn:
            reasons.append(
                Reason(
                    "performance-regressed",
                    f"{len(warn)} figure(s) worse than the baseline by >= {ratio.warn_ratio:g}x: "
                    + "; ".join(c.describe() for c in warn[:8]),
                    _ids(warn),
                    ReasonKind.WARNING,
                )
            )
        return reasons

    def pytest_release_results(self, record: RunRecord, data: dict[str, Any]) -> None:
        data["performance"] = [f.as_json() for f in self.figures.values()]
        if self.baseline is not None:
            data["performance_baseline"] = {
                "path": str(self.baseline_path),
                "warn_ratio": self.perf.budgets.warn_ratio,
                "fail_ratio": self.perf.budgets.fail_ratio,
                "changes": [
                    {
                        "name": c.figure.name,
                        "now": c.figure.value,
                        "before": c.before,
                        "ratio": c.ratio,
                        "level": c.level.value,
                    }
                    for c in self.changes()
                ],
            }
        target = self.config.getoption("release_perf_save_baseline", None)
        if target and self.figures:
            write_baseline(Path(target), list(self.figures.values()))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.figures:
            changes = self.changes()
            worse = [c for c in changes if c.level in (Level.WARN, Level.FAIL)]
            line = f"pytest-release: {len(self.figures)} performance figures in results.json"
            if self.baseline is not None:
                line += f"; against the baseline {self.baseline_path}: {len(worse)} worse"
            terminalreporter.write_line(line)
            for change in worse:
                terminalreporter.write_line(f"  {change.level.value}: {change.describe()}")
        target = self.config.getoption("release_perf_save_baseline", None)
        if target and self.figures:
            terminalreporter.write_line(
                f"pytest-release: {len(self.figures)} performance figures saved to {target} "
                f"(use it next time with --baseline {target})"
            )


def _ids(changes: Sequence[Change]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i for c in changes for i in c.figure.checklist))


def judge_budgets(
    node: pytest.Item,
    evidence: EvidenceRecorder,
    checks: Sequence[BudgetCheck],
    title: str,
    finding: str = "",
) -> None:
    """Record each measured figure, attach the checks, and fail with every budget broken.

    A budget without samples fails too (never a silent pass), and says so.
    """
    record_figures(
        node,
        [
            Figure(c.budget.name, c.value, c.budget.meaning.unit, c.budget.meaning.better.value)
            for c in checks
            if c.value is not None
        ],
    )
    evidence.attach(f"{title}-budgets", [c.as_json() for c in checks], "json")
    if not checks:
        pytest.fail(f"{title}: no budgets to judge; configure [tool.pytest_release.budgets]")
    broken = [c for c in checks if not c.ok]
    if broken:
        lines = "\n  ".join(c.message for c in broken)
        extra = f"\n  ({finding})" if finding else ""
        pytest.fail(f"{title}: {len(broken)} of {len(checks)} budget(s) broken:\n  {lines}{extra}")

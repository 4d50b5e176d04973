"""This release against the previous one: regressed and fixed items, new failures, figures."""

from __future__ import annotations

from dataclasses import dataclass

from pytest_release.dossier.merge import Release
from pytest_release.dossier.runs import FAILING_OUTCOMES, OK_STATUSES, Metric

# How bad a status is; statuses that judged nothing (skip, not-run) are not compared.
_BADNESS = {**dict.fromkeys(OK_STATUSES, 0), "uncovered": 1, "warn": 1, "fail": 2}
# The performance suite's baseline ratios: beyond WARN worse, beyond FAIL significantly worse.
WARN_RATIO = 1.2
FAIL_RATIO = 1.5


@dataclass(frozen=True, slots=True)
class ItemChange:
    id: str
    text: str
    severity: str
    before: str
    now: str
    phase: str | None  # where it was judged now


@dataclass(frozen=True, slots=True)
class NewFailure:
    nodeid: str
    phase: str
    outcome: str
    message: str | None
    checklist: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FigureChange:
    name: str
    unit: str
    better: str
    before: float
    now: float
    ratio: float | None  # now / before
    assessment: str  # "significantly worse", "worse", "better", "unchanged", "new"


@dataclass(frozen=True, slots=True)
class Comparison:
    previous_version: str | None
    previous_verdict: str
    previous_runs: tuple[str, ...]
    regressed: tuple[ItemChange, ...]
    fixed: tuple[ItemChange, ...]
    new_failures: tuple[NewFailure, ...]
    figures: tuple[FigureChange, ...]


def compare(current: Release, previous: Release) -> Comparison:
    """What changed since the previous release, item by item, test by test, figure by figure."""
    before = {s.item.id: s.status for s in previous.items}
    regressed: list[ItemChange] = []
    fixed: list[ItemChange] = []
    for summary in current.items:
        old = before.get(summary.item.id)
        if old not in _BADNESS or summary.status not in _BADNESS:
            continue
        change = ItemChange(
            summary.item.id,
            summary.item.text,
            summary.item.severity,
            str(old),
            summary.status,
            summary.judged.phase if summary.judged else None,
        )
        if _BADNESS[summary.status] > _BADNESS[str(old)]:
            regressed.append(change)
        elif _BADNESS[summary.status] < _BADNESS[str(old)]:
            fixed.append(change)
    return Comparison(
        previous_version=previous.version,
        previous_verdict=previous.verdict,
        previous_runs=tuple(r.path for r in previous.latest_runs),
        regressed=tuple(regressed),
        fixed=tuple(fixed),
        new_failures=_new_failures(current, previous),
        figures=_figures(_metrics(previous), _metrics(current)),
    )


def _new_failures(current: Release, previous: Release) -> tuple[NewFailure, ...]:
    failed_before = {
        t.nodeid for run in previous.latest_runs for t in run.tests if t.outcome in FAILING_OUTCOMES
    }
    found: dict[str, NewFailure] = {}
    for run in current.latest_runs:
        for test in run.tests:
            if test.outcome in FAILING_OUTCOMES and test.nodeid not in failed_before:
                found[test.nodeid] = NewFailure(
                    test.nodeid, run.phase, test.outcome, test.message, test.checklist
                )
    return tuple(found.values())


def _metrics(release: Release) -> dict[str, Metric]:
    """The latest figure of each name across the phases' latest runs."""
    figures: dict[str, Metric] = {}
    for run in sorted(release.latest_runs, key=lambda r: r.order):
        for metric in run.metrics:
            figures[metric.name] = metric
    return figures


def _figures(before: dict[str, Metric], now: dict[str, Metric]) -> tuple[FigureChange, ...]:
    changes: list[FigureChange] = []
    for name, metric in now.items():
        old = before.get(name)
        if old is None:
            changes.append(
                FigureChange(name, metric.unit, metric.better, 0.0, metric.value, None, "new")
            )
            continue
        ratio = metric.value / old.value if old.value else None
        changes.append(
            FigureChange(
                name,
                metric.unit,
                metric.better,
                old.value,
                metric.value,
                ratio,
                assess(ratio, metric.better),
            )
        )
    return tuple(changes)


def assess(ratio: float | None, better: str) -> str:
    """Words for a now/before ratio, given which direction is better."""
    if ratio is None:
        return "unchanged"
    worse = ratio if better == "lower" else (1 / ratio if ratio else float("inf"))
    if worse >= FAIL_RATIO:
        return "significantly worse"
    if worse >= WARN_RATIO:
        return "worse"
    if worse <= 1 / WARN_RATIO:
        return "better"
    return "unchanged"

"""Baseline comparison: this run's performance figures against a previous results.json.

A figure is worse when it moved in its bad direction (``better: lower`` and went up, or
``higher`` and went down) by at least the warn ratio (default 1.2x: a warning) or the fail
ratio (1.5x: "performance significantly degraded"). Small absolute changes never count,
whatever the ratio (a 4 ms TTFB becoming 7 ms is noise, not a regression): each unit has a
noise floor the change must also exceed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

# The smallest change per unit that can count as a regression on a shared, noisy machine.
NOISE_FLOOR: Mapping[str, float] = {
    "ms": 25.0,
    "s": 0.25,
    "KiB": 64.0,
    "MiB": 8.0,
    "%": 10.0,
    "fds": 8.0,
    "req/s": 1.0,
    "ratio": 0.01,
    "KiB/request": 4.0,
}


class BaselineError(ValueError):
    """The baseline file cannot be used; the message says why and what to pass instead."""


@dataclass(frozen=True, slots=True)
class Figure:
    """One performance figure as results.json ``performance`` stores it."""

    name: str
    value: float
    unit: str
    better: str = "lower"  # or "higher"
    checklist: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "value": round(self.value, 4),
            "unit": self.unit,
            "better": self.better,
        }
        if self.checklist:
            data["checklist"] = list(self.checklist)
        return data


class Level(StrEnum):
    OK = "ok"
    BETTER = "better"
    WARN = "warn"
    FAIL = "fail"
    NEW = "new"


@dataclass(frozen=True, slots=True)
class Change:
    """A figure now and in the baseline."""

    figure: Figure
    before: float | None
    ratio: float | None  # how many times worse (>1) or better (<1); None if not comparable
    level: Level

    def describe(self) -> str:
        f = self.figure
        if self.before is None:
            return f"{f.name}: {f.value:.1f} {f.unit} (not in the baseline)"
        return (
            f"{f.name}: {f.value:.1f} {f.unit} vs {self.before:.1f} {f.unit} in the baseline "
            f"({self.ratio:.2f}x {'worse' if (self.ratio or 0) >= 1 else 'better'})"
        )


def figures_from(data: Any) -> dict[str, Figure]:
    """results.json ``performance`` (a list of {name, value, unit, better}) by name."""
    found: dict[str, Figure] = {}
    entries = data if isinstance(data, list) else []
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        name, value = entry.get("name"), entry.get("value")
        if not isinstance(name, str) or isinstance(value, bool):
            continue
        if not isinstance(value, int | float):
            continue
        better = "higher" if entry.get("better") == "higher" else "lower"
        found[name] = Figure(name, float(value), str(entry.get("unit") or ""), better)
    return found


def read_baseline(path: Path) -> dict[str, Figure]:
    """The figures of a previous results.json; BaselineError if it has none."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(
            f"baseline {path} does not exist; pass a previous results.json"
        ) from None
    except (OSError, ValueError) as exc:
        raise BaselineError(f"baseline {path} is not readable JSON: {exc}") from None
    figures = figures_from(data.get("performance") if isinstance(data, Mapping) else None)
    if not figures:
        raise BaselineError(
            f"baseline {path} has no performance figures (results.json 'performance'); "
            "use the results.json of a run that included the performance suites"
        )
    return figures


def compare(
    current: Iterable[Figure],
    baseline: Mapping[str, Figure],
    warn_ratio: float,
    fail_ratio: float,
) -> list[Change]:
    """Each current figure against the baseline's figure of the same name and unit."""
    changes: list[Change] = []
    for figure in current:
        old = baseline.get(figure.name)
        if old is None or old.unit != figure.unit:
            changes.append(Change(figure, None, None, Level.NEW))
            continue
        changes.append(_judge(figure, old.value, warn_ratio, fail_ratio))
    return changes


def _judge(figure: Figure, before: float, warn_ratio: float, fail_ratio: float) -> Change:
    now = figure.value
    worse_by = now - before if figure.better == "lower" else before - now
    floor = NOISE_FLOOR.get(figure.unit, 0.0)
    if before <= 0 or now <= 0:
        ratio = None if before == now else float("inf")
    else:
        ratio = now / before if figure.better == "lower" else before / now
    if ratio is None or abs(worse_by) < floor:
        return Change(figure, before, ratio, Level.OK)
    if ratio >= fail_ratio and worse_by > 0:
        return Change(figure, before, ratio, Level.FAIL)
    if ratio >= warn_ratio and worse_by > 0:
        return Change(figure, before, ratio, Level.WARN)
    if ratio <= 1 / warn_ratio:
        return Change(figure, before, ratio, Level.BETTER)
    return Change(figure, before, ratio, Level.OK)


def write_baseline(path: Path, figures: Sequence[Figure]) -> None:
    """Save figures in the shape ``--baseline`` reads (a results.json subset)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"performance": [f.as_json() for f in figures]}
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")

"""Settings of the performance suite: budgets plus how much to measure (the profile).

``[tool.pytest_release.load]`` sets how much work each check does; its ``full`` sub-table
overrides it under ``--perf-profile=full`` (longer soaks)::

    [tool.pytest_release.load]
    users = 6              # Locust users
    spawn_rate = 3         # users started per second
    duration_s = 8         # Locust run time
    workers = 0            # > 0: Locust distributed mode, master + N local workers
    page_loads = 3         # cold loads per page (real Chromium)
    api_samples = 20       # sequential requests per GET endpoint
    run_samples = 8        # sequential code runs (the run API is rate limited)
    leak_batches = 6       # memory-leak batches (after one warm-up batch) ...
    leak_batch_size = 25   # ... of this many identical requests

    [tool.pytest_release.load.full]
    duration_s = 60
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from enum import StrEnum
from typing import Any

from pytest_release.config_number import is_number
from pytest_release.probes.perf.budgets import Budgets, parse_budgets
from pytest_release.settings import ConfigError


class Profile(StrEnum):
    DEFAULT = "default"
    FULL = "full"


@dataclass(frozen=True, slots=True)
class LoadSettings:
    """How much each performance check measures (all bounded)."""

    users: int = 6
    spawn_rate: float = 3.0
    duration_s: float = 8.0
    workers: int = 0
    page_loads: int = 3
    api_samples: int = 20
    run_samples: int = 8
    leak_batches: int = 6
    leak_batch_size: int = 25
    cpu_observe_s: float | None = None  # None: the budgets' observe_s
    run_code: str = "print('hello')"
    run_language: str = "python"


FULL = LoadSettings(
    users=20,
    spawn_rate=5.0,
    duration_s=60.0,
    page_loads=5,
    api_samples=100,
    run_samples=20,
    leak_batches=12,
    leak_batch_size=50,
    cpu_observe_s=30.0,
)
# key -> (type, minimum, maximum): load stays bounded whatever the configuration says.
_BOUNDS: Mapping[str, tuple[type, float, float]] = {
    "users": (int, 1, 200),
    "spawn_rate": (float, 0.1, 200),
    "duration_s": (float, 1, 600),
    "workers": (int, 0, 16),
    "page_loads": (int, 1, 50),
    "api_samples": (int, 3, 2000),
    "run_samples": (int, 1, 200),
    "leak_batches": (int, 3, 100),
    "leak_batch_size": (int, 1, 1000),
    "cpu_observe_s": (float, 1, 600),
}
_TEXTS = ("run_code", "run_language")


@dataclass(frozen=True, slots=True)
class PerfSettings:
    budgets: Budgets
    load: LoadSettings
    profile: Profile


def perf_settings(
    budgets_table: Mapping[str, Any], load_table: Mapping[str, Any], profile: str
) -> PerfSettings:
    """Validate both tables; ConfigError names the key, the value and what is allowed."""
    try:
        chosen = Profile(profile)
    except ValueError:
        raise ConfigError(f"--perf-profile {profile!r}: use default or full") from None
    budgets = parse_budgets(budgets_table)
    base = _load(load_table, LoadSettings(), "[tool.pytest_release.load]", allow_full=True)
    if chosen is Profile.FULL:
        full = load_table.get("full", {})
        defaults = replace(FULL, **{k: getattr(base, k) for k in load_table if k not in ("full",)})
        base = _load(full, defaults, "[tool.pytest_release.load.full]", allow_full=False)
    return PerfSettings(budgets, base, chosen)


def _load(table: Any, defaults: LoadSettings, where: str, *, allow_full: bool) -> LoadSettings:
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where} must be a table, got {table!r}")
    known = [f.name for f in fields(LoadSettings)] + (["full"] if allow_full else [])
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(
                f"{where} has an unknown key {key!r}{hint} (allowed: {', '.join(known)})"
            )
        if key == "full":
            if not isinstance(value, Mapping):
                raise ConfigError(f"{where} full must be a table, got {value!r}")
            continue
        if key in _TEXTS:
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(f"{where} {key} = {value!r} must be a non-empty string")
            values[key] = value
            continue
        kind, low, high = _BOUNDS[key]
        if not is_number(value, whole=kind is int) or not low <= value <= high:
            raise ConfigError(
                f"{where} {key} = {value!r}: use {'a whole number' if kind is int else 'a number'} "
                f"from {low:g} to {high:g} (load is kept bounded)"
            )
        values[key] = kind(value)
    return replace(defaults, **values)

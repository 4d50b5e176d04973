"""Performance budgets from ``[tool.pytest_release.budgets]``: named limits with units.

::

    [tool.pytest_release.budgets]
    warn_ratio = 1.2            # --baseline: worse by this much is a warning
    fail_ratio = 1.5            # ... by this much is "performance significantly degraded"

    [tool.pytest_release.budgets.pages."*"]         # every page; a path overrides it
    ttfb_ms = 1000
    monaco_ready_ms = 15000

    [tool.pytest_release.budgets.endpoints."POST /api/run"]
    p50_ms = 1200
    p95_ms = 3000
    error_rate = 0.05

    [tool.pytest_release.budgets.load]               # Locust, like k6 thresholds
    p95_ms = 3000
    error_rate = 0.02
    min_rps = 2

Every limit is checked against samples. A limit with no samples fails: a page that never
loaded, an endpoint that never answered or a metric the target does not publish must not
pass silently. Unknown keys and non-positive numbers are configuration errors at start-up.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pytest_release.config_number import is_number
from pytest_release.probes.perf.stats import percentile
from pytest_release.settings import ConfigError


class Better(StrEnum):
    LOWER = "lower"
    HIGHER = "higher"


@dataclass(frozen=True, slots=True)
class Limit:
    """What a budget key means: its unit, which way is better, how samples are reduced."""

    unit: str
    better: Better
    reduce: str  # "median", "p95", "max", "mean", ... (see _REDUCERS)
    words: str


def _page(words: str, unit: str = "ms") -> Limit:
    return Limit(unit, Better.LOWER, "median", f"median {words}")


PAGE_LIMITS: Mapping[str, Limit] = {
    "ttfb_ms": _page("time to first byte"),
    "dom_content_loaded_ms": _page("DOMContentLoaded"),
    "load_ms": _page("load event"),
    "lcp_ms": _page("largest contentful paint"),
    "monaco_ready_ms": _page("Monaco editor ready time"),
    "transfer_kb": _page("bytes transferred", "KiB"),
}
_LATENCY: Mapping[str, Limit] = {
    "p50_ms": Limit("ms", Better.LOWER, "p50", "p50 latency"),
    "p95_ms": Limit("ms", Better.LOWER, "p95", "p95 latency"),
    "p99_ms": Limit("ms", Better.LOWER, "p99", "p99 latency"),
    "error_rate": Limit("ratio", Better.LOWER, "mean", "error ratio"),
}
ENDPOINT_LIMITS: Mapping[str, Limit] = _LATENCY
LOAD_LIMITS: Mapping[str, Limit] = {
    **_LATENCY,
    "min_rps": Limit("req/s", Better.HIGHER, "min", "throughput"),
}
RESOURCE_LIMITS: Mapping[str, Limit] = {
    "rss_mb": Limit("MiB", Better.LOWER, "max", "peak resident memory"),
    "open_fds": Limit("fds", Better.LOWER, "max", "peak open file descriptors"),
    "cpu_percent": Limit("%", Better.LOWER, "median", "median CPU use under load"),
}
MEMORY_LIMITS: Mapping[str, Limit] = {
    "leak_kb_per_request": Limit(
        "KiB/request", Better.LOWER, "max", "memory growth per request (95% lower bound)"
    ),
}
CPU_LIMITS: Mapping[str, Limit] = {
    "spike_seconds": Limit(
        "s", Better.LOWER, "max", "longest stretch of CPU above the spike threshold"
    ),
}
# Parameters (not limits) of the CPU spike detector.
CPU_PARAMETERS = ("spike_percent", "observe_s")

_REDUCERS: Mapping[str, Callable[[Sequence[float]], float | None]] = {
    "median": lambda s: percentile(s, 50.0),
    "p50": lambda s: percentile(s, 50.0),
    "p95": lambda s: percentile(s, 95.0),
    "p99": lambda s: percentile(s, 99.0),
    "max": lambda s: max(s) if s else None,
    "min": lambda s: min(s) if s else None,
    "mean": lambda s: sum(s) / len(s) if s else None,
}

DEFAULT_PAGE = {
    "ttfb_ms": 1000.0,
    "dom_content_loaded_ms": 5000.0,
    "load_ms": 15000.0,
    "lcp_ms": 15000.0,
    "monaco_ready_ms": 20000.0,
    "transfer_kb": 20000.0,
}
DEFAULT_ENDPOINTS = {
    "GET /": {"p50_ms": 500.0, "p95_ms": 1500.0, "error_rate": 0.01},
    "GET /healthz": {"p50_ms": 500.0, "p95_ms": 1500.0, "error_rate": 0.01},
    "POST /api/run": {"p50_ms": 1200.0, "p95_ms": 3000.0, "error_rate": 0.05},
}
DEFAULT_LOAD = {"p95_ms": 3000.0, "error_rate": 0.02, "min_rps": 2.0}
DEFAULT_RESOURCES = {"rss_mb": 512.0, "open_fds": 1000.0}
DEFAULT_MEMORY = {"leak_kb_per_request": 16.0}
DEFAULT_CPU = {"spike_seconds": 0.5}
DEFAULT_CPU_PARAMETERS = {"spike_percent": 15.0, "observe_s": 6.0}
WARN_RATIO = 1.2
FAIL_RATIO = 1.5
_METHODS = ("GET", "POST", "HEAD")


@dataclass(frozen=True, slots=True)
class Budget:
    """One named limit: ``endpoints["POST /api/run"].p95_ms <= 3000``."""

    scope: str
    subject: str
    key: str
    limit: float
    meaning: Limit
    configured_as: str | None = None  # the table's subject when it differs ("*" for pages)

    @property
    def name(self) -> str:
        if self.scope == "pages":
            return f"page {self.subject} {self.key}"
        return f"{self.subject} {self.key}" if self.subject else f"{self.scope} {self.key}"

    @property
    def where(self) -> str:
        """How the configuration spells it, for messages a person can act on."""
        subject = self.configured_as or self.subject
        sub = f'."{subject}"' if subject else ""
        return f"[tool.pytest_release.budgets.{self.scope}{sub}] {self.key}"


@dataclass(frozen=True, slots=True)
class BudgetCheck:
    """A budget against its samples: the measured figure, and whether it holds."""

    budget: Budget
    value: float | None
    samples: int

    @property
    def ok(self) -> bool:
        if self.value is None:
            return False
        if self.budget.meaning.better is Better.HIGHER:
            return self.value >= self.budget.limit
        return self.value <= self.budget.limit

    @property
    def message(self) -> str:
        b = self.budget
        unit = b.meaning.unit
        if self.value is None:
            return (
                f"{b.name}: no samples collected, so the budget ({b.meaning.words} "
                f"{_cmp(b)} {_num(b.limit)} {unit}) cannot be judged; check that the target "
                "serves it and that the probe reached it"
            )
        verdict = "within" if self.ok else "over" if b.meaning.better is Better.LOWER else "under"
        return (
            f"{b.name}: {b.meaning.words} {_num(self.value)} {unit} ({_count(self.samples)}) "
            f"is {verdict} the budget {_cmp(b)} {_num(b.limit)} {unit} ({b.where})"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "budget": self.budget.name,
            "key": self.budget.key,
            "limit": self.budget.limit,
            "unit": self.budget.meaning.unit,
            "value": self.value,
            "samples": self.samples,
            "ok": self.ok,
            "message": self.message,
        }


def _count(samples: int) -> str:
    return "1 sample" if samples == 1 else f"{samples} samples"


def _cmp(budget: Budget) -> str:
    return ">=" if budget.meaning.better is Better.HIGHER else "<="


def _num(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") if abs(value) < 10 else f"{value:.0f}"


def check(budget: Budget, samples: Sequence[float]) -> BudgetCheck:
    """Reduce the samples the way the budget says (median, p95, max, ...) and compare."""
    value = _REDUCERS[budget.meaning.reduce](samples)
    return BudgetCheck(budget, value, len(samples))


def check_all(
    budgets: Sequence[Budget], samples: Mapping[str, Sequence[float]]
) -> list[BudgetCheck]:
    """Each budget against the samples of its key (missing key: no samples, a failure)."""
    return [check(b, samples.get(b.key, ())) for b in budgets]


@dataclass(frozen=True, slots=True)
class Budgets:
    """Every budget of the run, validated."""

    pages: Mapping[str, tuple[Budget, ...]] = field(default_factory=dict)
    endpoints: Mapping[str, tuple[Budget, ...]] = field(default_factory=dict)
    load: tuple[Budget, ...] = ()
    resources: tuple[Budget, ...] = ()
    memory: tuple[Budget, ...] = ()
    cpu: tuple[Budget, ...] = ()
    spike_percent: float = DEFAULT_CPU_PARAMETERS["spike_percent"]
    cpu_observe_s: float = DEFAULT_CPU_PARAMETERS["observe_s"]
    warn_ratio: float = WARN_RATIO
    fail_ratio: float = FAIL_RATIO

    def for_page(self, path: str) -> tuple[Budget, ...]:
        """The budgets of one page: its own table, else the ``"*"`` table."""
        own = self.pages.get(path)
        if own is not None:
            return own
        return tuple(
            Budget("pages", path, b.key, b.limit, b.meaning, "*") for b in self.pages.get("*", ())
        )


def parse_budgets(table: Mapping[str, Any]) -> Budgets:
    """Validate ``[tool.pytest_release.budgets]`` (defaults for what it leaves out)."""
    if not isinstance(table, Mapping):
        raise ConfigError(f"[tool.pytest_release.budgets] must be a table, got {table!r}")
    known = ("pages", "endpoints", "load", "resources", "memory", "cpu", "warn_ratio", "fail_ratio")
    _reject_unknown("[tool.pytest_release.budgets]", table, known)
    pages_table = _subtable(table, "pages", {"*": DEFAULT_PAGE})
    endpoints_table = _subtable(table, "endpoints", DEFAULT_ENDPOINTS)
    pages = {
        path: _limits("pages", path, limits, PAGE_LIMITS) for path, limits in pages_table.items()
    }
    for path in pages:
        if path != "*" and not path.startswith("/"):
            raise ConfigError(
                f'[tool.pytest_release.budgets.pages."{path}"]: a page is a path such as "/" '
                'or "/python", or "*" for every page'
            )
    endpoints = {
        name: _limits("endpoints", _endpoint(name), limits, ENDPOINT_LIMITS)
        for name, limits in endpoints_table.items()
    }
    cpu_table = dict(_subtable(table, "cpu", {}))
    parameters = {**DEFAULT_CPU_PARAMETERS}
    for key in CPU_PARAMETERS:
        if key in cpu_table:
            parameters[key] = _positive(
                cpu_table.pop(key), f"[tool.pytest_release.budgets.cpu] {key}"
            )
    warn = _positive(
        table.get("warn_ratio", WARN_RATIO), "[tool.pytest_release.budgets] warn_ratio"
    )
    fail = _positive(
        table.get("fail_ratio", FAIL_RATIO), "[tool.pytest_release.budgets] fail_ratio"
    )
    if not 1.0 < warn <= fail:
        raise ConfigError(
            f"[tool.pytest_release.budgets] warn_ratio = {warn} and fail_ratio = {fail}: "
            "use 1 < warn_ratio <= fail_ratio (e.g. 1.2 and 1.5)"
        )
    return Budgets(
        pages=pages,
        endpoints=endpoints,
        load=_limits("load", "", _subtable(table, "load", DEFAULT_LOAD), LOAD_LIMITS),
        resources=_limits(
            "resources", "", _subtable(table, "resources", DEFAULT_RESOURCES), RESOURCE_LIMITS
        ),
        memory=_limits("memory", "", _subtable(table, "memory", DEFAULT_MEMORY), MEMORY_LIMITS),
        cpu=_limits("cpu", "", cpu_table or DEFAULT_CPU, CPU_LIMITS),
        spike_percent=parameters["spike_percent"],
        cpu_observe_s=parameters["observe_s"],
        warn_ratio=warn,
        fail_ratio=fail,
    )


def _endpoint(name: str) -> str:
    method, _, path = name.partition(" ")
    if method not in _METHODS or not path.startswith("/") or " " in path:
        raise ConfigError(
            f'[tool.pytest_release.budgets.endpoints."{name}"]: name an endpoint as '
            f'"METHOD /path" with METHOD one of {", ".join(_METHODS)}, e.g. "GET /healthz"'
        )
    return name


def _subtable(table: Mapping[str, Any], key: str, default: Mapping[str, Any]) -> Mapping[str, Any]:
    value = table.get(key)
    if value is None:
        return default
    if not isinstance(value, Mapping):
        raise ConfigError(f"[tool.pytest_release.budgets.{key}] must be a table, got {value!r}")
    return value


def _limits(
    scope: str, subject: str, limits: Any, allowed: Mapping[str, Limit]
) -> tuple[Budget, ...]:
    sub = f'."{subject}"' if subject else ""
    where = f"[tool.pytest_release.budgets.{scope}{sub}]"
    if not isinstance(limits, Mapping) or not limits:
        raise ConfigError(
            f"{where} must be a non-empty table of limits such as "
            f"{next(iter(allowed))} = 1000 (allowed: {', '.join(allowed)})"
        )
    _reject_unknown(where, limits, tuple(allowed))
    return tuple(
        Budget(
            scope,
            subject,
            key,
            _positive(value, f"{where} {key}", key == "error_rate"),
            allowed[key],
        )
        for key, value in limits.items()
    )


def _positive(value: Any, where: str, zero_ok: bool = False) -> float:
    if not is_number(value):
        raise ConfigError(f"{where} = {value!r} must be a number (e.g. 1000)")
    if value < 0 or (value == 0 and not zero_ok):
        raise ConfigError(f"{where} = {value!r} must be {'>= 0' if zero_ok else 'positive'}")
    return float(value)


def _reject_unknown(where: str, table: Mapping[str, Any], known: Sequence[str]) -> None:
    for key in table:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(
                f"{where} has an unknown key {key!r}{hint} (allowed: {', '.join(known)})"
            )

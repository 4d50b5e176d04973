"""Monitoring configured (before a deployment): metrics served, alert rules present and fitting.

Metrics: Prometheus text at ``metrics_path`` with every ``required_metrics`` family.
Alert rules: Prometheus rule files (YAML, ``groups[].rules[]`` with ``alert`` and ``expr``);
at least one alert, each with an expression, and every metric an expression names must
be one the target exposes: an alert on a misspelt metric never fires.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped,unused-ignore]
from prometheus_client.parser import text_string_to_metric_families

from pytest_release.config_table import Table

DEFAULT_REQUIRED = (
    "http_requests_total",
    "http_request_duration_seconds",
    "process_resident_memory_bytes",
)
# PromQL words that look like metric names but are not.
_PROMQL_WORDS = frozenset(
    """sum min max avg group stddev stdvar count count_values bottomk topk quantile by without
    on ignoring group_left group_right offset bool and or unless rate irate increase delta
    idelta deriv predict_linear histogram_quantile absent absent_over_time avg_over_time
    max_over_time min_over_time sum_over_time count_over_time quantile_over_time
    last_over_time changes resets label_replace label_join vector scalar time clamp clamp_min
    clamp_max abs ceil floor round exp ln log2 log10 sqrt sort sort_desc timestamp
    day_of_week hour minute month year inf nan""".split()  # noqa: SIM905 - a word list reads better
)
# Series Prometheus adds to every scrape itself.
SYNTHETIC = frozenset({"up", "scrape_duration_seconds", "scrape_samples_scraped"})
_SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_sum", "_count"),
    "summary": ("_sum", "_count"),
}
_IDENT = re.compile(r"(?<![\w\"'.{=~])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w\"'(])")


@dataclass(frozen=True, slots=True)
class MonitoringConfig:
    """``[tool.pytest_release.predeploy.monitoring]``."""

    metrics_path: str = "/metrics"
    required_metrics: tuple[str, ...] = DEFAULT_REQUIRED
    alert_rules: tuple[Path, ...] = ()


def monitoring_config(table: Table) -> MonitoringConfig:
    rules = tuple(
        p if p.is_absolute() else table.rootpath / p
        for p in (Path(s).expanduser() for s in table.texts("alert_rules", ()))
    )
    return MonitoringConfig(
        metrics_path=table.text("metrics_path", "/metrics"),
        required_metrics=table.texts("required_metrics", DEFAULT_REQUIRED),
        alert_rules=rules,
    )


def exposed_names(exposition: str) -> set[str]:
    """Every series name a Prometheus text exposition can produce; ValueError if unparsable."""
    names: set[str] = set()
    for family in text_string_to_metric_families(exposition):
        names.add(family.name)
        names.update(family.name + suffix for suffix in _SUFFIXES.get(family.type, ()))
        names.update(sample.name for sample in family.samples)
    return names


def metric_names(expr: str) -> set[str]:
    """Metric names an alert expression uses (not label values, durations or functions)."""
    cleaned = re.sub(r"\{[^}]*\}", " ", expr)  # label matchers
    cleaned = re.sub(r"\[[^\]]*\]", " ", cleaned)  # range selectors
    cleaned = re.sub(r"(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", cleaned)
    cleaned = re.sub(r"\"[^\"]*\"|'[^']*'", " ", cleaned)
    return {n for n in _IDENT.findall(cleaned) if n not in _PROMQL_WORDS}


@dataclass(frozen=True, slots=True)
class Alert:
    name: str
    expr: str
    file: str


def read_alerts(path: Path) -> list[Alert]:
    """Alerts of one Prometheus rule file; ValueError when it is not one."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, Mapping) or not isinstance(data.get("groups"), list):
        raise ValueError("not a Prometheus rule file (no 'groups' list)")
    alerts = []
    for group in data["groups"]:
        for rule in (group or {}).get("rules", []) or []:
            if isinstance(rule, Mapping) and "alert" in rule:
                alerts.append(Alert(str(rule["alert"]), str(rule.get("expr") or ""), path.name))
    return alerts


@dataclass(frozen=True, slots=True)
class MonitoringResult:
    metrics_status: int | None
    series_names: int
    alerts: tuple[Alert, ...]
    problems: tuple[str, ...]

    def evidence(self) -> dict[str, Any]:
        return {
            "metrics_status": self.metrics_status,
            "series_names": self.series_names,
            "alerts": [{"alert": a.name, "expr": a.expr, "file": a.file} for a in self.alerts],
            "problems": list(self.problems),
        }


def _metrics_problems(config: MonitoringConfig, exposed: set[str]) -> list[str]:
    missing = [m for m in config.required_metrics if m not in exposed]
    if not missing:
        return []
    return [
        f"{config.metrics_path} lacks {', '.join(missing)}: export them "
        "(dashboards and alerts need them)"
    ]


def check_monitoring(
    config: MonitoringConfig, status: int | None, exposition: str, error: str | None = None
) -> MonitoringResult:
    """Judge a fetched metrics answer and the configured alert rule files."""
    problems: list[str] = []
    exposed: set[str] = set()
    if status != 200:
        problems.append(
            f"{config.metrics_path} answered {status if status is not None else error}: "
            "expose Prometheus metrics there (or set metrics_path)"
        )
    else:
        try:
            exposed = exposed_names(exposition)
            problems.extend(_metrics_problems(config, exposed))
        except ValueError as exc:
            problems.append(
                f"{config.metrics_path} is not Prometheus text ({exc}): "
                "serve the text exposition format"
            )
    alerts: list[Alert] = []
    if not config.alert_rules:
        problems.append(
            "no alert rules are configured: write Prometheus alert rules and list the files in "
            "alert_rules in [tool.pytest_release.predeploy.monitoring]"
        )
    for path in config.alert_rules:
        try:
            found = read_alerts(path)
        except FileNotFoundError:
            problems.append(f"the alert rule file {path} does not exist: deploy the rules")
            continue
        except (OSError, ValueError, yaml.YAMLError) as exc:
            problems.append(
                f"the alert rule file {path} does not parse: {str(exc).splitlines()[0]}"
            )
            continue
        if not found:
            problems.append(f"{path} holds no alerting rules: add alerts (errors, latency, uptime)")
        alerts.extend(found)
    for alert in alerts:
        if not alert.expr.strip():
            problems.append(f"alert {alert.name} ({alert.file}) has no expr: write one")
            continue
        unknown = sorted(n for n in metric_names(alert.expr) if n not in exposed | SYNTHETIC)
        if exposed and unknown:
            problems.append(
                f"alert {alert.name} ({alert.file}) uses {', '.join(unknown)}, which the target "
                "does not expose: it can never fire; fix the metric name"
            )
    return MonitoringResult(status, len(exposed), tuple(alerts), tuple(problems))

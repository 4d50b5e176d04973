"""One validated Settings object, built once at configure time.

Sources, strongest first: command line, environment, ini keys, ``[tool.pytest_release]`` in
pyproject.toml, defaults. Bad values raise ``ConfigError`` (the plugin turns it into a
``pytest.UsageError``) naming the key, the value and what is allowed.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pytest_release.checklist.model import Criterion, Phase, Severity
from pytest_release.checklist.parse import DEFAULT_CRITERIA, DEFAULT_PHASES, ParseOptions

DEFAULT_CHECKLIST = "suites/checklist.md"
_E = TypeVar("_E", Phase, Severity, Criterion)

# Scalar keys of [tool.pytest_release]: key -> (CLI dest, env var or None).
SCALAR_KEYS: Mapping[str, tuple[str, str | None]] = {
    "checklist": ("release_checklist", "PYTEST_RELEASE_CHECKLIST"),
    "target_url": ("release_target_url", "PYTEST_RELEASE_TARGET_URL"),
    "report_dir": ("release_report_dir", None),
    "attestations": ("release_attestations", None),
    "release_version": ("release_version", "PYTEST_RELEASE_VERSION"),
    "baseline": ("release_baseline", None),
    "phase": ("release_phase", None),
    "high_priority_threshold": ("release_high_threshold", None),
    "secret_patterns": ("", None),
}
# Tables of [tool.pytest_release]; suites own the ones not validated here (pages, budgets, ...).
TABLE_KEYS = frozenset(
    {
        "phases",
        "categories",
        "severities",
        "criteria",
        "reference",
        "browser",
        "pages",
        "selectors",
        "api",
        "security",
        "budgets",
        "load",
        "sandbox",
        "predeploy",
        "deploy",
        "monitoring",
        "backup",
        "maintenance",
        "history",
        "signing",
    }
)


class ConfigError(ValueError):
    """A configuration value that cannot be used; the message says which and why."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the plugin needs to know, validated."""

    rootpath: Path
    checklist: Path
    report_dir: Path
    enabled: bool = True
    target_url: str | None = None
    attestations: Path | None = None
    release_version: str | None = None
    baseline: Path | None = None
    phase: Phase | None = None
    high_priority_threshold: int = 2
    parse_options: ParseOptions = field(default_factory=ParseOptions)
    secret_patterns: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict)

    def section(self, name: str) -> Mapping[str, Any]:
        """A table of [tool.pytest_release] that a suite validates itself (empty if absent)."""
        value = self.raw.get(name, {})
        return value if isinstance(value, Mapping) else {}


def read_pyproject(rootpath: Path) -> dict[str, Any]:
    """The [tool.pytest_release] table of rootpath/pyproject.toml ({} if there is none)."""
    path = rootpath / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read it as TOML: {exc}") from exc
    table = data.get("tool", {}).get("pytest_release", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.pytest_release] must be a table")
    return table


def build_settings(
    rootpath: Path,
    pyproject: Mapping[str, Any],
    option: Callable[[str], Any],
    ini: Callable[[str], Any],
    environ: Mapping[str, str] = os.environ,
) -> Settings:
    """Merge every source; disabled when no checklist is configured and the default is absent."""
    _reject_unknown_keys(pyproject)

    def value(key: str) -> Any:
        dest, env = SCALAR_KEYS[key]
        for candidate in (
            option(dest) if dest else None,
            environ.get(env) if env else None,
            ini(f"release_{key}") if key in INI_KEYS else None,
            pyproject.get(key),
        ):
            if candidate not in (None, ""):
                return candidate
        return None

    explicit = value("checklist")
    checklist = _path(rootpath, explicit or DEFAULT_CHECKLIST)
    report_dir = _path(rootpath, value("report_dir") or "reports")
    attestations = value("attestations")
    baseline = value("baseline")
    return Settings(
        rootpath=rootpath,
        checklist=checklist,
        report_dir=report_dir,
        enabled=explicit is not None or checklist.is_file(),
        target_url=_target_url(value("target_url")),
        attestations=_path(rootpath, attestations) if attestations else None,
        release_version=str(value("release_version")) if value("release_version") else None,
        baseline=_path(rootpath, baseline) if baseline else None,
        phase=_enum(Phase, value("phase"), "phase") if value("phase") else None,
        high_priority_threshold=_positive_int(
            _default(value("high_priority_threshold"), 2), "high_priority_threshold"
        ),
        parse_options=_parse_options(pyproject),
        secret_patterns=_string_list(pyproject.get("secret_patterns", []), "secret_patterns"),
        raw=dict(pyproject),
    )


INI_KEYS = frozenset({"checklist", "target_url", "report_dir", "attestations", "release_version"})


def _default(value: Any, default: Any) -> Any:
    return default if value is None else value


def _reject_unknown_keys(table: Mapping[str, Any]) -> None:
    known = set(SCALAR_KEYS) | TABLE_KEYS
    for key in table:
        if key not in known:
            close = difflib.get_close_matches(key, sorted(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(
                f"[tool.pytest_release] has an unknown key {key!r}{hint} "
                f"(known keys: {', '.join(sorted(known))})"
            )


def _path(rootpath: Path, value: Any) -> Path:
    path = Path(str(value)).expanduser()
    return path if path.is_absolute() else rootpath / path


def _target_url(value: Any) -> str | None:
    if value is None:
        return None
    url = str(value).strip().rstrip("/")
    if not url.startswith(("http://", "https://")) or url[-3:] == "://":
        raise ConfigError(
            f"target_url {value!r} is not an http(s) URL; write e.g. --target-url https://staging.example.org"
        )
    return url


def _positive_int(value: Any, key: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number < 1:
        raise ConfigError(f"{key} = {value!r} is not allowed; use a whole number of at least 1")
    return number


def _enum(kind: type[_E], value: Any, key: str) -> _E:
    try:
        return kind(str(value).strip().lower())
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise ConfigError(f"{key} = {value!r} is not allowed; use one of: {allowed}") from None


def _string_list(value: Any, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{key} must be a list of strings, got {value!r}")
    return tuple(value)


def _table(pyproject: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    table = pyproject.get(key, {})
    if not isinstance(table, Mapping):
        raise ConfigError(f"[tool.pytest_release.{key}] must be a table, got {table!r}")
    return table


def _parse_options(pyproject: Mapping[str, Any]) -> ParseOptions:
    from pytest_release.checklist.parse import normalize_heading

    phases = dict(DEFAULT_PHASES)
    for heading, phase in _table(pyproject, "phases").items():
        phases[normalize_heading(heading)] = _enum(Phase, phase, f"phases.{heading!r}")
    categories = {normalize_heading(h): str(c) for h, c in _table(pyproject, "categories").items()}
    severities = {
        k.lower(): _enum(Severity, v, f"severities.{k!r}")
        for k, v in _table(pyproject, "severities").items()
    }
    criteria = dict(DEFAULT_CRITERIA)
    for category, criterion in _table(pyproject, "criteria").items():
        criteria[category] = _enum(Criterion, criterion, f"criteria.{category!r}")
    default = severities.pop("default", Severity.MEDIUM)
    return ParseOptions(
        phases=phases,
        categories=categories,
        severities=severities,
        criteria=criteria,
        default_severity=default,
    )

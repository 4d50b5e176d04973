"""The ``[tool.pytest_release.sandbox]`` table: what the code-execution API hardening checks expect.

Every key is optional; the defaults fit the target contract. The run endpoint, the health
path and the body limit come from ``[tool.pytest_release.api]`` (``run_path``,
``health_path``, ``max_body_bytes``) unless this table names its own ``endpoints``.

```toml
[tool.pytest_release.sandbox]
languages = ["python", "php"]     # each gets the whole probe pack
timeout_s = 10                     # a runaway program must be stopped within this
memory_mb = 256                    # ... may not get more memory than this
output_kb = 1024                   # ... may not return more output than this
processes = 64                     # ... may not start more processes than this
disable = ["network-dns"]          # probes switched off by name (or `probes = [...]`)
app_paths = ["/srv/app/.env"]      # extra files user code must not read
concurrency = 3                    # runs in flight at once

[tool.pytest_release.sandbox.rate_limit]
per_minute = 30                    # expected limit (default: X-RateLimit-Limit, else measured)
max_burst = 60                     # never send more than this many requests in the burst
max_wait_s = 15                    # longest Retry-After the recovery check waits for

[tool.pytest_release.sandbox.validation]
openapi_paths = ["/openapi.json"]  # where to look for an OpenAPI document (schemathesis)
max_examples = 12                  # schemathesis examples per operation

[tool.pytest_release.sandbox.sanitization]
page = "/"                         # the page whose run button shows the output
```
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pytest_release.config_number import is_number
from pytest_release.settings import ConfigError

TABLE = "[tool.pytest_release.sandbox]"

#: Sandbox probes (one program per language each, see probes/sandbox/snippets/).
SANDBOX_PROBES = (
    "read-etc-passwd",
    "read-proc-environ",
    "read-app-files",
    "write-outside-scratch",
    "list-processes",
    "network-tcp",
    "network-dns",
    "env-secrets",
    "fork-bomb",
    "infinite-loop",
    "memory-hog",
    "output-flood",
    "persistence",
    "concurrent-runs",
    "server-health",
)
VALIDATION_PROBES = (
    "malformed-json",
    "wrong-types",
    "missing-fields",
    "unknown-language",
    "content-type",
    "oversized",
    "naughty-strings",
    "header-injection",
    "schemathesis",
)
SANITIZATION_PROBES = ("api-output", "page-output")
ALL_PROBES = (*SANDBOX_PROBES, "rate-limit", *VALIDATION_PROBES, *SANITIZATION_PROBES)


@dataclass(frozen=True, slots=True)
class Expectations:
    """Limits a runaway program must meet."""

    timeout_s: float = 10.0
    memory_mb: int = 256
    output_kb: int = 1024
    processes: int = 64


@dataclass(frozen=True, slots=True)
class RateLimitSettings:
    per_minute: int | None = None
    endpoints: tuple[str, ...] = ()
    max_burst: int = 60
    max_wait_s: float = 15.0


@dataclass(frozen=True, slots=True)
class ValidationSettings:
    openapi_paths: tuple[str, ...] = ("/openapi.json",)
    max_examples: int = 12


@dataclass(frozen=True, slots=True)
class SanitizationSettings:
    page: str | None = None


@dataclass(frozen=True, slots=True)
class HardeningSettings:
    """Everything the four hardening suites read, validated once."""

    endpoints: tuple[str, ...] = ("/api/run",)
    health_path: str = "/healthz"
    max_body_bytes: int = 1_048_576
    languages: tuple[str, ...] = ("python", "php")
    expect: Expectations = field(default_factory=Expectations)
    enabled: frozenset[str] = frozenset(ALL_PROBES)
    app_paths: tuple[str, ...] = ()
    concurrency: int = 3
    loopback_lanes: bool = True
    rate_limit: RateLimitSettings = field(default_factory=RateLimitSettings)
    validation: ValidationSettings = field(default_factory=ValidationSettings)
    sanitization: SanitizationSettings = field(default_factory=SanitizationSettings)

    @property
    def run_path(self) -> str:
        """The first run endpoint: the one every probe program is sent to."""
        return self.endpoints[0]

    def on(self, probe: str) -> bool:
        """Whether the named probe is enabled."""
        return probe in self.enabled


_TOP_KEYS = frozenset(
    {
        "endpoints",
        "languages",
        "timeout_s",
        "memory_mb",
        "output_kb",
        "processes",
        "probes",
        "disable",
        "app_paths",
        "concurrency",
        "loopback_lanes",
        "rate_limit",
        "validation",
        "sanitization",
    }
)
_SUB_KEYS = {
    "rate_limit": frozenset({"per_minute", "endpoints", "max_burst", "max_wait_s"}),
    "validation": frozenset({"openapi_paths", "max_examples"}),
    "sanitization": frozenset({"page"}),
}


def _unknown(table: str, section: Mapping[str, Any], known: frozenset[str]) -> None:
    for key in section:
        if key not in known:
            close = difflib.get_close_matches(key, sorted(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(
                f"{table} has an unknown key {key!r}{hint} (known keys: {', '.join(sorted(known))})"
            )


def _strings(value: Any, where: str, *, paths: bool = False) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{where} = {value!r}: use a list of strings")
    if paths:
        for path in value:
            if not path.startswith("/"):
                raise ConfigError(
                    f"{where} has {path!r}: write paths from the root, e.g. '/api/run'"
                )
    return tuple(value)


def _number(value: Any, where: str, *, whole: bool = False, minimum: float = 1) -> Any:
    if not is_number(value, whole=whole) or value < minimum:
        kind = "a whole number" if whole else "a number"
        raise ConfigError(f"{where} = {value!r}: use {kind} of at least {minimum:g}")
    return value


def _table(section: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = section.get(key, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"{TABLE} {key} must be a table ([tool.pytest_release.sandbox.{key}])")
    _unknown(f"[tool.pytest_release.sandbox.{key}]", value, _SUB_KEYS[key])
    return value


def _enabled(section: Mapping[str, Any]) -> frozenset[str]:
    chosen = set(_strings(section["probes"], f"{TABLE} probes")) if "probes" in section else None
    disabled = set(_strings(section.get("disable", []), f"{TABLE} disable"))
    for name in (chosen or set()) | disabled:
        if name not in ALL_PROBES:
            close = difflib.get_close_matches(name, ALL_PROBES, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(
                f"{TABLE} names an unknown probe {name!r}{hint} (probes: {', '.join(ALL_PROBES)})"
            )
    return frozenset((chosen if chosen is not None else set(ALL_PROBES)) - disabled)


def hardening_settings(
    section: Mapping[str, Any],
    *,
    run_path: str = "/api/run",
    health_path: str = "/healthz",
    max_body_bytes: int = 1_048_576,
) -> HardeningSettings:
    """Validate the table; run_path, health_path and max_body_bytes come from the api table."""
    _unknown(TABLE, section, _TOP_KEYS)
    d = HardeningSettings()
    e = Expectations()
    r = RateLimitSettings()
    v = ValidationSettings()
    endpoints = (
        _strings(section["endpoints"], f"{TABLE} endpoints", paths=True)
        if "endpoints" in section
        else (run_path,)
    )
    if not endpoints:
        raise ConfigError(f"{TABLE} endpoints is empty: name at least the run endpoint")
    languages = _strings(section.get("languages", list(d.languages)), f"{TABLE} languages")
    expect = Expectations(
        timeout_s=float(_number(section.get("timeout_s", e.timeout_s), f"{TABLE} timeout_s")),
        memory_mb=_number(section.get("memory_mb", e.memory_mb), f"{TABLE} memory_mb", whole=True),
        output_kb=_number(section.get("output_kb", e.output_kb), f"{TABLE} output_kb", whole=True),
        processes=_number(section.get("processes", e.processes), f"{TABLE} processes", whole=True),
    )
    lanes = section.get("loopback_lanes", True)
    if not isinstance(lanes, bool):
        raise ConfigError(f"{TABLE} loopback_lanes = {lanes!r}: use true or false")
    rate = _table(section, "rate_limit")
    per_minute = rate.get("per_minute")
    validation = _table(section, "validation")
    sanitization = _table(section, "sanitization")
    page = sanitization.get("page")
    if page is not None:
        page = _strings(page, "[tool.pytest_release.sandbox.sanitization] page", paths=True)[0]
    return HardeningSettings(
        endpoints=endpoints,
        health_path=health_path,
        max_body_bytes=max_body_bytes,
        languages=languages,
        expect=expect,
        enabled=_enabled(section),
        app_paths=_strings(section.get("app_paths", []), f"{TABLE} app_paths", paths=True),
        concurrency=_number(
            section.get("concurrency", d.concurrency), f"{TABLE} concurrency", whole=True
        ),
        loopback_lanes=lanes,
        rate_limit=RateLimitSettings(
            per_minute=None
            if per_minute is None
            else _number(per_minute, "rate_limit.per_minute", whole=True),
            endpoints=_strings(rate["endpoints"], "rate_limit.endpoints", paths=True)
            if "endpoints" in rate
            else endpoints,
            max_burst=_number(
                rate.get("max_burst", r.max_burst),
                "rate_limit.max_burst",
                whole=True,
                minimum=2,
            ),
            max_wait_s=float(
                _number(
                    rate.get("max_wait_s", r.max_wait_s),
                    "rate_limit.max_wait_s",
                    minimum=0,
                )
            ),
        ),
        validation=ValidationSettings(
            openapi_paths=_strings(
                validation.get("openapi_paths", list(v.openapi_paths)),
                "validation.openapi_paths",
                paths=True,
            ),
            max_examples=_number(
                validation.get("max_examples", v.max_examples),
                "validation.max_examples",
                whole=True,
            ),
        ),
        sanitization=SanitizationSettings(page=page),
    )

"""The ``[tool.pytest_release.security]`` table, validated into one frozen value.

The security suites read it through ``security_settings(config_section)``; every key is
optional. A bad value raises ``ConfigError`` naming the key, the value and what is allowed.

```toml
[tool.pytest_release.security]
minimum_grade = "B"                  # headers: lowest acceptable Observatory grade
pages = ["/"]                        # pages graded and checked for CSP and secrets
cors_allowed_origins = ["https://docs.example.org"]
cors_endpoints = ["/", "/api/run"]
protected_paths = ["/admin"]
api_paths = ["/api/run"]             # JSON endpoints fed malformed requests (stack traces)
extra_exposed_paths = ["/old-site.zip"]
tls_hosts = ["example.org", "api.example.org:8443"]
ca_file = "certs/internal-ca.pem"   # trust store for TLS (default: the system's)
expiry_days = 14
```
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from pytest_release.config_number import is_number
from pytest_release.probes.headers import GRADES
from pytest_release.settings import ConfigError

TABLE = "[tool.pytest_release.security]"


@dataclass(frozen=True, slots=True)
class SecuritySettings:
    """What the security suites may be told; the defaults fit the target contract."""

    minimum_grade: str = "B"
    pages: tuple[str, ...] = ("/",)
    cors_allowed_origins: tuple[str, ...] = ()
    cors_endpoints: tuple[str, ...] = ("/", "/api/run")
    protected_paths: tuple[str, ...] = ("/admin",)
    api_paths: tuple[str, ...] = ("/api/run",)
    extra_exposed_paths: tuple[str, ...] = ()
    tls_hosts: tuple[str, ...] = ()
    ca_file: Path | None = None
    expiry_days: int = 14


KEYS = frozenset(SecuritySettings.__dataclass_fields__)


def _paths(value: Any, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{TABLE} {key} must be a list of strings, got {value!r}")
    for path in value:
        if not path.startswith("/"):
            raise ConfigError(
                f"{TABLE} {key}: {path!r} is not a path; write it from the site root, e.g. '/admin'"
            )
    return tuple(value)


def _origins(value: Any) -> tuple[str, ...]:
    key = "cors_allowed_origins"
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{TABLE} {key} must be a list of strings, got {value!r}")
    origins = []
    for origin in value:
        parts = urlsplit(origin)
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or parts.path not in ("", "/")
        ):
            raise ConfigError(
                f"{TABLE} {key}: {origin!r} is not an origin; write scheme://host[:port], "
                "e.g. 'https://docs.example.org' (no path, no wildcard)"
            )
        origins.append(origin.rstrip("/").lower())
    return tuple(origins)


def _hosts(value: Any) -> tuple[str, ...]:
    key = "tls_hosts"
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{TABLE} {key} must be a list of 'host' or 'host:port', got {value!r}")
    for host in value:
        if "/" in host:
            raise ConfigError(
                f"{TABLE} {key}: {host!r} is not a host; write 'example.org' or 'example.org:8443'"
            )
    return tuple(value)


def security_settings(section: Mapping[str, Any], rootpath: Path | None = None) -> SecuritySettings:
    """Validate the table (as read from pyproject.toml) into SecuritySettings."""
    for key in section:
        if key not in KEYS:
            close = difflib.get_close_matches(key, sorted(KEYS), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(
                f"{TABLE} has an unknown key {key!r}{hint} (known keys: {', '.join(sorted(KEYS))})"
            )
    defaults = SecuritySettings()
    grade = str(section.get("minimum_grade", defaults.minimum_grade)).strip().upper()
    if grade not in GRADES:
        raise ConfigError(
            f"{TABLE} minimum_grade = {section['minimum_grade']!r} is not a grade; "
            f"use one of {', '.join(GRADES)}"
        )
    expiry = section.get("expiry_days", defaults.expiry_days)
    if not is_number(expiry, whole=True) or expiry < 0:
        raise ConfigError(f"{TABLE} expiry_days = {expiry!r} must be a whole number of days, >= 0")
    ca_file: Path | None = None
    if section.get("ca_file") is not None:
        ca_file = Path(str(section["ca_file"])).expanduser()
        if not ca_file.is_absolute() and rootpath is not None:
            ca_file = rootpath / ca_file
        if not ca_file.is_file():
            raise ConfigError(f"{TABLE} ca_file = {str(ca_file)!r} does not exist or is no file")

    def paths(key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        return _paths(section[key], key) if key in section else default

    return SecuritySettings(
        minimum_grade=grade,
        pages=paths("pages", defaults.pages) or defaults.pages,
        cors_allowed_origins=_origins(section.get("cors_allowed_origins", [])),
        cors_endpoints=paths("cors_endpoints", defaults.cors_endpoints),
        protected_paths=paths("protected_paths", defaults.protected_paths),
        api_paths=paths("api_paths", defaults.api_paths),
        extra_exposed_paths=paths("extra_exposed_paths", ()),
        tls_hosts=_hosts(section.get("tls_hosts", [])),
        ca_file=ca_file,
        expiry_days=expiry,
    )


def settings_for(config: pytest.Config) -> SecuritySettings:
    """The security table of the run's configuration; a bad value fails the test that asks."""
    from pytest_release.keys import SETTINGS_KEY

    settings = config.stash[SETTINGS_KEY]
    try:
        return security_settings(settings.section("security"), settings.rootpath)
    except ConfigError as exc:
        pytest.fail(f"pytest-release: {exc}", pytrace=False)

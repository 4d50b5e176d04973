"""The ``[tool.pytest_release.predeploy]`` table for the pre-deployment suites.

One sub-table per area, each validated by the probe that uses it (``*_config(table)``)
when a test asks for it; a bad value fails that test with the key, the value and the fix.
Expensive results (bandit, the dependency audit) are computed once per session, so the
audit summary can reuse them.

```toml
[tool.pytest_release.predeploy.tests.unit]
command = ["{python}", "-m", "pytest", "tests/unit", "--junitxml={report}"]
[tool.pytest_release.predeploy.tests.e2e]
reports = ["reports/junit/e2e*.xml"]
[tool.pytest_release.predeploy.review]
tag_pattern = "v*"
[tool.pytest_release.predeploy.bugs]
source = "exports/bugs.csv"            # or github_repo = "owner/name" with $GITHUB_TOKEN
[tool.pytest_release.predeploy.bandit]
paths = ["src"]
baseline = "security/bandit-baseline.toml"
[tool.pytest_release.predeploy.benchmarks.budgets]
"test_render_*" = {mean_ms = 5}
[tool.pytest_release.predeploy.docs]
dir = "docs"
[tool.pytest_release.predeploy.system]
min_memory_mb = 2048
[tool.pytest_release.predeploy.database]
url_env = "DATABASE_URL"
[tool.pytest_release.predeploy.redis]
url_env = "REDIS_URL"
[tool.pytest_release.predeploy.firewall]
host = "prod.example.org"
allowed = [22, 443]
[tool.pytest_release.predeploy.backup]
dir = "/var/backups/app"
[tool.pytest_release.predeploy.monitoring]
alert_rules = ["ops/alerts.yml"]
[tool.pytest_release.predeploy.audit]
requirements = ["requirements.lock"]
```

``PYTEST_RELEASE_PREDEPLOY_CONFIG`` names a TOML file whose tables (``[tests.e2e]``,
``[redis]``, ...) are merged over these, key by key: a pipeline (or ``pytest-release
rehearse``) passes what only it knows, such as the report it just wrote or the Redis it
started, without editing pyproject.toml.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import pytest

from pytest_release.attestations import Attestation
from pytest_release.config_table import Table
from pytest_release.keys import SETTINGS_KEY
from pytest_release.probes.audit import (
    AuditResult,
    AuditUnavailable,
    audit_config,
    audit_dependencies,
)
from pytest_release.probes.bandit_scan import BanditError, BanditResult, bandit_config, scan
from pytest_release.settings import ConfigError

TABLE = "[tool.pytest_release.predeploy]"
OVERLAY_ENV = "PYTEST_RELEASE_PREDEPLOY_CONFIG"
AREAS = (
    "tests", "review", "bugs", "bandit", "benchmarks", "docs", "system",
    "database", "redis", "firewall", "backup", "monitoring", "audit",
)  # fmt: skip
MEMO_KEY = pytest.StashKey[dict[str, Any]]()
_T = TypeVar("_T")


def area_config(config: pytest.Config, name: str, parse: Callable[[Table], _T]) -> _T:
    """The sub-table ``name`` parsed by ``parse``; a bad value fails the calling test."""
    settings = config.stash[SETTINGS_KEY]
    try:
        merged = merge_tables(settings.section("predeploy"), overlay())
        top = Table(TABLE, merged, settings.rootpath)
        for key in top.data:
            if key not in AREAS:
                close = difflib.get_close_matches(key, AREAS, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ConfigError(
                    f"{TABLE} has an unknown table {key!r}{hint} (known: {', '.join(AREAS)})"
                )
        table = top.sub(name)
        value = parse(table)
        table.done()
    except ConfigError as exc:
        pytest.fail(f"pytest-release: {exc}", pytrace=False)
    return value


def overlay(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """The tables of the file named by $PYTEST_RELEASE_PREDEPLOY_CONFIG ({} when unset)."""
    path = environ.get(OVERLAY_ENV)
    if not path:
        return {}
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(
            f"${OVERLAY_ENV}={path}: cannot read it as TOML ({exc}); fix the file or unset "
            "the variable"
        ) from None


def merge_tables(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over`` merged into ``base``: tables key by key, any other value replaced."""
    merged = dict(base)
    for key, value in over.items():
        old = merged.get(key)
        if isinstance(old, Mapping) and isinstance(value, Mapping):
            merged[key] = merge_tables(old, value)
        else:
            merged[key] = value
    return merged


def memo(config: pytest.Config, key: str, compute: Callable[[], _T]) -> _T:
    """Compute once per session (per xdist worker); exceptions are not cached."""
    store = config.stash.setdefault(MEMO_KEY, {})
    if key not in store:
        store[key] = compute()
    result: _T = store[key]
    return result


def attestation_for(config: pytest.Config, item_id: str) -> Attestation | None:
    """The run's attestation of an item, if the attestations file has one."""
    session = config.pluginmanager.get_plugin("release-session")
    attestations = getattr(session, "attestations", None)
    if attestations is None:
        return None
    found: Attestation | None = attestations.attestation(item_id)
    return found


def bandit_result(config: pytest.Config) -> BanditResult | BanditError:
    """The session's one bandit scan (the security-standards item and the audit share it)."""
    settings = area_config(config, "bandit", bandit_config)

    def compute() -> BanditResult | BanditError:
        try:
            return scan(settings)
        except BanditError as exc:
            return exc

    return memo(config, "bandit", compute)


def dependency_audit(config: pytest.Config) -> AuditResult | AuditUnavailable:
    """The session's one dependency audit (the vulnerability scan and the audit share it)."""
    settings = area_config(config, "audit", audit_config)

    def compute() -> AuditResult | AuditUnavailable:
        try:
            return audit_dependencies(settings)
        except AuditUnavailable as exc:
            return exc

    return memo(config, "dependency-audit", compute)

"""What the code-execution API hardening suites share: settings, and measurements made once.

The rate-limit burst serves two checklist items (pre: "configured", post: "effective"); it
is measured once per session and kept in ``config.stash`` so a second burst never starts
with a budget the first one used up.
"""

from __future__ import annotations

import pytest

from pytest_release.contract import SiteContract
from pytest_release.keys import SETTINGS_KEY
from pytest_release.probes.lanes import Lane, lane_client
from pytest_release.probes.ratelimit import RateLimitReport, probe_rate_limit
from pytest_release.probes.sandbox.snippets import snippets_for
from pytest_release.sandbox_settings import HardeningSettings, hardening_settings
from pytest_release.settings import ConfigError
from pytest_release.target import Target

HARDENING_KEY = pytest.StashKey[HardeningSettings]()
RATE_LIMIT_KEY = pytest.StashKey[tuple[RateLimitReport, ...]]()


def contract_for(config: pytest.Config) -> SiteContract:
    """The target contract with the project's overrides (validated by the browser plugin)."""
    from pytest_release.browser_fixtures import CONTRACT_KEY

    return config.stash.get(CONTRACT_KEY, SiteContract())


def hardening_for(config: pytest.Config) -> HardeningSettings:
    """``[tool.pytest_release.sandbox]``, validated once; a bad value fails the asking test."""
    cached = config.stash.get(HARDENING_KEY, None)
    if cached is not None:
        return cached
    api = contract_for(config).api
    try:
        settings = hardening_settings(
            config.stash[SETTINGS_KEY].section("sandbox"),
            run_path=api.run_path,
            health_path=api.health_path,
            max_body_bytes=api.max_body_bytes,
        )
    except ConfigError as exc:
        pytest.fail(f"pytest-release: {exc}", pytrace=False)
    config.stash[HARDENING_KEY] = settings
    return settings


def hello_body(settings: HardeningSettings) -> dict[str, str]:
    """The smallest real run in the first configured language (the rate-limit burst sends it)."""
    language = settings.languages[0]
    snippets = snippets_for([language]).get(language)
    code = snippets.hello if snippets else "print(1)"
    return {"code": code, "language": language}


def rate_limit_reports(config: pytest.Config, target: Target) -> tuple[RateLimitReport, ...]:
    """One burst per configured endpoint, once per session."""
    cached = config.stash.get(RATE_LIMIT_KEY, None)
    if cached is not None:
        return cached
    settings = hardening_for(config)
    rate = settings.rate_limit
    reports = []
    with lane_client(target.url, Lane.RATE_LIMIT, enabled=settings.loopback_lanes) as client:
        for endpoint in rate.endpoints:
            reports.append(
                probe_rate_limit(
                    client,
                    endpoint,
                    hello_body(settings),
                    expected_per_minute=rate.per_minute,
                    max_burst=rate.max_burst,
                    max_wait_s=rate.max_wait_s,
                )
            )
    config.stash[RATE_LIMIT_KEY] = tuple(reports)
    return config.stash[RATE_LIMIT_KEY]


def fail_lines(headline: str, lines: list[str], fix: str) -> None:
    """Fail with the first problem and its fix on the first line, the rest below."""
    more = f" (+{len(lines) - 1} more below)" if len(lines) > 1 else ""
    pytest.fail(f"{headline}: {lines[0]}{more}; {fix}\n" + "\n".join(lines[1:]), pytrace=False)

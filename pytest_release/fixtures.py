"""Fixtures for checklist tests: target, http, evidence."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from pytest_release.evidence import EvidenceRecorder
from pytest_release.keys import SETTINGS_KEY, TARGET_KEY
from pytest_release.outcomes import Inconclusive
from pytest_release.redact import Redactor
from pytest_release.target import Target, TargetProvider, TargetUnreachable, make_client
from pytest_release.verdict import TARGET_UNREACHABLE

if TYPE_CHECKING:
    import httpx


PROVIDER_KEY = pytest.StashKey[TargetProvider]()


def target_provider(config: pytest.Config) -> TargetProvider:
    """The session's one TargetProvider (created on first use, closed at unconfigure).

    Collection-time discovery and the ``target`` fixture share it, so the reference
    deployment starts at most once per session (per xdist worker).
    """
    provider = config.stash.get(PROVIDER_KEY, None)
    if provider is None:
        settings = config.stash[SETTINGS_KEY]
        provider = TargetProvider(
            settings.target_url,
            tuple(config.getoption("release_faults", None) or ()),
            settings.release_version,
        )
        config.stash[PROVIDER_KEY] = provider
        config.add_cleanup(provider.close)
    return provider


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest) -> Target:
    """The deployment under test, checked once for reachability (INCONCLUSIVE if it is down).

    Without --target-url the bundled reference deployment is started for the session.
    """
    try:
        resolved = target_provider(request.config).resolve()
    except TargetUnreachable as exc:
        raise Inconclusive(f"target unreachable: {exc}", TARGET_UNREACHABLE) from None
    request.config.stash[TARGET_KEY] = resolved
    return resolved


@pytest.fixture
def http(target: Target) -> Iterator[httpx.Client]:
    """An httpx.Client on the target's base URL, with timeouts and the tool's user agent."""
    with make_client(target.url) as client:
        yield client


@pytest.fixture
def evidence(request: pytest.FixtureRequest) -> EvidenceRecorder:
    """Attach evidence to the report: ``evidence.attach("headers", dict(r.headers), "json")``."""
    settings = request.config.stash[SETTINGS_KEY]
    node = request.node

    def record(path: str) -> None:
        node.user_properties.append(("evidence", path))

    return EvidenceRecorder(
        settings.report_dir, node.nodeid, Redactor(settings.secret_patterns), record
    )

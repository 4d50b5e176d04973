"""Fixtures for checklist tests: target, http, evidence."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from pytest_release.evidence import EvidenceRecorder
from pytest_release.keys import SETTINGS_KEY, TARGET_KEY
from pytest_release.outcomes import Inconclusive
from pytest_release.redact import Redactor
from pytest_release.target import (
    Target,
    TargetUnreachable,
    check_reachable,
    make_client,
    start_reference,
)
from pytest_release.verdict import TARGET_UNREACHABLE

if TYPE_CHECKING:
    import httpx


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    """The deployment under test, checked once for reachability (INCONCLUSIVE if it is down).

    Without --target-url the bundled reference deployment is started for the session.
    """
    settings = request.config.stash[SETTINGS_KEY]
    started = None
    try:
        url = settings.target_url
        if url is None:
            faults = tuple(request.config.getoption("release_faults") or ())
            started = start_reference(faults)
            url = started.url
        seen = check_reachable(url)
    except TargetUnreachable as exc:
        if started is not None:
            started.stop()
        raise Inconclusive(f"target unreachable: {exc}", TARGET_UNREACHABLE) from None
    resolved = Target(
        url=url,
        expected_version=settings.release_version,
        version_seen=seen,
        reference=started is not None,
    )
    request.config.stash[TARGET_KEY] = resolved
    try:
        yield resolved
    finally:
        if started is not None:
            started.stop()


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

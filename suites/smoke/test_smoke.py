"""Smoke tests for the maintenance window: reachable, healthy, one example runs, headers.

`pytest -m smoke --target-url https://prod.example.org` takes seconds. The tests answer
the "Deployment Steps / Verification" and "Go Live" items a machine can check.
"""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Browser, Page

from pytest_release.check_outcome import record, record_all
from pytest_release.contract import SiteContract
from pytest_release.evidence import EvidenceRecorder
from pytest_release.outcomes import inconclusive
from pytest_release.probes.browser.example_page import ExamplePage
from pytest_release.probes.browser.log import BrowserLog
from pytest_release.probes.browser.run import check_load_and_run
from pytest_release.probes.discovery import DiscoveredExample
from pytest_release.probes.run_api import (
    check_headers_present,
    check_health,
    check_page_accessible,
    check_run,
    check_version,
)
from pytest_release.target import Target

pytestmark = pytest.mark.smoke


@pytest.mark.checklist(
    "deploy.verification.critical-functionality", "deploy.verification.smoke-tests"
)
def test_first_example_loads_and_runs(
    release_browser: Browser,  # first: Chromium launches while the reference deployment boots
    first_example: DiscoveredExample,
    target: Target,
    release_page: Page,
    release_log: BrowserLog,
    release_contract: SiteContract,
    evidence: EvidenceRecorder,
) -> None:
    view = ExamplePage(release_page, release_contract, first_example.id, release_log)
    result = record(check_load_and_run(view, target.join(first_example.page)), evidence)
    assert not result.failed, result.failure_message()


@pytest.mark.checklist("deploy.verification.running", "deploy.verification.smoke-tests")
def test_application_is_running(
    http_session: httpx.Client, release_contract: SiteContract, evidence: EvidenceRecorder
) -> None:
    result = record(check_health(http_session, release_contract.api.health_path), evidence)
    assert not result.failed, result.failure_message()


@pytest.mark.checklist("deploy.go-live.accessible", "deploy.verification.smoke-tests")
def test_application_is_accessible(
    http_session: httpx.Client, release_contract: SiteContract, evidence: EvidenceRecorder
) -> None:
    results = [check_page_accessible(http_session, p) for p in release_contract.pages.paths]
    failed = record_all(results, evidence)
    assert not failed, "\n".join(r.failure_message() for r in failed)


@pytest.mark.checklist("deploy.verification.api-endpoints", "deploy.verification.smoke-tests")
def test_api_endpoints(
    http_session: httpx.Client,
    target: Target,
    release_contract: SiteContract,
    first_example: DiscoveredExample,
    evidence: EvidenceRecorder,
) -> None:
    api = release_contract.api
    if first_example.code is None or first_example.language is None:
        inconclusive(f"example '{first_example.id}' carries no code/language to send to the API")
    results = [
        check_health(http_session, api.health_path),
        check_version(http_session, api.version_path, target.expected_version),
        check_run(
            http_session,
            api.run_path,
            subject=f"example '{first_example.id}'",
            code=first_example.code,
            language=first_example.language,
            expected_output=first_example.expected_output,
            timeout_s=api.run_timeout_s,
        ),
    ]
    failed = record_all(results, evidence)
    assert not failed, "\n".join(r.failure_message() for r in failed)


@pytest.mark.checklist("deploy.verification.smoke-tests")
def test_security_headers_present(
    http_session: httpx.Client, release_contract: SiteContract, evidence: EvidenceRecorder
) -> None:
    result = record(check_headers_present(http_session, release_contract.pages.paths[0]), evidence)
    assert not result.failed, result.failure_message()

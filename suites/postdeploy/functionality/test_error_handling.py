"""Error handling works as expected: errors shown as errors, malformed requests get 4xx JSON."""

from __future__ import annotations

import httpx
import pytest

from pytest_release.check_outcome import record
from pytest_release.contract import SiteContract
from pytest_release.evidence import EvidenceRecorder
from pytest_release.probes.browser.example_page import ExamplePage
from pytest_release.probes.browser.run import check_error_display
from pytest_release.probes.run_api import check_malformed


@pytest.mark.checklist("post.functionality.error-handling")
def test_errors_shown_to_the_user(
    example_view: ExamplePage, page_url: str, evidence: EvidenceRecorder
) -> None:
    result = record(check_error_display(example_view, page_url), evidence)
    assert not result.failed, result.failure_message()


@pytest.mark.checklist("post.functionality.error-handling")
def test_api_rejects_malformed_requests(
    http: httpx.Client, release_contract: SiteContract, evidence: EvidenceRecorder
) -> None:
    api = release_contract.api
    result = record(
        check_malformed(http, api.run_path, api.max_body_bytes, api.run_timeout_s), evidence
    )
    assert not result.failed, result.failure_message()

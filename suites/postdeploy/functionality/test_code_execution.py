"""Code execution works: Run in the browser shows the expected output; the API per contract."""

from __future__ import annotations

import httpx
import pytest

from pytest_release.check_outcome import record
from pytest_release.contract import SiteContract
from pytest_release.evidence import EvidenceRecorder
from pytest_release.outcomes import inconclusive
from pytest_release.probes.browser.example_page import ExamplePage
from pytest_release.probes.browser.run import check_execution
from pytest_release.probes.discovery import DiscoveredExample
from pytest_release.probes.run_api import check_run


@pytest.mark.checklist("post.functionality.code-execution")
def test_run_in_browser(
    example_view: ExamplePage, page_url: str, evidence: EvidenceRecorder
) -> None:
    result = record(check_execution(example_view, page_url), evidence)
    assert not result.failed, result.failure_message()


@pytest.mark.checklist("post.functionality.code-execution")
def test_run_api(
    example: DiscoveredExample,
    http: httpx.Client,
    release_contract: SiteContract,
    evidence: EvidenceRecorder,
) -> None:
    if example.code is None or example.language is None:
        inconclusive(f"example '{example.id}' carries no code/language attributes to send")
    result = check_run(
        http,
        release_contract.api.run_path,
        subject=f"example '{example.id}'",
        code=example.code,
        language=example.language,
        expected_output=example.expected_output,
        timeout_s=release_contract.api.run_timeout_s,
    )
    record(result, evidence)
    assert not result.failed, result.failure_message()

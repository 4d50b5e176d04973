"""Local storage persistence works: edits survive a reload; reset asks, then forgets."""

from __future__ import annotations

import pytest

from pytest_release.check_outcome import record
from pytest_release.evidence import EvidenceRecorder
from pytest_release.probes.browser.editor import check_local_storage
from pytest_release.probes.browser.example_page import ExamplePage


@pytest.mark.checklist("post.functionality.local-storage")
def test_local_storage(
    example_view: ExamplePage, page_url: str, evidence: EvidenceRecorder
) -> None:
    result = record(check_local_storage(example_view, page_url), evidence)
    assert not result.failed, result.failure_message()

"""All buttons and controls function: copy, format, fullscreen, clear, theme, keyboard."""

from __future__ import annotations

import pytest

from pytest_release.check_outcome import record
from pytest_release.evidence import EvidenceRecorder
from pytest_release.probes.browser.controls import check_controls
from pytest_release.probes.browser.example_page import ExamplePage


@pytest.mark.checklist("post.functionality.controls")
def test_controls(example_view: ExamplePage, page_url: str, evidence: EvidenceRecorder) -> None:
    result = record(check_controls(example_view, page_url), evidence)
    assert not result.failed, result.failure_message()

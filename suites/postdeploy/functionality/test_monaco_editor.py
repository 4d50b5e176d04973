"""Monaco editor functions properly: mounted, shows the code, highlights, edits, undoes."""

from __future__ import annotations

import pytest

from pytest_release.check_outcome import record
from pytest_release.evidence import EvidenceRecorder
from pytest_release.probes.browser.editor import check_monaco
from pytest_release.probes.browser.example_page import ExamplePage


@pytest.mark.checklist("post.functionality.monaco-editor")
def test_monaco_editor(
    example_view: ExamplePage, page_url: str, evidence: EvidenceRecorder
) -> None:
    result = record(check_monaco(example_view, page_url), evidence)
    assert not result.failed, result.failure_message()

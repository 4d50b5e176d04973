"""Interactive examples load correctly: page 200, example and editor present, no JS errors."""

from __future__ import annotations

import pytest

from pytest_release.check_outcome import record
from pytest_release.evidence import EvidenceRecorder
from pytest_release.example_params import ExampleCase, fail_on_problem
from pytest_release.probes.browser.example_page import ExamplePage
from pytest_release.probes.browser.load import check_example_loads


@pytest.fixture
def example_case_checked(example_case: ExampleCase) -> ExampleCase:
    fail_on_problem(example_case)  # a page without examples fails this item, not the run
    return example_case


@pytest.mark.checklist("post.functionality.examples-load")
def test_example_loads(
    example_case_checked: ExampleCase,
    example_view: ExamplePage,
    page_url: str,
    evidence: EvidenceRecorder,
) -> None:
    result = record(check_example_loads(example_view, page_url), evidence)
    assert not result.failed, result.failure_message()

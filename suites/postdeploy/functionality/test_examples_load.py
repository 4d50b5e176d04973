"""Interactive examples load correctly: page 200, example and editor present, no JS errors.

Each page is loaded once per session in a fresh browser context (``page_visits``) and
every example on it is judged from that visit.
"""

from __future__ import annotations

import pytest

from pytest_release.check_outcome import record
from pytest_release.contract import SiteContract
from pytest_release.evidence import EvidenceRecorder
from pytest_release.example_params import ExampleCase, fail_on_problem
from pytest_release.probes.browser.load import PageVisits, judge_example
from pytest_release.target import Target


@pytest.mark.checklist("post.functionality.examples-load")
def test_example_loads(
    example_case: ExampleCase,
    page_visits: PageVisits,
    target: Target,
    release_contract: SiteContract,
    evidence: EvidenceRecorder,
) -> None:
    example = fail_on_problem(example_case)  # a page without examples fails this item
    visit = page_visits.get(target.join(example.page))
    evidence.attach("browser-log", dict(visit.log), "json")
    result = record(judge_example(visit, example.id, release_contract), evidence)
    if result.failed:
        if visit.page_screenshot is not None:
            evidence.attach("page-on-failure", visit.page_screenshot, "png")
        if visit.trace is not None:
            evidence.attach("playwright-trace", visit.trace, "trace")
    assert not result.failed, result.failure_message()

"""Functionality suite: every check runs once per interactive example on the configured pages.

Examples are discovered at collection time (``[tool.pytest_release.pages] paths``); the
test id is the example's ``data-example-id``. Each test gets a fresh browser context.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from pytest_release.browser import BrowserSettings, TraceMode
from pytest_release.browser_fixtures import BROWSER_SETTINGS_KEY
from pytest_release.contract import SiteContract
from pytest_release.example_params import ExampleCase, parametrize_examples, require_example
from pytest_release.probes.browser.example_page import ExamplePage
from pytest_release.probes.browser.load import PageVisits
from pytest_release.probes.browser.log import BrowserLog
from pytest_release.probes.discovery import DiscoveredExample
from pytest_release.target import Target


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    parametrize_examples(metafunc)


@pytest.fixture
def example(example_case: ExampleCase) -> DiscoveredExample:
    """The example under test (INCONCLUSIVE when the examples could not be listed)."""
    return require_example(example_case)


@pytest.fixture
def page_url(example: DiscoveredExample, target: Target) -> str:
    return target.join(example.page)


@pytest.fixture
def example_view(
    example: DiscoveredExample,
    release_page: Page,
    release_log: BrowserLog,
    release_contract: SiteContract,
) -> ExamplePage:
    """The example in a fresh browser page, with the contract's selectors."""
    return ExamplePage(release_page, release_contract, example.id, release_log)


@pytest.fixture(scope="session")
def page_visits(
    release_browser: Browser, release_contract: SiteContract, pytestconfig: pytest.Config
) -> PageVisits:
    """Each page loaded once per session, in its own fresh context (for 'examples load')."""
    settings = pytestconfig.stash.get(BROWSER_SETTINGS_KEY, BrowserSettings())
    trace = settings.trace is not TraceMode.OFF
    return PageVisits(release_browser, release_contract, trace, settings.trace_snapshots)

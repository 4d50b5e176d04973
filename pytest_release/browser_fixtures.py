"""Browser fixtures: one Chromium per session (per xdist worker), a fresh context per test.

Names are prefixed ``release_`` so they never shadow pytest-playwright's ``browser``,
``context`` and ``page``. When pytest-playwright is active its ``playwright`` instance is
shared (two sync Playwright drivers cannot run in one thread) and its ``--headed`` and
``--browser-channel`` options are honoured; this module adds no command-line options.
Evidence: the browser log of every test; on failure a full-page screenshot and, unless
``[tool.pytest_release.browser] trace = "off"``, the Playwright trace.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_release.browser import (
    BrowserConfigError,
    BrowserNotFound,
    BrowserSettings,
    Isolation,
    TraceMode,
    browser_settings,
    launch_chromium,
    launch_warm_profile,
)
from pytest_release.contract import ContractConfigError, SiteContract, site_contract
from pytest_release.evidence import EvidenceRecorder
from pytest_release.fixtures import target_provider
from pytest_release.keys import SETTINGS_KEY
from pytest_release.outcomes import inconclusive
from pytest_release.probes.browser.log import BrowserLog, origin
from pytest_release.target import Target

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright

BROWSER_SETTINGS_KEY = pytest.StashKey[BrowserSettings]()
CONTRACT_KEY = pytest.StashKey[SiteContract]()
_REPORTS_KEY = pytest.StashKey[dict[str, pytest.TestReport]]()
_WARM_KEY = pytest.StashKey["BrowserContext"]()
# What "fresh" means in the warm profile: all of the site's data, none of the caches.
_SITE_DATA = "cookies,local_storage,indexeddb,websql,service_workers,cache_storage,file_systems"
HEADED_ENV = "PYTEST_RELEASE_HEADED"
_KEEPER_NAME = "release-report-keeper"


def pytest_configure(config: pytest.Config) -> None:
    """Validate [tool.pytest_release.browser|pages|selectors|api] once, at start-up."""
    settings = config.stash.get(SETTINGS_KEY, None)
    if settings is None:
        return
    headed = bool(config.getoption("headed", False)) or os.environ.get(HEADED_ENV, "") in {
        "1",
        "true",
        "yes",
    }
    channel = config.getoption("browser_channel", None)
    try:
        config.stash[BROWSER_SETTINGS_KEY] = browser_settings(
            settings.section("browser"), headed=headed, channel=channel
        )
        config.stash[CONTRACT_KEY] = site_contract(
            settings.section("pages"), settings.section("selectors"), settings.section("api")
        )
    except (BrowserConfigError, ContractConfigError) as exc:
        raise pytest.UsageError(f"pytest-release: {exc}") from None


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Start resolving the target (booting the reference) while the first fixtures set up."""
    config = session.config
    if SETTINGS_KEY not in config.stash or config.option.collectonly:
        return
    if any("target" in getattr(item, "fixturenames", ()) for item in session.items):
        target_provider(config).prestart()


class _ReportKeeper:
    """Keeps each phase's report on the item, so fixture teardown knows whether it failed.

    Registered by the first browser fixture that needs it (its setup runs before that test's
    setup report is made), so runs without browser tests pay nothing per test.
    """

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        item.stash.setdefault(_REPORTS_KEY, {})[report.when] = report
        return report


def _keep_reports(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin(_KEEPER_NAME):
        config.pluginmanager.register(_ReportKeeper(), _KEEPER_NAME)


def node_failed(node: pytest.Item) -> bool:
    """Whether setup or the test itself failed (read in fixture teardown).

    Only for nodes whose fixtures called ``_keep_reports`` during their setup.
    """
    reports = node.stash.get(_REPORTS_KEY, {})
    return any(r.failed for r in reports.values())


def _browser_settings(config: pytest.Config) -> BrowserSettings:
    return config.stash.get(BROWSER_SETTINGS_KEY, BrowserSettings())


@pytest.fixture(scope="session")
def release_contract(pytestconfig: pytest.Config) -> SiteContract:
    """The target contract's conventions with the project's overrides."""
    return pytestconfig.stash.get(CONTRACT_KEY, SiteContract())


@pytest.fixture(scope="session")
def release_playwright(request: pytest.FixtureRequest) -> Iterator[Playwright]:
    """The Playwright driver: pytest-playwright's when it is active, else our own."""
    if request.config.pluginmanager.hasplugin("playwright"):
        shared: Playwright = request.getfixturevalue("playwright")
        yield shared
        return
    from playwright.sync_api import Error, sync_playwright

    try:
        driver = sync_playwright().start()
    except Error as exc:
        inconclusive(f"Playwright did not start: {str(exc).splitlines()[0]}")
    try:
        yield driver
    finally:
        driver.stop()


@pytest.fixture(scope="session")
def release_browser(
    release_playwright: Playwright, pytestconfig: pytest.Config
) -> Iterator[Browser]:
    """Chromium, launched once per session; INCONCLUSIVE (with the fix) when there is none."""
    from playwright.sync_api import Error

    settings = _browser_settings(pytestconfig)
    profile = Path(tempfile.mkdtemp(prefix="pytest-release-profile-"))
    warm: BrowserContext | None = None
    try:
        if settings.isolation is Isolation.STORAGE:
            warm = launch_warm_profile(release_playwright, settings, profile)
            browser = warm.browser
            if browser is None:  # not a normal Chromium: no fresh contexts next to the profile
                inconclusive("this browser cannot open contexts next to a persistent profile")
            pytestconfig.stash[_WARM_KEY] = warm
        else:
            browser = launch_chromium(release_playwright, settings)
    except BrowserNotFound as exc:
        shutil.rmtree(profile, ignore_errors=True)
        inconclusive(f"the browser checks need Chromium: {exc}")
    except Error as exc:
        shutil.rmtree(profile, ignore_errors=True)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        inconclusive(
            f"Chromium did not start ({first}); try PYTEST_RELEASE_HEADED unset, another "
            "executable via PYTEST_RELEASE_CHROMIUM, or [tool.pytest_release.browser] args"
        )
    try:
        yield browser
    finally:
        if warm is not None:
            warm.close()
        browser.close()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def release_context(
    request: pytest.FixtureRequest,
    release_browser: Browser,
    target: Target,
    evidence: EvidenceRecorder,
) -> Iterator[BrowserContext]:
    """A fresh browser context on the target (or the warm profile), traced for evidence."""
    _keep_reports(request.config)
    settings = _browser_settings(request.config)
    warm = request.config.stash.get(_WARM_KEY, None)
    if warm is not None:
        context = warm
        context.clear_cookies()
        context.clear_permissions()
    else:
        context = release_browser.new_context(
            base_url=target.url,
            viewport={"width": settings.viewport[0], "height": settings.viewport[1]},
        )
    context.set_default_timeout(settings.timeout_s * 1000)
    tracing = settings.trace is not TraceMode.OFF
    if tracing:
        context.tracing.start(snapshots=settings.trace_snapshots)
    try:
        yield context
    finally:
        keep = settings.trace is TraceMode.ON or node_failed(request.node)
        try:
            if tracing and keep:
                _attach_trace(context, evidence)
            elif tracing:
                context.tracing.stop()
        finally:
            if warm is None:
                context.close()


def _attach_trace(context: BrowserContext, evidence: EvidenceRecorder) -> None:
    with tempfile.TemporaryDirectory(prefix="pytest-release-trace-") as folder:
        path = Path(folder) / "trace.zip"
        context.tracing.stop(path=str(path))
        # Open with `playwright show-trace <file>` or https://trace.playwright.dev
        evidence.attach("playwright-trace", path.read_bytes(), "trace")


def _clear_site_data(context: BrowserContext, page: Page, url: str) -> None:
    """Forget everything the target stored in the warm profile (its caches stay)."""
    session = context.new_cdp_session(page)
    try:
        session.send(
            "Storage.clearDataForOrigin",
            {"origin": origin(url), "storageTypes": _SITE_DATA},
        )
    finally:
        session.detach()


@pytest.fixture
def release_log(release_contract: SiteContract) -> BrowserLog:
    """Console messages, uncaught errors and failed requests of ``release_page``."""
    return BrowserLog(watch_paths=(release_contract.api.run_path,))


@pytest.fixture
def release_page(
    request: pytest.FixtureRequest,
    release_context: BrowserContext,
    target: Target,
    release_log: BrowserLog,
    evidence: EvidenceRecorder,
) -> Iterator[Page]:
    """A page in a fresh context; its browser log is evidence, and a screenshot on failure."""
    _keep_reports(request.config)
    page = release_context.new_page()
    warm = request.config.stash.get(_WARM_KEY, None) is release_context
    if warm:
        _clear_site_data(release_context, page, target.url)
    release_log.attach(page)
    try:
        yield page
    finally:
        if node_failed(request.node):
            try:
                evidence.attach("page-on-failure", page.screenshot(full_page=True), "png")
            except Exception as exc:  # a crashed page still deserves its log below
                evidence.attach("page-on-failure-screenshot-error", str(exc), "text")
        evidence.attach("browser-log", release_log.to_json(), "json")
        if warm:
            page.close()  # fresh contexts close with their page; the warm profile stays

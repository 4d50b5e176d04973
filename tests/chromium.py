"""A real Chromium for the tests that open rendered HTML: found and launched as the plugin does."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pytest_release.browser import BrowserNotFound, BrowserSettings, find_chromium, launch_chromium


def chromium_browser() -> Iterator[Any]:
    """Yield a launched Chromium (the standard flags); skip the test when there is none."""
    try:
        find_chromium()
    except BrowserNotFound as exc:
        pytest.skip(f"needs Chromium: {exc}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright, BrowserSettings())
        yield browser
        browser.close()

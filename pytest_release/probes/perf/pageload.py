"""Page load: N cold loads of a page in real Chromium, navigation timing per load.

Each load gets a fresh browser context (empty cache, no storage), so every load is what a
first-time visitor gets. Per load: TTFB, DOMContentLoaded, load event and LCP from the
Navigation/Paint Timing APIs, bytes transferred (navigation + resources), and the time the
Monaco editors were mounted (all examples on the page have an editor). The budgets judge
the median over the loads.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pytest_release.contract import SiteContract
from pytest_release.probes.perf.stats import median

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

# LCP is only reported to observers; record the latest candidate from the very start.
_LCP_INIT = """
window.__releaseLcp = null;
try {
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) { window.__releaseLcp = entry.startTime; }
  }).observe({type: 'largest-contentful-paint', buffered: true});
} catch (e) { /* no LCP in this browser: the budget then has no samples */ }
"""
_EDITORS_READY = """(a) => {
    const roots = document.querySelectorAll(a.example);
    if (!roots.length) { return false; }
    const editors = (window.monaco && window.monaco.editor && window.monaco.editor.getEditors)
        ? window.monaco.editor.getEditors() : [];
    return editors.length >= roots.length;
}"""
_TIMING = """() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const resources = performance.getEntriesByType('resource');
    const bytes = (nav ? nav.transferSize : 0)
        + resources.reduce((sum, r) => sum + (r.transferSize || 0), 0);
    return {
        ttfb_ms: nav ? nav.responseStart - nav.startTime : null,
        dom_content_loaded_ms: nav ? nav.domContentLoadedEventEnd - nav.startTime : null,
        load_ms: nav && nav.loadEventEnd > 0 ? nav.loadEventEnd - nav.startTime : null,
        lcp_ms: window.__releaseLcp,
        transfer_kb: bytes / 1024,
        resources: resources.length,
    };
}"""
METRICS = (
    "ttfb_ms",
    "dom_content_loaded_ms",
    "load_ms",
    "lcp_ms",
    "monaco_ready_ms",
    "transfer_kb",
)


@dataclass(frozen=True, slots=True)
class PageLoad:
    """One cold load: each metric, or None when the browser did not report it."""

    url: str
    status: int | None
    metrics: Mapping[str, float | None]
    error: str | None = None


@dataclass(frozen=True, slots=True)
class PageLoadResult:
    """Every load of one page."""

    path: str
    loads: tuple[PageLoad, ...]

    def budget_samples(self) -> dict[str, list[float]]:
        """Per metric, the values of the loads that reported it (a 5xx page reports nothing)."""
        samples: dict[str, list[float]] = {m: [] for m in METRICS}
        for load in self.loads:
            if load.status is None or load.status >= 400:
                continue
            for metric in METRICS:
                value = load.metrics.get(metric)
                if value is not None:
                    samples[metric].append(float(value))
        return samples

    def medians(self) -> dict[str, float | None]:
        return {m: median(v) for m, v in self.budget_samples().items()}

    def summary(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "loads": [
                {"status": x.status, "error": x.error, **dict(x.metrics)} for x in self.loads
            ],
            "median": self.medians(),
        }


def cold_load(browser: Browser, contract: SiteContract, url: str) -> PageLoad:
    """Load ``url`` once in a fresh context and read its timings."""
    context = browser.new_context()
    context.add_init_script(_LCP_INIT)
    try:
        page = context.new_page()
        try:
            response = page.goto(
                url, wait_until="load", timeout=contract.pages.ready_timeout_s * 1000
            )
        except Exception as exc:  # a timeout or a refused connection is a failed load
            return PageLoad(url, None, {}, f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
        status = response.status if response is not None else None
        ready = _monaco_ready_ms(page, contract)
        # LCP settles after the load event; give the observer one frame or two.
        page.wait_for_timeout(100)
        timing: dict[str, Any] = page.evaluate(_TIMING)
        metrics = {m: _number(timing.get(m)) for m in METRICS if m != "monaco_ready_ms"}
        metrics["monaco_ready_ms"] = ready
        return PageLoad(url, status, metrics)
    finally:
        context.close()


def _monaco_ready_ms(page: Page, contract: SiteContract) -> float | None:
    """performance.now() when every example has a mounted editor; None if they never do."""
    address = {"example": contract.selectors.example}
    deadline = time.monotonic() + contract.pages.ready_timeout_s
    while time.monotonic() < deadline:
        if page.evaluate(_EDITORS_READY, address):
            return float(page.evaluate("() => performance.now()"))
        page.wait_for_timeout(25)
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def measure_page(
    browser: Browser, contract: SiteContract, base_url: str, path: str, loads: int
) -> PageLoadResult:
    """``loads`` cold loads of one page."""
    url = base_url.rstrip("/") + path
    return PageLoadResult(path, tuple(cold_load(browser, contract, url) for _ in range(loads)))


def measure_pages(
    browser: Browser, contract: SiteContract, base_url: str, paths: Sequence[str], loads: int
) -> list[PageLoadResult]:
    return [measure_page(browser, contract, base_url, p, loads) for p in paths]

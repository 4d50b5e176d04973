"""Check: the interactive examples load correctly.

A page is visited once, in its own fresh browser context, and every example on it is
judged from that one visit: what a visitor's browser saw when the page loaded (status,
uncaught errors, failed requests, console errors, editors mounted) belongs to the page,
and loading Monaco once per example would only repeat the same observation.
"""

from __future__ import annotations

import contextlib
import dataclasses
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pytest_release.contract import SiteContract
from pytest_release.probes.browser.example_page import POLL_MS, SETTLED_S, ExamplePage
from pytest_release.probes.browser.log import BrowserLog
from pytest_release.probes.findings import CheckResult, Findings

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

CHECK = "Interactive examples load correctly"

_COUNT = """(a) => {
    const roots = Array.from(document.querySelectorAll(a.example));
    const editors = (window.monaco && window.monaco.editor && window.monaco.editor.getEditors)
        ? window.monaco.editor.getEditors() : [];
    const mounted = roots.filter((r) => editors.some((e) => r.contains(e.getContainerDomNode())));
    return {
        ids: roots.map((r) => r.getAttribute(a.idAttr)),
        mounted: mounted.length,
        loaded: document.readyState === 'complete',
    };
}"""


@dataclass(frozen=True, slots=True)
class PageVisit:
    """What one fresh browser saw while loading a page of examples."""

    url: str
    status: int | None
    examples: Mapping[str, Mapping[str, Any]]
    page_errors: tuple[str, ...]
    failed_requests: tuple[str, ...]
    console_errors: tuple[str, ...]
    log: Mapping[str, Any] = field(repr=False)
    screenshots: Mapping[str, bytes] = field(repr=False)
    page_screenshot: bytes | None = field(default=None, repr=False)
    trace: bytes | None = field(default=None, repr=False)

    @property
    def clean(self) -> bool:
        mounted = all(state.get("mounted") for state in self.examples.values())
        return (
            self.status == 200
            and mounted
            and not self.page_errors
            and not self.failed_requests
            and not self.console_errors
        )


def _wait_for_editors(
    page: Page, log: BrowserLog, address: Mapping[str, str], timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        counts = page.evaluate(_COUNT, dict(address))
        if counts["ids"] and counts["mounted"] >= len(counts["ids"]):
            return
        if counts["loaded"] and log.idle_for() >= SETTLED_S:
            return  # loaded, quiet, and still no editors: they are not coming
        page.wait_for_timeout(POLL_MS)


def visit_page(
    browser: Browser,
    contract: SiteContract,
    url: str,
    trace: bool = True,
    snapshots: bool = False,
) -> PageVisit:
    """Load ``url`` in a fresh context and record everything the examples-load check needs."""
    context = browser.new_context()
    if trace:
        context.tracing.start(snapshots=snapshots)
    try:
        page = context.new_page()
        log = BrowserLog(watch_paths=(contract.api.run_path,))
        log.attach(page)
        probe = ExamplePage(page, contract, "", log)
        status = probe.open(url)
        _wait_for_editors(page, log, probe.address, contract.pages.ready_timeout_s)
        probe.wait_settled(3.0)  # errors from late scripts and workers count too
        ids = [str(i) for i in page.evaluate(_COUNT, probe.address)["ids"] if i]
        states: dict[str, Mapping[str, Any]] = {}
        shots: dict[str, bytes] = {}
        for example_id in ids:
            view = ExamplePage(page, contract, example_id, log)
            states[example_id] = view.state()
            shot = view.screenshot()
            if shot is not None:
                shots[example_id] = shot
        visit = PageVisit(
            url=url,
            status=status,
            examples=states,
            page_errors=tuple(log.page_errors),
            failed_requests=tuple(f.describe() for f in log.failed_same_origin(url)),
            console_errors=tuple(c.text for c in log.console_errors()),
            log=log.to_json(),
            screenshots=shots,
        )
        if visit.clean:
            return visit
        return _with_failure_evidence(visit, page, context if trace else None)
    finally:
        if trace:
            with contextlib.suppress(Exception):  # stopped already when the trace was saved
                context.tracing.stop()
        context.close()


def _with_failure_evidence(
    visit: PageVisit, page: Page, traced: BrowserContext | None
) -> PageVisit:
    """Something is wrong: keep a full-page screenshot and the Playwright trace."""
    try:
        shot: bytes | None = page.screenshot(full_page=True)
    except Exception:  # a crashed page: the log still tells the story
        shot = None
    trace: bytes | None = None
    if traced is not None:
        with tempfile.TemporaryDirectory(prefix="pytest-release-trace-") as folder:
            path = Path(folder) / "trace.zip"
            traced.tracing.stop(path=str(path))
            trace = path.read_bytes()
    return dataclasses.replace(visit, page_screenshot=shot, trace=trace)


class PageVisits:
    """One visit per page URL for the session (per xdist worker)."""

    def __init__(
        self,
        browser: Browser,
        contract: SiteContract,
        trace: bool = True,
        snapshots: bool = False,
    ) -> None:
        self._browser = browser
        self._contract = contract
        self._trace = trace
        self._snapshots = snapshots
        self._visits: dict[str, PageVisit] = {}

    def get(self, url: str) -> PageVisit:
        if url not in self._visits:
            self._visits[url] = visit_page(
                self._browser, self._contract, url, self._trace, self._snapshots
            )
        return self._visits[url]


def _short(items: tuple[str, ...], limit: int = 4) -> str:
    shown = "; ".join(items[:limit])
    return shown + (f" (and {len(items) - limit} more)" if len(items) > limit else "")


def judge_example(visit: PageVisit, example_id: str, contract: SiteContract) -> CheckResult:
    """Page 200, the example and its editor present, no JS error, no failed request."""
    found = Findings()
    path = urlsplit(visit.url).path or "/"
    subject = f"example '{example_id}' on {path}"
    shot = visit.screenshots.get(example_id)
    found.check(
        visit.status == 200,
        "page status",
        f"{path} answered HTTP {visit.status} instead of 200",
        f"{path} answered 200",
    )
    state = visit.examples.get(example_id)
    if state is None:
        found.problem(
            "example on the page",
            f"there is no {contract.selectors.example} with id '{example_id}' on {path} in the "
            "browser: the page no longer renders this example",
        )
        return found.result(CHECK, subject, shot or visit.page_screenshot)
    found.check(
        bool(state.get("hasEditorBox")),
        "editor container",
        f"the example has no editor container ({contract.selectors.editor})",
    )
    found.check(
        bool(state.get("mounted")),
        "editor loaded",
        f"no code editor appeared in the example (its status line says "
        f"'{state.get('status') or 'nothing'}'); check that the editor's scripts are deployed "
        "and load without errors",
        "Monaco is mounted",
    )
    found.check(
        not visit.page_errors,
        "no uncaught JavaScript errors",
        f"the page threw {len(visit.page_errors)} uncaught error(s): "
        f"{_short(visit.page_errors)}; fix the script named in the browser log (evidence)",
    )
    found.check(
        not visit.failed_requests,
        "no failed requests",
        f"{len(visit.failed_requests)} request(s) to the site failed: "
        f"{_short(visit.failed_requests)}; deploy the missing files or remove the references",
    )
    found.check(
        not visit.console_errors,
        "no console errors",
        f"the browser console shows {len(visit.console_errors)} error(s): "
        f"{_short(visit.console_errors)}",
    )
    return found.result(CHECK, subject, shot)

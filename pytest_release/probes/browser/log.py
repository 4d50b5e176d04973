"""What a page did while a check ran: console messages, uncaught errors, failed requests."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Page, Request, Response


@dataclass(frozen=True, slots=True)
class ConsoleEntry:
    type: str
    text: str
    location: str


@dataclass(frozen=True, slots=True)
class FailedRequest:
    """A request that got no answer (``failure``) or an HTTP error status (``status``)."""

    method: str
    url: str
    resource_type: str
    status: int | None = None
    failure: str | None = None

    def describe(self) -> str:
        why = f"HTTP {self.status}" if self.status is not None else (self.failure or "failed")
        return f"{self.method} {self.url} ({self.resource_type}): {why}"


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One answered request to a path the checks watch (e.g. the run API)."""

    method: str
    url: str
    status: int
    body: str


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass  # no slots: Playwright keeps bookkeeping attributes on bound-method handlers
class BrowserLog:
    """Listens to one page; ``to_json()`` is the evidence a person reads after a failure."""

    watch_paths: tuple[str, ...] = ()
    console: list[ConsoleEntry] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed: list[FailedRequest] = field(default_factory=list)
    api_calls: list[ApiCall] = field(default_factory=list)
    in_flight: int = 0
    _api_index: dict[int, int] = field(default_factory=dict, repr=False)
    last_activity: float = field(default_factory=time.monotonic)

    def attach(self, page: Page) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", self._on_page_error)
        page.on("request", self._on_request)
        page.on("response", self._on_response)
        page.on("requestfinished", self._on_finished)
        page.on("requestfailed", self._on_failed)

    def _on_console(self, message: ConsoleMessage) -> None:
        where = message.location
        location = f"{where.get('url', '')}:{where.get('lineNumber', 0)}" if where else ""
        self.console.append(ConsoleEntry(message.type, message.text, location))

    def _on_page_error(self, error: Any) -> None:
        self.page_errors.append(f"{getattr(error, 'name', 'Error')}: {error}")

    def _on_request(self, request: Request) -> None:
        self.in_flight += 1
        self.last_activity = time.monotonic()

    def _on_response(self, response: Response) -> None:
        request = response.request
        if response.status >= 400:
            self.failed.append(
                FailedRequest(request.method, request.url, request.resource_type, response.status)
            )
        # Recorded at the response (not when the body finished) so a check that already
        # sees the page's reaction also sees the API status that caused it.
        if urlsplit(request.url).path in self.watch_paths:
            self._api_index[id(request)] = len(self.api_calls)
            self.api_calls.append(ApiCall(request.method, request.url, response.status, ""))

    def _on_finished(self, request: Request) -> None:
        self._done()
        index = self._api_index.pop(id(request), None)
        if index is None:
            return
        response: Response | None = request.response()
        try:
            body = response.text() if response is not None else ""
        except Exception:  # the body may be gone after a navigation
            return
        call = self.api_calls[index]
        self.api_calls[index] = ApiCall(call.method, call.url, call.status, body)

    def _on_failed(self, request: Request) -> None:
        self._done()
        failure = request.failure or "failed"
        if "ERR_ABORTED" in failure and request.resource_type == "document":
            return  # a navigation replaced by another one (reload), not a broken request
        if any(f.url == request.url and f.status is not None for f in self.failed):
            return  # already recorded with its HTTP status (the browser then refused the body)
        self.failed.append(
            FailedRequest(request.method, request.url, request.resource_type, failure=failure)
        )

    def _done(self) -> None:
        self.in_flight = max(0, self.in_flight - 1)
        self.last_activity = time.monotonic()

    def idle_for(self) -> float:
        """Seconds since the last request started or ended (0 while requests are open)."""
        return 0.0 if self.in_flight else time.monotonic() - self.last_activity

    def console_errors(self) -> list[ConsoleEntry]:
        return [c for c in self.console if c.type == "error"]

    def failed_same_origin(self, base_url: str) -> list[FailedRequest]:
        home = origin(base_url)
        return [f for f in self.failed if origin(f.url) == home]

    def mark(self) -> tuple[int, int, int]:
        """A position in the log, to ask later what happened after it."""
        return len(self.console), len(self.page_errors), len(self.failed)

    def errors_since(self, mark: tuple[int, int, int]) -> list[str]:
        """Uncaught errors and console errors logged after ``mark``."""
        console = [c.text for c in self.console[mark[0] :] if c.type == "error"]
        return [*self.page_errors[mark[1] :], *console]

    def to_json(self) -> dict[str, Any]:
        return {
            "page_errors": list(self.page_errors),
            "console": [
                {"type": c.type, "text": c.text, "location": c.location} for c in self.console
            ],
            "failed_requests": [f.describe() for f in self.failed],
            "api_calls": [
                {"method": a.method, "url": a.url, "status": a.status, "body": a.body[:2000]}
                for a in self.api_calls
            ],
        }

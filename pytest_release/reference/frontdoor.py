"""The front door: the outermost ASGI middleware every HTTP request passes through.

It gives each request an id (``X-Request-ID``), times and counts it, logs one access
line, adds the security headers, strips version banners, answers for maintenance mode,
and turns any unhandled exception into a generic 500 that carries the request id and
no stack trace (the stack trace goes to the log).
"""

from __future__ import annotations

import json
import logging
import re
import time
import traceback
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pytest_release.reference.context import AppContext
from pytest_release.reference.logging_json import get_logger, log_event, request_id_var
from pytest_release.reference.maintenance import MaintenanceState
from pytest_release.reference.rendering import Renderer
from pytest_release.reference.security import security_headers

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# Paths that keep answering in maintenance mode: operations, the status page, assets.
_MAINTENANCE_EXEMPT = ("/healthz", "/status", "/status.html", "/version", "/metrics", "/favicon")
_MAINTENANCE_EXEMPT_PREFIXES = ("/static/", "/admin")
_LEAK_CHUNK = 256 * 1024

logger = get_logger("http")
# The memory-leak fault keeps every chunk here on purpose; nothing ever clears it.
_LEAKED: list[bytes] = []


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def _wants_json(scope: Scope, api_path: str) -> bool:
    path = scope.get("path", "")
    if path.startswith("/api/") or path == api_path:
        return True
    accept = _header(scope, b"accept") or ""
    return "application/json" in accept and "text/html" not in accept


class FrontDoor:
    """See the module docstring."""

    def __init__(self, app: ASGIApp, *, context: AppContext, renderer: Renderer) -> None:
        self.app = app
        self.ctx = context
        self.settings = context.settings
        self.renderer = renderer
        banner = self.settings.has("server-banner")
        self._strip = set() if banner else {b"server", b"x-powered-by"}
        self._plain_headers = security_headers(self.settings, tls=False)
        self._tls_headers = security_headers(self.settings, tls=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        extra = self._tls_headers if scope.get("scheme") == "https" else self._plain_headers
        extra = [*extra, (b"x-request-id", request_id.encode("latin-1"))]
        response: dict[str, Any] = {"status": 500, "started": False}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                response["started"] = True
                response["status"] = message["status"]
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() not in self._strip
                ]
                message = {**message, "headers": [*headers, *extra]}
            await send(message)

        if self.settings.has("memory-leak"):
            _LEAKED.append(b"\x5a" * _LEAK_CHUNK)  # written bytes: the pages really count in RSS
        self.ctx.metrics.in_flight.inc()
        try:
            state = self.ctx.maintenance.current()
            self.ctx.metrics.maintenance.set(1 if state.enabled else 0)
            if state.enabled and self._blocked_by_maintenance(scope):
                response["maintenance"] = True
                await self._send_maintenance(scope, state, send_wrapper)
            else:
                await self.app(scope, receive, send_wrapper)
        except Exception as exc:
            await self._handle_unhandled(scope, exc, request_id, response, send_wrapper)
        finally:
            self.ctx.metrics.in_flight.dec()
            self._account(
                scope,
                int(response["status"]),
                time.perf_counter() - started,
                planned=bool(response.get("maintenance")),
            )
            request_id_var.reset(token)

    def _blocked_by_maintenance(self, scope: Scope) -> bool:
        path: str = scope.get("path", "")
        return not (path in _MAINTENANCE_EXEMPT or path.startswith(_MAINTENANCE_EXEMPT_PREFIXES))

    async def _send_maintenance(self, scope: Scope, state: MaintenanceState, send: Send) -> None:
        retry = str(state.retry_after_s).encode()
        if _wants_json(scope, self.settings.api_path):
            body = json.dumps({"error": "maintenance", "message": state.message}).encode()
            content_type = b"application/json"
        else:
            html = self.renderer.render(
                "maintenance.html", state=state, title="Down for maintenance", maintenance=state
            )
            body = html.encode()
            content_type = b"text/html; charset=utf-8"
        headers = [(b"retry-after", retry), (b"cache-control", b"no-store")]
        await _send_simple(send, 503, body, content_type, headers)

    async def _handle_unhandled(
        self,
        scope: Scope,
        exc: Exception,
        request_id: str,
        response: dict[str, Any],
        send: Send,
    ) -> None:
        self.ctx.metrics.errors.labels(kind="unhandled").inc()
        if not self.settings.has("no-error-log"):
            log_event(
                logger,
                "unhandled-error",
                level=logging.ERROR,
                exc_info=True,
                method=scope.get("method"),
                path=scope.get("path"),
                error_type=type(exc).__name__,
            )
        if response["started"]:
            return  # headers are out; the client sees a cut response, the log has the cause
        if self.settings.has("stack-trace"):
            trace = "".join(traceback.format_exception(exc))
            page = (
                "<!doctype html><title>500 Internal Server Error</title>"
                f"<h1>{type(exc).__name__}</h1><pre>{_escape(trace)}</pre>"
            )
            await _send_simple(send, 500, page.encode(), b"text/html; charset=utf-8", [])
            return
        if _wants_json(scope, self.settings.api_path):
            body = json.dumps({"error": "internal server error", "request_id": request_id})
            await _send_simple(send, 500, body.encode(), b"application/json", [])
            return
        html = self.renderer.render(
            "error.html",
            state=self.ctx.maintenance.current(),
            title="Something went wrong",
            heading="Something went wrong",
            message="The error has been logged. Quote the reference below if you report it.",
            request_id=request_id,
        )
        await _send_simple(send, 500, html.encode(), b"text/html; charset=utf-8", [])

    def _account(self, scope: Scope, status: int, seconds: float, *, planned: bool = False) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) if route is not None else None
        label = template or ("unmatched" if status == 404 else "other")
        method = str(scope.get("method", "GET"))
        self.ctx.metrics.requests.labels(method=method, route=label, status=str(status)).inc()
        self.ctx.metrics.latency.labels(method=method, route=label).observe(seconds)
        if status >= 400 and self.settings.has("no-error-log"):
            return
        level = (
            logging.ERROR if status >= 500 else logging.WARNING if status >= 400 else logging.INFO
        )
        if planned:  # the maintenance page is the plan working, not an error
            level = logging.INFO
        log_event(
            logger,
            "request",
            level=level,
            method=method,
            path=scope.get("path"),
            route=label,
            status=status,
            duration_ms=round(seconds * 1000, 2),
        )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


async def _send_simple(
    send: Send,
    status: int,
    body: bytes,
    content_type: bytes,
    headers: list[tuple[bytes, bytes]],
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})

"""Operations endpoints: /healthz, /version, /metrics, /status(.html), /admin.

These keep answering in maintenance mode (the front door exempts them), because that is
when the people running a deployment need them most.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from pytest_release.reference.cache import cache_generation
from pytest_release.reference.context import AppContext, check_sandbox
from pytest_release.reference.logging_json import get_logger, log_event
from pytest_release.reference.maintenance import MaintenanceState, window_json
from pytest_release.reference.rendering import Renderer
from pytest_release.reference.security import basic_auth_ok

STALE_VERSION = ("0.0.0-stale", "0000000")
logger = get_logger("ops")


def _check(ok: bool, detail: str, **extra: Any) -> dict[str, Any]:
    return {"ok": ok, "detail": detail, **extra}


def database_checks(ctx: AppContext) -> dict[str, dict[str, Any]]:
    """Database reachability and migration state (blocking: run in a thread)."""
    checks: dict[str, dict[str, Any]] = {}
    try:
        ctx.database.ping()
        checks["db"] = _check(True, "reachable", backend=ctx.database.backend)
    except Exception as exc:  # any driver error means "not reachable"; the type says which
        checks["db"] = _check(False, f"{type(exc).__name__}: cannot query the database")
        checks["migrations"] = _check(False, "unknown: database unreachable")
        return checks
    status = ctx.database.migration_status()
    detail = (
        "at head"
        if status.at_head
        else "not at head: run the migrations (restart the server, or `alembic upgrade head`)"
    )
    checks["migrations"] = _check(
        status.at_head, detail, current=list(status.current), head=list(status.head)
    )
    return checks


def status_payload(ctx: AppContext, state: MaintenanceState, renderer: Renderer) -> dict[str, Any]:
    """The public status: operational or maintenance, with the message users should read."""
    window = renderer.upcoming_window(state)
    message = state.message if state.enabled else "All systems operational."
    return {
        "status": "maintenance" if state.enabled else "operational",
        "message": message,
        "since": state.since.isoformat() if state.enabled and state.since else None,
        "window": window_json(window),
        "version": version_of(ctx)[0],
        "checked": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def version_of(ctx: AppContext) -> tuple[str, str]:
    """(version, commit) as served; the wrong-version fault serves a stale pair."""
    if ctx.settings.has("wrong-version"):
        return STALE_VERSION
    return ctx.settings.version, ctx.settings.commit


def dashboard_html(ctx: AppContext) -> str:
    """The operations dashboard: the figures on-call people look at first, from /metrics."""
    totals: dict[str, float] = {}
    for family in ctx.metrics.registry.collect():
        for sample in family.samples:
            if sample.name.endswith("_created"):
                continue
            if sample.name == "http_requests_total" and sample.labels["status"].startswith("5"):
                totals["server_errors"] = totals.get("server_errors", 0.0) + sample.value
            totals[sample.name] = totals.get(sample.name, 0.0) + sample.value
    count = totals.get("http_request_duration_seconds_count", 0.0)
    mean_ms = 1000 * totals.get("http_request_duration_seconds_sum", 0.0) / count if count else 0.0
    panels = (
        ("requests", f"{totals.get('http_requests_total', 0.0):.0f}"),
        ("server-errors", f"{totals.get('server_errors', 0.0):.0f}"),
        ("mean-latency", f"{mean_ms:.1f} ms"),
        ("code-executions", f"{totals.get('code_executions_total', 0.0):.0f}"),
        ("app-errors", f"{totals.get('app_errors_total', 0.0):.0f}"),
        ("maintenance", "on" if ctx.maintenance.current().enabled else "off"),
    )
    rows = "".join(
        f'<tr class="panel" data-panel="{key}"><th>{key}</th><td>{value}</td></tr>'
        for key, value in panels
    )
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Dashboard</title></head>"
        f"<body><h1>Operations dashboard</h1><table>{rows}</table>"
        '<p><a href="/metrics">/metrics</a> · <a href="/status.html">status</a></p></body></html>'
    )


def ops_routes(ctx: AppContext, renderer: Renderer) -> list[Route]:
    """The operations routes."""

    async def healthz(request: Request) -> Response:
        checks = await asyncio.to_thread(database_checks, ctx)
        try:
            await asyncio.to_thread(ctx.cache.cache.ping)
            generation = await asyncio.to_thread(cache_generation, ctx.cache.cache)
            checks["cache"] = _check(
                True, ctx.cache.note, backend=ctx.cache.cache.backend, generation=generation
            )
        except Exception as exc:  # a cache that cannot store is a failed check, not a crash
            checks["cache"] = _check(False, f"{type(exc).__name__}: {ctx.cache.note}")
        # The Sandbox caches its self-test for a few seconds, so polling /healthz stays cheap.
        sandbox = await asyncio.to_thread(check_sandbox, ctx.runner)
        ctx.sandbox_check = sandbox
        checks["sandbox"] = _check(
            sandbox.ok,
            sandbox.detail,
            mechanism=ctx.mechanism,
            languages=list(ctx.runner.languages),
            checked_at=datetime.fromtimestamp(sandbox.checked_at, UTC).isoformat(),
        )
        healthy = all(check["ok"] for check in checks.values())
        state = ctx.maintenance.current()
        body = {
            "status": "ok" if healthy else "fail",
            "checks": checks,
            "maintenance": state.enabled,
            "version": version_of(ctx)[0],
            "uptime_s": round(time.time() - ctx.started_at, 1),
        }
        return JSONResponse(body, status_code=200 if healthy else 503)

    async def version(request: Request) -> Response:
        number, commit = version_of(ctx)
        return JSONResponse({"version": number, "commit": commit})

    async def metrics(request: Request) -> Response:
        if ctx.settings.has("metrics-missing"):
            return JSONResponse({"error": "not found"}, status_code=404)
        number, commit = version_of(ctx)
        ctx.metrics.info.labels(version=number, commit=commit).set(1)
        return Response(
            ctx.metrics.exposition(), media_type="text/plain; version=0.0.4; charset=utf-8"
        )

    async def dashboard(request: Request) -> Response:
        return HTMLResponse(dashboard_html(ctx), headers={"cache-control": "no-cache"})

    async def status(request: Request) -> Response:
        return JSONResponse(status_payload(ctx, ctx.maintenance.current(), renderer))

    async def status_html(request: Request) -> Response:
        state = ctx.maintenance.current()
        html = renderer.render(
            "status.html",
            state=state,
            current_path="/status.html",
            title="System status",
            status=status_payload(ctx, state, renderer),
        )
        return HTMLResponse(html, headers={"cache-control": "no-cache"})

    def authorized(request: Request) -> bool:
        if ctx.settings.has("admin-open"):
            return True
        ok = basic_auth_ok(
            request.headers.get("authorization"),
            ctx.settings.admin_user,
            ctx.settings.admin_password,
        )
        if not ok and request.headers.get("authorization"):
            log_event(logger, "admin-auth-failed", level=logging.WARNING)
        return ok

    def challenge() -> Response:
        return JSONResponse(
            {"error": "authentication required"},
            status_code=401,
            headers={"WWW-Authenticate": 'Basic realm="pytest-release admin", charset="UTF-8"'},
        )

    async def admin(request: Request) -> Response:
        if not authorized(request):
            return challenge()
        stats = await asyncio.to_thread(ctx.database.stats)
        state = ctx.maintenance.current()
        commit = version_of(ctx)[1]
        html = renderer.render(
            "admin.html",
            state=state,
            current_path="/admin",
            title="Administration",
            stats=stats,
            maintenance=state,
            commit=commit,
            faults=sorted(ctx.settings.faults),
        )
        return HTMLResponse(html, headers={"cache-control": "no-store"})

    async def admin_stats(request: Request) -> Response:
        if not authorized(request):
            return challenge()
        stats = await asyncio.to_thread(ctx.database.stats)
        return JSONResponse(stats, headers={"cache-control": "no-store"})

    return [
        Route("/healthz", healthz, methods=["GET", "HEAD"]),
        Route("/version", version, methods=["GET", "HEAD"]),
        Route("/metrics", metrics, methods=["GET", "HEAD"]),
        Route("/status", status, methods=["GET", "HEAD"]),
        Route("/dashboard", dashboard, methods=["GET", "HEAD"]),
        Route("/status.html", status_html, methods=["GET", "HEAD"]),
        Route("/admin", admin, methods=["GET", "HEAD"]),
        Route("/admin/stats.json", admin_stats, methods=["GET", "HEAD"]),
    ]

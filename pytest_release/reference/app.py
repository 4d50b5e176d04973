"""``create_app(settings, runner)``: the reference deployment as a Starlette application."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from pytest_release.reference.api_run import run_route
from pytest_release.reference.cache import choose_cache, rebuild_cache
from pytest_release.reference.context import AppContext, CodeRunner, check_sandbox
from pytest_release.reference.db import Database
from pytest_release.reference.exposed import exposed_routes
from pytest_release.reference.frontdoor import FrontDoor
from pytest_release.reference.logging_json import get_logger, log_event
from pytest_release.reference.maintenance import MaintenanceMonitor
from pytest_release.reference.metrics import Metrics
from pytest_release.reference.openapi import openapi_route
from pytest_release.reference.ops import ops_routes
from pytest_release.reference.pages import MONACO_BASE, page_routes
from pytest_release.reference.ratelimit import RateLimiter
from pytest_release.reference.rendering import Renderer
from pytest_release.reference.security import cors_middleware
from pytest_release.reference.settings import ReferenceSettings

STATIC_DIR = Path(__file__).resolve().parent / "static"
logger = get_logger("app")


class CpuSpiker:
    """The cpu-spike fault: a thread that burns one CPU for 1 s every 3 s."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="cpu-spike-fault", daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            # One second of this thread's CPU time (not wall time): on a busy machine the
            # spike is still a full CPU-second, it just takes longer (capped at 3 s).
            cpu_deadline = time.thread_time() + 1.0
            wall_deadline = time.monotonic() + 3.0
            while time.thread_time() < cpu_deadline and time.monotonic() < wall_deadline:
                pass
            self._stop.wait(2.0)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()


def _error_handlers(ctx: AppContext, renderer: Renderer) -> dict[int | type[Exception], object]:
    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        detail = exc.detail if isinstance(exc, HTTPException) else "error"
        headers = exc.headers if isinstance(exc, HTTPException) else None
        path = request.url.path
        accept = request.headers.get("accept", "")
        if path.startswith("/api/") or path == ctx.settings.api_path or "text/html" not in accept:
            if status == 405:
                detail = f"method {request.method} is not allowed here"
            return JSONResponse({"error": str(detail)}, status_code=status, headers=headers)
        html = renderer.render(
            "error.html",
            state=ctx.maintenance.current(),
            title=str(detail),
            heading=f"{status}: {detail}",
            message="There is nothing at this address.",
            request_id=None,
        )
        return HTMLResponse(html, status_code=status, headers=headers)

    return {404: http_error, 405: http_error}


class PinnedStaticFiles(StaticFiles):
    """Static files of a pinned package version: browsers may keep them for a day."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers.setdefault("cache-control", "public, max-age=86400")
        return response


def _static_routes(settings: ReferenceSettings) -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    monaco = settings.monaco_dir
    if monaco is not None and monaco.is_dir() and not settings.has("monaco-missing"):
        routes.append(Mount(MONACO_BASE, PinnedStaticFiles(directory=monaco), name="monaco"))
    routes.append(Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"))
    return routes


def create_app(settings: ReferenceSettings, runner: CodeRunner) -> Starlette:
    """The app: pages, the run API, operations endpoints, static files, middleware."""
    ctx = AppContext(
        settings=settings,
        runner=runner,
        database=Database(settings.effective_database_url, settings.schema_revision),
        cache=choose_cache(settings.redis_url),
        limiter=None
        if settings.has("no-rate-limit")
        else RateLimiter(settings.rate_limit_per_minute),
        metrics=Metrics(),
        maintenance=MaintenanceMonitor(settings.data_dir, stuck=settings.has("maintenance-stuck")),
        mechanism=str(getattr(runner, "mechanism", "unknown")),
    )
    renderer = Renderer(settings)

    async def favicon(request: Request) -> Response:
        return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml")

    routes: list[BaseRoute] = [
        *page_routes(ctx, renderer),
        run_route(ctx),
        openapi_route(ctx),
        *ops_routes(ctx, renderer),
        *exposed_routes(settings),
        Route("/favicon.ico", favicon, methods=["GET", "HEAD"]),
        *_static_routes(settings),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # An older release stops at its own newest revision; the migrations-pending fault
        # stops one revision short of head.
        target = settings.schema_revision or "head"
        if settings.has("migrations-pending"):
            target = "0001_runs"
        before = await asyncio.to_thread(ctx.database.migration_status)
        await asyncio.to_thread(ctx.database.upgrade, target)
        after = await asyncio.to_thread(ctx.database.migration_status)
        log_event(
            logger,
            "migrations",
            before=list(before.current),
            after=list(after.current),
            head=list(after.head),
        )
        await asyncio.to_thread(rebuild_cache, ctx.cache.cache)
        ctx.sandbox_check = await asyncio.to_thread(check_sandbox, runner)
        spiker = CpuSpiker() if settings.has("cpu-spike") else None
        if spiker:
            spiker.start()
        log_event(
            logger,
            "startup",
            version=settings.version,
            commit=settings.commit,
            faults=sorted(settings.faults),
            database=ctx.database.backend,
            cache=ctx.cache.cache.backend,
            cache_note=ctx.cache.note,
            sandbox=ctx.mechanism,
            sandbox_ok=ctx.sandbox_check.ok,
            languages=list(runner.languages),
            insecure_sandbox=settings.insecure_sandbox,
        )
        if not ctx.sandbox_check.ok:
            detail = ctx.sandbox_check.detail
            log_event(logger, "sandbox-self-test-failed", level=logging.ERROR, detail=detail)
        try:
            yield
        finally:
            if spiker:
                spiker.stop()
            await asyncio.to_thread(ctx.database.dispose)
            log_event(logger, "shutdown")

    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(FrontDoor, context=ctx, renderer=renderer),
            cors_middleware(settings),
        ],
        exception_handlers=_error_handlers(ctx, renderer),  # type: ignore[arg-type]
        lifespan=lifespan,
    )
    app.state.context = ctx
    return app

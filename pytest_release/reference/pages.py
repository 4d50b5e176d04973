"""The example pages (``/``, ``/python``): rendered from templates, cached briefly."""

from __future__ import annotations

import asyncio
import hashlib
import json

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from pytest_release.reference.context import AppContext
from pytest_release.reference.examples import PAGES, Example
from pytest_release.reference.maintenance import window_json
from pytest_release.reference.rendering import Renderer

MONACO_BASE = "/static/monaco/vs"
PAGE_CACHE_TTL_S = 30.0
SLOW_PAGE_DELAY_S = 1.5
# Referenced only with the broken-asset fault: a script the deploy "forgot" to ship.
MISSING_SCRIPT = "/static/js/example-analytics.js"


def page_scripts(ctx: AppContext, version: str) -> list[str]:
    """The script files a page loads, in order (fault switches add or break some)."""
    scripts = [f"{MONACO_BASE}/loader.js", f"/static/js/examples.js?v={version}"]
    if ctx.settings.has("broken-asset"):
        scripts.append(f"{MISSING_SCRIPT}?v={version}")
    if ctx.settings.has("console-error"):
        scripts.append(f"/static/js/fault-console-error.js?v={version}")
    if ctx.settings.has("output-as-html"):
        scripts.append(f"/static/js/fault-output-html.js?v={version}")
    return scripts


def runnable_examples(ctx: AppContext, path: str) -> tuple[list[Example], list[str]]:
    """The page's examples this server can run, and the languages it had to leave out."""
    languages = set(ctx.runner.languages)
    shown = [ex for ex in PAGES[path].examples if ex.language in languages]
    skipped = sorted({ex.language for ex in PAGES[path].examples} - languages)
    return shown, skipped


def page_routes(ctx: AppContext, renderer: Renderer) -> list[Route]:
    """One route per configured page."""

    async def render_page(request: Request) -> Response:
        path = request.url.path
        if ctx.settings.has("slow-pages"):
            await asyncio.sleep(SLOW_PAGE_DELAY_S)
        state = ctx.maintenance.current()
        window = renderer.upcoming_window(state)
        # The window is part of the page: a new announcement must not wait for the TTL.
        stamp = hashlib.sha256(json.dumps(window_json(window)).encode()).hexdigest()[:12]
        key = f"page:{path}:{stamp}"
        html = ctx.cache.cache.get(key)
        if html is None:
            examples, skipped = runnable_examples(ctx, path)
            html = renderer.render(
                "page.html",
                state=state,
                current_path=path,
                title=PAGES[path].title,
                page=PAGES[path],
                examples=examples,
                skipped_languages=skipped,
                storage_prefix=ctx.settings.storage_prefix,
                api_path=ctx.settings.api_path,
                persist=not ctx.settings.has("no-persist"),
                monaco_base=MONACO_BASE,
                scripts=page_scripts(ctx, renderer.asset_version),
            )
            ctx.cache.cache.set(key, html, PAGE_CACHE_TTL_S)
        return HTMLResponse(html, headers={"cache-control": "no-cache"})

    return [Route(path, render_page, methods=["GET", "HEAD"]) for path in ctx.settings.pages]

"""Locust users that mirror real use of an interactive-examples site.

Shipped as package data and run by ``pytest_release.probes.perf.load_locust`` in a Locust
subprocess (never imported by the plugin: Locust monkey-patches with gevent). Configured
through environment variables set by that module:

- ``PYTEST_RELEASE_LOAD_PAGES``: comma-separated page paths (default ``/``)
- ``PYTEST_RELEASE_LOAD_RUN_PATH``: the code-execution endpoint (default ``/api/run``)
- ``PYTEST_RELEASE_LOAD_RUN_CODE`` / ``..._RUN_LANGUAGE``: what a visitor runs

A ``429`` from the run API counts as a success named ``... (rate limited)``: the deployment
is enforcing its configured limit, which is what it should do under load.
"""

from __future__ import annotations

import os
import random
import re
from typing import Any

from locust import HttpUser, between, task

PAGES = [p for p in os.environ.get("PYTEST_RELEASE_LOAD_PAGES", "/").split(",") if p] or ["/"]
RUN_PATH = os.environ.get("PYTEST_RELEASE_LOAD_RUN_PATH", "/api/run")
RUN_CODE = os.environ.get("PYTEST_RELEASE_LOAD_RUN_CODE", "print('hello')")
RUN_LANGUAGE = os.environ.get("PYTEST_RELEASE_LOAD_RUN_LANGUAGE", "python")
_ASSET = re.compile(r"""(?:src|href)=["'](/static/[^"'#?]+)""")


class PageVisitor(HttpUser):
    """Opens a page and fetches the static assets it references, like a browser would."""

    weight = 4
    wait_time = between(0.5, 1.5)

    @task
    def open_page(self) -> None:
        path = random.choice(PAGES)
        response: Any = self.client.get(path, name=f"page {path}")
        for asset in sorted(set(_ASSET.findall(response.text or "")))[:10]:
            self.client.get(asset, name="static asset")


class CodeRunner(HttpUser):
    """Opens a page, then runs a small program now and then."""

    weight = 1
    wait_time = between(3.0, 5.0)

    @task
    def run_code(self) -> None:
        body = {"code": RUN_CODE, "language": RUN_LANGUAGE}
        with self.client.post(
            RUN_PATH, json=body, name=f"run {RUN_PATH}", catch_response=True
        ) as r:
            if r.status_code == 429:
                r.success()
                r.request_meta["name"] = f"run {RUN_PATH} (rate limited)"
            elif r.status_code != 200:
                r.failure(f"{RUN_PATH} answered {r.status_code}")

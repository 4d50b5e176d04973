"""pytest-benchmark timings of the hot paths, for pre.code-quality.performance-benchmarks.

    PYTEST_RELEASE_BENCH_URL=http://127.0.0.1:8765 .venv/bin/python -m pytest -p no:release \
        benchmarks/bench_reference_requests.py --benchmark-json=reports/benchmarks/latest.json

One client, one request at a time, against a release candidate on a loopback address (the
rehearsal's staging copy): the page render, the health check and a Python hello-world run.
Every round must answer 200, so an error page or a 429 fails the benchmark instead of
being timed. Run rounds are few: the run API allows 30 runs a minute per client.
The budgets (``pytest_release.rehearsal.staging.BENCHMARK_BUDGETS``) are the targets of
issue 4 on the median of an unloaded server; the rehearsal writes them into its predeploy
config.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

URL_ENV = "PYTEST_RELEASE_BENCH_URL"
RUN_ROUNDS = 5


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    url = os.environ.get(URL_ENV, "")
    if urlsplit(url).hostname not in ("127.0.0.1", "localhost", "::1"):
        pytest.fail(
            f"${URL_ENV}={url!r}: set it to the release candidate on a loopback address "
            "(these benchmarks put load on it)",
            pytrace=False,
        )
    with httpx.Client(base_url=url, timeout=30) as http:
        yield http


def _ok(response: httpx.Response) -> httpx.Response:
    assert response.status_code == 200, (
        f"{response.request.method} {response.request.url.path} answered "
        f"{response.status_code}: {response.text[:200]}"
    )
    return response


def test_page_render(benchmark: Any, client: httpx.Client) -> None:
    benchmark.pedantic(lambda: _ok(client.get("/")), rounds=30, warmup_rounds=2)


def test_health_check(benchmark: Any, client: httpx.Client) -> None:
    benchmark.pedantic(lambda: _ok(client.get("/healthz")), rounds=30, warmup_rounds=2)


def test_python_run(benchmark: Any, client: httpx.Client) -> None:
    body = {"code": "print('hello')", "language": "python"}
    response = benchmark.pedantic(
        lambda: _ok(client.post("/api/run", json=body)), rounds=RUN_ROUNDS, warmup_rounds=0
    )
    assert "hello" in response.text, f"the run did not print hello: {response.text[:200]}"

"""Speed of the reference deployment, measured (not a timed test): prints the figures.

    .venv/bin/python benchmarks/reference_speed.py [--requests 300]

Targets (issue 4): ``/`` p95 < 50 ms and a Python hello-world run p95 < 250 ms at 10
concurrent clients; 200 concurrent connections without errors; cold start to healthy
< 3 s (Monaco already installed). The server runs in its own process, started the way
the plugin starts it; the rate limit is lifted so the load is not refused.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable

import httpx

from pytest_release.reference.assets import ensure_monaco
from pytest_release.reference.launcher import start_reference_server

TARGETS = {"page_p95_ms": 50.0, "run_p95_ms": 250.0, "cold_start_s": 3.0}


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, round(pct / 100 * len(ordered)))
    return ordered[rank - 1]


class RawClient:
    """A minimal keep-alive HTTP/1.1 client on asyncio streams.

    httpx's per-request overhead (tens of ms of CPU on this 2-CPU machine at 10
    concurrent clients) would be measured instead of the server; this costs almost nothing.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self._writer.write(head.encode() + body)
        await self._writer.drain()
        status_line = await self._reader.readline()
        length = 0
        while True:
            line = await self._reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        payload = await self._reader.readexactly(length)
        return int(status_line.split()[1]), payload

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            await self._writer.wait_closed()


Call = Callable[[RawClient], Awaitable[tuple[int, bytes]]]


async def _concurrent(
    clients: int, total: int, call: Call, host: str, port: int
) -> tuple[list[float], int]:
    """``total`` calls spread over ``clients`` keep-alive connections; ms latencies, errors."""
    latencies: list[float] = []
    errors = 0
    remaining = total

    async def worker() -> None:
        nonlocal errors, remaining
        client = RawClient(host, port)
        try:
            while remaining > 0:
                remaining -= 1
                started = time.perf_counter()
                try:
                    status, _ = await call(client)
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    status = 0
                    await client.close()
                    client = RawClient(host, port)
                latencies.append((time.perf_counter() - started) * 1000)
                errors += 0 if status == 200 else 1
        finally:
            await client.close()

    await asyncio.gather(*(worker() for _ in range(clients)))
    return latencies, errors


async def _many_connections(host: str, port: int, connections: int) -> tuple[int, float]:
    """Open ``connections`` connections at once, one page request on each."""

    async def one() -> bool:
        client = RawClient(host, port)
        try:
            status, _ = await client.request("GET", "/")
            return status == 200
        except (OSError, asyncio.IncompleteReadError, ValueError):
            return False
        finally:
            await client.close()

    started = time.perf_counter()
    results = await asyncio.gather(*(one() for _ in range(connections)))
    return results.count(False), time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="page requests to time")
    parser.add_argument("--runs", type=int, default=100, help="hello-world runs to time")
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--connections", type=int, default=200)
    args = parser.parse_args(argv)
    ensure_monaco()  # a first-time download is not part of the cold start

    cold: list[float] = []
    for _ in range(3):
        started = time.perf_counter()
        with start_reference_server(extra_args=["--rate-limit", "1000000"]):
            cold.append(time.perf_counter() - started)

    hello = json.dumps({"code": "print('hello, world')", "language": "python"}).encode()

    def page_call(client: RawClient) -> Awaitable[tuple[int, bytes]]:
        return client.request("GET", "/")

    def run_call(client: RawClient) -> Awaitable[tuple[int, bytes]]:
        return client.request("POST", "/api/run", hello)

    with start_reference_server(extra_args=["--rate-limit", "1000000"]) as server:
        host, port = server.url.removeprefix("http://").rsplit(":", 1)
        where = (host, int(port))
        asyncio.run(_concurrent(args.clients, 50, page_call, *where))  # warm-up
        page, page_errors = asyncio.run(_concurrent(args.clients, args.requests, page_call, *where))
        runs, run_errors = asyncio.run(_concurrent(args.clients, args.runs, run_call, *where))
        failed, took = asyncio.run(_many_connections(*where, args.connections))
        healthy = httpx.get(f"{server.url}/healthz").json()["status"]

    figures = {
        "page_p50_ms": statistics.median(page),
        "page_p95_ms": percentile(page, 95),
        "run_p50_ms": statistics.median(runs),
        "run_p95_ms": percentile(runs, 95),
        "cold_start_s": max(cold),
    }
    print(f"reference deployment at {args.clients} concurrent clients")

    def line(label: str, key: str, count: int, errors: int, what: str, target: str) -> str:
        p50, p95 = figures[f"{key}_p50_ms"], figures[f"{key}_p95_ms"]
        return (
            f"  {label:<16} p50 {p50:6.1f} ms   p95 {p95:6.1f} ms   "
            f"({count} {what}, {errors} errors; target p95 < {target})"
        )

    print(line("GET /", "page", len(page), page_errors, "requests", "50 ms"))
    print(line("POST /api/run", "run", len(runs), run_errors, "hello-world runs", "250 ms"))
    print(
        f"  {args.connections} concurrent connections: {failed} failed, {took:.2f} s "
        f"(target 0 failed); healthz afterwards: {healthy}"
    )
    print(f"  cold start to healthy: {', '.join(f'{c:.2f}' for c in cold)} s (target < 3 s)")
    within = (
        figures["page_p95_ms"] < TARGETS["page_p95_ms"]
        and figures["run_p95_ms"] < TARGETS["run_p95_ms"]
        and figures["cold_start_s"] < TARGETS["cold_start_s"]
        and failed == 0
        and page_errors == 0
        and run_errors == 0
    )
    print("  all targets met" if within else "  SOME TARGETS MISSED")
    if figures["run_p95_ms"] >= TARGETS["run_p95_ms"]:
        # Every run starts a fresh bubblewrap sandbox; benchmarks/sandbox_speed.py shows the
        # same latency without HTTP, so the sandbox start, not the web layer, sets this figure.
        print("  (run latency is bounded by sandbox starts: compare benchmarks/sandbox_speed.py)")
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())

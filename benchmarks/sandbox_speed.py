"""Latency of a hello-world run in the reference sandbox, sequential and under concurrency.

Target (issue 4): p95 < 250 ms at 10 concurrent clients with the default cap of 4 concurrent
executions. Latency is what a client waits: queueing for a slot plus the run itself. Prints the
distributions and whether the target was met; run it on the machine you deploy to.

    .venv/bin/python benchmarks/sandbox_speed.py [--runs 100] [--clients 10] [--cap 4]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import time

from pytest_release.reference.sandbox import Limits, Sandbox

TARGET_P95_MS = 250.0
HELLO = {"python": 'print("Hello, world!")', "php": '<?php echo "Hello, world!\\n";'}


def percentile(samples: list[float], pct: float) -> float:
    """Nearest-rank percentile: the smallest sample with at least ``pct`` % at or below it."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def describe(label: str, samples: list[float]) -> str:
    return (
        f"{label:<28} n={len(samples):<4} p50={percentile(samples, 50):6.1f} ms  "
        f"p95={percentile(samples, 95):6.1f} ms  max={max(samples):6.1f} ms"
    )


async def timed_run(sandbox: Sandbox, code: str, language: str) -> float:
    started = time.perf_counter()
    result = await sandbox.run(code, language)
    if result.exit_code != 0 or result.output != "Hello, world!\n":
        raise SystemExit(f"hello world failed in the sandbox: {result}")
    return (time.perf_counter() - started) * 1000


async def sequential(sandbox: Sandbox, code: str, language: str, runs: int) -> list[float]:
    return [await timed_run(sandbox, code, language) for _ in range(runs)]


async def concurrent(
    sandbox: Sandbox, code: str, language: str, runs: int, clients: int
) -> tuple[list[float], float]:
    """``clients`` closed-loop clients, each starting its next run when the last one answered."""
    samples: list[float] = []
    remaining = runs

    async def client() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            samples.append(await timed_run(sandbox, code, language))

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return samples, time.perf_counter() - started


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100, help="runs per scenario (default 100)")
    parser.add_argument("--clients", type=int, default=10, help="concurrent clients (default 10)")
    parser.add_argument("--cap", type=int, default=4, help="sandbox concurrency cap (default 4)")
    parser.add_argument("--language", choices=sorted(HELLO), default="python")
    args = parser.parse_args()

    sandbox = Sandbox(Limits(concurrency=args.cap))
    if args.language not in sandbox.languages:
        raise SystemExit(f"{args.language} is not installed on this machine")
    code = HELLO[args.language]
    print(
        f"sandbox: {sandbox.mechanism}; {args.language} hello world; cap {args.cap}; "
        f"{os.cpu_count()} CPUs"
    )
    await sequential(sandbox, code, args.language, 5)  # warm the page cache
    seq = await sequential(sandbox, code, args.language, args.runs)
    print(describe("sequential", seq))
    conc, elapsed = await concurrent(sandbox, code, args.language, args.runs, args.clients)
    print(describe(f"{args.clients} concurrent clients", conc))
    print(f"{'throughput':<28} {len(conc) / elapsed:.1f} runs/s")
    p95 = percentile(conc, 95)
    verdict = "met" if p95 < TARGET_P95_MS else "MISSED"
    print(f"target p95 < {TARGET_P95_MS:.0f} ms at {args.clients} concurrent: {verdict}")
    return 0 if p95 < TARGET_P95_MS else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))

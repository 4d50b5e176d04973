"""Throughput of the header grader's analyze() over the peer vectors (target >= 5,000/s).

Replays every vector of ../shared/peer-vectors/*.jsonl many times and prints
responses per second plus the p50/p95 time of one call.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pytest_release.probes.headers import Redirect, Report, ScanContext, analyze

TARGET_PER_SECOND = 5_000
ROUNDS = 40
VECTOR_DIR = Path(__file__).resolve().parents[2] / "shared" / "peer-vectors"


def prepared_calls() -> list[Callable[[], Report]]:
    """One ready-to-run analyze() call per vector (input mapping kept out of the timing)."""
    calls: list[Callable[[], Report]] = []
    for path in sorted(VECTOR_DIR.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            vector: dict[str, Any] = json.loads(line)
            facts: dict[str, Any] = vector.get("context", {})
            redirects = [Redirect(h["url"], h["status"]) for h in vector.get("redirects", [])]
            headers = [(name, value) for name, value in vector["headers"]]
            context = ScanContext(
                http_available=facts.get("http_available", True if redirects else None),
                https_available=facts.get("https_available"),
                https_cert_valid=facts.get("https_cert_valid", True),
                http_cert_valid=facts.get("http_cert_valid", True),
            )

            def call(
                v: dict[str, Any] = vector,
                h: list[tuple[str, str]] = headers,
                r: list[Redirect] = redirects,
                c: ScanContext = context,
            ) -> Report:
                return analyze(
                    v["url"],
                    200,
                    h,
                    v["html"],
                    redirects=r or None,
                    cors_headers=h,
                    context=c,
                )

            calls.append(call)
    return calls


def main() -> int:
    if not VECTOR_DIR.is_dir():
        print(f"peer vectors not found at {VECTOR_DIR}", file=sys.stderr)
        return 2
    calls = prepared_calls()
    for call in calls:  # warm up (imports, regex compilation)
        call()
    samples_ns: list[int] = []
    clock = time.perf_counter_ns
    start = clock()
    for _ in range(ROUNDS):
        for call in calls:
            before = clock()
            call()
            samples_ns.append(clock() - before)
    elapsed = (clock() - start) / 1e9
    samples_ns.sort()
    per_second = len(samples_ns) / elapsed
    p50 = statistics.median(samples_ns) / 1000
    p95 = samples_ns[int(len(samples_ns) * 0.95) - 1] / 1000
    met = per_second >= TARGET_PER_SECOND
    print(
        f"analyze(): {len(samples_ns):,} responses ({len(calls)} vectors x {ROUNDS}) in "
        f"{elapsed:.2f} s = {per_second:,.0f} responses/s; per call p50 {p50:.0f} µs, "
        f"p95 {p95:.0f} µs, max {samples_ns[-1] / 1000:.0f} µs "
        f"(target >= {TARGET_PER_SECOND:,}/s: {'met' if met else 'NOT met'})"
    )
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())

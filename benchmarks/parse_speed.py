"""How long parsing a 1,000-item checklist takes (target: < 50 ms). Prints a distribution."""

from __future__ import annotations

import statistics
import time

from pytest_release.checklist.parse import parse_text

TARGET_MS = 50.0


def big_checklist(count: int) -> str:
    lines = ["# Big", "## Post-Deployment Checks"]
    for section in range(20):
        lines.append(f"### Area {section} <!-- severity: high -->")
        lines += [
            f"- [ ] Check number {section}-{n} works <!-- id: a{section}.c{n} -->"
            for n in range(count // 20)
        ]
    return "\n".join(lines) + "\n"


def main() -> int:
    text = big_checklist(1000)
    assert len(parse_text(text)) == 1000
    samples = []
    for _ in range(30):
        start = time.perf_counter()
        parse_text(text)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p50 = statistics.median(samples)
    p95 = samples[int(len(samples) * 0.95) - 1]
    print(
        f"parse 1,000 items: min {samples[0]:.1f} ms, p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
        f"max {samples[-1]:.1f} ms (target < {TARGET_MS:.0f} ms: "
        f"{'met' if p50 < TARGET_MS else 'NOT met'} at p50)"
    )
    return 0 if p50 < TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())

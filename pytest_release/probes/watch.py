"""Monitor for issues after go-live: re-run a few quick checks on a schedule, keep a timeline.

Each round runs every check once; the timeline records when, which check, and how it went.
Any failure in the window fails the watch — a flapping service is an issue too.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pytest_release.probes.findings import CheckResult, Finding, FindingStatus

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(text: str) -> float:
    """'90s', '30m', '1.5h', '250ms' or plain seconds -> seconds; ValueError says the format."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration; write e.g. 30s, 15m or 1h")
    return float(match.group(1)) * _UNIT_S[match.group(2)]


@dataclass(frozen=True, slots=True)
class Tick:
    """One check in one round."""

    at: datetime
    round: int
    check: str
    ok: bool
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(timespec="seconds"),
            "round": self.round,
            "check": self.check,
            "ok": self.ok,
            "detail": self.detail,
        }


def watch(
    checks: Sequence[Callable[[], CheckResult]],
    duration_s: float,
    every_s: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> list[Tick]:
    """Run every check now, then every ``every_s`` until ``duration_s`` has passed."""
    timeline: list[Tick] = []
    end = clock() + duration_s
    number = 0
    while True:
        number += 1
        started = clock()
        for check in checks:
            result = check()
            detail = result.failure_message() if result.failed else "ok"
            timeline.append(
                Tick(datetime.now(UTC), number, result.check, not result.failed, detail)
            )
        next_round = started + every_s
        if next_round >= end:
            break
        sleep(max(0.0, next_round - clock()))
    return timeline


def judge(timeline: Sequence[Tick], duration_s: float) -> CheckResult:
    """One result for the whole window: a problem per failed tick."""
    rounds = max((t.round for t in timeline), default=0)
    failed = [t for t in timeline if not t.ok]
    findings = [
        Finding(f"round {t.round} {t.check}", FindingStatus.PROBLEM, f"{t.at:%H:%M:%S} {t.detail}")
        for t in failed
    ]
    if not failed:
        findings.append(
            Finding(
                "watch",
                FindingStatus.OK,
                f"{rounds} round(s) over {duration_s:g} s, {len(timeline)} checks, all ok",
            )
        )
    return CheckResult("monitor for issues", f"{rounds} round(s)", tuple(findings))

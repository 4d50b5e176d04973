"""Rate limiting, measured: a bounded burst must meet a 429 with Retry-After, then recover.

The burst sends real, tiny runs (a limiter may sit behind validation, so malformed requests
prove nothing), a few at a time, until the first 429 or ``max_burst``. The observed limit is
how many were served. Then the probe waits what Retry-After asks (bounded) and checks that
one more request is served. Refusals before the expected limit (the configured one, else the
target's own X-RateLimit-Limit) count as refusals under the limit.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import httpx

from pytest_release.probes.sandbox.client import retry_after_seconds

REFILL_SLACK = 1  # a request or so may squeeze in as the bucket refills during the burst


@dataclass(frozen=True, slots=True)
class Sent:
    """One request of the burst."""

    at_s: float
    status: int | None
    limit: str | None = None
    remaining: str | None = None
    retry_after: str | None = None
    error: str | None = None


class Problem(StrEnum):
    """What kind of wrong: the pre-deploy item judges the limit, the post-deploy one its effect."""

    NO_LIMIT = "no-limit"  # the burst never met a 429
    OVER_LIMIT = "over-limit"  # more got through than the expected limit allows
    UNDER_LIMIT = "under-limit"  # refused before the limit was reached
    RETRY_AFTER = "retry-after"  # the 429 does not say when to come back
    RECOVERY = "recovery"  # still refused after waiting as told


@dataclass(frozen=True, slots=True)
class RateLimitReport:
    """What one endpoint's burst showed."""

    endpoint: str
    expected_per_minute: int | None
    advertised_limit: int | None
    allowed_before_429: int
    first_429_at_s: float | None
    retry_after: str | None
    recovered: bool | None
    recovery_wait_s: float | None
    burst_s: float
    sent: tuple[Sent, ...]
    problems: tuple[tuple[Problem, str], ...] = ()
    unchecked: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    def messages(self, *kinds: Problem) -> list[str]:
        """The problems of the given kinds, as sentences."""
        return [message for kind, message in self.problems if kind in kinds]

    @property
    def limited(self) -> bool:
        return self.first_429_at_s is not None

    @property
    def observed_limit(self) -> int | None:
        """Requests served before the first 429 (None when none came)."""
        return self.allowed_before_429 if self.limited else None

    def evidence(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "expected_per_minute": self.expected_per_minute,
            "advertised_limit": self.advertised_limit,
            "observed_limit": self.observed_limit,
            "first_429_at_s": self.first_429_at_s,
            "retry_after": self.retry_after,
            "recovered": self.recovered,
            "recovery_wait_s": self.recovery_wait_s,
            "burst_s": round(self.burst_s, 3),
            "problems": [{"kind": k.value, "message": m} for k, m in self.problems],
            "unchecked": list(self.unchecked),
            "notes": list(self.notes),
            "requests": [
                {
                    "at_s": s.at_s,
                    "status": s.status,
                    "x_ratelimit_limit": s.limit,
                    "x_ratelimit_remaining": s.remaining,
                    "retry_after": s.retry_after,
                    "error": s.error,
                }
                for s in self.sent
            ],
        }


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _send(client: httpx.Client, endpoint: str, body: dict[str, str], origin: float) -> Sent:
    at = round(time.monotonic() - origin, 3)
    try:
        response = client.post(endpoint, json=body)
    except httpx.HTTPError as exc:
        return Sent(at, None, error=f"{type(exc).__name__}: {exc or 'no detail'}")
    headers = response.headers
    return Sent(
        at,
        response.status_code,
        headers.get("x-ratelimit-limit"),
        headers.get("x-ratelimit-remaining"),
        headers.get("retry-after"),
    )


def _burst(
    client: httpx.Client,
    endpoint: str,
    body: dict[str, str],
    origin: float,
    count: int,
    workers: int,
) -> list[Sent]:
    """Up to ``count`` requests, ``workers`` at a time, until the first 429 or failure."""
    sent: list[Sent] = []
    submitted = 0
    stop = False
    with ThreadPoolExecutor(max_workers=workers) as pool:
        running: set[Future[Sent]] = set()
        while True:
            while not stop and submitted < count and len(running) < workers:
                running.add(pool.submit(_send, client, endpoint, body, origin))
                submitted += 1
            if not running:
                break
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                result = future.result()
                sent.append(result)
                stop = stop or result.status in (429, None)
    return sorted(sent, key=lambda s: s.at_s)


def probe_rate_limit(
    client: httpx.Client,
    endpoint: str,
    body: dict[str, str],
    *,
    expected_per_minute: int | None = None,
    max_burst: int = 60,
    max_wait_s: float = 15.0,
    workers: int = 4,
    sleep: Callable[[float], None] = time.sleep,
) -> RateLimitReport:
    """Burst ``endpoint`` with ``body`` (POST JSON) and judge what comes back."""
    origin = time.monotonic()
    sent: list[Sent] = []
    first = _send(client, endpoint, body, origin)
    sent.append(first)
    advertised = _int(first.limit)
    expected = expected_per_minute or advertised
    cap = max_burst if expected is None else min(max_burst, max(expected * 2, expected + 10))
    notes: list[str] = []
    if expected_per_minute is None and advertised is not None:
        notes.append(f"expected limit taken from X-RateLimit-Limit: {advertised}")
    remaining_first = _int(first.remaining)
    shared = (
        advertised is not None and remaining_first is not None and remaining_first < advertised - 1
    )
    if shared:
        notes.append(
            f"the budget was not full at the start (X-RateLimit-Remaining {remaining_first} of "
            f"{advertised}): another client shares this address"
        )
    if first.status not in (429, None):
        sent += _burst(client, endpoint, body, origin, cap - 1, workers)
    burst_s = time.monotonic() - origin
    problems: list[tuple[Problem, str]] = []
    unchecked: list[str] = []
    errors = [s for s in sent if s.status is None]
    if errors:
        unchecked.append(f"{len(errors)} request(s) got no answer, e.g. {errors[0].error}")
    others = sorted({s.status for s in sent if s.status not in (200, 429, None)})
    if others:
        notes.append(f"other answers during the burst: {others}")
    refusals = [s for s in sent if s.status == 429]
    # A token bucket serves exactly its tokens (plus the refill), whatever the order.
    allowed = len([s for s in sent if s.status not in (429, None)])
    retry_after = refusals[0].retry_after if refusals else None
    recovered: bool | None = None
    waited: float | None = None
    if not refusals and not errors:
        problems.append(
            (
                Problem.NO_LIMIT,
                f"no 429 after {len(sent)} requests in {burst_s:.1f} s"
                + (f" (expected a limit of {expected}/min)" if expected else ""),
            )
        )
    elif refusals:
        if expected is not None and allowed < expected - REFILL_SLACK and not shared:
            problems.append(
                (
                    Problem.UNDER_LIMIT,
                    f"refused after only {allowed} requests; the expected limit is {expected}/min",
                )
            )
        if expected is not None:
            refill = math.ceil(burst_s * expected / 60) + REFILL_SLACK
            if allowed > expected + refill:
                problems.append(
                    (
                        Problem.OVER_LIMIT,
                        f"{allowed} requests got through before the first 429; "
                        f"the expected limit is {expected}/min",
                    )
                )
        if not retry_after:
            problems.append(
                (
                    Problem.RETRY_AFTER,
                    "the 429 carries no Retry-After header: clients cannot back off",
                )
            )
        else:
            wait = retry_after_seconds(retry_after, default=-1)
            if wait < 0:
                problems.append(
                    (
                        Problem.RETRY_AFTER,
                        f"Retry-After {retry_after!r} is neither seconds nor a date",
                    )
                )
            elif wait > max_wait_s:
                unchecked.append(
                    f"recovery not checked: Retry-After is {wait:.0f} s, more than "
                    f"max_wait_s = {max_wait_s:g}"
                )
            else:
                waited = wait + 0.2
                sleep(waited)
                after = _send(client, endpoint, body, origin)
                sent.append(after)
                recovered = after.status not in (429, None)
                if not recovered:
                    problems.append(
                        (
                            Problem.RECOVERY,
                            f"still refused ({after.status}) after waiting the {retry_after} s "
                            "that Retry-After asked for",
                        )
                    )
    return RateLimitReport(
        endpoint=endpoint,
        expected_per_minute=expected,
        advertised_limit=advertised,
        allowed_before_429=allowed,
        first_429_at_s=min(s.at_s for s in refusals) if refusals else None,
        retry_after=retry_after,
        recovered=recovered,
        recovery_wait_s=waited,
        burst_s=burst_s,
        sent=tuple(sent),
        problems=tuple(problems),
        unchecked=tuple(unchecked),
        notes=tuple(notes),
    )

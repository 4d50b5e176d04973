"""Per-client rate limiting for the code-execution API (a token bucket per address).

In-process on purpose: it needs no Redis and is exact for a single server process, which
is how the reference deployment runs. Each client may burst up to ``per_minute`` requests
and then gets one more every ``60 / per_minute`` seconds.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether a request may go ahead; when not, how long to wait."""

    allowed: bool
    limit: int
    remaining: int
    retry_after_s: int


class RateLimiter:
    """Token buckets keyed by client address."""

    def __init__(
        self,
        per_minute: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 10_000,
    ) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.per_minute = per_minute
        self._rate = per_minute / 60.0
        self._clock = clock
        self._max_clients = max_clients
        self._buckets: dict[str, tuple[float, float]] = {}

    def check(self, client: str) -> Decision:
        """Take one token for ``client`` if there is one."""
        now = self._clock()
        tokens, stamp = self._buckets.get(client, (float(self.per_minute), now))
        tokens = min(float(self.per_minute), tokens + (now - stamp) * self._rate)
        if tokens >= 1.0:
            tokens -= 1.0
            self._store(client, tokens, now)
            return Decision(True, self.per_minute, int(tokens), 0)
        self._store(client, tokens, now)
        wait = math.ceil((1.0 - tokens) / self._rate)
        return Decision(False, self.per_minute, 0, max(1, wait))

    def _store(self, client: str, tokens: float, now: float) -> None:
        if client not in self._buckets and len(self._buckets) >= self._max_clients:
            self._prune(now)
        self._buckets[client] = (tokens, now)

    def _prune(self, now: float) -> None:
        # A bucket that has refilled completely carries no information: forget it.
        full_after = self.per_minute / self._rate
        self._buckets = {
            key: value for key, value in self._buckets.items() if now - value[1] < full_after
        }

"""The application cache: in-process by default, Redis when REDIS_URL is set.

Redis is optional: when REDIS_URL is set but the ``redis`` package is missing (or the
server does not answer at startup) the app falls back to the in-process cache and says so
in ``/healthz`` instead of refusing to start.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol


class Cache(Protocol):
    """What the app needs from a cache."""

    backend: str

    def get(self, key: str) -> str | None: ...
    def set(self, key: str, value: str, ttl_s: float) -> None: ...
    def clear(self) -> None: ...
    def ping(self) -> None: ...


@dataclass(frozen=True, slots=True)
class CacheChoice:
    """The cache in use and a note for /healthz about how it was chosen."""

    cache: Cache
    note: str


class MemoryCache:
    """A small TTL dict; enough for rendered pages and dashboard numbers."""

    backend = "memory"

    def __init__(self, max_entries: int = 1024) -> None:
        self._items: dict[str, tuple[float, str]] = {}
        self._max = max_entries

    def get(self, key: str) -> str | None:
        item = self._items.get(key)
        if item is None:
            return None
        expires, value = item
        if expires < time.monotonic():
            self._items.pop(key, None)
            return None
        return value

    def set(self, key: str, value: str, ttl_s: float) -> None:
        if len(self._items) >= self._max:
            self._items.clear()  # crude but bounded: this cache only holds cheap-to-rebuild data
        self._items[key] = (time.monotonic() + ttl_s, value)

    def clear(self) -> None:
        self._items.clear()

    def ping(self) -> None:
        self.set("__ping__", "1", 1.0)
        if self.get("__ping__") != "1":
            raise RuntimeError("in-process cache lost a value it just stored")

    def __len__(self) -> int:
        return len(self._items)


class RedisCache:
    """The same interface over a Redis server (keys prefixed, values are strings)."""

    backend = "redis"

    def __init__(self, client: Any, prefix: str = "pytest-release:") -> None:
        self._client = client
        self._prefix = prefix

    def get(self, key: str) -> str | None:
        value = self._client.get(self._prefix + key)
        return None if value is None else str(value)

    def set(self, key: str, value: str, ttl_s: float) -> None:
        self._client.set(self._prefix + key, value, px=max(1, int(ttl_s * 1000)))

    def clear(self) -> None:
        for key in self._client.scan_iter(match=self._prefix + "*"):
            self._client.delete(key)

    def ping(self) -> None:
        self._client.ping()


GENERATION_KEY = "generation"
_GENERATION_TTL_S = 10 * 365 * 24 * 3600.0


def rebuild_cache(cache: Cache) -> str:
    """Empty the cache a new release starts with and stamp its generation (ISO time).

    /healthz publishes the stamp, so a deployment check can tell the cache was rebuilt
    after the deploy began (a Redis cache outlives the process; stale entries would too).
    """
    cache.clear()
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    cache.set(GENERATION_KEY, stamp, _GENERATION_TTL_S)
    return stamp


def cache_generation(cache: Cache) -> str | None:
    """The stamp of the last rebuild (None when it was never stamped or was evicted)."""
    return cache.get(GENERATION_KEY)


def choose_cache(redis_url: str | None) -> CacheChoice:
    """Redis when configured and reachable, else the in-process cache with a reason."""
    if not redis_url:
        return CacheChoice(MemoryCache(), "in-process cache (set REDIS_URL to use Redis)")
    try:
        import redis  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return CacheChoice(
            MemoryCache(),
            "REDIS_URL is set but the redis package is not installed "
            "(pip install redis); using the in-process cache",
        )
    try:
        client = redis.Redis.from_url(
            redis_url, decode_responses=True, socket_timeout=2.0, socket_connect_timeout=2.0
        )
        client.ping()
    except Exception as exc:  # any connection/auth/URL problem: keep serving, but say so
        return CacheChoice(
            MemoryCache(),
            f"REDIS_URL is set but Redis did not answer ({type(exc).__name__}); "
            "using the in-process cache",
        )
    return CacheChoice(RedisCache(client), "redis")

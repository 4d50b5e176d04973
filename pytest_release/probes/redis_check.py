"""Redis for caching: reachable, ``maxmemory`` set, an eviction policy that evicts, TTLs work.

Speaks the Redis protocol (RESP) over a socket: a handful of commands need no client
library. ``redis://[user:password@]host[:port][/db]`` and ``rediss://`` (TLS) URLs work.
"""

from __future__ import annotations

import secrets
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from pytest_release.config_table import Table

EVICTING_POLICIES = (
    "allkeys-lru", "allkeys-lfu", "allkeys-random",
    "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class RedisConfig:
    """``[tool.pytest_release.predeploy.redis]``."""

    url: str | None = None
    url_env: str = "REDIS_URL"
    policies: tuple[str, ...] = EVICTING_POLICIES
    min_maxmemory_mb: float = 1.0
    timeout_s: float = 3.0


def redis_config(table: Table) -> RedisConfig:
    return RedisConfig(
        url=table.optional_text("url"),
        url_env=table.text("url_env", "REDIS_URL"),
        policies=table.texts("policies", EVICTING_POLICIES),
        min_maxmemory_mb=table.number("min_maxmemory_mb", 1.0),
        timeout_s=table.number("timeout_s", 3.0, minimum=0.1),
    )


class RedisError(RuntimeError):
    """Redis answered with an error or not at all."""


class RespClient:
    """A minimal blocking RESP2 client: send a command, read one reply."""

    def __init__(self, url: str, timeout_s: float = 3.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("redis", "rediss"):
            raise RedisError(
                f"{url.split(':')[0]}:// is not a Redis URL: write redis://host:6379/0"
            )
        host, port = parts.hostname or "127.0.0.1", parts.port or 6379
        try:
            raw = socket.create_connection((host, port), timeout=timeout_s)
        except OSError as exc:
            raise RedisError(f"cannot connect to {host}:{port}: {exc.strerror or exc}") from exc
        self.sock: socket.socket = (
            ssl.create_default_context().wrap_socket(raw, server_hostname=host)
            if parts.scheme == "rediss"
            else raw
        )
        self.buffer = self.sock.makefile("rb")
        if parts.password is not None:
            user = unquote(parts.username) if parts.username else None
            password = unquote(parts.password)
            self.call("AUTH", *((user, password) if user else (password,)))
        db = parts.path.strip("/")
        if db and db != "0":
            self.call("SELECT", db)

    def call(self, *args: str) -> Any:
        payload = f"*{len(args)}\r\n".encode() + b"".join(
            f"${len(a.encode())}\r\n".encode() + a.encode() + b"\r\n" for a in args
        )
        try:
            self.sock.sendall(payload)
            return self._read()
        except OSError as exc:
            raise RedisError(f"{args[0]} failed: {exc}") from exc

    def _read(self) -> Any:
        line = self.buffer.readline()
        if not line:
            raise RedisError("the server closed the connection")
        kind, rest = line[:1], line[1:].rstrip(b"\r\n")
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RedisError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            size = int(rest)
            if size < 0:
                return None
            data = self.buffer.read(size + 2)[:-2]
            return data.decode(errors="replace")
        if kind == b"*":
            count = int(rest)
            return None if count < 0 else [self._read() for _ in range(count)]
        raise RedisError(f"unexpected reply {line[:40]!r}")

    def close(self) -> None:
        self.buffer.close()
        self.sock.close()


@dataclass(frozen=True, slots=True)
class RedisResult:
    url: str
    version: str
    maxmemory: int
    policy: str
    round_trip_ms: float
    ttl_ms: int
    problems: tuple[str, ...]

    def evidence(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "version": self.version,
            "maxmemory_bytes": self.maxmemory,
            "maxmemory_policy": self.policy,
            "round_trip_ms": round(self.round_trip_ms, 2),
            "ttl_after_set_ms": self.ttl_ms,
            "problems": list(self.problems),
        }


def _config_get(client: RespClient, name: str) -> str:
    reply = client.call("CONFIG", "GET", name)
    if isinstance(reply, list) and len(reply) >= 2:
        return str(reply[1])
    raise RedisError(f"CONFIG GET {name} gave no value")


def check_redis(config: RedisConfig, url: str) -> RedisResult:
    """Connect, read the memory settings, and round-trip a key with a TTL."""
    shown = urlsplit(url)._replace(netloc=urlsplit(url).netloc.rpartition("@")[2]).geturl()
    client = RespClient(url, config.timeout_s)
    problems: list[str] = []
    try:
        info = str(client.call("INFO", "server"))
        version = next(
            (
                ln.split(":", 1)[1].strip()
                for ln in info.splitlines()
                if ln.startswith("redis_version:")
            ),
            "?",
        )
        try:
            maxmemory = int(_config_get(client, "maxmemory"))
            policy = _config_get(client, "maxmemory-policy")
        except RedisError as exc:  # managed Redis often disables CONFIG; INFO memory has both
            memory = str(client.call("INFO", "memory"))
            fields = dict(ln.split(":", 1) for ln in memory.splitlines() if ":" in ln)
            if "maxmemory" not in fields:
                raise RedisError(f"cannot read maxmemory ({exc})") from exc
            maxmemory, policy = (
                int(fields["maxmemory"]),
                fields.get("maxmemory_policy", "?").strip(),
            )
        if maxmemory == 0:
            problems.append(
                "maxmemory is 0 (unlimited): the cache can grow until the host swaps or the OOM "
                "killer strikes; set maxmemory (e.g. maxmemory 256mb) in redis.conf"
            )
        elif maxmemory < config.min_maxmemory_mb * 1024 * 1024:
            problems.append(
                f"maxmemory is {maxmemory} bytes, below {config.min_maxmemory_mb:g} MB: raise it"
            )
        if policy not in config.policies:
            problems.append(
                f"maxmemory-policy is {policy!r}: a full cache then refuses writes instead of "
                f"evicting; set one of {', '.join(config.policies)} (e.g. allkeys-lru)"
            )
        key = f"pytest-release:predeploy:{secrets.token_hex(6)}"
        value = secrets.token_hex(8)
        started = time.perf_counter()
        client.call("SET", key, value, "PX", "30000")
        read = client.call("GET", key)
        elapsed = (time.perf_counter() - started) * 1000
        ttl = int(client.call("PTTL", key))
        client.call("DEL", key)
        if read != value:
            problems.append(f"a value written to Redis came back as {read!r}: check the server")
        if not 0 < ttl <= 30000:
            problems.append(f"a key set with a 30 s TTL reports PTTL {ttl}: expiry is not working")
    finally:
        client.close()
    return RedisResult(shown, version, maxmemory, policy, elapsed, ttl, tuple(problems))

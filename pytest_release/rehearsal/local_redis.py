"""The rehearsal's Redis: Debian's ``redis-server`` on a free loopback port, stopped afterwards.

The reference deployment caches in Redis when ``REDIS_URL`` is set, so with a local
redis-server the rehearsed production (and its staging copy, on another database number)
runs the way a real one would, and ``pre.environment.redis`` checks the server the
deployment actually uses. Bound to 127.0.0.1, no persistence, its files in the
rehearsal's work directory. Without redis-server the rehearsal says so (not applicable).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

MAXMEMORY = "64mb"
POLICY = "allkeys-lru"  # a cache: evict the least recently used key when full
INSTALL_HINT = "apt-get install redis-server (.ci/run installs it)"


class RedisStartError(RuntimeError):
    """redis-server is installed but did not come up; the message says where to look."""


@dataclass(slots=True)
class LocalRedis:
    """A running redis-server the rehearsal owns."""

    process: subprocess.Popen[bytes]
    port: int
    directory: Path

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def find_redis_server() -> str | None:
    """The redis-server binary, or None when it is not installed."""
    return shutil.which("redis-server")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start_local_redis(binary: str, directory: Path, timeout_s: float = 10.0) -> LocalRedis:
    """Start redis-server as a size-bounded, evicting cache; wait until it answers PING."""
    directory.mkdir(parents=True, exist_ok=True)
    log = directory / "redis.log"
    for _attempt in range(3):  # the free port can be taken between choosing and binding it
        port = _free_port()
        options = {
            "bind": "127.0.0.1",
            "port": str(port),
            "dir": str(directory),
            "logfile": str(log),
            "save": "",  # a cache: no snapshots, no append-only file
            "appendonly": "no",
            "daemonize": "no",
            "maxmemory": MAXMEMORY,
            "maxmemory-policy": POLICY,
        }
        process = subprocess.Popen(
            [binary, *(arg for name, v in options.items() for arg in (f"--{name}", v))],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and process.poll() is None:
            if _answers(port):
                return LocalRedis(process, port, directory)
            time.sleep(0.05)
        LocalRedis(process, port, directory).stop()
    raise RedisStartError(
        f"{binary} did not answer PING on 127.0.0.1 within {timeout_s:g} s (3 tries); see {log}"
    )

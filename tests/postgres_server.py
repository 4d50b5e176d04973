"""A throwaway PostgreSQL server for tests: initdb in a temp dir, pg_ctl start/stop.

PostgreSQL refuses to run as root, so as root the server runs as the ``postgres`` user in a
directory it owns.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


class PostgresUnavailable(RuntimeError):
    """PostgreSQL is not installed or did not start; the message says which."""


def _tool(name: str) -> str:
    for directory in BIN_DIRS:
        if (directory / name).is_file():
            return str(directory / name)
    found = shutil.which(name)
    if found is None:
        raise PostgresUnavailable(f"{name} not found: apt-get install postgresql")
    return found


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    if shutil.which("runuser") is None:
        raise PostgresUnavailable("running as root without runuser to drop to the postgres user")
    return ["runuser", "-u", "postgres", "--", *command]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running_postgres(_unused: Path) -> Iterator[str]:
    """Yield a libpq URL of a fresh server (trust auth on loopback); stop and remove it after."""
    base = Path(tempfile.mkdtemp(prefix="pytest-release-pg-"))
    data = base / "data"
    try:
        if os.geteuid() == 0:
            shutil.chown(base, "postgres", "postgres")
        port = _free_port()
        run = [_tool("initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"]
        done = subprocess.run(_as_server_user(run), capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise PostgresUnavailable(f"initdb failed: {done.stderr.strip()[-300:]}")
        options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
        start = [
            _tool("pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(base / "log"),
            "-w",
            "start",
        ]
        done = subprocess.run(_as_server_user(start), capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise PostgresUnavailable(f"pg_ctl start failed: {done.stderr.strip()[-300:]}")
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            stop = [_tool("pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]
            subprocess.run(_as_server_user(stop), capture_output=True, timeout=60, check=False)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def psql(url: str, sql: str) -> str:
    done = subprocess.run(
        [_tool("psql"), "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def dump_database(url: str, backup: Path) -> Path:
    """A backup directory in the tool's format whose database copy is a ``pg_dump -Fc`` file."""
    dump = backup / "database" / "app.dump"
    dump.parent.mkdir(parents=True)
    subprocess.run([_tool("pg_dump"), "-Fc", "-f", str(dump), url], check=True, timeout=120)
    (backup / "files").mkdir()
    (backup / "files" / "app.py").write_text("print('app')\n", encoding="utf-8")
    files = {
        p.relative_to(backup).as_posix(): {
            "sha256": hashlib.sha256(p.read_bytes()).hexdigest(),
            "size": p.stat().st_size,
        }
        for p in backup.rglob("*")
        if p.is_file()
    }
    manifest = {
        "format": 1,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": "database/app.dump",
        "files": files,
    }
    (backup / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return backup

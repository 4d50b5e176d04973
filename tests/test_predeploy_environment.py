"""Environment probes against real servers: SQLite, PostgreSQL, Redis started here; a port scan."""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_release.config_table import Table
from pytest_release.probes.database import DatabaseConfig, IndexRequirement, check_database
from pytest_release.probes.ports import scan
from pytest_release.probes.redis_check import RedisConfig, check_redis
from pytest_release.probes.system import SystemConfig, check_system, system_config

RUNS_INDEX = IndexRequirement(
    "runs", ("created_at",), "SELECT count(*) FROM runs WHERE created_at >= '2025-01-01'"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_system_requirements_name_what_is_short(tmp_path: Path) -> None:
    config = system_config(
        Table(
            "[t]",
            {
                "min_cpus": 4096,
                "runtimes": {
                    "python": ">=3.11",
                    "nosuch": {"command": ["no-such-binary-x"], "version": ">=1"},
                },
            },
            tmp_path,
        )
    )
    result = check_system(config)
    assert any("CPU(s) available, 4096 required" in p for p in result.problems)
    assert any(p.startswith("nosuch: could not get a version") for p in result.problems)
    assert not any(p.startswith("python") for p in result.problems)
    assert (
        check_system(SystemConfig(min_memory_mb=1, min_disk_free_mb=1, disk_path=tmp_path)).problems
        == ()
    )


def _sqlite(path: Path, *, index: bool, wal: bool) -> str:
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE runs (id INTEGER PRIMARY KEY, created_at TEXT, language TEXT)")
    if index:
        connection.execute("CREATE INDEX ix_runs_created_at ON runs (created_at)")
    if wal:
        connection.execute("PRAGMA journal_mode=WAL")
    connection.commit()
    connection.close()
    return f"sqlite:///{path}"


def test_sqlite_missing_index_and_no_wal_fail(tmp_path: Path) -> None:
    config = DatabaseConfig(indexes=(RUNS_INDEX,))
    good = check_database(config, _sqlite(tmp_path / "good.db", index=True, wal=True))
    assert good.problems == () and "ix_runs_created_at" in next(iter(good.plans.values()))
    bad = check_database(config, _sqlite(tmp_path / "bad.db", index=False, wal=False))
    assert any(p.startswith("no index on runs(created_at): create it") for p in bad.problems)
    assert any("journal_mode = 'delete', recommended wal" in p for p in bad.problems)


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    """A throwaway PostgreSQL cluster in a temp dir (initdb, pg_ctl); as user postgres when root."""
    bindir = Path("/usr/lib/postgresql")
    initdb = shutil.which("initdb") or next(
        (str(p) for p in sorted(bindir.glob("*/bin/initdb"))), None
    )
    if initdb is None or shutil.which("psql") is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    pg_ctl = str(Path(initdb).with_name("pg_ctl"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        run_as = ["runuser", "-u", "postgres", "--"]
    scratch = Path(tempfile.mkdtemp(prefix="pytest-release-pg-"))
    os.chmod(scratch, 0o777)
    data, port = scratch / "data", _free_port()
    try:
        subprocess.run(
            [*run_as, initdb, "-D", str(data), "-U", "postgres", "-A", "trust"],
            check=True,
            capture_output=True,
            timeout=120,
        )
        options = f"-p {port} -k {scratch} -c listen_addresses=127.0.0.1 -c max_connections=30"
        subprocess.run(
            [
                *run_as,
                pg_ctl,
                "-D",
                str(data),
                "-l",
                str(scratch / "log"),
                "-w",
                "-t",
                "60",
                "-o",
                f"{options} -c fsync=off",
                "start",
            ],
            check=True,
            capture_output=True,
            timeout=90,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        shutil.rmtree(scratch, ignore_errors=True)
        pytest.skip(f"PostgreSQL did not start here: {exc}")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*run_as, pg_ctl, "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(scratch, ignore_errors=True)


def _psql(url: str, sql: str) -> None:
    subprocess.run(
        ["psql", url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql],
        check=True,
        capture_output=True,
    )


def test_postgresql_index_used_and_connection_limits(postgres: str) -> None:
    _psql(
        postgres, "CREATE TABLE runs (id serial PRIMARY KEY, created_at timestamptz, language text)"
    )
    config = DatabaseConfig(indexes=(RUNS_INDEX,))
    missing = check_database(config, postgres)
    assert missing.backend == "postgresql" and missing.version.startswith(("1", "2"))
    assert any(p.startswith("no index on runs(created_at)") for p in missing.problems)
    _psql(postgres, "CREATE INDEX ix_runs_created_at ON runs (created_at)")
    fine = check_database(config, postgres)
    assert fine.problems == (), fine.problems
    assert "ix_runs_created_at" in next(iter(fine.plans.values()))
    assert fine.settings["max_connections"] == "30"
    strict = DatabaseConfig(settings={"max_connections": (">= 100",)})
    assert any(
        "max_connections = '30', recommended >= 100" in p
        for p in check_database(strict, postgres).problems
    )


@pytest.fixture(scope="module")
def redis_server() -> Iterator[str]:
    """redis-server on a free loopback port, no persistence, without maxmemory (the default)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = _free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    else:
        process.kill()
        pytest.skip("redis-server did not start within 10 s")
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_redis_without_maxmemory_fails_then_passes(redis_server: str) -> None:
    from pytest_release.probes.redis_check import RespClient

    result = check_redis(RedisConfig(), redis_server)
    assert any(p.startswith("maxmemory is 0 (unlimited)") for p in result.problems)
    assert any("maxmemory-policy is 'noeviction'" in p for p in result.problems)
    assert 0 < result.ttl_ms <= 30000
    client = RespClient(redis_server)
    client.call("CONFIG", "SET", "maxmemory", "64mb")
    client.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
    client.close()
    assert check_redis(RedisConfig(), redis_server).problems == ()


def test_port_scan_finds_the_extra_listener() -> None:
    listeners = [socket.create_server(("127.0.0.1", 0)) for _ in range(2)]
    try:
        allowed, extra = (int(s.getsockname()[1]) for s in listeners)
        closed = _free_port()
        result = scan("127.0.0.1", [allowed, extra, closed], [allowed], timeout_s=1.0)
        assert result.states == {allowed: "open", extra: "open", closed: "closed"}
        assert result.unexpected == (extra,)
    finally:
        for listener in listeners:
            listener.close()

"""Deployment-state checks (version, migrations, restart, assets, dependencies, configuration)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from pytest_release.ops_fixtures import REFERENCE_MIGRATIONS
from pytest_release.probes.deploy_state import (
    check_assets,
    check_caches,
    check_configuration,
    check_dependencies,
    check_migrations_alembic,
    check_migrations_health,
    check_restarted,
    check_version,
    installed_versions,
    read_lock,
)
from pytest_release.reference.assets import ensure_monaco
from pytest_release.reference.inprocess import serve_reference
from pytest_release.reference.settings import ReferenceSettings, build_settings


def with_monaco(settings: ReferenceSettings) -> ReferenceSettings:
    """As `pytest-release serve` does: the Monaco files served from the npm prefix."""
    return replace(settings, monaco_dir=ensure_monaco())


@pytest.fixture(scope="module")
def healthy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, Path]]:
    data_dir = tmp_path_factory.mktemp("healthy")
    settings = with_monaco(build_settings(data_dir=data_dir, version="2.0.0", environ={}))
    with serve_reference(settings) as url, httpx.Client(base_url=url) as client:
        yield client, data_dir


def test_healthy_deployment_passes(healthy: tuple[httpx.Client, Path]) -> None:
    client, data_dir = healthy
    assert check_version(client, "2.0.0").passed
    assert check_migrations_health(client).passed
    assert check_migrations_alembic(
        f"sqlite:///{data_dir / 'reference.db'}", REFERENCE_MIGRATIONS
    ).passed
    assert check_restarted(client, datetime.now(UTC) - timedelta(minutes=5)).passed
    assets = check_assets(client, ["/"])
    assert assets.passed, assets.failure_message()
    assert any("/static/js/theme.js" in f.what for f in assets.findings)


def test_wrong_version_and_old_process_fail(healthy: tuple[httpx.Client, Path]) -> None:
    client, _ = healthy
    wrong = check_version(client, "2.1.0")
    assert wrong.failed and "not the release '2.1.0'" in wrong.failure_message()
    unknown = check_version(client, None)
    assert unknown.not_checked and "--release-version" in unknown.inconclusive_reason()
    old = check_restarted(client, datetime.now(UTC) + timedelta(minutes=5))
    assert old.failed and "restart it" in old.failure_message()


def test_pending_migrations_fail(tmp_path: Path) -> None:
    settings = build_settings(
        data_dir=tmp_path, faults=frozenset({"migrations-pending"}), environ={}
    )
    with serve_reference(settings) as url, httpx.Client(base_url=url) as client:
        health = check_migrations_health(client)
    assert health.failed and "run the migrations" in health.failure_message()
    alembic = check_migrations_alembic(
        f"sqlite:///{tmp_path / 'reference.db'}", REFERENCE_MIGRATIONS
    )
    assert alembic.failed and "alembic upgrade head" in alembic.failure_message()


def test_missing_asset_fails(tmp_path: Path) -> None:
    settings = build_settings(data_dir=tmp_path, faults=frozenset({"broken-asset"}), environ={})
    with serve_reference(settings) as url, httpx.Client(base_url=url) as client:
        result = check_assets(client, ["/"])
    assert result.failed and "answers 404" in result.failure_message()


def test_asset_manifest_mismatch_fails(healthy: tuple[httpx.Client, Path]) -> None:
    client, _ = healthy
    body = client.get("/static/js/theme.js").content
    good = {"/static/js/theme.js": hashlib.sha256(body).hexdigest()}
    assert check_assets(client, ["/"], good).passed
    bad = check_assets(client, ["/"], {"/static/js/theme.js": "0" * 64})
    assert bad.failed and "asset manifest" in bad.failure_message()


def test_dependencies_against_lock_files(tmp_path: Path) -> None:
    installed = installed_versions()
    httpx_version = installed["httpx"]
    requirements = tmp_path / "requirements.lock"
    requirements.write_text(f"httpx=={httpx_version}\npytest==0.0.1  # pinned\n", encoding="utf-8")
    lock = read_lock(requirements)
    assert lock == {"httpx": httpx_version, "pytest": "0.0.1"}
    result = check_dependencies(lock, installed, requirements.name)
    assert result.failed and "pytest: installed" in result.failure_message()
    uv_lock = tmp_path / "uv.lock"
    uv_lock.write_text(
        f'[[package]]\nname = "httpx"\nversion = "{httpx_version}"\n', encoding="utf-8"
    )
    assert check_dependencies(read_lock(uv_lock), installed, "uv.lock").passed


def test_configuration_keys_and_checksum(tmp_path: Path) -> None:
    config = tmp_path / "app.env"
    config.write_text("DATABASE_URL=sqlite:///x\nSECRET_KEY=\n", encoding="utf-8")
    digest = hashlib.sha256(config.read_bytes()).hexdigest()
    result = check_configuration(config, ["DATABASE_URL", "SECRET_KEY"], digest)
    assert result.failed and "SECRET_KEY: required key missing" in result.failure_message()
    assert check_configuration(config, ["DATABASE_URL"], digest).passed
    assert check_configuration(config, [], "f" * 64).failed
    assert check_configuration(tmp_path / "absent.toml", [], None).failed


def test_ops_settings_name_the_bad_key(tmp_path: Path) -> None:
    from pytest_release.ops_settings import build_ops_settings
    from pytest_release.settings import ConfigError

    built = build_ops_settings({"backup": {"dir": "backups", "max_age_hours": 6}}, tmp_path)
    assert built.backup.dir == tmp_path / "backups" and built.backup.max_age_hours == 6
    with pytest.raises(ConfigError, match=r"unknown key 'max_age'; did you mean 'max_age_hours'"):
        build_ops_settings({"backup": {"max_age": 6}}, tmp_path)
    with pytest.raises(ConfigError, match=r"timezone = 'Mars/Olympus'"):
        build_ops_settings({"maintenance": {"timezone": "Mars/Olympus"}}, tmp_path)


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A real redis-server on a free loopback port (skipped where it is not installed)."""
    import shutil
    import socket
    import subprocess
    import time

    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed: apt-get install redis-server")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        import redis

        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    pytest.skip("redis-server did not answer within 10 s")
                time.sleep(0.05)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_redis_cache_rebuilt_after_the_deploy(redis_url: str, tmp_path: Path) -> None:
    import redis

    deploy_started = datetime.now(UTC) - timedelta(seconds=5)
    settings = build_settings(data_dir=tmp_path, environ={"REDIS_URL": redis_url})
    with serve_reference(settings) as url, httpx.Client(base_url=url) as client:
        fresh = check_caches(client, deploy_started)
        assert fresh.passed, fresh.failure_message()
        assert fresh.subject == "redis"
        # A deploy that kept the old release's cache: its generation predates the deploy.
        redis.Redis.from_url(redis_url).set(
            "pytest-release:generation", "2025-07-24T14:00:00+00:00"
        )
        stale = check_caches(client, deploy_started)
    assert stale.failed
    assert "before the deployment began" in stale.failure_message()


def test_memory_cache_rebuilt_with_the_process(healthy: tuple[httpx.Client, Path]) -> None:
    client, _ = healthy
    assert check_caches(client, datetime.now(UTC) - timedelta(minutes=5)).passed
    late = check_caches(client, datetime.now(UTC) + timedelta(minutes=5))
    assert late.failed and "clear the cache" in late.failure_message()


def test_a_machine_readable_window(tmp_path: Path) -> None:
    from pytest_release.ops_settings import build_ops_settings
    from pytest_release.settings import ConfigError

    table = {"window_start": "2025-07-25T20:00:00-04:00", "window_end": "2025-07-25T23:30:00-04:00"}
    built = build_ops_settings({"maintenance": table}, tmp_path).maintenance
    assert built.window_start is not None and built.window_end is not None
    assert (built.window_end - built.window_start).total_seconds() == 3.5 * 3600
    with pytest.raises(ConfigError, match="give both"):
        build_ops_settings({"maintenance": {"window_start": table["window_start"]}}, tmp_path)

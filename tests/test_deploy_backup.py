"""Backup checks against real backups of a live reference deployment (SQLite, PostgreSQL)."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pytest_release.probes.backup_check import check_fresh, check_restores, latest_backup
from pytest_release.reference.backup import create_backup
from pytest_release.reference.inprocess import serve_reference
from pytest_release.reference.settings import ADMIN_PASSWORD_ENV, build_settings


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """A live deployment with one recorded run and one fresh backup: (data dir, backups dir)."""
    data_dir = tmp_path_factory.mktemp("data")
    settings = build_settings(data_dir=data_dir, environ={ADMIN_PASSWORD_ENV: "backup-checks"})
    with serve_reference(settings) as url, httpx.Client(base_url=url) as http:
        assert http.post("/api/run", json={"code": "print(1)", "language": "python"}).is_success
        create_backup(data_dir, data_dir / "backups" / "b1")
        yield data_dir, data_dir / "backups"


def source(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'reference.db'}"


def copy_backup(backups: Path, tmp_path: Path) -> Path:
    import shutil

    target = tmp_path / "copy"
    shutil.copytree(backups / "b1", target)
    return target


def test_fresh_backup_passes_every_check(live: tuple[Path, Path]) -> None:
    data_dir, backups = live
    assert check_fresh(backups, "database", 24).passed
    assert check_fresh(backups, "files", 24).passed
    backup = latest_backup(backups)
    assert backup is not None
    result = check_restores(backup, source(data_dir))
    assert result.passed, result.failure_message()
    assert any(f.what == "runs rows" for f in result.findings)


def test_missing_backup_says_how_to_make_one(tmp_path: Path) -> None:
    result = check_fresh(tmp_path, "database", 24)
    assert result.failed
    assert "pytest-release backup create" in result.failure_message()


def test_stale_backup_fails_with_its_age(live: tuple[Path, Path], tmp_path: Path) -> None:
    backup = copy_backup(live[1], tmp_path)
    manifest = json.loads((backup / "manifest.json").read_text(encoding="utf-8"))
    manifest["created"] = "2020-01-01T00:00:00+00:00"
    (backup / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    result = check_fresh(backup, "database", 24)
    assert result.failed
    assert "old, more than the allowed 24 h" in result.failure_message()


def test_corrupt_backup_fails_on_checksum(live: tuple[Path, Path], tmp_path: Path) -> None:
    backup_dir = copy_backup(live[1], tmp_path)
    db = backup_dir / "database" / "reference.db"
    data = bytearray(db.read_bytes())
    data[200] ^= 0xFF
    db.write_bytes(bytes(data))
    backup = latest_backup(backup_dir)
    assert backup is not None
    result = check_restores(backup, source(live[0]))
    assert result.failed
    assert "database/reference.db: checksum does not match" in result.failure_message()


def test_backup_older_than_the_schema_fails(live: tuple[Path, Path], tmp_path: Path) -> None:
    backup = latest_backup(copy_backup(live[1], tmp_path))
    assert backup is not None
    changed = tmp_path / "live.db"
    with (
        contextlib.closing(sqlite3.connect(live[0] / "reference.db")) as src,
        contextlib.closing(sqlite3.connect(changed)) as db,
    ):
        src.backup(db)
        db.execute("ALTER TABLE runs ADD COLUMN country TEXT")
        db.commit()
    result = check_restores(backup, f"sqlite:///{changed}")
    assert result.failed
    assert "columns differ" in result.failure_message()


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real PostgreSQL server in a temp dir (as the postgres user when we are root)."""
    from tests.postgres_server import PostgresUnavailable, running_postgres

    try:
        with running_postgres(tmp_path_factory.mktemp("pg")) as url:
            yield url
    except PostgresUnavailable as exc:
        pytest.skip(f"PostgreSQL cannot start here: {exc}")


def test_postgres_dump_restores_into_scratch(postgres: str, tmp_path: Path) -> None:
    from tests.postgres_server import dump_database, psql

    psql(postgres, "CREATE TABLE runs (id int primary key, language text)")
    psql(postgres, "INSERT INTO runs VALUES (1, 'python'), (2, 'php')")
    backup = tmp_path / "pgbackup"
    dump_database(postgres, backup)
    found = latest_backup(backup)
    assert found is not None
    result = check_restores(found, postgres)
    assert result.passed, result.failure_message()
    assert any(f.what == "runs rows" and "backup 2" in f.detail for f in result.findings)
    psql(postgres, "ALTER TABLE runs ADD COLUMN country text")
    after = check_restores(found, postgres)
    assert after.failed and "columns differ" in after.failure_message()

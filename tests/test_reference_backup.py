"""Backups of the reference deployment: create, verify (checksums + a trial restore), restore."""

from __future__ import annotations

import contextlib
import io
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pytest_release.cli import main as cli_main
from pytest_release.reference.backup import (
    BackupError,
    create_backup,
    restore_backup,
    verify_backup,
)
from pytest_release.reference.inprocess import serve_reference
from pytest_release.reference.maintenance import read_state, set_maintenance
from pytest_release.reference.settings import ADMIN_PASSWORD_ENV, build_settings

PASSWORD = "backup-test-password"


def runs_in(db: Path) -> int:
    with contextlib.closing(sqlite3.connect(db)) as connection:
        count: int = connection.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    return count


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A live app with two recorded runs, serving while we back it up."""
    data_dir = tmp_path / "data"
    settings = build_settings(data_dir=data_dir, environ={ADMIN_PASSWORD_ENV: PASSWORD})
    with serve_reference(settings) as url, httpx.Client(base_url=url) as http:
        for code in ("print(1)", "print(2)"):
            assert http.post("/api/run", json={"code": code, "language": "python"}).is_success
        yield url, data_dir


def test_backup_of_a_live_deployment_verifies(deployment: tuple[str, Path], tmp_path: Path) -> None:
    _, data_dir = deployment
    set_maintenance(data_dir, True, message="backing up")
    backup = create_backup(data_dir, tmp_path / "backup")
    manifest = json.loads((backup / "manifest.json").read_text(encoding="utf-8"))
    files = manifest["files"]
    assert "database/reference.db" in files
    assert "files/reference/app.py" in files and "files/reference/templates/page.html" in files
    assert "state/maintenance.json" in files
    assert not any("__pycache__" in name for name in files)
    for entry in files.values():
        assert len(entry["sha256"]) == 64 and entry["size"] >= 0
    report = verify_backup(backup)
    assert report.ok, report.problems
    assert report.files_checked == len(files)
    assert report.database == {"integrity": "ok", "revision": "0002_runs_indexes", "runs": 2}


def test_verify_finds_tampering(deployment: tuple[str, Path], tmp_path: Path) -> None:
    _, data_dir = deployment
    backup = create_backup(data_dir, tmp_path / "backup")
    (backup / "files" / "reference" / "app.py").write_text("# changed\n", encoding="utf-8")
    (backup / "files" / "reference" / "faults.py").unlink()
    (backup / "files" / "extra.txt").write_text("not in the manifest", encoding="utf-8")
    report = verify_backup(backup)
    assert not report.ok
    assert "checksum mismatch: files/reference/app.py" in report.problems
    assert "missing: files/reference/faults.py" in report.problems
    assert "not in the manifest: files/extra.txt" in report.problems


def test_verify_finds_a_database_that_does_not_open(
    deployment: tuple[str, Path], tmp_path: Path
) -> None:
    _, data_dir = deployment
    backup = create_backup(data_dir, tmp_path / "backup")
    database = backup / "database" / "reference.db"
    database.write_bytes(b"this is not a database" * 100)
    manifest_path = backup / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    # Make the checksum match, so only the trial restore can notice.
    from pytest_release.reference.backup import sha256_of

    manifest["files"]["database/reference.db"]["sha256"] = sha256_of(database)
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    report = verify_backup(backup)
    assert not report.ok
    assert any("does not open" in problem for problem in report.problems)


def test_restore_brings_back_the_data(deployment: tuple[str, Path], tmp_path: Path) -> None:
    url, data_dir = deployment
    backup = create_backup(data_dir, tmp_path / "backup")
    with httpx.Client(base_url=url) as http:
        http.post("/api/run", json={"code": "print(3)", "language": "python"})
        assert runs_in(data_dir / "reference.db") == 3
        set_maintenance(data_dir, True)
        restore_backup(backup, data_dir, files_to=tmp_path / "restored-files")
        set_maintenance(data_dir, False)
        # The running server sees the restored database (same file, restored in place).
        stats = http.get("/admin/stats.json", auth=("admin", PASSWORD)).json()
        assert stats["runs_total"] == 2
        assert http.get("/healthz").json()["status"] == "ok"
    assert (tmp_path / "restored-files" / "reference" / "app.py").is_file()
    assert read_state(data_dir).enabled is False


def test_restore_refuses_a_bad_backup(deployment: tuple[str, Path], tmp_path: Path) -> None:
    _, data_dir = deployment
    backup = create_backup(data_dir, tmp_path / "backup")
    (backup / "files" / "reference" / "db.py").write_text("tampered", encoding="utf-8")
    with pytest.raises(BackupError, match="failed verification"):
        restore_backup(backup, data_dir)
    assert runs_in(data_dir / "reference.db") == 2


def test_backup_needs_a_database(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="no database"):
        create_backup(tmp_path)
    with pytest.raises(BackupError, match="pg_dump"):
        create_backup(tmp_path, database_url="postgresql://db/examples")


def cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = cli_main(list(argv))
    return code, out.getvalue()


def test_cli_create_verify_restore(deployment: tuple[str, Path], tmp_path: Path) -> None:
    _, data_dir = deployment
    code, out = cli("backup", "create", "--data-dir", str(data_dir))
    assert code == 0
    backup = Path(json.loads(out)["backup"])
    assert backup.parent == data_dir / "backups"
    code, out = cli("backup", "verify", str(backup))
    assert code == 0 and json.loads(out)["ok"] is True
    code, out = cli("backup", "restore", str(backup), "--data-dir", str(data_dir))
    assert code == 0 and json.loads(out)["database"]["runs"] == 2
    (backup / "manifest.json").unlink()
    code, _ = cli("backup", "verify", str(backup))
    assert code == 1
    code, _ = cli("backup", "verify")
    assert code == 2

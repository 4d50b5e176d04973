"""Backups of the reference deployment: database and application files, with a manifest.

A backup is a directory::

    <dest>/manifest.json        sha256 and size of every file below, plus what was backed up
    <dest>/database/reference.db  a consistent copy (SQLite online backup, safe while serving)
    <dest>/files/...            the application's code, templates and static files
    <dest>/state/...            the deployment's state files (maintenance.json)

``verify_backup`` checks every checksum, looks for missing and unexpected files, then
restores the database into a scratch directory and opens it (integrity check, schema
revision, row count) — a backup is only as good as a restore that was tried.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest_release

MANIFEST = "manifest.json"
DB_NAME = "reference.db"
STATE_FILES = ("maintenance.json",)
_SKIP_DIRS = {"__pycache__", ".mypy_cache", ".pytest_cache"}


class BackupError(RuntimeError):
    """A backup could not be created or restored; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """The outcome of verifying one backup."""

    path: Path
    ok: bool
    files_checked: int
    problems: tuple[str, ...] = ()
    database: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form (for the CLI and for evidence)."""
        return {
            "path": str(self.path),
            "ok": self.ok,
            "files_checked": self.files_checked,
            "problems": list(self.problems),
            "database": self.database,
        }


def sha256_of(path: Path) -> str:
    """The file's sha256, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def default_app_dir() -> Path:
    """The application files: the installed pytest_release package."""
    return Path(pytest_release.__file__).resolve().parent


def _sqlite_path(database_url: str | None, data_dir: Path) -> Path:
    if database_url is None:
        return data_dir / DB_NAME
    if not database_url.startswith("sqlite:///"):
        raise BackupError(
            "only SQLite databases are backed up by this command, not "
            f"{database_url.split(':')[0]}; for PostgreSQL use pg_dump/pg_restore"
        )
    return Path(database_url.removeprefix("sqlite:///"))


def _copy_sqlite(source: Path, target: Path, *, journal_mode: str = "DELETE") -> None:
    """A consistent copy of a live SQLite database (the online backup API, not a file copy).

    Copies are switched to a rollback journal so a backup is one self-contained file (a WAL
    database would need its -wal/-shm companions); a restored live database goes back to WAL.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(source)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
            dst.execute(f"PRAGMA journal_mode={journal_mode}")
        finally:
            dst.close()
    finally:
        src.close()


def _copy_tree(source: Path, target: Path) -> None:
    for root, dirs, files in os.walk(source):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        rel = Path(root).relative_to(source)
        for name in sorted(files):
            if name.endswith((".pyc", ".pyo")):
                continue
            destination = target / rel / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(Path(root) / name, destination)


def _inventory(root: Path) -> dict[str, dict[str, Any]]:
    entries: dict[str, dict[str, Any]] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if rel != MANIFEST:
            entries[rel] = {"sha256": sha256_of(path), "size": path.stat().st_size}
    return entries


def create_backup(
    data_dir: Path,
    dest: Path | None = None,
    *,
    database_url: str | None = None,
    app_dir: Path | None = None,
) -> Path:
    """Back up the database, the application files and the state files; return the directory."""
    data_dir = Path(data_dir)
    source_db = _sqlite_path(database_url, data_dir)
    if not source_db.is_file():
        raise BackupError(
            f"no database at {source_db}: is --data-dir right? (the server creates it on start)"
        )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    target = Path(dest) if dest is not None else data_dir / "backups" / stamp
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} exists and is not empty; choose a new destination")
    target.mkdir(parents=True, exist_ok=True)
    _copy_sqlite(source_db, target / "database" / DB_NAME)
    app = app_dir or default_app_dir()
    _copy_tree(app, target / "files")
    for name in STATE_FILES:
        if (data_dir / name).is_file():
            (target / "state").mkdir(exist_ok=True)
            shutil.copy2(data_dir / name, target / "state" / name)
    manifest = {
        "format": 1,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "version": pytest_release.__version__,
        "source": {"data_dir": str(data_dir), "database": str(source_db), "app_dir": str(app)},
        "database": f"database/{DB_NAME}",
        "files": _inventory(target),
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return target


def _read_manifest(backup: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((backup / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BackupError(f"{backup} has no {MANIFEST}: not a backup made by this tool") from exc
    except ValueError as exc:
        raise BackupError(f"{backup / MANIFEST} is not valid JSON ({exc})") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise BackupError(f"{backup / MANIFEST} has no file list")
    return manifest


def open_database(path: Path) -> dict[str, Any]:
    """Open a SQLite database and report integrity, schema revision and row count."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        integrity = connection.execute("PRAGMA integrity_check").fetchone()[0]
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        runs = connection.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    finally:
        connection.close()
    return {"integrity": integrity, "revision": revision[0] if revision else None, "runs": runs}


def verify_backup(backup: Path) -> VerifyReport:
    """Check every checksum, then restore the database into a scratch dir and open it."""
    backup = Path(backup)
    manifest = _read_manifest(backup)
    expected: dict[str, dict[str, Any]] = manifest["files"]
    problems: list[str] = []
    for rel, entry in expected.items():
        path = backup / rel
        if not path.is_file():
            problems.append(f"missing: {rel}")
        elif sha256_of(path) != entry.get("sha256"):
            problems.append(f"checksum mismatch: {rel}")
    present = {p.relative_to(backup).as_posix() for p in backup.rglob("*") if p.is_file()}
    for rel in sorted(present - expected.keys() - {MANIFEST}):
        problems.append(f"not in the manifest: {rel}")
    database: dict[str, Any] = {}
    db_rel = str(manifest.get("database", f"database/{DB_NAME}"))
    if (backup / db_rel).is_file():
        with tempfile.TemporaryDirectory(prefix="pytest-release-verify-") as scratch:
            restored = Path(scratch) / DB_NAME
            try:
                _copy_sqlite(backup / db_rel, restored)
                database = open_database(restored)
            except sqlite3.Error as exc:
                problems.append(f"the database does not open after a restore: {exc}")
        if database and database.get("integrity") != "ok":
            problems.append(f"database integrity check failed: {database['integrity']}")
    else:
        problems.append(f"missing: {db_rel}")
    return VerifyReport(backup, not problems, len(expected), tuple(problems), database)


def restore_backup(
    backup: Path,
    data_dir: Path,
    *,
    database_url: str | None = None,
    files_to: Path | None = None,
) -> VerifyReport:
    """Verify, then restore the database (and state; app files only into ``files_to``).

    The database is written with SQLite's backup API, so a server that still has it open
    sees the restored content rather than a file swapped under its feet. Switch maintenance
    mode on first: runs recorded during the restore would be lost.
    """
    report = verify_backup(backup)
    if not report.ok:
        raise BackupError(
            f"refusing to restore {backup}: it failed verification: {'; '.join(report.problems)}"
        )
    backup = Path(backup)
    manifest = _read_manifest(backup)
    target_db = _sqlite_path(database_url, Path(data_dir))
    _copy_sqlite(backup / str(manifest["database"]), target_db, journal_mode="WAL")
    for name in STATE_FILES:
        if (backup / "state" / name).is_file():
            shutil.copy2(backup / "state" / name, Path(data_dir) / name)
    if files_to is not None:
        _copy_tree(backup / "files", Path(files_to))
    return report

"""Is there a fresh, intact backup that restores? (the "Backup" deployment steps)

A backup is a directory with ``manifest.json`` (sha256 and size of every file; written by
``pytest-release backup create`` or any tool that follows the format), a database copy under
``database/`` and the application files under ``files/``. Checking it means: it is recent,
every checksum matches, and the database restores into a scratch copy whose schema and row
counts agree with the source database.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pytest_release.probes.findings import CheckResult, Finding, FindingStatus

MANIFEST = "manifest.json"
OK, PROBLEM, UNCHECKED = FindingStatus.OK, FindingStatus.PROBLEM, FindingStatus.NOT_CHECKED


@dataclass(frozen=True, slots=True)
class Backup:
    """One backup directory and its manifest."""

    path: Path
    created: datetime
    manifest: dict[str, Any]

    @property
    def files(self) -> dict[str, dict[str, Any]]:
        files = self.manifest.get("files")
        return files if isinstance(files, dict) else {}

    @property
    def database(self) -> str | None:
        value = self.manifest.get("database")
        return str(value) if value else None


@dataclass(frozen=True, slots=True)
class DatabaseShape:
    """What a restore is compared on: tables with their columns, and rows per table."""

    columns: dict[str, tuple[str, ...]]
    rows: dict[str, int]
    integrity: str
    indexes: tuple[str, ...] = ()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_backup(path: Path) -> Backup | None:
    """The backup at ``path``, or None when it has no readable manifest."""
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict):
        return None
    try:
        created = datetime.fromisoformat(str(manifest.get("created")))
    except ValueError:
        created = datetime.fromtimestamp((path / MANIFEST).stat().st_mtime, UTC)
    return Backup(path, created if created.tzinfo else created.replace(tzinfo=UTC), manifest)


def latest_backup(directory: Path) -> Backup | None:
    """The newest backup in ``directory`` (itself, or one of its sub-directories)."""
    if (directory / MANIFEST).is_file():
        return read_backup(directory)
    if not directory.is_dir():
        return None
    found = [b for d in directory.iterdir() if d.is_dir() and (b := read_backup(d)) is not None]
    return max(found, key=lambda b: b.created, default=None)


def _age_text(hours: float) -> str:
    return f"{hours * 60:.0f} min" if hours < 2 else f"{hours:.1f} h"


def check_fresh(
    directory: Path, part: str, max_age_hours: float, now: datetime | None = None
) -> CheckResult:
    """A backup of ``part`` ("database" or "files") exists in ``directory`` and is recent."""
    subject = f"{part} backup in {directory}"
    backup = latest_backup(directory)
    if backup is None:
        return CheckResult(
            "backup exists",
            subject,
            (
                Finding(
                    "backup",
                    PROBLEM,
                    f"no backup with a {MANIFEST} in {directory}: create one before deploying "
                    "(`pytest-release backup create --data-dir DIR --dest DIR`)",
                ),
            ),
        )
    findings: list[Finding] = []
    age_h = ((now or datetime.now(UTC)) - backup.created).total_seconds() / 3600
    if age_h > max_age_hours:
        findings.append(
            Finding(
                "age",
                PROBLEM,
                f"the newest backup ({backup.path.name}) is {_age_text(age_h)} old, more than "
                f"the allowed {max_age_hours:g} h: take a fresh backup before deploying",
            )
        )
    else:
        findings.append(Finding("age", OK, f"{backup.path.name}: {_age_text(age_h)} old"))
    if part == "database":
        if backup.database and backup.database in backup.files:
            size = backup.files[backup.database].get("size", 0)
            findings.append(Finding("database copy", OK, f"{backup.database}, {size} bytes"))
        else:
            findings.append(
                Finding(
                    "database copy",
                    PROBLEM,
                    f"{backup.path / MANIFEST} lists no database file: the backup is incomplete",
                )
            )
    else:
        count = sum(1 for name in backup.files if name.startswith("files/"))
        status = OK if count else PROBLEM
        detail = (
            f"{count} application files"
            if count
            else "no application files (files/...) in the backup: back up the code as well"
        )
        findings.append(Finding("application files", status, detail))
    return CheckResult("backup exists", subject, tuple(findings))


def check_checksums(backup: Backup) -> list[Finding]:
    """Every file in the manifest is present with its checksum; nothing unlisted is there."""
    findings: list[Finding] = []
    for rel, entry in sorted(backup.files.items()):
        path = backup.path / rel
        if not path.is_file():
            findings.append(Finding(rel, PROBLEM, "listed in the manifest but missing"))
        elif sha256_of(path) != entry.get("sha256"):
            findings.append(
                Finding(rel, PROBLEM, "checksum does not match the manifest (file damaged)")
            )
    present = {p.relative_to(backup.path).as_posix() for p in backup.path.rglob("*") if p.is_file()}
    for rel in sorted(present - backup.files.keys() - {MANIFEST}):
        findings.append(Finding(rel, PROBLEM, "present but not in the manifest"))
    if not findings:
        findings.append(Finding("checksums", OK, f"{len(backup.files)} files match the manifest"))
    return findings


def sqlite_shape(path: Path) -> DatabaseShape:
    """Tables, columns, row counts and integrity of a SQLite database (opened read-only)."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        integrity = str(db.execute("PRAGMA integrity_check").fetchone()[0])
        tables = [
            str(row[0])
            for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type='table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        columns = {
            t: tuple(str(c[1]) for c in db.execute(f'PRAGMA table_info("{t}")')) for t in tables
        }
        rows = {t: int(db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]) for t in tables}
        indexes = tuple(
            str(row[0])
            for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type='index' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        )
    return DatabaseShape(columns, rows, integrity, indexes)


def restore_sqlite(copy: Path, scratch: Path) -> Path:
    """Restore a SQLite backup file into a scratch file (SQLite's backup API, as a restore does)."""
    restored = scratch / "restored.db"
    with (
        contextlib.closing(sqlite3.connect(f"file:{copy}?mode=ro", uri=True)) as src,
        contextlib.closing(sqlite3.connect(restored)) as dst,
    ):
        src.backup(dst)
    return restored


def compare_shapes(restored: DatabaseShape, source: DatabaseShape, exact: bool) -> list[Finding]:
    """Schema must match; rows must match (``exact``) or the source may only have grown."""
    findings: list[Finding] = []
    if restored.integrity != "ok":
        findings.append(Finding("integrity", PROBLEM, f"restored copy: {restored.integrity}"))
    for table, columns in sorted(source.columns.items()):
        if table not in restored.columns:
            findings.append(Finding(table, PROBLEM, "table missing from the restored backup"))
        elif restored.columns[table] != columns:
            findings.append(
                Finding(
                    table,
                    PROBLEM,
                    f"columns differ: backup {list(restored.columns[table])}, "
                    f"live {list(columns)} (a migration ran after the backup?)",
                )
            )
    if restored.indexes != source.indexes:
        findings.append(
            Finding(
                "indexes",
                PROBLEM,
                f"backup has {list(restored.indexes)}, live {list(source.indexes)} "
                "(a migration ran after the backup?)",
            )
        )
    for table in sorted(restored.columns.keys() - source.columns.keys()):
        findings.append(Finding(table, PROBLEM, "in the backup but not in the live database"))
    for table, count in sorted(restored.rows.items()):
        live = source.rows.get(table)
        if live is None:
            continue
        if (exact and live != count) or live < count:
            findings.append(
                Finding(
                    f"{table} rows",
                    PROBLEM,
                    f"backup has {count} rows, live database {live}",
                )
            )
        else:
            findings.append(Finding(f"{table} rows", OK, f"backup {count}, live {live}"))
    return findings


def sqlite_path_of(database_url: str) -> Path | None:
    """The file of a sqlite:/// URL (None for other databases)."""
    return (
        Path(database_url.removeprefix("sqlite:///"))
        if database_url.startswith("sqlite:///")
        else None
    )


def check_restores(
    backup: Backup, source_url: str | None, *, exact: bool = False, compare: bool = True
) -> CheckResult:
    """Checksums, then a trial restore into scratch, compared with the source database.

    ``compare=False`` after a migration: the backup is the old schema on purpose.
    """
    subject = str(backup.path)
    findings = check_checksums(backup)
    if backup.database is None or not (backup.path / backup.database).is_file():
        findings.append(Finding("database", PROBLEM, "the backup holds no database copy"))
        return CheckResult("backup restores", subject, tuple(findings))
    copy = backup.path / backup.database
    if copy.suffix in (".dump", ".pgdump"):
        from pytest_release.probes.pg_restore import check_pg_restore

        findings += check_pg_restore(copy, source_url)
        return CheckResult("backup restores", subject, tuple(findings))
    with tempfile.TemporaryDirectory(prefix="pytest-release-restore-") as scratch:
        try:
            restored = sqlite_shape(restore_sqlite(copy, Path(scratch)))
        except sqlite3.Error as exc:
            findings.append(
                Finding("restore", PROBLEM, f"the database copy does not restore: {exc}")
            )
            return CheckResult("backup restores", subject, tuple(findings))
    findings.append(
        Finding("restore", OK, f"restored into scratch: integrity {restored.integrity}")
    )
    if not compare:
        return CheckResult("backup restores", subject, tuple(findings))
    source_file = sqlite_path_of(source_url) if source_url else None
    if source_file is None or not source_file.is_file():
        findings.append(
            Finding(
                "compare with live",
                UNCHECKED,
                "no live SQLite database to compare with: set [tool.pytest_release.deploy] "
                "database_url (or data_dir)",
            )
        )
    else:
        findings += compare_shapes(restored, sqlite_shape(source_file), exact)
    return CheckResult("backup restores", subject, tuple(findings))

"""A trial restore of a PostgreSQL backup (``pg_dump -Fc``) into a scratch database.

Uses the real client tools: ``psql`` creates and drops the scratch database on the source
server, ``pg_restore`` loads the dump, and the schema and row counts are compared with the
live database.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from pytest_release.probes.backup_check import DatabaseShape, compare_shapes
from pytest_release.probes.findings import Finding, FindingStatus

_TIMEOUT_S = 120


def libpq_url(url: str) -> str:
    """postgresql+driver://... (SQLAlchemy) -> postgresql://... (libpq)."""
    return re.sub(r"^postgres(?:ql)?(?:\+\w+)?://", "postgresql://", url)


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _psql(url: str, sql: str) -> list[list[str]]:
    done = subprocess.run(
        ["psql", "-X", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql],
        capture_output=True,
        text=True,
        timeout=_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip() or f"psql exited with {done.returncode}")
    return [line.split("\t") for line in done.stdout.splitlines() if line]


def pg_shape(url: str) -> DatabaseShape:
    """Tables of the public schema with their columns and row counts."""
    rows = _psql(
        url,
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'public' ORDER BY table_name, ordinal_position",
    )
    columns: dict[str, tuple[str, ...]] = {}
    for table, column in rows:
        columns[table] = (*columns.get(table, ()), column)
    counts = {t: int(_psql(url, f'SELECT COUNT(*) FROM "{t}"')[0][0]) for t in columns}
    indexes = tuple(
        row[0]
        for row in _psql(
            url, "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname"
        )
    )
    return DatabaseShape(columns, counts, "ok", indexes)


def check_pg_restore(dump: Path, source_url: str | None) -> list[Finding]:
    """Restore ``dump`` into a scratch database beside the source; compare; drop it."""
    missing = [tool for tool in ("psql", "pg_restore") if shutil.which(tool) is None]
    if missing:
        return [
            Finding(
                "restore",
                FindingStatus.NOT_CHECKED,
                f"{', '.join(missing)} not installed: apt-get install postgresql-client",
            )
        ]
    if not source_url or not source_url.startswith("postgres"):
        return [
            Finding(
                "restore",
                FindingStatus.NOT_CHECKED,
                "the backup is a PostgreSQL dump but no PostgreSQL database_url is configured "
                "to restore beside: set [tool.pytest_release.deploy] database_url",
            )
        ]
    source = libpq_url(source_url)
    scratch_name = f"pytest_release_restore_{uuid.uuid4().hex[:10]}"
    scratch = with_database(source, scratch_name)
    try:
        _psql(source, f'CREATE DATABASE "{scratch_name}"')
        done = subprocess.run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "-d",
                scratch,
                str(dump),
            ],
            capture_output=True,
            text=True,
            timeout=_TIMEOUT_S,
            check=False,
        )
        if done.returncode != 0:
            return [
                Finding(
                    "restore",
                    FindingStatus.PROBLEM,
                    f"pg_restore failed: {done.stderr.strip()[-300:]}",
                )
            ]
        restored = pg_shape(scratch)
        findings = [Finding("restore", FindingStatus.OK, f"pg_restore into {scratch_name}")]
        return findings + compare_shapes(restored, pg_shape(source), exact=False)
    except (RuntimeError, subprocess.SubprocessError, OSError) as exc:
        return [Finding("restore", FindingStatus.PROBLEM, f"trial restore failed: {exc}")]
    finally:
        # The scratch database's name says what it is; leaving it behind is not fatal.
        with contextlib.suppress(RuntimeError, subprocess.SubprocessError, OSError):
            _psql(source, f'DROP DATABASE IF EXISTS "{scratch_name}"')

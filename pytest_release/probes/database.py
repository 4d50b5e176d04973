"""The database: reachable, recent enough, required indexes present *and used*, settings sane.

SQLite is read with the standard library (read-only); PostgreSQL through ``psql``, the
server's own client (no driver to install). "Used" means the planner picks the index for
the query that needs it (``EXPLAIN``); on PostgreSQL sequential scans are switched off for
that question, so a small table does not hide a missing or unusable index.

Settings are compared with expressions: ``journal_mode = "wal"``,
``max_connections = [">= 20", "<= 1000"]``.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_release.config_table import Table
from pytest_release.settings import ConfigError

DEFAULT_SETTINGS: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    # WAL: readers do not block the writer that records runs.
    "sqlite": {"journal_mode": ("wal",)},
    # Enough connections for app workers + admin, not so many that memory runs out.
    "postgresql": {"max_connections": (">= 20", "<= 1000")},
}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
_COMPARE = re.compile(r"^\s*(>=|<=|!=|==|>|<)?\s*(.+?)\s*$")


@dataclass(frozen=True, slots=True)
class IndexRequirement:
    table: str
    columns: tuple[str, ...]
    query: str | None = None  # a query that must use an index on these columns


@dataclass(frozen=True, slots=True)
class DatabaseConfig:
    """``[tool.pytest_release.predeploy.database]``."""

    url: str | None = None
    url_env: str = "DATABASE_URL"
    min_version: str | None = None
    indexes: tuple[IndexRequirement, ...] = ()
    settings: Mapping[str, tuple[str, ...]] | None = None  # None: the backend's defaults
    max_connection_use: float = 0.8


def _expressions(name: str, value: Any, where: str) -> tuple[str, ...]:
    if not _NAME.match(name):
        raise ConfigError(f"{where} settings: {name!r} is not a setting name")
    values = value if isinstance(value, list) else [value]
    if not values or not all(
        isinstance(v, str | int | float) and not isinstance(v, bool) for v in values
    ):
        raise ConfigError(
            f"{where} settings.{name} must be a value or a list like ['>= 20', '<= 1000']"
        )
    return tuple(str(v) for v in values)


def database_config(table: Table) -> DatabaseConfig:
    indexes = []
    raw = table.mapping("indexes") if isinstance(table.data.get("indexes"), Mapping) else None
    entries = table.data.get("indexes", []) if raw is None else [raw]
    table.has("indexes")
    if not isinstance(entries, list):
        raise ConfigError(f"{table.name} indexes must be an array of tables ([[...indexes]])")
    for number, entry in enumerate(entries, start=1):
        columns = entry.get("columns") if isinstance(entry, Mapping) else None
        name = entry.get("table") if isinstance(entry, Mapping) else None
        if (
            not isinstance(name, str)
            or not _NAME.match(name)
            or not isinstance(columns, list)
            or not columns
        ):
            raise ConfigError(
                f"{table.name} indexes #{number}: write table = 'runs', columns = ['created_at'] "
                "and optionally query = 'SELECT ...' that must use the index"
            )
        query = entry.get("query")
        indexes.append(
            IndexRequirement(name, tuple(str(c) for c in columns), str(query) if query else None)
        )
    settings = None
    if table.has("settings"):
        settings = {k: _expressions(k, v, table.name) for k, v in table.mapping("settings").items()}
    return DatabaseConfig(
        url=table.optional_text("url"),
        url_env=table.text("url_env", "DATABASE_URL"),
        min_version=table.optional_text("min_version"),
        indexes=tuple(indexes),
        settings=settings,
        max_connection_use=table.number("max_connection_use", 0.8),
    )


def satisfies(actual: str, expression: str) -> bool:
    """Whether a setting's value meets ``>= 20``, ``!= off`` or a plain value (case-insensitive)."""
    match = _COMPARE.match(expression)
    assert match is not None  # the pattern matches any string  # nosec B101
    op, wanted = match.group(1) or "==", match.group(2)
    try:
        a, w = float(actual), float(wanted)
    except ValueError:
        equal = actual.strip().lower() == wanted.strip().lower()
        return equal if op == "==" else (not equal if op == "!=" else False)
    return {">=": a >= w, "<=": a <= w, ">": a > w, "<": a < w, "==": a == w, "!=": a != w}[op]


def version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text)[:3])


@dataclass(frozen=True, slots=True)
class DatabaseResult:
    backend: str
    version: str
    indexes: Mapping[str, Sequence[str]]  # table -> index descriptions
    plans: Mapping[str, str]
    settings: Mapping[str, str]
    problems: tuple[str, ...]
    extra: Mapping[str, Any] = field(default_factory=dict)

    def evidence(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "version": self.version,
            "indexes": {k: list(v) for k, v in self.indexes.items()},
            "query_plans": dict(self.plans),
            "settings": dict(self.settings),
            **self.extra,
            "problems": list(self.problems),
        }


class DatabaseUnreachable(RuntimeError):
    """The database did not answer; the message says how it failed."""


class _Backend:
    name = ""

    def version(self) -> str:
        raise NotImplementedError

    def indexes(self, table: str) -> dict[str, tuple[str, ...]]:
        raise NotImplementedError

    def plan(self, query: str) -> str:
        raise NotImplementedError

    def setting(self, name: str) -> str:
        raise NotImplementedError

    def extra(self) -> dict[str, Any]:
        return {}


class _Sqlite(_Backend):
    name = "sqlite"

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise DatabaseUnreachable(f"no SQLite database at {path}")
        try:
            self.connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
            self.connection.execute("SELECT 1").fetchone()
        except sqlite3.Error as exc:
            raise DatabaseUnreachable(f"cannot open {path}: {exc}") from exc

    def version(self) -> str:
        return sqlite3.sqlite_version

    def indexes(self, table: str) -> dict[str, tuple[str, ...]]:
        out = {}
        for row in self.connection.execute(f"PRAGMA index_list({table})").fetchall():  # nosec B608
            cols = self.connection.execute(f"PRAGMA index_info({row[1]!r})").fetchall()  # nosec B608
            out[str(row[1])] = tuple(str(c[2]) for c in cols)
        return out

    def plan(self, query: str) -> str:
        rows = self.connection.execute("EXPLAIN QUERY PLAN " + query).fetchall()
        return "\n".join(str(r[-1]) for r in rows)

    def setting(self, name: str) -> str:
        row = self.connection.execute(f"PRAGMA {name}").fetchone()  # nosec B608 - validated name
        return "" if row is None else str(row[0])


class _Postgres(_Backend):
    name = "postgresql"

    def __init__(self, url: str) -> None:
        self.url = re.sub(r"^postgresql\+\w+://", "postgresql://", url)
        if shutil.which("psql") is None:
            raise DatabaseUnreachable("psql is not installed: apt-get install postgresql-client")
        self.sql("SELECT 1")

    def sql(self, *statements: str) -> list[list[str]]:
        argv = ["psql", self.url, "-X", "-q", "-A", "-t", "-F", "\x1f", "-v", "ON_ERROR_STOP=1"]
        for statement in statements:
            argv += ["-c", statement]
        try:
            done = subprocess.run(  # nosec B603 B607 - psql with our own statements
                argv,
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise DatabaseUnreachable(f"psql did not run: {exc}") from exc
        if done.returncode != 0:
            raise DatabaseUnreachable(
                done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "psql failed"
            )
        return [line.split("\x1f") for line in done.stdout.splitlines() if line.strip()]

    def version(self) -> str:
        return self.sql("SHOW server_version")[0][0]

    def indexes(self, table: str) -> dict[str, tuple[str, ...]]:
        rows = self.sql(
            "SELECT i.relname, a.attname FROM pg_index x "
            "JOIN pg_class t ON t.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid "
            "CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, n) "
            "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum "
            f"WHERE t.relname = '{table}' AND pg_table_is_visible(t.oid) ORDER BY i.relname, k.n"  # nosec B608
        )
        out: dict[str, list[str]] = {}
        for name, column in rows:
            out.setdefault(name, []).append(column)
        return {k: tuple(v) for k, v in out.items()}

    def plan(self, query: str) -> str:
        rows = self.sql("SET enable_seqscan = off", "EXPLAIN " + query)
        return "\n".join(r[0] for r in rows)

    def setting(self, name: str) -> str:
        return self.sql(f"SHOW {name}")[0][0]

    def extra(self) -> dict[str, Any]:
        used = int(self.sql("SELECT count(*) FROM pg_stat_activity")[0][0])
        return {"connections_in_use": used, "max_connections": int(self.setting("max_connections"))}


def open_backend(url: str) -> _Backend:
    """A backend for the URL (``sqlite:///path`` or ``postgresql://...``)."""
    if url.startswith("sqlite:///"):
        return _Sqlite(Path(url.removeprefix("sqlite:///")))
    if url.startswith(("postgresql://", "postgres://", "postgresql+")):
        return _Postgres(url)
    raise DatabaseUnreachable(
        f"unsupported database URL scheme {url.split(':')[0]!r}: use sqlite:/// or postgresql://"
    )


def _uses_index(plan: str, names: Sequence[str]) -> bool:
    return any(re.search(rf"\b{re.escape(n)}\b", plan) for n in names)


def check_database(config: DatabaseConfig, url: str) -> DatabaseResult:
    """Connect, then check version, indexes and their use, and settings."""
    backend = open_backend(url)
    problems: list[str] = []
    version = backend.version()
    if config.min_version and version_tuple(version) < version_tuple(config.min_version):
        problems.append(
            f"{backend.name} {version} is older than the required {config.min_version}: upgrade it"
        )
    indexes: dict[str, list[str]] = {}
    plans: dict[str, str] = {}
    for need in config.indexes:
        present = backend.indexes(need.table)
        indexes[need.table] = [f"{n} ({', '.join(c)})" for n, c in present.items()]
        # An index serves the requirement when the required columns lead it, in order.
        fitting = [n for n, cols in present.items() if cols[: len(need.columns)] == need.columns]
        label = f"{need.table}({', '.join(need.columns)})"
        if not fitting:
            problems.append(
                f"no index on {label}: create it (CREATE INDEX ... ON {need.table} "
                f"({', '.join(need.columns)})) in a migration and run the migrations"
            )
            continue
        if need.query:
            try:
                plan = backend.plan(need.query)
            except (sqlite3.Error, DatabaseUnreachable) as exc:
                problems.append(
                    f"EXPLAIN failed for the {label} query: {exc}; fix the query in the config"
                )
                continue
            plans[need.query] = plan
            if not _uses_index(plan, fitting):
                problems.append(
                    f"the query for {label} does not use {', '.join(fitting)} (plan: "
                    f"{plan.splitlines()[0] if plan else 'empty'}): check the query and the index "
                    "columns"
                )
    wanted = (
        config.settings if config.settings is not None else DEFAULT_SETTINGS.get(backend.name, {})
    )
    seen: dict[str, str] = {}
    for name, expressions in wanted.items():
        try:
            seen[name] = backend.setting(name)
        except (sqlite3.Error, DatabaseUnreachable) as exc:
            problems.append(f"cannot read the setting {name}: {exc}")
            continue
        for expression in expressions:
            if not satisfies(seen[name], expression):
                problems.append(
                    f"{backend.name} setting {name} = {seen[name]!r}, recommended {expression}: "
                    "change it"
                )
    extra = backend.extra()
    if "connections_in_use" in extra and extra["max_connections"]:
        share = extra["connections_in_use"] / extra["max_connections"]
        if share > config.max_connection_use:
            problems.append(
                f"{extra['connections_in_use']} of {extra['max_connections']} connections are in "
                "use "
                f"({share:.0%} > {config.max_connection_use:.0%}): find idle connections or raise "
                "the limit"
            )
    return DatabaseResult(backend.name, version, indexes, plans, seen, tuple(problems), extra)

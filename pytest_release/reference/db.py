"""Usage statistics in a SQL database: SQLite by default, PostgreSQL when DATABASE_URL says so.

The schema is owned by Alembic (``migrations/``); the app upgrades to head at startup and
``/healthz`` reports whether the database is at head. Only metadata about runs is kept
(language, outcome, duration, a salted hash of the client address) — never the code.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import DateTime, Engine, Float, Integer, String, create_engine, event, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Alembic's ``context`` is a process-wide proxy: two upgrades at once in one process (tests
# running several apps) would swap it under each other.
_ALEMBIC_LOCK = threading.Lock()


class Base(DeclarativeBase):
    """Declarative base for the reference deployment's tables."""


class Run(Base):
    """One code execution request that reached the sandbox."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    example_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    language: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str] = mapped_column(String(20))
    exit_code: Mapped[int] = mapped_column(Integer)
    duration_ms: Mapped[float] = mapped_column(Float)
    code_chars: Mapped[int] = mapped_column(Integer)
    client: Mapped[str] = mapped_column(String(16))


@dataclass(frozen=True, slots=True)
class MigrationStatus:
    """Where the database is relative to the migration scripts."""

    current: tuple[str, ...]
    head: tuple[str, ...]

    @property
    def at_head(self) -> bool:
        """True when the database carries exactly the head revision(s)."""
        return set(self.current) == set(self.head)


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at the packaged migrations (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation would choke on '%' in passwords of the URL.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def client_hash(address: str) -> str:
    """A short one-way tag for a client address: counts unique users without storing IPs."""
    return hashlib.sha256(f"pytest-release:{address}".encode()).hexdigest()[:16]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL + NORMAL: concurrent readers while a run is recorded, without an fsync per insert.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


class Database:
    """The engine plus the few queries the app needs (all synchronous; call via a thread)."""

    def __init__(self, url: str, schema_revision: str | None = None) -> None:
        self.url = url
        #: The newest migration this release knows (None: the scripts' head); an older
        #: release deployed from the same scripts stops there.
        self.schema_revision = schema_revision
        self.engine: Engine
        if url.startswith("sqlite"):
            self.engine = create_engine(url, connect_args={"check_same_thread": False})
            event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = create_engine(url, pool_pre_ping=True)
        self._heads: tuple[str, ...] | None = (schema_revision,) if schema_revision else None

    @property
    def backend(self) -> str:
        """'sqlite', 'postgresql', ..."""
        return self.engine.dialect.name

    def upgrade(self, revision: str = "head") -> None:
        """Run the Alembic migrations up to ``revision``."""
        config = alembic_config(self.url)
        with _ALEMBIC_LOCK, self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)

    def migration_status(self) -> MigrationStatus:
        """The database's revision(s) against the scripts' head(s)."""
        if self._heads is None:  # the scripts do not change while the app runs
            script = ScriptDirectory.from_config(alembic_config(self.url))
            self._heads = tuple(script.get_heads())
        with self.engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_heads()
        return MigrationStatus(tuple(current), self._heads)

    def ping(self) -> None:
        """Raise when the database cannot answer a trivial query."""
        with self.engine.connect() as connection:
            connection.execute(select(1))

    def record_run(
        self,
        *,
        example_id: str | None,
        language: str,
        outcome: str,
        exit_code: int,
        duration_ms: float,
        code_chars: int,
        client: str,
    ) -> None:
        """Store one run's metadata."""
        with Session(self.engine) as session, session.begin():
            session.add(
                Run(
                    created_at=datetime.now(UTC),
                    example_id=example_id,
                    language=language,
                    outcome=outcome,
                    exit_code=exit_code,
                    duration_ms=duration_ms,
                    code_chars=code_chars,
                    client=client,
                )
            )

    def stats(self, recent: int = 20) -> dict[str, Any]:
        """Usage statistics: totals, per language/outcome/example, unique clients, recent runs."""
        with Session(self.engine) as session:
            total = session.scalar(select(func.count(Run.id))) or 0
            clients = session.scalar(select(func.count(func.distinct(Run.client)))) or 0
            by_language = dict(
                session.execute(select(Run.language, func.count()).group_by(Run.language)).all()
            )
            by_outcome = dict(
                session.execute(select(Run.outcome, func.count()).group_by(Run.outcome)).all()
            )
            by_example = dict(
                session.execute(
                    select(Run.example_id, func.count())
                    .where(Run.example_id.is_not(None))
                    .group_by(Run.example_id)
                ).all()
            )
            rows = session.scalars(select(Run).order_by(Run.id.desc()).limit(recent)).all()
            latest = [
                {
                    "at": row.created_at.isoformat(),
                    "example_id": row.example_id,
                    "language": row.language,
                    "outcome": row.outcome,
                    "exit_code": row.exit_code,
                    "duration_ms": round(row.duration_ms, 1),
                }
                for row in rows
            ]
        return {
            "runs_total": total,
            "unique_clients": clients,
            "by_language": by_language,
            "by_outcome": by_outcome,
            "by_example": by_example,
            "recent": latest,
        }

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()
